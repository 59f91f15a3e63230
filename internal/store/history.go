package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BanCount returns how many bans of ip in jail (in every jail for jail "")
// started after since, ended or not, as long as Purge has kept them.
func (s *Store) BanCount(jail, ip string, since time.Time) (int, error) {
	q, args := "SELECT count(*) FROM bans WHERE ip = ? AND start > ?", []any{ip, nanos(since)}
	if jail != "" {
		q, args = q+" AND jail = ?", append(args, jail)
	}
	var n int
	if err := s.db.QueryRow(q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count bans of %q in %q: %w", ip, jail, err)
	}
	return n, nil
}

// LastBan returns the latest ban of ip in jail, ended or not; false when
// there is none.
//
// With jail "" it returns fail2ban's aggregate for bantime.overalljails over
// the latest ban of ip in each jail: Time is the latest start, Count the sum
// of their counts, Failures the sum of their failures, BanTime the sum of
// their ban times (permanent if one is); Jail is "" and Matches nil.
func (s *Store) LastBan(jail, ip string) (Ban, bool, error) {
	if jail == "" {
		return s.lastBanOverall(ip)
	}
	b, err := scanBan(s.db.QueryRow("SELECT "+banColumns+
		" FROM bans WHERE ip = ? AND jail = ? ORDER BY start DESC, id DESC LIMIT 1", ip, jail))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Ban{}, false, nil
	case err != nil:
		return Ban{}, false, fmt.Errorf("read last ban of %q in %q: %w", ip, jail, err)
	}
	return b, true, nil
}

// lastBanOverall is LastBan for jail "".
func (s *Store) lastBanOverall(ip string) (Ban, bool, error) {
	rows, err := s.db.Query(`SELECT start, bantime, count, failures FROM (
		SELECT start, bantime, count, failures, row_number() OVER (PARTITION BY jail ORDER BY start DESC, id DESC) AS n
		FROM bans WHERE ip = ?) WHERE n = 1`, ip)
	if err != nil {
		return Ban{}, false, fmt.Errorf("read last bans of %q: %w", ip, err)
	}
	defer rows.Close()
	sum, found, permanent := Ban{IP: ip}, false, false
	for rows.Next() {
		var start, banTime int64
		var count, failures int
		if err := rows.Scan(&start, &banTime, &count, &failures); err != nil {
			return Ban{}, false, fmt.Errorf("read last bans of %q: %w", ip, err)
		}
		if t := time.Unix(0, start); !found || t.After(sum.Time) {
			sum.Time = t
		}
		found = true
		permanent = permanent || banTime < 0
		sum.BanTime += time.Duration(banTime)
		sum.Count += count
		sum.Failures += failures
	}
	if err := rows.Err(); err != nil {
		return Ban{}, false, fmt.Errorf("read last bans of %q: %w", ip, err)
	}
	if permanent {
		sum.BanTime = -1
	}
	return sum, found, nil
}
