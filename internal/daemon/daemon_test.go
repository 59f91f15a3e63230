package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/control"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait for the daemon to react to a file or a request.
const wait = 15 * time.Second

type testDaemon struct {
	t              *testing.T
	dir, log, sock string
	cancel         context.CancelFunc
	done           chan error
	client         *control.Client
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newConfig writes a configuration with a jail "web" on dir/web.log
// (failregex "login failed from <HOST>", maxretry 3) and a jail "other".
func newConfig(t *testing.T, dir string, extra string) {
	writeFile(t, filepath.Join(dir, "etc", "filter.d", "web.conf"), "[Definition]\nfailregex = login failed from <HOST>\n")
	writeFile(t, filepath.Join(dir, "etc", "jail.local"), fmt.Sprintf(`# The built-in sshd jail is not part of these tests.
[sshd]
enabled = false

[web]
enabled = true
filter = web
logpath = %[1]s/web.log
maxretry = 3
findtime = 1h
bantime = 1h
# no ignoreip: the host's own addresses are ignored through ignoreself
ignoreip =

[other]
enabled = true
filter = web
logpath = %[1]s/other.log
%[2]s
`, dir, extra))
}

func start(t *testing.T, dir string) *testDaemon {
	t.Helper()
	return startWith(t, dir, nil)
}

// startWith starts a daemon on dir in a dry run, or as set changes its
// options.
func startWith(t *testing.T, dir string, set func(*Options)) *testDaemon {
	t.Helper()
	d := &testDaemon{t: t, dir: dir, sock: filepath.Join(dir, "w.sock"), log: filepath.Join(dir, "bans.log"), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	o := Options{ConfigDir: filepath.Join(dir, "etc"), StateDir: filepath.Join(dir, "state"), Socket: d.sock,
		BanLog: d.log, DryRun: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.Real{}}
	if set != nil {
		set(&o)
	}
	go func() {
		d.done <- Run(ctx, o)
	}()
	d.client = control.NewClient(d.sock)
	d.eventually("the daemon answers", func() bool { return d.client.Ping(context.Background()) == nil })
	t.Cleanup(d.stop)
	return d
}

func (d *testDaemon) stop() {
	if d.cancel == nil {
		return
	}
	d.cancel()
	d.cancel = nil
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Errorf("Run: %v", err)
		}
	case <-time.After(wait):
		d.t.Fatal("the daemon did not stop")
	}
}

func (d *testDaemon) eventually(what string, ok func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *testDaemon) status(jail string) control.JailStatus {
	d.t.Helper()
	st, err := d.client.JailStatus(context.Background(), jail)
	if err != nil {
		d.t.Fatalf("status %s: %v", jail, err)
	}
	return st
}

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		if _, err := io.WriteString(f, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
}

func failLine(ip string) string {
	return time.Now().Format("2006-01-02 15:04:05") + " app: login failed from " + ip
}

// TestBanRestartReload is the daemon's life: failures become a ban; a
// malformed and binary line changes nothing; a reload that changes
// another jail keeps the ban and the failure counts; a restart brings
// the ban back, reads what was written while it was down, and replays
// nothing; an invalid configuration on reload keeps the running one.
func TestBanRestartReload(t *testing.T) {
	dir := t.TempDir()
	newConfig(t, dir, "")
	web := filepath.Join(dir, "web.log")
	writeFile(t, web, "")
	writeFile(t, filepath.Join(dir, "other.log"), "")
	d := start(t, dir)

	// The host's own address ("localhost") is never banned (ignoreself).
	appendLines(t, web, failLine("127.0.0.1"), failLine("127.0.0.1"), failLine("127.0.0.1"))
	appendLines(t, web, failLine("192.0.2.7"), failLine("192.0.2.7"), "\x00\xff\xfe garbage \x1b[31m login failed from ", failLine("192.0.2.7"),
		failLine("198.51.100.1"))
	d.eventually("a ban", func() bool { return d.status("web").CurrentlyBanned == 1 })
	d.eventually("every line", func() bool { return d.status("web").TotalFailed == 4 })
	if b, _ := d.client.Banned(context.Background(), []string{"127.0.0.1"}); len(b) != 2 || len(b[0].IPs)+len(b[1].IPs) != 0 {
		t.Errorf("127.0.0.1 banned: %+v", b)
	}
	st := d.status("web")
	if st.CurrentlyFailed != 1 || len(st.BannedIPs) != 1 || st.BannedIPs[0] != "192.0.2.7" {
		t.Fatalf("status = %+v", st)
	}

	// Reload with another jail changed: the web jail is untouched.
	newConfig(t, dir, "maxretry = 9")
	if err := d.client.Reload(context.Background(), "", false); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got, _ := d.client.Get(context.Background(), "other", "maxretry"); got.Int != 9 {
		t.Errorf("other maxretry after reload = %+v", got)
	}
	if st := d.status("web"); st.CurrentlyBanned != 1 || st.CurrentlyFailed != 1 || st.TotalFailed != 4 {
		t.Errorf("after reload: %+v; want the ban and the counts kept", st)
	}
	// An invalid configuration is refused and the running one kept.
	writeFile(t, filepath.Join(dir, "etc", "jail.d", "bad.local"), "[web]\nmaxretry = three\n")
	err := d.client.Reload(context.Background(), "", false)
	if err == nil || !strings.Contains(err.Error(), "bad.local:2") || !strings.Contains(err.Error(), "running one is kept") {
		t.Errorf("reload of an invalid configuration: %v", err)
	}
	os.Remove(filepath.Join(dir, "etc", "jail.d", "bad.local"))
	if st := d.status("web"); st.CurrentlyBanned != 1 {
		t.Errorf("after a refused reload: %+v", st)
	}

	// Restart: lines written while down are read, old ones not replayed.
	d.stop()
	appendLines(t, web, failLine("203.0.113.5"), failLine("203.0.113.5"), failLine("203.0.113.5"))
	d = start(t, dir)
	d.eventually("the ban restored and the new one", func() bool { return d.status("web").CurrentlyBanned == 2 })
	if st := d.status("web"); st.TotalFailed != 3 {
		t.Errorf("after restart: total failed %d, want the 3 new lines only (no replay)", st.TotalFailed)
	}
	var log []byte
	d.eventually("the ban log", func() bool {
		log, _ = os.ReadFile(d.log)
		return strings.Contains(string(log), "Ban 203.0.113.5")
	})
	for _, want := range []string{"NOTICE  [web] Ban 192.0.2.7\n", "NOTICE  [web] Restore Ban 192.0.2.7\n", "NOTICE  [web] Ban 203.0.113.5\n"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("ban log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(string(log), "] Ban 192.0.2.7"); n != 1 {
		t.Errorf("192.0.2.7 banned %d times in the ban log, want once (restored, not banned again)", n)
	}

	// By hand: unban, ban, and errors the client sees.
	if n, err := d.client.Unban(context.Background(), "", []string{"192.0.2.7"}, false); err != nil || n != 1 {
		t.Errorf("unban: %d, %v", n, err)
	}
	if n, err := d.client.Ban(context.Background(), "other", []string{"2001:db8::1"}); err != nil || n != 1 {
		t.Errorf("ban: %d, %v", n, err)
	}
	if _, err := d.client.Ban(context.Background(), "nope", []string{"192.0.2.1"}); !errors.Is(err, control.ErrUnknownJail) {
		t.Errorf("ban in an unknown jail: %v", err)
	}
	if _, err := d.client.Ban(context.Background(), "web", []string{"$(id)"}); !errors.Is(err, control.ErrBadValue) {
		t.Errorf("ban of a non-address: %v", err)
	}
}
