package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReportState is where a queued AbuseIPDB report stands.
type ReportState int

const (
	ReportQueued    ReportState = iota // waiting for its next try
	ReportSent                         // accepted by AbuseIPDB
	ReportRejected                     // refused for good (422, an invalid bulk row, an address not to report)
	ReportFailed                       // given up (too old to report, say)
	ReportDuplicate                    // dropped: the address was reported less than 15 minutes before
)

// String is the state's name, as stats show it.
func (s ReportState) String() string {
	switch s {
	case ReportQueued:
		return "queued"
	case ReportSent:
		return "sent"
	case ReportRejected:
		return "rejected"
	case ReportFailed:
		return "failed"
	case ReportDuplicate:
		return "duplicate"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Report is one report of the AbuseIPDB outbox.
type Report struct {
	ID         int64 // set by QueueReport
	IP         string
	Jail       string
	Categories []int
	Comment    string    // already cleaned
	Attack     time.Time // when the attack happened: the report's timestamp
	Enqueued   time.Time
	NextTry    time.Time // due when NextTry <= now
	Tries      int       // failed tries so far
	State      ReportState
	Reason     string // the last error, or why it was rejected or failed
	// LastReported is when the address was last reported (zero: never),
	// as DueReports reads it.
	LastReported time.Time
}

// Quota is what an endpoint of the API has left of its daily quota, as its
// last answer's headers said.
type Quota struct {
	Limit     int
	Remaining int
	Reset     time.Time // zero when unknown
}

// ReportStats counts the reports of the outbox.
type ReportStats struct {
	Queued, Sent, Rejected, Failed, Duplicates int
	// Addresses is the number of distinct addresses reported (sent at
	// least once).
	Addresses int
}

// QueueReport adds r to the outbox, due at r.NextTry (r.Enqueued when
// zero), and returns its id. A report of the same address, jail and attack
// time is the same report: queued once, and later calls return its id and
// false.
func (s *Store) QueueReport(ctx context.Context, r Report) (id int64, added bool, err error) {
	next := r.NextTry
	if next.IsZero() {
		next = r.Enqueued
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO abuse_outbox (ip, jail, categories, comment, attack, enqueued, next_try)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ip, jail, attack) DO NOTHING`,
		r.IP, r.Jail, formatCategories(r.Categories), r.Comment, nanos(r.Attack), nanos(r.Enqueued), nanos(next))
	if err != nil {
		return 0, false, fmt.Errorf("queue report of %q: %w", r.IP, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, false, fmt.Errorf("queue report of %q: %w", r.IP, err)
	} else if n == 1 {
		id, err := res.LastInsertId()
		if err != nil {
			return 0, false, fmt.Errorf("queue report of %q: %w", r.IP, err)
		}
		return id, true, nil
	}
	err = s.db.QueryRowContext(ctx, "SELECT id FROM abuse_outbox WHERE ip = ? AND jail = ? AND attack = ?",
		r.IP, r.Jail, nanos(r.Attack)).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("queue report of %q: %w", r.IP, err)
	}
	return id, false, nil
}

const reportColumns = "id, ip, jail, categories, comment, attack, enqueued, next_try, tries, state, reason"

func scanReport(row interface{ Scan(...any) error }, more ...any) (Report, error) {
	var (
		r                      Report
		cats                   string
		attack, enqueued, next int64
	)
	if err := row.Scan(append([]any{&r.ID, &r.IP, &r.Jail, &cats, &r.Comment, &attack, &enqueued, &next, &r.Tries, &r.State, &r.Reason}, more...)...); err != nil {
		return Report{}, err
	}
	r.Categories = parseCategories(cats)
	r.Attack, r.Enqueued, r.NextTry = time.Unix(0, attack), time.Unix(0, enqueued), time.Unix(0, next)
	return r, nil
}

// DueReports returns at most limit queued reports due at now (NextTry <=
// now), oldest first, each with its address's LastReported.
func (s *Store) DueReports(ctx context.Context, now time.Time, limit int) ([]Report, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT o.id, o.ip, jail, categories, comment, attack, enqueued, next_try, tries, state, reason, r.last
		FROM abuse_outbox o LEFT JOIN abuse_reported r ON r.ip = o.ip
		WHERE state = 0 AND next_try <= ? ORDER BY next_try, o.id LIMIT ?`, nanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("read due reports: %w", err)
	}
	defer rows.Close()
	var rs []Report
	for rows.Next() {
		var last sql.NullInt64
		r, err := scanReport(rows, &last)
		if err != nil {
			return nil, fmt.Errorf("read due reports: %w", err)
		}
		if last.Valid {
			r.LastReported = time.Unix(0, last.Int64)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read due reports: %w", err)
	}
	return rs, nil
}

// NextReportDue returns when the first queued report is due; false when
// none is queued.
func (s *Store) NextReportDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT min(next_try) FROM abuse_outbox WHERE state = 0").Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("read next due report: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, next.Int64), true, nil
}

// Reports returns the reports of ip, every state, in the order queued.
func (s *Store) Reports(ctx context.Context, ip string) ([]Report, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+reportColumns+" FROM abuse_outbox WHERE ip = ? ORDER BY id", ip)
	if err != nil {
		return nil, fmt.Errorf("read reports of %q: %w", ip, err)
	}
	defer rows.Close()
	var rs []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, fmt.Errorf("read reports of %q: %w", ip, err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read reports of %q: %w", ip, err)
	}
	return rs, nil
}

// MarkReportsSent records that the queued reports ids were accepted at at,
// in one statement, and that their addresses were reported then. An id
// not queued any more is left alone. The comment of a report sent is
// dropped (AbuseIPDB has it): a row then takes about 100 bytes, where a
// busy host's thousand reports a day would otherwise keep up to 1 MB.
func (s *Store) MarkReportsSent(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	buf := make([]byte, 0, 12*len(ids))
	buf = append(buf, '[')
	for i, id := range ids {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, id, 10)
	}
	buf = append(buf, ']')
	_, err := s.db.ExecContext(ctx, `UPDATE abuse_outbox SET state = 1, done = ?, reason = '', comment = ''
		WHERE state = 0 AND id IN (SELECT value FROM json_each(?))`, nanos(at), string(buf))
	if err != nil {
		return fmt.Errorf("mark %d reports sent: %w", len(ids), err)
	}
	return nil
}

// RetryReport records a failed try of the queued report id: its reason,
// and when it is due again.
func (s *Store) RetryReport(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.db.ExecContext(ctx, "UPDATE abuse_outbox SET tries = tries + 1, next_try = ?, reason = ? WHERE id = ? AND state = 0",
		nanos(next), reason, id)
	if err != nil {
		return fmt.Errorf("reschedule report %d: %w", id, err)
	}
	return nil
}

// FinishReport ends the queued report id at at in state (ReportRejected,
// ReportFailed or ReportDuplicate) with its reason. A report no longer
// queued is left alone.
func (s *Store) FinishReport(ctx context.Context, id int64, state ReportState, reason string, at time.Time) error {
	if state != ReportRejected && state != ReportFailed && state != ReportDuplicate {
		return fmt.Errorf("finish report %d: state %v is not an end", id, state)
	}
	_, err := s.db.ExecContext(ctx, "UPDATE abuse_outbox SET state = ?, reason = ?, done = ? WHERE id = ? AND state = 0",
		state, reason, nanos(at), id)
	if err != nil {
		return fmt.Errorf("finish report %d: %w", id, err)
	}
	return nil
}

// RecordReported records that ip was reported at at (as the API's "once in
// 15 minutes" answer says), without counting a report sent: LastReported
// returns at (or a later time already recorded).
func (s *Store) RecordReported(ctx context.Context, ip string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO abuse_reported (ip, last, reports) VALUES (?, ?, 0)
		ON CONFLICT (ip) DO UPDATE SET last = max(last, excluded.last)`, ip, nanos(at))
	if err != nil {
		return fmt.Errorf("record report of %q: %w", ip, err)
	}
	return nil
}

// LastReported returns when ip was last reported, across jails and
// restarts; false when never.
func (s *Store) LastReported(ctx context.Context, ip string) (time.Time, bool, error) {
	var last int64
	err := s.db.QueryRowContext(ctx, "SELECT last FROM abuse_reported WHERE ip = ?", ip).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("read last report of %q: %w", ip, err)
	}
	return time.Unix(0, last), true, nil
}

// ReportStats counts the reports by state and the distinct addresses
// reported.
func (s *Store) ReportStats(ctx context.Context) (ReportStats, error) {
	var st ReportStats
	rows, err := s.db.QueryContext(ctx, "SELECT state, count(*) FROM abuse_outbox GROUP BY state")
	if err != nil {
		return st, fmt.Errorf("count reports: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state ReportState
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return st, fmt.Errorf("count reports: %w", err)
		}
		switch state {
		case ReportQueued:
			st.Queued = n
		case ReportSent:
			st.Sent = n
		case ReportRejected:
			st.Rejected = n
		case ReportFailed:
			st.Failed = n
		case ReportDuplicate:
			st.Duplicates = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("count reports: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM abuse_reported WHERE reports > 0").Scan(&st.Addresses); err != nil {
		return st, fmt.Errorf("count reported addresses: %w", err)
	}
	return st, nil
}

// Quota returns the quota last recorded for endpoint; false when none was.
func (s *Store) Quota(ctx context.Context, endpoint string) (Quota, bool, error) {
	var q Quota
	var reset int64
	err := s.db.QueryRowContext(ctx, "SELECT lim, remaining, reset FROM abuse_quota WHERE endpoint = ?", endpoint).
		Scan(&q.Limit, &q.Remaining, &reset)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Quota{}, false, nil
	case err != nil:
		return Quota{}, false, fmt.Errorf("read quota of %s: %w", endpoint, err)
	}
	if reset != 0 {
		q.Reset = time.Unix(0, reset)
	}
	return q, true, nil
}

// Quotas returns the quota recorded for every endpoint.
func (s *Store) Quotas(ctx context.Context) (map[string]Quota, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT endpoint, lim, remaining, reset FROM abuse_quota")
	if err != nil {
		return nil, fmt.Errorf("read quotas: %w", err)
	}
	defer rows.Close()
	qs := map[string]Quota{}
	for rows.Next() {
		var e string
		var q Quota
		var reset int64
		if err := rows.Scan(&e, &q.Limit, &q.Remaining, &reset); err != nil {
			return nil, fmt.Errorf("read quotas: %w", err)
		}
		if reset != 0 {
			q.Reset = time.Unix(0, reset)
		}
		qs[e] = q
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read quotas: %w", err)
	}
	return qs, nil
}

// SetQuota records the quota of endpoint.
func (s *Store) SetQuota(ctx context.Context, endpoint string, q Quota) error {
	var reset int64
	if !q.Reset.IsZero() {
		reset = nanos(q.Reset)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO abuse_quota (endpoint, lim, remaining, reset) VALUES (?, ?, ?, ?)
		ON CONFLICT (endpoint) DO UPDATE SET lim = excluded.lim, remaining = excluded.remaining, reset = excluded.reset`,
		endpoint, q.Limit, q.Remaining, reset)
	if err != nil {
		return fmt.Errorf("record quota of %s: %w", endpoint, err)
	}
	return nil
}

// formatCategories is "18,21".
func formatCategories(cats []int) string {
	var b strings.Builder
	for i, c := range cats {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(c))
	}
	return b.String()
}

// parseCategories reads formatCategories, skipping what is not a number.
func parseCategories(s string) []int {
	var cats []int
	for f := range strings.SplitSeq(s, ",") {
		if c, err := strconv.Atoi(f); err == nil {
			cats = append(cats, c)
		}
	}
	return cats
}
