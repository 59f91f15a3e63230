package daemon

import (
	"time"

	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/jail"
	"github.com/wardenipd/warden/internal/store"
)

// storeAdapter is the ban store seen from the ban manager and the jails.
type storeAdapter struct{ st *store.Store }

func toStore(b ban.Ban) store.Ban {
	return store.Ban{Jail: b.Jail, IP: b.IP, Time: b.Time, BanTime: b.BanTime, Count: b.Count, Failures: b.Failures, Matches: b.Matches}
}

func fromStore(b store.Ban) ban.Ban {
	return ban.Ban{Jail: b.Jail, IP: b.IP, Time: b.Time, BanTime: b.BanTime, Count: b.Count, Failures: b.Failures, Matches: b.Matches}
}

func (a storeAdapter) AddBans(bans []ban.Ban) error {
	out := make([]store.Ban, len(bans))
	for i, b := range bans {
		out[i] = toStore(b)
	}
	return a.st.AddBans(out)
}

func (a storeAdapter) RemoveBan(jail, ip string) error { return a.st.RemoveBan(jail, ip) }

func (a storeAdapter) ActiveBans(now time.Time) ([]ban.Ban, error) {
	bans, err := a.st.ActiveBans(now)
	if err != nil {
		return nil, err
	}
	out := make([]ban.Ban, len(bans))
	for i, b := range bans {
		out[i] = fromStore(b)
	}
	return out, nil
}

// LastBan is the jails' view of the history (bantime.increment).
func (a storeAdapter) LastBan(jailName, ip string) (jail.PastBan, bool, error) {
	b, ok, err := a.st.LastBan(jailName, ip)
	if err != nil || !ok {
		return jail.PastBan{}, false, err
	}
	return jail.PastBan{Time: b.Time, BanTime: b.BanTime, Count: b.Count}, true, nil
}

func banFromDecision(d jail.Decision) ban.Ban {
	return ban.Ban{Jail: d.Jail, IP: d.IP, Time: d.Time, BanTime: d.BanTime, Count: d.Count, Failures: d.Failures, Matches: d.Matches, User: d.User}
}

// jailPositions keeps a jail's read positions apart from other jails'
// reading the same file or journal (fail2ban keys them by jail and path).
type jailPositions struct {
	st   *store.Store
	jail string
}

func (p jailPositions) key(path string) string { return "[" + p.jail + "] " + path }

func (p jailPositions) Position(path string) (int64, string, bool, error) {
	return p.st.Position(p.key(path))
}

func (p jailPositions) SetPosition(path string, pos int64, fingerprint string) error {
	return p.st.SetPosition(p.key(path), pos, fingerprint)
}
