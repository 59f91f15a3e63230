package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenipd/warden/internal/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// open opens a store in a fresh directory, closed when the test ends.
func open(t testing.TB) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, path
}

func add(t testing.TB, s *store.Store, bans ...store.Ban) {
	t.Helper()
	if err := s.AddBans(bans); err != nil {
		t.Fatal(err)
	}
}

func active(t testing.TB, s *store.Store, now time.Time) []store.Ban {
	t.Helper()
	bans, err := s.ActiveBans(now)
	if err != nil {
		t.Fatal(err)
	}
	return bans
}

func count(t testing.TB, s *store.Store, jail, ip string, since time.Time) int {
	t.Helper()
	n, err := s.BanCount(jail, ip, since)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func lastBan(t testing.TB, s *store.Store, jail, ip string) (store.Ban, bool) {
	t.Helper()
	b, ok, err := s.LastBan(jail, ip)
	if err != nil {
		t.Fatal(err)
	}
	return b, ok
}

// keys lists jail/ip of bans, in order.
func keys(bans []store.Ban) []string {
	var k []string
	for _, b := range bans {
		k = append(k, b.Jail+"/"+b.IP)
	}
	return k
}

// sameBan reports whether got and want are the same ban, times compared
// as instants.
func sameBan(got, want store.Ban) bool {
	if !got.Time.Equal(want.Time) {
		return false
	}
	got.Time = want.Time
	return reflect.DeepEqual(got, want)
}

func TestBanEnd(t *testing.T) {
	b := store.Ban{Time: t0, BanTime: time.Hour}
	if got, want := b.End(), t0.Add(time.Hour); !got.Equal(want) {
		t.Errorf("End() = %v, want %v", got, want)
	}
	b.BanTime = -1
	if got := b.End(); !got.IsZero() {
		t.Errorf("permanent End() = %v, want zero", got)
	}
}

func TestAddBansRoundTrip(t *testing.T) {
	s, _ := open(t)
	want := []store.Ban{
		{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: 10 * time.Minute, Count: 1, Failures: 5,
			Matches: []string{"Failed password for root from 192.0.2.1", "line with \"quotes\", ' and \x00 and é"}},
		{Jail: "nginx", IP: "2001:db8::/64", Time: t0.Add(time.Second), BanTime: 3 * time.Hour, Count: 3, Failures: 2},
		{Jail: "sshd'; DROP TABLE bans; --", IP: "198.51.100.7", Time: t0.Add(2 * time.Second), BanTime: time.Hour, Count: 1},
	}
	add(t, s, want...)
	got := active(t, s, t0.Add(5*time.Minute))
	if len(got) != len(want) {
		t.Fatalf("ActiveBans = %v, want %v", keys(got), keys(want))
	}
	for i := range want {
		if !sameBan(got[i], want[i]) {
			t.Errorf("ban %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := active(t, s, t0.Add(10*time.Minute)); !reflect.DeepEqual(keys(got), keys(want[1:])) {
		t.Errorf("after the first ban's end: %v, want %v", keys(got), keys(want[1:]))
	}
	if got := active(t, s, t0.Add(4*time.Hour)); len(got) != 0 {
		t.Errorf("after every end: %v", keys(got))
	}
	if err := s.AddBans(nil); err != nil {
		t.Errorf("AddBans(nil) = %v", err)
	}
}

func TestAddBansRejectsTimeOutOfRange(t *testing.T) {
	s, _ := open(t)
	err := s.AddBans([]store.Ban{
		{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour},
		{Jail: "sshd", IP: "192.0.2.2", BanTime: time.Hour}, // zero time
	})
	if err == nil || !strings.Contains(err.Error(), "192.0.2.2") {
		t.Fatalf("AddBans with a zero time = %v, want an error naming the address", err)
	}
	if got := active(t, s, t0); len(got) != 0 {
		t.Errorf("a failed AddBans recorded %v", keys(got))
	}
}

func TestNewBanReplacesActiveBan(t *testing.T) {
	s, _ := open(t)
	first := store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Count: 1}
	other := store.Ban{Jail: "nginx", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Count: 1}
	add(t, s, first, other)
	second := store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0.Add(10 * time.Minute), BanTime: 2 * time.Hour, Count: 2}
	add(t, s, second)

	got := active(t, s, t0.Add(20*time.Minute))
	if want := []string{"nginx/192.0.2.1", "sshd/192.0.2.1"}; !reflect.DeepEqual(keys(got), want) {
		t.Fatalf("ActiveBans = %v, want %v", keys(got), want)
	}
	if !sameBan(got[1], second) {
		t.Errorf("active sshd ban = %+v, want the new one %+v", got[1], second)
	}
	if n := count(t, s, "sshd", "192.0.2.1", t0.Add(-time.Hour)); n != 2 {
		t.Errorf("BanCount = %d, want 2 (the replaced ban stays in the history)", n)
	}
	if b, _ := lastBan(t, s, "sshd", "192.0.2.1"); !sameBan(b, second) {
		t.Errorf("LastBan = %+v, want %+v", b, second)
	}
}

func TestReplacementWithinOneBatch(t *testing.T) {
	s, _ := open(t)
	add(t, s,
		store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Count: 1},
		store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0.Add(time.Minute), BanTime: time.Hour, Count: 2},
	)
	got := active(t, s, t0.Add(2*time.Minute))
	if len(got) != 1 || got[0].Count != 2 {
		t.Errorf("ActiveBans = %+v, want only the later ban", got)
	}
}

// The ban manager records a prolonged ban again with its first start: it is
// the same ban, updated, and counts once.
func TestSameBanRecordedAgainIsUpdated(t *testing.T) {
	s, _ := open(t)
	b := store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Count: 1, Failures: 5, Matches: []string{"a"}}
	add(t, s, b)
	b.BanTime, b.Failures, b.Matches = 3*time.Hour, 6, []string{"a", "b"}
	add(t, s, b, b)
	if got := active(t, s, t0.Add(2*time.Hour)); len(got) != 1 || !sameBan(got[0], b) {
		t.Errorf("ActiveBans = %+v, want the prolonged %+v", got, b)
	}
	if n := count(t, s, "sshd", "192.0.2.1", t0.Add(-time.Hour)); n != 1 {
		t.Errorf("BanCount = %d, want 1", n)
	}
}

func TestPermanentBan(t *testing.T) {
	s, _ := open(t)
	perm := store.Ban{Jail: "recidive", IP: "203.0.113.9", Time: t0, BanTime: -1, Count: 4}
	add(t, s, perm)
	far := t0.AddDate(200, 0, 0)
	got := active(t, s, far)
	if len(got) != 1 || !sameBan(got[0], perm) {
		t.Fatalf("ActiveBans two centuries on = %+v, want %+v", got, perm)
	}
	if err := s.Purge(far); err != nil {
		t.Fatal(err)
	}
	if got := active(t, s, far); len(got) != 1 {
		t.Errorf("Purge forgot a permanent ban")
	}
}

func TestLongBanBeyondStorableTime(t *testing.T) {
	s, _ := open(t)
	b := store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Duration(1<<63 - 1)}
	add(t, s, b)
	if got := active(t, s, t0.AddDate(200, 0, 0)); len(got) != 1 || !sameBan(got[0], b) {
		t.Errorf("ActiveBans = %+v, want %+v", got, b)
	}
}

func TestRemoveBanKeepsHistory(t *testing.T) {
	s, _ := open(t)
	sshd := store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Count: 1}
	add(t, s, sshd,
		store.Ban{Jail: "nginx", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Count: 1},
		store.Ban{Jail: "sshd", IP: "192.0.2.2", Time: t0, BanTime: time.Hour, Count: 1},
	)
	if err := s.RemoveBan("sshd", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(active(t, s, t0)), []string{"nginx/192.0.2.1", "sshd/192.0.2.2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ActiveBans = %v, want %v", got, want)
	}
	if n := count(t, s, "sshd", "192.0.2.1", t0.Add(-time.Second)); n != 1 {
		t.Errorf("BanCount after RemoveBan = %d, want 1", n)
	}
	if b, ok := lastBan(t, s, "sshd", "192.0.2.1"); !ok || !sameBan(b, sshd) {
		t.Errorf("LastBan after RemoveBan = %+v, %v; want %+v", b, ok, sshd)
	}
	if err := s.RemoveBan("sshd", "192.0.2.1"); err != nil {
		t.Errorf("RemoveBan of an address not banned = %v, want nil", err)
	}
	if err := s.RemoveBan("", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(active(t, s, t0)), []string{"sshd/192.0.2.2"}; !reflect.DeepEqual(got, want) {
		t.Errorf(`after RemoveBan("", ip): %v, want %v`, got, want)
	}
}

func TestBanCountAcrossJails(t *testing.T) {
	s, _ := open(t)
	ip := "192.0.2.1"
	add(t, s,
		store.Ban{Jail: "sshd", IP: ip, Time: t0, BanTime: time.Minute, Count: 1},
		store.Ban{Jail: "sshd", IP: ip, Time: t0.Add(time.Hour), BanTime: time.Minute, Count: 2},
		store.Ban{Jail: "nginx", IP: ip, Time: t0.Add(2 * time.Hour), BanTime: time.Minute, Count: 1},
		store.Ban{Jail: "sshd", IP: "192.0.2.2", Time: t0, BanTime: time.Minute, Count: 1},
	)
	for _, c := range []struct {
		jail  string
		since time.Time
		want  int
	}{
		{"sshd", t0.Add(-time.Second), 2},
		{"sshd", t0, 1}, // strictly after since
		{"nginx", t0.Add(-time.Second), 1},
		{"", t0.Add(-time.Second), 3},
		{"", t0.Add(90 * time.Minute), 1},
		{"apache", t0.Add(-time.Second), 0},
	} {
		if got := count(t, s, c.jail, ip, c.since); got != c.want {
			t.Errorf("BanCount(%q, %q, %v) = %d, want %d", c.jail, ip, c.since, got, c.want)
		}
	}
}

func TestLastBan(t *testing.T) {
	s, _ := open(t)
	ip := "192.0.2.1"
	if _, ok := lastBan(t, s, "sshd", ip); ok {
		t.Fatal("LastBan of an empty store: ok")
	}
	sshd := store.Ban{Jail: "sshd", IP: ip, Time: t0.Add(time.Hour), BanTime: 2 * time.Hour, Count: 2, Failures: 3,
		Matches: []string{"a", "b"}}
	add(t, s, store.Ban{Jail: "sshd", IP: ip, Time: t0, BanTime: time.Hour, Count: 1}, sshd)
	if b, ok := lastBan(t, s, "sshd", ip); !ok || !sameBan(b, sshd) {
		t.Errorf("LastBan(sshd) = %+v, %v; want %+v", b, ok, sshd)
	}
	if _, ok := lastBan(t, s, "nginx", ip); ok {
		t.Error("LastBan(nginx): ok")
	}
}

// LastBan("", ip) is fail2ban's aggregate for bantime.overalljails (its
// getBan with overalljails: sum(bancount), max(timeofban), sum(bantime) over
// the latest ban of each jail).
func TestLastBanOverallJails(t *testing.T) {
	s, _ := open(t)
	ip := "192.0.2.1"
	if _, ok := lastBan(t, s, "", ip); ok {
		t.Fatal(`LastBan("") of an empty store: ok`)
	}
	add(t, s,
		store.Ban{Jail: "sshd", IP: ip, Time: t0, BanTime: time.Hour, Count: 1, Failures: 5},
		store.Ban{Jail: "sshd", IP: ip, Time: t0.Add(2 * time.Hour), BanTime: 2 * time.Hour, Count: 2, Failures: 3},
		store.Ban{Jail: "nginx", IP: ip, Time: t0.Add(time.Hour), BanTime: 10 * time.Minute, Count: 1, Failures: 2},
		store.Ban{Jail: "nginx", IP: "192.0.2.2", Time: t0.Add(3 * time.Hour), BanTime: time.Hour, Count: 7},
	)
	want := store.Ban{IP: ip, Time: t0.Add(2 * time.Hour), BanTime: 2*time.Hour + 10*time.Minute, Count: 3, Failures: 5}
	if b, ok := lastBan(t, s, "", ip); !ok || !sameBan(b, want) {
		t.Errorf(`LastBan("") = %+v, %v; want %+v`, b, ok, want)
	}
	add(t, s, store.Ban{Jail: "recidive", IP: ip, Time: t0.Add(time.Minute), BanTime: -1, Count: 1})
	if b, _ := lastBan(t, s, "", ip); b.BanTime >= 0 || b.Count != 4 {
		t.Errorf(`LastBan("") with a permanent ban = %+v, want a permanent BanTime and Count 4`, b)
	}
}

func TestPurgeKeepsActiveBans(t *testing.T) {
	s, _ := open(t)
	add(t, s,
		store.Ban{Jail: "j", IP: "expired-old", Time: t0, BanTime: time.Hour},
		store.Ban{Jail: "j", IP: "removed-old", Time: t0, BanTime: 100 * time.Hour},
		store.Ban{Jail: "j", IP: "active-old", Time: t0, BanTime: 100 * time.Hour},
		store.Ban{Jail: "j", IP: "permanent-old", Time: t0, BanTime: -1},
		store.Ban{Jail: "j", IP: "ends-after-cutoff", Time: t0, BanTime: 30 * time.Hour},
		store.Ban{Jail: "j", IP: "expired-new", Time: t0.Add(25 * time.Hour), BanTime: time.Minute},
		store.Ban{Jail: "j", IP: "removed-new", Time: t0.Add(25 * time.Hour), BanTime: time.Hour},
	)
	for _, ip := range []string{"removed-old", "removed-new"} {
		if err := s.RemoveBan("j", ip); err != nil {
			t.Fatal(err)
		}
	}
	// dbpurgeage of one day at t0+48h.
	if err := s.Purge(t0.Add(24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{
		"expired-old": false, "removed-old": false,
		"active-old": true, "permanent-old": true, "ends-after-cutoff": true,
		"expired-new": true, "removed-new": true,
	} {
		if _, ok := lastBan(t, s, "j", ip); ok != want {
			t.Errorf("%s kept: %v, want %v", ip, ok, want)
		}
	}
	if got, want := keys(active(t, s, t0.Add(48*time.Hour))), []string{"j/active-old", "j/permanent-old"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ActiveBans after Purge = %v, want %v", got, want)
	}
}

func TestPositions(t *testing.T) {
	s, _ := open(t)
	if _, _, ok, err := s.Position("/var/log/auth.log"); err != nil || ok {
		t.Fatalf("Position of an unknown file = ok %v, err %v", ok, err)
	}
	set := func(path string, pos int64, fp string) {
		t.Helper()
		if err := s.SetPosition(path, pos, fp); err != nil {
			t.Fatal(err)
		}
	}
	set("/var/log/auth.log", 1234, "md5:abc")
	set("/var/log/nginx/access.log", 1<<40, "")
	set("/var/log/auth.log", 99, "md5:def")
	for path, want := range map[string]struct {
		pos int64
		fp  string
	}{
		"/var/log/auth.log":         {99, "md5:def"},
		"/var/log/nginx/access.log": {1 << 40, ""},
	} {
		pos, fp, ok, err := s.Position(path)
		if err != nil || !ok || pos != want.pos || fp != want.fp {
			t.Errorf("Position(%s) = %d, %q, %v, %v; want %d, %q", path, pos, fp, ok, err, want.pos, want.fp)
		}
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	bans := []store.Ban{
		{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Count: 1, Failures: 5, Matches: []string{"x"}},
		{Jail: "sshd", IP: "192.0.2.2", Time: t0, BanTime: time.Hour, Count: 1},
		{Jail: "recidive", IP: "192.0.2.3", Time: t0, BanTime: -1, Count: 2},
	}
	add(t, s, bans...)
	if err := s.RemoveBan("sshd", "192.0.2.2"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPosition("/var/log/auth.log", 42, "fp"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: the second open finds an up-to-date schema
		s, err = store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got := active(t, s, t0.Add(time.Minute))
		if len(got) != 2 || !sameBan(got[0], bans[0]) || !sameBan(got[1], bans[2]) {
			t.Errorf("ActiveBans after reopening = %+v", got)
		}
		if n := count(t, s, "sshd", "192.0.2.2", t0.Add(-time.Second)); n != 1 {
			t.Errorf("BanCount of the removed ban after reopening = %d, want 1", n)
		}
		if pos, fp, ok, err := s.Position("/var/log/auth.log"); err != nil || !ok || pos != 42 || fp != "fp" {
			t.Errorf("Position after reopening = %d, %q, %v, %v", pos, fp, ok, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	s, path := open(t)
	add(t, s, store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour})
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), got)
		}
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?x=1#frag%20")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "warden.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	add(t, s, store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not where asked: %v", err)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "warden.db")
	if s, err := store.Open(path); err == nil {
		s.Close()
		t.Fatal("Open in a missing directory succeeded; the caller creates it")
	}
}

func TestOpenRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("2026-12-01 sshd[1]: Failed password for root\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.db")
	writeBrokenDatabase(t, broken)

	other := filepath.Join(dir, "fail2ban.sqlite3")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE bips (ip TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for name, c := range map[string]struct{ path, want string }{
		"text file":            {garbage, "not a usable SQLite database"},
		"corrupt database":     {broken, "broken.db"},
		"another program's db": {other, "another program"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := store.Open(c.path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("Open error %q does not name the file and %q", err, c.want)
			}
		})
	}
}

// writeBrokenDatabase writes a Warden database at path, then garbles every
// page after the first.
func writeBrokenDatabase(t *testing.T, path string) {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096; i < len(data); i++ {
		data[i] = 0xA5
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	_, path := open(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE schema_version SET version = 999"); err != nil {
		t.Fatal(err)
	}
	s2, err := store.Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if !strings.Contains(err.Error(), "999") {
		t.Errorf("error %q does not name the version", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, _ := open(t)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			jail := fmt.Sprintf("jail%d", w)
			for i := range each {
				ip := fmt.Sprintf("10.0.%d.%d", w, i)
				steps := []func() error{
					func() error {
						return s.AddBans([]store.Ban{{Jail: jail, IP: ip, Time: t0, BanTime: time.Hour, Count: 1}})
					},
					func() error { _, err := s.ActiveBans(t0); return err },
					func() error { _, err := s.BanCount("", ip, t0.Add(-time.Hour)); return err },
					func() error { _, _, err := s.LastBan(jail, ip); return err },
					func() error { return s.SetPosition("/log/"+jail, int64(i), "fp") },
					func() error { _, _, _, err := s.Position("/log/" + jail); return err },
				}
				if i%2 == 1 {
					steps = append(steps, func() error { return s.RemoveBan(jail, ip) })
				}
				for _, step := range steps {
					if err := step(); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := len(active(t, s, t0)), workers*each/2; got != want {
		t.Errorf("%d active bans, want %d", got, want)
	}
}

func TestMatchesAreJSONText(t *testing.T) {
	s, path := open(t)
	add(t, s, store.Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: time.Hour, Matches: []string{`a "b"`, "c"}},
		store.Ban{Jail: "sshd", IP: "192.0.2.2", Time: t0, BanTime: time.Hour})
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT ip, typeof(matches), json_array_length(matches) FROM bans ORDER BY ip")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var ip, typ string
		var n sql.NullInt64
		if err := rows.Scan(&ip, &typ, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(ip, " ", typ, " ", n.Int64))
	}
	if want := []string{"192.0.2.1 text 2", "192.0.2.2 null 0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("matches column = %q, want %q", got, want)
	}
}
