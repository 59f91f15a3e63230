package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Ban is one ban of an address in a jail.
type Ban struct {
	Jail     string
	IP       string        // an address, or a prefix in CIDR form (subnet bans later)
	Time     time.Time     // when the ban started
	BanTime  time.Duration // < 0: permanent
	Count    int           // the ban count of this address in this jail, this ban included (bantime.increment)
	Failures int           // failures that led to it
	Matches  []string      // the matched log lines (at most maxmatches)
}

// End is when the ban ends by itself: zero for a permanent ban.
func (b Ban) End() time.Time {
	if b.BanTime < 0 {
		return time.Time{}
	}
	return b.Time.Add(b.BanTime)
}

// Times are stored as Unix nanoseconds, which hold the years 1678 to 2262.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// permanentStop is the stop of a permanent ban: after every time.
const permanentStop = math.MaxInt64

// errTimeRange is the error for a ban whose start cannot be stored.
var errTimeRange = errors.New("time out of range (years 1678 to 2262)")

// nanos is t in Unix nanoseconds, clamped to the range that holds them.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// stop is the end of b as stored: permanentStop for a permanent ban, and
// for an end beyond 2262.
func stop(b Ban) int64 {
	if b.BanTime < 0 {
		return permanentStop
	}
	return nanos(b.End())
}

// AddBans records bans in one transaction. A ban replaces the active ban of
// the same jail and address, if any: one that started at another time is
// ended and stays in the history that BanCount and LastBan see; one that
// started at the same time is the same ban (prolonged, say) and is updated
// in place, so that it counts once. Within bans, a later ban of a jail and
// address replaces an earlier one the same way.
func (s *Store) AddBans(bans []Ban) (err error) {
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add bans: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmts := make([]*sql.Stmt, 3)
	for i, q := range []string{
		// A new ban of a jail and address without an active one (the
		// common case) takes this one statement.
		`INSERT INTO bans (jail, ip, start, bantime, stop, count, failures, matches)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ip, jail) WHERE ended = 0 DO NOTHING`,
		`UPDATE bans SET bantime = ?4, stop = ?5, count = ?6, failures = ?7, matches = ?8
			WHERE ip = ?2 AND jail = ?1 AND ended = 0 AND start = ?3`,
		"UPDATE bans SET ended = 1 WHERE ip = ?2 AND jail = ?1 AND ended = 0",
	} {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return fmt.Errorf("add bans: %w", err)
		}
		defer stmts[i].Close()
	}
	insert, update, end := stmts[0], stmts[1], stmts[2]
	var buf []byte
	for _, b := range bans {
		if b.Time.Before(minTime) || b.Time.After(maxTime) {
			return fmt.Errorf("add ban of %q in %q at %v: %w", b.IP, b.Jail, b.Time, errTimeRange)
		}
		var matches sql.NullString
		if len(b.Matches) > 0 {
			buf = appendMatches(buf[:0], b.Matches)
			matches = sql.NullString{String: string(buf), Valid: true}
		}
		args := []any{b.Jail, b.IP, b.Time.UnixNano(), int64(b.BanTime), stop(b), b.Count, b.Failures, matches}
		if err := addBan(ctx, insert, update, end, args); err != nil {
			return fmt.Errorf("add ban of %q in %q: %w", b.IP, b.Jail, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add bans: %w", err)
	}
	return nil
}

// addBan records one ban with the statements of AddBans: insert it, or
// update the active ban of its jail and address if that is the same ban
// (same start), or else end that one and insert.
func addBan(ctx context.Context, insert, update, end *sql.Stmt, args []any) error {
	for _, st := range []*sql.Stmt{insert, update} {
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
	}
	if _, err := end.ExecContext(ctx, args[:2]...); err != nil {
		return fmt.Errorf("end the active ban: %w", err)
	}
	_, err := insert.ExecContext(ctx, args...)
	return err
}

// RemoveBan ends the active ban of ip in jail (in every jail for jail ""),
// keeping it in the history that BanCount and LastBan see. It does nothing
// when there is none.
func (s *Store) RemoveBan(jail, ip string) error {
	q, args := "UPDATE bans SET ended = 1 WHERE ip = ? AND ended = 0", []any{ip}
	if jail != "" {
		q, args = q+" AND jail = ?", append(args, jail)
	}
	if _, err := s.db.Exec(q, args...); err != nil {
		return fmt.Errorf("remove ban of %q in %q: %w", ip, jail, err)
	}
	return nil
}

// ActiveBans returns the bans not ended at now, permanent ones included, in
// the order they were recorded.
func (s *Store) ActiveBans(now time.Time) ([]Ban, error) {
	// The open bans, counted on the small index bans_open, are the active
	// ones and those that expired without a RemoveBan (while the daemon was
	// down): the slice is allocated once.
	var open int
	if err := s.db.QueryRow("SELECT count(*) FROM bans WHERE ended = 0").Scan(&open); err != nil {
		return nil, fmt.Errorf("read active bans: %w", err)
	}
	rows, err := s.db.Query("SELECT "+banColumns+" FROM bans WHERE ended = 0 AND stop > ? ORDER BY id", nanos(now))
	if err != nil {
		return nil, fmt.Errorf("read active bans: %w", err)
	}
	defer rows.Close()
	bans := make([]Ban, 0, open)
	for rows.Next() {
		b, err := scanBan(rows)
		if err != nil {
			return nil, fmt.Errorf("read active bans: %w", err)
		}
		bans = append(bans, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read active bans: %w", err)
	}
	return bans, nil
}

// Purge forgets the bans that started before before and have ended: ended
// early by RemoveBan or a newer ban, or by themselves no later than before.
// Active and permanent bans stay, however old (dbpurgeage).
func (s *Store) Purge(before time.Time) error {
	t := nanos(before)
	if _, err := s.db.Exec("DELETE FROM bans WHERE start < ? AND (ended = 1 OR stop <= ?)", t, t); err != nil {
		return fmt.Errorf("purge bans: %w", err)
	}
	return nil
}

// banColumns are the columns scanBan reads, in its order.
const banColumns = "jail, ip, start, bantime, count, failures, matches"

// scanBan reads a ban from a row of banColumns.
func scanBan(row interface{ Scan(...any) error }) (Ban, error) {
	var (
		b              Ban
		start, banTime int64
		matches        sql.NullString
	)
	if err := row.Scan(&b.Jail, &b.IP, &start, &banTime, &b.Count, &b.Failures, &matches); err != nil {
		return Ban{}, err
	}
	b.Time, b.BanTime = time.Unix(0, start), time.Duration(banTime)
	if matches.Valid {
		var err error
		if b.Matches, err = decodeMatches(matches.String); err != nil {
			return Ban{}, fmt.Errorf("ban of %q in %q: %w", b.IP, b.Jail, err)
		}
	}
	return b, nil
}
