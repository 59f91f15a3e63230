// Package jail counts the failures of each address within findtime and
// decides bans, with fail2ban 1.0.2's semantics: its FailManager's counting
// (a ticket per address whose count is rescaled to the findtime window when
// the window slides), maxretry and maxmatches, the ignore rules (ignoreip,
// ignoreself, ignorecommand), bantime including permanent bans, and
// bantime.increment (formula or multipliers, factor, maxtime, rndtime,
// overalljails) with the observer's extra weight for failures of addresses
// banned before. Unlike fail2ban it caps the addresses it tracks, evicting
// the one whose last failure is the oldest.
//
// A Jail is pure logic: it starts no goroutine, reads the time from a
// clock.Clock and past bans from a History. It is safe for concurrent use.
package jail

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// Failure is one failure found by a filter.
type Failure struct {
	IP   string    // the address (already validated by the filter), or another failure id
	Time time.Time // the line's date; zero for a line without one (it then counts as now)
	Line string    // the matched line(s)
	User string    // F-USER, when known
	// Backlog marks a line read from what was written before Warden
	// started watching (fail2ban's filter "not in operation"): its date is
	// kept, and it is dropped when older than findtime. A line read live
	// (Backlog false) whose date is more than 60 seconds away from now is
	// taken as happening now, as fail2ban does.
	Backlog bool
}

// Permanent is the BanTime of a ban that never ends.
const Permanent time.Duration = -1

// Decision is a ban to apply.
type Decision struct {
	Jail     string
	IP       string
	Time     time.Time     // the ban's start: the time of the last failure, as fail2ban's ticket
	BanTime  time.Duration // < 0: permanent
	Count    int           // the address's ban count in this jail, this ban included
	Failures int           // the failures that led to it
	Matches  []string      // their lines, at most MaxMatches of them (see Config.MaxMatches)
	User     string        // F-USER of the failure that decided the ban, when known
}

// PastBan is what the jail needs to know of an earlier ban.
type PastBan struct {
	Time    time.Time     // when it started
	BanTime time.Duration // < 0: permanent
	Count   int           // its Decision.Count
}

// History is the record of past bans (the store), read for
// bantime.increment.
type History interface {
	// LastBan returns the latest ban of ip in jail. With jail "" it
	// returns fail2ban's aggregate for bantime.overalljails: Count is the
	// sum over the jails of the Count of each jail's latest ban of ip,
	// Time the latest start and BanTime the sum of their ban times.
	LastBan(jail, ip string) (PastBan, bool, error)
}

// DefaultMaxTracked is the cap on tracked addresses when
// Config.MaxTracked is 0.
const DefaultMaxTracked = 100_000

// Config is a jail's settings.
type Config struct {
	Name     string
	MaxRetry int
	FindTime time.Duration
	BanTime  time.Duration // < 0: permanent
	// MaxMatches is how many matched lines are kept per address. As in
	// fail2ban the first failure of an address keeps its line even with 0.
	MaxMatches    int
	IgnoreIP      []string // addresses, CIDR prefixes, host names
	IgnoreSelf    bool
	IgnoreCommand string // run with the address in place of <ip>; exit 0: ignore
	Increment     Increment
	MaxTracked    int // cap on tracked addresses; 0: DefaultMaxTracked
	// Prefix4 and Prefix6, when shorter than an address (32, 128), make
	// the jail count failures and ban by the enclosing prefix (a /24 of
	// IPv4, a /64 of IPv6): the Decision's IP is then the prefix in CIDR
	// form. ignoreip still applies to the address itself. 0: per address.
	Prefix4, Prefix6 int
}

// Stats are the counters fail2ban-client status shows for the filter, and
// Warden's evictions.
type Stats struct {
	CurrentlyFailed int   // addresses with failures within findtime
	TotalFailed     int64 // failures counted since the start
	Evictions       int64 // addresses dropped because MaxTracked was reached
}

// Option sets a dependency of a Jail (tests inject fakes).
type Option func(*options)

type options struct {
	resolve Resolver
	selfIPs SelfAddrs
	run     Runner
	random  func() float64
}

// WithResolver sets how ignoreip host names (and, unless WithSelfAddrs is
// given, the host's own names) are resolved.
func WithResolver(r Resolver) Option { return func(o *options) { o.resolve = r } }

// WithSelfAddrs sets how the host's own addresses are found (ignoreself).
func WithSelfAddrs(s SelfAddrs) Option { return func(o *options) { o.selfIPs = s } }

// WithRunner sets how ignorecommand runs.
func WithRunner(r Runner) Option { return func(o *options) { o.run = r } }

// WithRandom sets the source of bantime.rndtime: numbers in [0, 1).
func WithRandom(f func() float64) Option { return func(o *options) { o.random = f } }

// Jail is one jail's failure tracking and ban decisions.
type Jail struct {
	history History
	clock   clock.Clock
	opts    options

	mu       sync.Mutex
	cfg      Config
	ignore   *ignoreRules
	banTime  banTimeFunc // nil unless bantime.increment
	tracked  tracker
	total    int64
	evicted  int64
	sequence uint64
}

// New returns a jail with cfg. h may be nil (no bantime.increment then, as
// fail2ban without a database).
func New(cfg Config, h History, c clock.Clock, opts ...Option) (*Jail, error) {
	j := &Jail{history: h, clock: c}
	for _, o := range opts {
		o(&j.opts)
	}
	if j.opts.resolve == nil {
		j.opts.resolve = defaultResolve
	}
	if j.opts.selfIPs == nil {
		j.opts.selfIPs = defaultSelfAddrs(j.opts.resolve)
	}
	if j.opts.run == nil {
		j.opts.run = defaultRun
	}
	if j.opts.random == nil {
		j.opts.random = rand.Float64
	}
	j.tracked.byIP = map[string]*entry{}
	if err := j.Reconfigure(cfg); err != nil {
		return nil, err
	}
	return j, nil
}

// Reconfigure applies cfg and keeps the failures counted so far (a reload
// of an unchanged jail, or "warden set").
func (j *Jail) Reconfigure(cfg Config) error {
	if cfg.MaxRetry < 0 {
		return fmt.Errorf("jail %s: maxretry %d is negative", cfg.Name, cfg.MaxRetry)
	}
	if cfg.FindTime < 0 {
		return fmt.Errorf("jail %s: findtime %s is negative", cfg.Name, cfg.FindTime)
	}
	if cfg.MaxMatches < 0 {
		return fmt.Errorf("jail %s: maxmatches %d is negative", cfg.Name, cfg.MaxMatches)
	}
	if cfg.MaxTracked < 0 {
		return fmt.Errorf("jail %s: the cap on tracked addresses %d is negative", cfg.Name, cfg.MaxTracked)
	}
	ig, err := newIgnoreRules(cfg, j.opts)
	if err != nil {
		return fmt.Errorf("jail %s: %w", cfg.Name, err)
	}
	ig.now = j.clock.Now
	var bt banTimeFunc
	if cfg.Increment.Enabled {
		if bt, err = compileIncrement(cfg.Increment, j.opts.random); err != nil {
			return fmt.Errorf("jail %s: %w", cfg.Name, err)
		}
	}
	cfg.IgnoreIP = append([]string(nil), cfg.IgnoreIP...)
	cfg.Increment.Multipliers = append([]int(nil), cfg.Increment.Multipliers...)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cfg, j.ignore, j.banTime = cfg, ig, bt
	for j.tracked.len() > j.maxTracked() {
		j.tracked.remove(j.tracked.oldest())
		j.evicted++
	}
	return nil
}

// Config returns the jail's settings.
func (j *Jail) Config() Config {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.cfg
	c.IgnoreIP = append([]string(nil), c.IgnoreIP...)
	c.Increment.Multipliers = append([]int(nil), c.Increment.Multipliers...)
	return c
}

func (j *Jail) maxTracked() int {
	if j.cfg.MaxTracked == 0 {
		return DefaultMaxTracked
	}
	return j.cfg.MaxTracked
}

// Stats returns the jail's counters.
func (j *Jail) Stats() Stats {
	now := j.clock.Now()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.expire(now)
	return Stats{CurrentlyFailed: j.tracked.len(), TotalFailed: j.total, Evictions: j.evicted}
}

// Ignored reports whether the jail ignores ip (ignoreip, ignoreself,
// ignorecommand), as AddFailure checks a failure's address; a failure id
// that is no address is never ignored.
func (j *Jail) Ignored(ip string) (bool, error) {
	id, addr, err := failureID(ip)
	if err != nil {
		return false, err
	}
	j.mu.Lock()
	ignore := j.ignore
	j.mu.Unlock()
	_, ign, err := ignore.ignored(id, addr)
	return ign, err
}

// AddFailure counts f and reports whether its address is to be banned
// now. A failure of an ignored address, or a backlog failure older than
// findtime, is not counted.
//
// err reports a failing ignorecommand or History; as fail2ban, the jail
// carries on without them (the address is not ignored, the ban time is not
// increased), so the Decision and its bool are valid even then: log err
// and use them.
func (j *Jail) AddFailure(f Failure) (Decision, bool, error) {
	now := j.clock.Now()
	id, addr, err := failureID(f.IP)
	if err != nil {
		return Decision{}, false, err
	}
	j.mu.Lock()
	cfg, ignore, incr := j.cfg, j.ignore, j.banTime
	j.mu.Unlock()

	t, ok := failureTime(f, now, cfg.FindTime)
	if !ok {
		return Decision{}, false, nil
	}
	// The slow parts (DNS, ignorecommand, the store) run outside the lock.
	var errs []error
	if _, ign, err := ignore.ignored(id, addr); err != nil {
		errs = append(errs, fmt.Errorf("jail %s: %w", cfg.Name, err))
	} else if ign {
		return Decision{}, false, nil
	}
	id = subnetID(id, addr, cfg.Prefix4, cfg.Prefix6)
	var last PastBan
	var hasLast bool
	useHistory := incr != nil && j.history != nil
	if useHistory {
		if last, hasLast, err = j.history.LastBan(cfg.Name, id); err != nil {
			errs = append(errs, fmt.Errorf("jail %s: past bans of %s: %w", cfg.Name, id, err))
			useHistory = false
		}
	}

	j.mu.Lock()
	d, ban := j.count(id, t, f.Line, now, last, hasLast, useHistory)
	j.mu.Unlock()
	if !ban {
		return Decision{}, false, errors.Join(errs...)
	}
	d.User = f.User
	var err2 error
	d.BanTime, d.Count, err2 = j.decideBanTime(cfg, incr, id, last, hasLast, useHistory)
	if err2 != nil {
		errs = append(errs, err2)
	}
	return d, true, errors.Join(errs...)
}

// count is FailManager.addFailure, the ban check of the filter, and the
// observer's failureFound; it runs under j.mu.
func (j *Jail) count(id string, t int64, line string, now time.Time, last PastBan, hasLast, useHistory bool) (Decision, bool) {
	j.expire(now)
	findTime := j.cfg.FindTime
	e := j.tracked.byIP[id]
	if e == nil {
		for j.tracked.len() >= j.maxTracked() {
			j.tracked.remove(j.tracked.oldest())
			j.evicted++
		}
		e = &entry{id: strings.Clone(id), first: t, last: t, retry: 1, failures: 1}
		if line != "" {
			e.matches = []string{strings.Clone(line)}
		}
		j.sequence++
		e.seq = j.sequence
		j.tracked.push(e)
	} else {
		j.adjust(e, t, findTime)
		e.retry++
		e.failures++
		if line != "" && j.cfg.MaxMatches > 0 {
			e.matches = append(e.matches, strings.Clone(line))
		}
		e.matches = truncate(e.matches, j.cfg.MaxMatches)
	}
	j.total++
	maxRetry := float64(j.cfg.MaxRetry)
	if e.retry >= maxRetry {
		return j.take(e), true
	}
	// fail2ban's observer: a failure of an address banned before in this
	// jail weighs (2^count)/2+1 failures (at most maxretry), unless it is
	// not newer than that ban.
	if !useHistory || !hasLast {
		return Decision{}, false
	}
	retry := float64(int64(1)<<min(max(last.Count, 0), 20))/2 + 1
	retry = min(retry, maxRetry)
	if t <= last.Time.UnixNano() || retry <= 1 {
		return Decision{}, false
	}
	j.adjust(e, t, findTime)
	e.retry += retry - 1
	e.failures++
	e.matches = truncate(e.matches, j.cfg.MaxMatches) // the same line is not added twice (fail2ban does)
	j.total++
	if e.retry >= maxRetry {
		return j.take(e), true
	}
	return Decision{}, false
}

// adjust is FailTicket.adjustTime: when a failure is newer than the
// window started by the first one allows, the count is rescaled to the
// window's length (the rate so far) and the window moves.
func (j *Jail) adjust(e *entry, t int64, findTime time.Duration) {
	if t <= e.last {
		return
	}
	if e.first < t-int64(findTime) {
		span := float64(t-e.first) / 1e9
		e.retry = math.RoundToEven(e.retry / span * findTime.Seconds())
		e.first = t - int64(findTime)
	}
	e.last = t
	j.sequence++
	e.seq = j.sequence
	j.tracked.fix(e)
}

func truncate(m []string, n int) []string {
	if n <= 0 {
		return nil
	}
	if len(m) > n {
		copy(m, m[len(m)-n:])
		clear(m[n:])
		m = m[:n]
	}
	return m
}

// take removes e from the tracked addresses and makes its Decision (the
// ban time is set by the caller).
func (j *Jail) take(e *entry) Decision {
	j.tracked.remove(e)
	return Decision{
		Jail:     j.cfg.Name,
		IP:       e.id,
		Time:     time.Unix(0, e.last),
		Failures: e.failures,
		Matches:  e.matches,
	}
}

// expire forgets the addresses whose last failure is findtime old or
// older (fail2ban's FailManager.cleanup).
func (j *Jail) expire(now time.Time) {
	limit := now.UnixNano() - int64(j.cfg.FindTime)
	for j.tracked.len() > 0 && j.tracked.oldest().last <= limit {
		j.tracked.remove(j.tracked.oldest())
	}
}

// decideBanTime is fail2ban's banFound and incrBanTime: the jail's
// bantime, increased by the formula from the address's past bans.
func (j *Jail) decideBanTime(cfg Config, incr banTimeFunc, id string, last PastBan, hasLast, useHistory bool) (time.Duration, int, error) {
	bt := cfg.BanTime
	if bt < 0 {
		return Permanent, 1, nil
	}
	if !useHistory || bt == 0 {
		return bt, 1, nil
	}
	if cfg.Increment.OverallJails {
		var err error
		if last, hasLast, err = j.history.LastBan("", id); err != nil {
			return bt, 1, fmt.Errorf("jail %s: past bans of %s: %w", cfg.Name, id, err)
		}
	}
	if !hasLast {
		return bt, 1, nil
	}
	count := 1
	if last.Count >= 1 {
		count = last.Count + 1
	}
	if last.Count <= 0 {
		return bt, count, nil
	}
	v, err := incr(seconds(bt), int64(last.Count))
	if err != nil {
		return bt, count, fmt.Errorf("jail %s: bantime increment: %w", cfg.Name, err)
	}
	// fail2ban sets the result even when it is shorter than bantime
	// (a maxtime or a multiplier below it).
	if !v.isFloat && v.i == -1 || v.isFloat && v.f == -1 {
		return Permanent, count, nil
	}
	return duration(v), count, nil
}

// failureID returns the key of a failure: the canonical form of an
// address (IPv4-mapped IPv6 addresses as IPv4, as fail2ban), or the id as
// it is when it is no address.
func failureID(s string) (string, netip.Addr, error) {
	if s == "" {
		return "", netip.Addr{}, errors.New("failure without an address")
	}
	t := s
	if len(t) > 2 && t[0] == '[' && t[len(t)-1] == ']' {
		t = t[1 : len(t)-1]
	}
	if a, err := netip.ParseAddr(t); err == nil && a.Zone() == "" {
		a = a.Unmap()
		return a.String(), a, nil
	}
	return s, netip.Addr{}, nil
}

// subnetID is the id failures of addr count under: its enclosing prefix
// when the jail bans subnets, else id.
func subnetID(id string, addr netip.Addr, prefix4, prefix6 int) string {
	bits := prefix6
	if addr.Is4() {
		bits = prefix4
	}
	if !addr.IsValid() || bits <= 0 || bits >= addr.BitLen() {
		return id
	}
	return netip.PrefixFrom(addr, bits).Masked().String()
}

// failureTime is the time fail2ban's filter gives a failure (in unix
// nanoseconds), and false for a backlog failure too old to count.
func failureTime(f Failure, now time.Time, findTime time.Duration) (int64, bool) {
	t := f.Time
	if t.IsZero() {
		t = now
	}
	if f.Backlog {
		if t.Before(now.Add(-findTime)) {
			return 0, false
		}
	} else if d := t.Sub(now) / time.Second; d > 60 || d < -60 {
		t = now // "treating such entries as if they just happened"
	}
	if t.After(now) {
		t = now
	}
	return t.UnixNano(), true
}
