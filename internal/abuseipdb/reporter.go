package abuseipdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/store"
)

// ReportInterval is how often AbuseIPDB accepts a report of one address
// from one account (doc §5.2): the reporter never sends an address twice
// within it, across jails and restarts.
const ReportInterval = 15 * time.Minute

// API is what the reporter needs of AbuseIPDB; *Client is one.
type API interface {
	Report(ctx context.Context, r Report) (*ReportResult, error)
	BulkReport(ctx context.Context, rs []Report) (*BulkResult, error)
}

// Outbox is the durable queue of reports; *store.Store is one.
type Outbox interface {
	QueueReport(ctx context.Context, r store.Report) (id int64, added bool, err error)
	DueReports(ctx context.Context, now time.Time, limit int) ([]store.Report, error) // with LastReported
	NextReportDue(ctx context.Context) (time.Time, bool, error)
	MarkReportsSent(ctx context.Context, ids []int64, at time.Time) error
	RetryReport(ctx context.Context, id int64, next time.Time, reason string) error
	FinishReport(ctx context.Context, id int64, state store.ReportState, reason string, at time.Time) error
	RecordReported(ctx context.Context, ip string, at time.Time) error
	LastReported(ctx context.Context, ip string) (time.Time, bool, error)
	ReportStats(ctx context.Context) (store.ReportStats, error)
	Quota(ctx context.Context, endpoint string) (store.Quota, bool, error)
	SetQuota(ctx context.Context, endpoint string, q store.Quota) error
}

var (
	_ API    = (*Client)(nil)
	_ Outbox = (*store.Store)(nil)
)

// ReporterOptions tune a Reporter; the zero value is the defaults.
type ReporterOptions struct {
	Clean CleanOptions // how the comments are cleaned
	// Skip, when set, refuses more addresses than Reportable does: the
	// jail's ignoreip and the host's own addresses.
	Skip func(ip string) bool
	// BulkThreshold is the backlog of due reports from which one
	// bulk-report sends them (default 50; < 0 never).
	BulkThreshold int
	// MinBackoff and MaxBackoff bound the wait after a network error or a
	// 5xx, doubled at each failure in a row (defaults 30 s and 1 h).
	MinBackoff, MaxBackoff time.Duration
	// AuthRetry is the wait after the API refused the key (default 1 h):
	// a key fixed meanwhile works without a restart.
	AuthRetry time.Duration
	// MaxAge is the age of an attack beyond which it is no longer
	// reported (default 60 days, the reporting policy's limit).
	MaxAge time.Duration
}

func (o *ReporterOptions) setDefaults() {
	if o.BulkThreshold == 0 {
		o.BulkThreshold = 50
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 30 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.AuthRetry <= 0 {
		o.AuthRetry = time.Hour
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 60 * 24 * time.Hour
	}
}

// Item is a ban to report.
type Item struct {
	IP         string
	Jail       string
	Categories []int     // 1..23, at least one
	Matches    []string  // the matched log lines: the comment, once cleaned
	Time       time.Time // the attack's (the ban's) time; with IP and Jail, it names the report: Enqueue queues it once
}

// Stats are the reporter's counts and state.
type Stats struct {
	store.ReportStats
	Quotas      map[string]store.Quota // the last known quota per endpoint
	KeyRejected bool                   // the API refused the key at the last try
	PausedUntil time.Time              // after network errors or 5xx: no try before
}

// Reporter delivers reports of bans to AbuseIPDB from a durable outbox:
// Enqueue writes a report, Run sends them. Its methods are safe for
// concurrent use; Run runs once at a time.
//
// The daemon drives it so:
//
//	rep := abuseipdb.NewReporter(client, st, clock.Real{}, log, opts)
//	ctx, cancel := context.WithCancel(parent)
//	done := make(chan error, 1)
//	go func() { done <- rep.Run(ctx) }()
//	// on each new ban of a jail with the abuseipdb action (not a ban
//	// restored at start: norestored), before acknowledging the event:
//	err := rep.Enqueue(ctx, abuseipdb.Item{IP: ip, Jail: jail,
//		Categories: cats, Matches: matches, Time: banStart})
//	// at shutdown (or reload without the action):
//	cancel()
//	<-done
//
// What is queued and not yet sent stays in the store for the next start.
// Item.Time should be the ban's start: the same ban enqueued again (a
// replayed event) is then queued once.
type Reporter struct {
	api API
	box Outbox
	clk clock.Clock
	log *slog.Logger
	o   ReporterOptions

	wake    chan struct{}
	wakes   atomic.Uint64 // Enqueue's count, for the tests' idle hook
	running atomic.Bool
	onIdle  func(seen uint64, wait time.Duration) // tests only

	apiZone   *time.Location // the zone of the API's quota day
	bulkBytes int            // the most bytes of reports in one bulk-report

	mu          sync.Mutex // guards what follows
	quotas      map[string]store.Quota
	authUntil   time.Time
	keyRejected bool
	failures    int // temporary failures in a row
	pauseUntil  time.Time
	bulkOff     time.Time // a bulk-report was refused as invalid: singles only until then
	quotaLogged map[string]time.Time
}

// NewReporter returns a reporter sending through api the reports queued in
// box. log (nil: discarded) never sees the API key: the reporter does not
// know it, and the client's errors leave it out.
func NewReporter(api API, box Outbox, clk clock.Clock, log *slog.Logger, o ReporterOptions) *Reporter {
	o.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	zone, err := time.LoadLocation("America/New_York")
	if err != nil { // no time zone database: EST, off by an hour in summer
		zone = time.FixedZone("EST", -5*3600)
	}
	return &Reporter{api: api, box: box, clk: clk, log: log, o: o, apiZone: zone,
		bulkBytes: maxBulkFile, wake: make(chan struct{}, 1), quotas: map[string]store.Quota{}, quotaLogged: map[string]time.Time{}}
}

// ErrCategories is the error of Enqueue for an item without valid
// categories (the 422 of fail2ban's unset abuseipdb_category, doc §12).
var ErrCategories = errors.New("report categories must be 1 to 23, at least one")

// Enqueue queues the report of it and returns once it is written to the
// outbox: the ban's event may then be acknowledged. An address Reportable
// refuses, or ReporterOptions.Skip, is not queued (nil error). The same
// item (IP, jail, time) queued again is queued once.
func (r *Reporter) Enqueue(ctx context.Context, it Item) error {
	a, err := netip.ParseAddr(it.IP)
	if err != nil {
		return fmt.Errorf("report %q: not an address", it.IP)
	}
	ip := a.Unmap().String()
	if !reportableAddr(a) || r.o.Skip != nil && (r.o.Skip(it.IP) || r.o.Skip(ip)) {
		r.log.Debug("AbuseIPDB: address not reported", "ip", ip, "jail", it.Jail)
		return nil
	}
	if len(it.Categories) == 0 {
		return fmt.Errorf("report %s of jail %s: %w", ip, it.Jail, ErrCategories)
	}
	for _, c := range it.Categories {
		if c < 1 || c > 23 {
			return fmt.Errorf("report %s of jail %s: category %d: %w", ip, it.Jail, c, ErrCategories)
		}
	}
	now := r.clk.Now()
	at := it.Time
	if at.IsZero() || at.After(now) {
		at = now // never a future timestamp (doc §5.1)
	}
	_, added, err := r.box.QueueReport(ctx, store.Report{IP: ip, Jail: it.Jail, Categories: it.Categories,
		Comment: CleanComment(it.Matches, r.o.Clean), Attack: at, Enqueued: now})
	if err != nil {
		return fmt.Errorf("queue report of %s: %w", ip, err)
	}
	if added {
		r.kick()
	}
	return nil
}

func (r *Reporter) kick() uint64 {
	n := r.wakes.Add(1)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return n
}

// Stats returns the outbox's counts and the reporter's state.
func (r *Reporter) Stats(ctx context.Context) (Stats, error) {
	rs, err := r.box.ReportStats(ctx)
	if err != nil {
		return Stats{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Stats{ReportStats: rs, Quotas: map[string]store.Quota{}, KeyRejected: r.keyRejected, PausedUntil: r.pauseUntil}
	for e, q := range r.quotas {
		st.Quotas[e] = q
	}
	return st, nil
}

// storeRetry is the wait after an error of the outbox.
const storeRetry = time.Minute

// Run sends the due reports until ctx ends, then returns nil. It wakes when
// Enqueue queues a report, when a report is due again, and when a pause
// (quota, refused key, back-off) ends. The caller owns its goroutine: to
// stop it, cancel ctx and wait for Run to return.
func (r *Reporter) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("abuseipdb: reporter already running")
	}
	defer r.running.Store(false)
	for _, e := range []string{EndpointReport, EndpointBulkReport} {
		q, ok, err := r.box.Quota(ctx, e)
		if err != nil {
			r.log.Error("AbuseIPDB: read the quota", "endpoint", e, "err", err)
			continue
		}
		if ok {
			r.mu.Lock()
			r.quotas[e] = q
			r.mu.Unlock()
		}
	}
	for {
		seen := r.wakes.Load()
		wait, err := r.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.log.Error("AbuseIPDB: outbox", "err", err)
			wait = storeRetry
		}
		if r.onIdle != nil {
			r.onIdle(seen, wait)
		}
		var timer clock.Timer
		var tc <-chan time.Time
		if wait > 0 {
			timer = r.clk.NewTimer(wait)
			tc = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// pass sends what can be sent now and returns how long to wait for the
// next work (0: until Enqueue).
func (r *Reporter) pass(ctx context.Context) (time.Duration, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		now := r.clk.Now()
		r.mu.Lock()
		until := later(r.authUntil, r.pauseUntil)
		r.mu.Unlock()
		if until.After(now) {
			return until.Sub(now), nil
		}
		due, err := r.box.DueReports(ctx, now, MaxBulkRows)
		if err != nil {
			return 0, err
		}
		if len(due) == 0 {
			next, ok, err := r.box.NextReportDue(ctx)
			if err != nil || !ok {
				return 0, err
			}
			return max(next.Sub(now), time.Millisecond), nil
		}
		batch, err := r.screen(ctx, due, now)
		if err != nil {
			return 0, err
		}
		if len(batch) == 0 {
			continue // all were ended
		}
		wait, progress, err := r.send(ctx, batch)
		if err != nil || !progress {
			return wait, err
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// screen ends the due reports that must not be sent (an address not to
// report, an attack too old, an address reported within ReportInterval)
// and returns the others, one per address.
func (r *Reporter) screen(ctx context.Context, due []store.Report, now time.Time) ([]store.Report, error) {
	batch := due[:0:0]
	seen := make(map[string]bool, len(due))
	for _, rep := range due {
		if seen[rep.IP] {
			continue // sent (or not) with the first: judged at the next pass
		}
		state, reason := store.ReportQueued, ""
		switch {
		case !Reportable(rep.IP) || r.o.Skip != nil && r.o.Skip(rep.IP):
			state, reason = store.ReportRejected, "not a reportable address"
		case len(rep.Categories) == 0:
			state, reason = store.ReportRejected, "no categories"
		case now.Sub(rep.Attack) > r.o.MaxAge:
			state, reason = store.ReportFailed, fmt.Sprintf("the attack is older than %v", r.o.MaxAge)
		case !rep.LastReported.IsZero() && now.Sub(rep.LastReported) < ReportInterval:
			state, reason = store.ReportDuplicate, "reported less than 15 minutes before, at "+rep.LastReported.UTC().Format(time.RFC3339)
		}
		if state == store.ReportQueued {
			seen[rep.IP] = true
			batch = append(batch, rep)
			continue
		}
		if err := r.box.FinishReport(ctx, rep.ID, state, reason, now); err != nil {
			return nil, err
		}
		r.log.Debug("AbuseIPDB: report dropped", "ip", rep.IP, "jail", rep.Jail, "state", state.String(), "reason", reason)
	}
	return batch, nil
}

// budget returns how many requests endpoint may still make (-1: no known
// limit), and until when it is exhausted.
func (r *Reporter) budget(endpoint string, now time.Time) (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q, ok := r.quotas[endpoint]
	switch {
	case !ok || !q.Reset.IsZero() && !now.Before(q.Reset):
		return -1, time.Time{} // never known, or a new day: the next answer tells
	case q.Remaining <= 0 && !q.Reset.IsZero():
		return 0, q.Reset
	case q.Limit > 0:
		return q.Remaining, time.Time{}
	}
	return -1, time.Time{}
}

// noteQuota records the quota an answer of endpoint told; exhausted for a
// quota 429.
func (r *Reporter) noteQuota(ctx context.Context, endpoint string, rl RateLimit, exhausted bool) {
	now := r.clk.Now()
	if !rl.Known() && !exhausted {
		return
	}
	q := store.Quota{Limit: rl.Limit, Remaining: rl.Remaining, Reset: rl.Reset}
	if exhausted {
		q.Remaining = 0
		if rl.RetryAfter > 0 {
			q.Reset = later(q.Reset, now.Add(rl.RetryAfter))
		}
	}
	if q.Remaining <= 0 && !q.Reset.After(now) {
		// Used up, no word on when it comes back: the API's day ends at
		// midnight in New York (doc §10.1); a 429 then tells exactly.
		y, m, d := now.In(r.apiZone).Date()
		q.Reset = time.Date(y, m, d+1, 0, 0, 0, 0, r.apiZone)
	}
	r.mu.Lock()
	old, known := r.quotas[endpoint]
	r.quotas[endpoint] = q
	logIt := exhausted && !r.quotaLogged[endpoint].Equal(q.Reset)
	if logIt {
		r.quotaLogged[endpoint] = q.Reset
	}
	r.mu.Unlock()
	if logIt {
		r.log.Warn("AbuseIPDB: daily quota used up; reports stay queued", "endpoint", endpoint,
			"limit", q.Limit, "resume", q.Reset.UTC().Format(time.RFC3339))
	}
	// The store keeps the quota for a restart; a count older than the
	// API's is harmless (its 429 corrects it), so not every answer is
	// written: only a new limit or window, the last tenth, and exhaustion.
	if known && old.Limit == q.Limit && old.Reset.Equal(q.Reset) && q.Remaining > 0 &&
		q.Remaining > q.Limit/10 && old.Remaining/50 == q.Remaining/50 {
		return
	}
	if err := r.box.SetQuota(ctx, endpoint, q); err != nil {
		r.log.Error("AbuseIPDB: record the quota", "endpoint", endpoint, "err", err)
	}
}

// send sends batch (one report per address, all due) with a bulk-report
// when it is large, else one by one. progress is false when nothing could
// be done for now, and wait is then when to try again.
func (r *Reporter) send(ctx context.Context, batch []store.Report) (wait time.Duration, progress bool, err error) {
	now := r.clk.Now()
	r.mu.Lock()
	bulkOK := !now.Before(r.bulkOff)
	r.mu.Unlock()
	if n, _ := r.budget(EndpointBulkReport, now); bulkOK && r.o.BulkThreshold > 0 && len(batch) >= r.o.BulkThreshold && n != 0 {
		return r.sendBulk(ctx, batch)
	}
	for i, rep := range batch {
		n, until := r.budget(EndpointReport, now)
		if n == 0 {
			return until.Sub(now), i > 0, nil
		}
		stop, err := r.sendOne(ctx, rep)
		if err != nil || stop {
			return 0, true, err // the pass starts over: pauses, quotas are seen there
		}
		now = r.clk.Now()
	}
	return 0, true, nil
}

func toReport(rep store.Report) Report {
	return Report{IP: rep.IP, Categories: rep.Categories, Comment: rep.Comment, Timestamp: rep.Attack}
}

// sendOne sends one report and records the outcome. stop says that the
// next reports must wait (a pause or a quota began).
func (r *Reporter) sendOne(ctx context.Context, rep store.Report) (stop bool, err error) {
	res, err := r.api.Report(ctx, toReport(rep))
	if ctx.Err() != nil {
		return true, ctx.Err() // the report stays queued
	}
	now := r.clk.Now()
	if err == nil {
		r.noteQuota(ctx, EndpointReport, res.RateLimit, false)
		r.succeeded()
		r.log.Info("AbuseIPDB: reported", "ip", rep.IP, "jail", rep.Jail, "categories", rep.Categories)
		return false, r.box.MarkReportsSent(ctx, []int64{rep.ID}, now)
	}
	return r.failed(ctx, EndpointReport, []store.Report{rep}, err, now)
}

// failed handles an error of endpoint sending reps; stop as for sendOne.
func (r *Reporter) failed(ctx context.Context, endpoint string, reps []store.Report, err error, now time.Time) (stop bool, _ error) {
	var ae *APIError
	errors.As(err, &ae)
	switch {
	case IsDuplicate(err):
		r.succeeded() // the key works
		for _, rep := range reps {
			r.log.Info("AbuseIPDB: already reported within 15 minutes", "ip", rep.IP, "jail", rep.Jail)
			if err := r.box.RecordReported(ctx, rep.IP, now); err != nil {
				return true, err
			}
			if err := r.box.FinishReport(ctx, rep.ID, store.ReportDuplicate, "AbuseIPDB: reported less than 15 minutes before", now); err != nil {
				return true, err
			}
		}
		return false, nil
	case IsQuota(err):
		var rl RateLimit
		if ae != nil {
			rl = ae.RateLimit
		}
		r.noteQuota(ctx, endpoint, rl, true)
		return true, nil
	case IsAuth(err):
		r.mu.Lock()
		first := !r.keyRejected
		r.keyRejected, r.authUntil = true, now.Add(r.o.AuthRetry)
		r.mu.Unlock()
		if first {
			r.log.Error("AbuseIPDB rejected the API key: reports stay queued; fix the key (abuseipdb_apikey or abuseipdb_apikey_file)",
				"err", err, "retry", r.o.AuthRetry)
		}
		return true, nil
	case IsInvalid(err) && endpoint == EndpointReport:
		r.succeeded()
		for _, rep := range reps {
			r.log.Warn("AbuseIPDB refused the report", "ip", rep.IP, "jail", rep.Jail, "err", err)
			if err := r.box.FinishReport(ctx, rep.ID, store.ReportRejected, err.Error(), now); err != nil {
				return true, err
			}
		}
		return false, nil
	case IsInvalid(err):
		// A refused bulk-report is a fault of ours or of one row, not
		// of each report: the reports go one by one for a while (an
		// invalid one is then refused alone).
		r.mu.Lock()
		r.bulkOff = now.Add(r.o.AuthRetry)
		r.mu.Unlock()
		r.log.Error("AbuseIPDB refused a bulk report; sending one by one", "reports", len(reps), "err", err)
		return true, nil
	}
	// A network error, a 5xx, or an answer not understood: later.
	r.mu.Lock()
	r.failures++
	d := r.o.MinBackoff
	for i := 1; i < r.failures && d < r.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.o.MaxBackoff)
	r.pauseUntil = now.Add(d)
	r.mu.Unlock()
	r.log.Warn("AbuseIPDB unreachable; reports stay queued", "endpoint", endpoint, "reports", len(reps), "err", err, "retry", d)
	if len(reps) == 1 {
		if err := r.box.RetryReport(ctx, reps[0].ID, now.Add(d), err.Error()); err != nil {
			return true, err
		}
	}
	return true, nil
}

// succeeded notes an answer that proves the key and the network work.
func (r *Reporter) succeeded() {
	r.mu.Lock()
	was := r.keyRejected
	r.keyRejected, r.authUntil, r.failures, r.pauseUntil = false, time.Time{}, 0, time.Time{}
	r.mu.Unlock()
	if was {
		r.log.Info("AbuseIPDB accepts the API key again")
	}
}

// maxBulkFile is what sendBulk puts in one bulk-report file, under the
// API's 2 MB (doc §7) with room for the CSV's quotes and header.
const maxBulkFile = 1900 << 10

// bulkRowBytes is more than a report takes in the bulk file besides its
// comment: address, categories, date, commas, quotes, newline.
const bulkRowBytes = 100

// sendBulk sends batch, or as much of it as fits in a file, in one
// bulk-report.
func (r *Reporter) sendBulk(ctx context.Context, batch []store.Report) (time.Duration, bool, error) {
	size := 0
	for i, rep := range batch {
		size += bulkRowBytes + min(len(rep.Comment), MaxCommentBytes)
		if size > r.bulkBytes && i > 0 {
			batch = batch[:i]
			break
		}
	}
	rs := make([]Report, len(batch))
	for i, rep := range batch {
		rs[i] = toReport(rep)
	}
	res, err := r.api.BulkReport(ctx, rs)
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	now := r.clk.Now()
	if err != nil {
		_, err := r.failed(ctx, EndpointBulkReport, batch, err, now)
		return 0, true, err
	}
	r.noteQuota(ctx, EndpointBulkReport, res.RateLimit, false)
	r.succeeded()
	byIP := make(map[string]int, len(batch))
	for i, rep := range batch {
		byIP[rep.IP] = i
	}
	bad := map[int]string{}
	for _, inv := range res.InvalidReports {
		i, ok := byIP[inv.Input]
		if !ok {
			i = inv.RowNumber - 2 // the header is row 1
		}
		if i < 0 || i >= len(batch) {
			r.log.Warn("AbuseIPDB: a bulk report row not understood", "row", inv.RowNumber, "error", inv.Error)
			continue
		}
		bad[i] = inv.Error
	}
	sent := make([]int64, 0, len(batch))
	for i, rep := range batch {
		reason, isBad := bad[i]
		switch {
		case !isBad:
			sent = append(sent, rep.ID)
			continue
		case reason == "Duplicate IP":
			if err := r.box.RecordReported(ctx, rep.IP, now); err != nil {
				return 0, true, err
			}
			err = r.box.FinishReport(ctx, rep.ID, store.ReportDuplicate, "AbuseIPDB: "+reason, now)
		default:
			r.log.Warn("AbuseIPDB refused the report", "ip", rep.IP, "jail", rep.Jail, "err", reason)
			err = r.box.FinishReport(ctx, rep.ID, store.ReportRejected, "AbuseIPDB: "+reason, now)
		}
		if err != nil {
			return 0, true, err
		}
	}
	if res.SavedReports != len(sent) {
		r.log.Warn("AbuseIPDB: bulk report saved count differs", "saved", res.SavedReports, "sent", len(sent))
	}
	r.log.Info("AbuseIPDB: bulk report", "reports", len(sent), "refused", len(bad))
	return 0, true, r.box.MarkReportsSent(ctx, sent, now)
}
