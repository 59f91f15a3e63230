package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/wardenipd/warden/internal/control"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeDaemon is a small stateful daemon: jails with bans and settings.
type fakeDaemon struct {
	mu       sync.Mutex
	jails    []string
	bans     map[string][]string // jail → addresses
	settings map[string]control.Value
	reloads  []string
	stopped  bool
	onStop   func()
	reload   func(jail string, unban bool) error // overrides when set
}

var _ control.Daemon = (*fakeDaemon)(nil)

func newFake() *fakeDaemon {
	return &fakeDaemon{
		jails: []string{"sshd", "web/app"},
		bans:  map[string][]string{"sshd": {"192.0.2.1"}},
		settings: map[string]control.Value{
			"sshd/maxretry": control.IntValue(5),
			"sshd/ignoreip": control.ListValue([]string{"127.0.0.1/8"}),
		},
	}
}

func (f *fakeDaemon) known(jail string) error {
	if !slices.Contains(f.jails, jail) {
		return fmt.Errorf("%w: jail %q does not exist", control.ErrUnknownJail, jail)
	}
	return nil
}

func (f *fakeDaemon) Status() (control.Overview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return control.Overview{Jails: slices.Clone(f.jails)}, nil
}

func (f *fakeDaemon) JailStatus(jail string) (control.JailStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(jail); err != nil {
		return control.JailStatus{}, err
	}
	b := f.bans[jail]
	return control.JailStatus{Name: jail, CurrentlyFailed: 2, TotalFailed: 7, FileList: []string{"/var/log/auth.log"},
		CurrentlyBanned: len(b), TotalBanned: len(b) + 1, BannedIPs: slices.Clone(b)}, nil
}

func (f *fakeDaemon) Ban(jail string, ips []string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(jail); err != nil {
		return 0, err
	}
	n := 0
	for _, ip := range ips {
		if net.ParseIP(ip) == nil {
			return n, fmt.Errorf("%w: %q is not an IP address", control.ErrBadValue, ip)
		}
		if !slices.Contains(f.bans[jail], ip) {
			f.bans[jail] = append(f.bans[jail], ip)
			n++
		}
	}
	return n, nil
}

func (f *fakeDaemon) Unban(jail string, ips []string, all bool) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, j := range f.jails {
		if jail != "" && j != jail {
			continue
		}
		kept := f.bans[j][:0]
		for _, ip := range f.bans[j] {
			if all || slices.Contains(ips, ip) {
				n++
			} else {
				kept = append(kept, ip)
			}
		}
		f.bans[j] = kept
	}
	return n, nil
}

func (f *fakeDaemon) Banned(ips []string) ([]control.JailBans, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []control.JailBans
	for _, j := range f.jails {
		jb := control.JailBans{Jail: j}
		for _, ip := range f.bans[j] {
			if len(ips) == 0 || slices.Contains(ips, ip) {
				jb.IPs = append(jb.IPs, ip)
			}
		}
		out = append(out, jb)
	}
	return out, nil
}

func (f *fakeDaemon) Reload(jail string, unban bool) error {
	if f.reload != nil {
		return f.reload(jail, unban)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads = append(f.reloads, fmt.Sprintf("%s/%v", jail, unban))
	return nil
}

func (f *fakeDaemon) Get(jail, key string) (control.Value, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(jail); err != nil {
		return control.Value{}, err
	}
	v, ok := f.settings[jail+"/"+key]
	if !ok {
		return control.Value{}, fmt.Errorf("%w: unknown setting %q", control.ErrBadValue, key)
	}
	return v, nil
}

func (f *fakeDaemon) Set(jail, key, value string) (control.Value, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(jail); err != nil {
		return control.Value{}, err
	}
	switch key {
	case "maxretry":
		var n int64
		if _, err := fmt.Sscan(value, &n); err != nil {
			return control.Value{}, fmt.Errorf("%w: maxretry %q is not a whole number", control.ErrBadValue, value)
		}
		f.settings[jail+"/"+key] = control.IntValue(n)
	case "addignoreip":
		l := append(slices.Clone(f.settings[jail+"/ignoreip"].List), value)
		f.settings[jail+"/ignoreip"] = control.ListValue(l)
		return control.ListValue(l), nil
	default:
		return control.Value{}, errors.New("the disk is on fire")
	}
	return f.settings[jail+"/"+key], nil
}

func (f *fakeDaemon) Ping() error { return nil }

func (f *fakeDaemon) Stop() error {
	f.mu.Lock()
	f.stopped = true
	onStop := f.onStop
	f.mu.Unlock()
	if onStop != nil {
		onStop()
	}
	return nil
}

// shortDir is a temporary directory with a path short enough for a unix
// socket (at most 107 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "wc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// serve starts a server of d on a fresh socket; stop shuts it down and
// returns Serve's error.
func serve(t *testing.T, d control.Daemon) (c *control.Client, path string, stop func() error) {
	t.Helper()
	path = filepath.Join(shortDir(t), "run", "warden.sock")
	l, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := control.NewServer(d, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { stop() })
	return control.NewClient(path), path, stop
}

func TestRoundTrip(t *testing.T) {
	f := newFake()
	c, _, stop := serve(t, f)
	ctx := context.Background()

	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	o, err := c.Status(ctx)
	if err != nil || !reflect.DeepEqual(o.Jails, []string{"sshd", "web/app"}) {
		t.Errorf("Status = %+v, %v", o, err)
	}
	st, err := c.JailStatus(ctx, "sshd")
	want := control.JailStatus{Name: "sshd", CurrentlyFailed: 2, TotalFailed: 7, FileList: []string{"/var/log/auth.log"},
		CurrentlyBanned: 1, TotalBanned: 2, BannedIPs: []string{"192.0.2.1"}}
	if err != nil || !reflect.DeepEqual(st, want) {
		t.Errorf("JailStatus = %+v, %v; want %+v", st, err, want)
	}
	// A jail name that needs escaping in a path.
	st, err = c.JailStatus(ctx, "web/app")
	if err != nil || st.Name != "web/app" || st.BannedIPs == nil || len(st.BannedIPs) != 0 {
		t.Errorf("JailStatus(web/app) = %+v, %v", st, err)
	}
	if n, err := c.Ban(ctx, "sshd", []string{"192.0.2.1", "192.0.2.2", "2001:db8::1"}); n != 2 || err != nil {
		t.Errorf("Ban = %d, %v; want 2", n, err)
	}
	jb, err := c.Banned(ctx, nil)
	wantJB := []control.JailBans{{Jail: "sshd", IPs: []string{"192.0.2.1", "192.0.2.2", "2001:db8::1"}}, {Jail: "web/app", IPs: []string{}}}
	if err != nil || !reflect.DeepEqual(jb, wantJB) {
		t.Errorf("Banned = %+v, %v", jb, err)
	}
	jb, err = c.Banned(ctx, []string{"192.0.2.2"})
	wantJB = []control.JailBans{{Jail: "sshd", IPs: []string{"192.0.2.2"}}, {Jail: "web/app", IPs: []string{}}}
	if err != nil || !reflect.DeepEqual(jb, wantJB) {
		t.Errorf("Banned(192.0.2.2) = %+v, %v", jb, err)
	}
	if n, err := c.Unban(ctx, "", []string{"192.0.2.2", "198.51.100.9"}, false); n != 1 || err != nil {
		t.Errorf("Unban = %d, %v; want 1", n, err)
	}
	if n, err := c.Unban(ctx, "sshd", nil, true); n != 2 || err != nil {
		t.Errorf("Unban all = %d, %v; want 2", n, err)
	}
	if err := c.Reload(ctx, "sshd", true); err != nil {
		t.Errorf("Reload: %v", err)
	}
	if err := c.Reload(ctx, "", false); err != nil {
		t.Errorf("Reload: %v", err)
	}
	if !reflect.DeepEqual(f.reloads, []string{"sshd/true", "/false"}) {
		t.Errorf("reloads = %q", f.reloads)
	}
	if v, err := c.Get(ctx, "sshd", "maxretry"); err != nil || v.Kind != control.Int || v.Int != 5 {
		t.Errorf("Get maxretry = %+v, %v", v, err)
	}
	if v, err := c.Set(ctx, "sshd", "maxretry", "3"); err != nil || v.Kind != control.Int || v.Int != 3 {
		t.Errorf("Set maxretry = %+v, %v", v, err)
	}
	if v, err := c.Set(ctx, "sshd", "addignoreip", "10.0.0.0/8"); err != nil || !reflect.DeepEqual(v, control.ListValue([]string{"127.0.0.1/8", "10.0.0.0/8"})) {
		t.Errorf("Set addignoreip = %+v, %v", v, err)
	}
	if err := c.Stop(ctx); err != nil || !f.stopped {
		t.Errorf("Stop: %v (stopped %v)", err, f.stopped)
	}
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestErrors(t *testing.T) {
	c, _, _ := serve(t, newFake())
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		code int
		is   error
		msg  string
	}{
		{"unknown jail", func() error { _, err := c.JailStatus(ctx, "nope"); return err },
			404, control.ErrUnknownJail, `jail "nope" does not exist`},
		{"bad address", func() error { _, err := c.Ban(ctx, "sshd", []string{"not-an-ip"}); return err },
			400, control.ErrBadValue, `"not-an-ip" is not an IP address`},
		{"bad value", func() error { _, err := c.Set(ctx, "sshd", "maxretry", "many"); return err },
			400, control.ErrBadValue, `maxretry "many" is not a whole number`},
		{"daemon failure", func() error { _, err := c.Set(ctx, "sshd", "bantime", "1h"); return err },
			500, nil, "the disk is on fire"},
		{"nothing to ban", func() error { _, err := c.Ban(ctx, "sshd", nil); return err },
			400, control.ErrBadValue, "no address to ban"},
		{"unban neither", func() error { _, err := c.Unban(ctx, "", nil, false); return err },
			400, control.ErrBadValue, "give addresses to unban, or all"},
		{"unban both", func() error { _, err := c.Unban(ctx, "", []string{"192.0.2.1"}, true); return err },
			400, control.ErrBadValue, "give addresses to unban, or all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var e *control.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *control.Error", err, err)
			}
			if e.StatusCode != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("err = %d %q, want %d containing %q", e.StatusCode, e.Message, tt.code, tt.msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if errors.Is(err, control.ErrNotRunning) {
				t.Errorf("%v is ErrNotRunning", err)
			}
		})
	}
}

// The wire format: plain JSON, the documented routes, errors as
// {"error": ...}; an unknown route or a malformed body is a JSON error.
func TestWire(t *testing.T) {
	_, path, _ := serve(t, newFake())
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	defer hc.CloseIdleConnections()
	tests := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/v1/status", "", 200, `{"jails":["sshd","web/app"]}`},
		{"GET", "/v1/jails/sshd/status", "", 200, `{"name":"sshd","currently_failed":2,"total_failed":7,"evicted":0,"file_list":["/var/log/auth.log"],"currently_banned":1,"total_banned":2,"banned_ip_list":["192.0.2.1"]}`},
		{"GET", "/v1/jails/sshd/settings/maxretry", "", 200, `{"value":5}`},
		{"GET", "/v1/jails/sshd/settings/ignoreip", "", 200, `{"value":["127.0.0.1/8"]}`},
		{"POST", "/v1/jails/sshd/ban", `{"ips":["192.0.2.7"]}`, 200, `{"count":1}`},
		{"POST", "/v1/banned", `{"ips":["192.0.2.7"]}`, 200, `{"jails":[{"jail":"sshd","ips":["192.0.2.7"]},{"jail":"web/app","ips":[]}]}`},
		{"POST", "/v1/unban", `{"all":true}`, 200, `{"count":2}`},
		{"GET", "/v1/jails/nope/status", "", 404, `{"error":"unknown jail: jail \"nope\" does not exist"}`},
		{"GET", "/v1/nothing", "", 404, `{"error":"no such request: GET /v1/nothing"}`},
		{"POST", "/v1/reload", `{"jail": 3}`, 400, ``},
		{"POST", "/v1/reload", `{"jial": "x"}`, 400, ``},
		{"DELETE", "/v1/status", "", 404, `{"error":"no such request: DELETE /v1/status"}`},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, "http://warden"+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s %s: status %d, want %d (%s)", tt.method, tt.path, resp.StatusCode, tt.code, b)
		}
		if tt.want != "" && strings.TrimSpace(string(b)) != tt.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tt.method, tt.path, b, tt.want)
		}
		if tt.want == "" && tt.code == 400 {
			var e struct{ Error string }
			if json.Unmarshal(b, &e) != nil || !strings.HasPrefix(e.Error, "bad request: ") {
				t.Errorf("%s %s: %s, want a JSON bad request", tt.method, tt.path, b)
			}
		}
	}
}

func TestNotRunning(t *testing.T) {
	dir := shortDir(t)
	// No socket at all.
	c := control.NewClient(filepath.Join(dir, "none.sock"))
	if err := c.Ping(context.Background()); !errors.Is(err, control.ErrNotRunning) {
		t.Errorf("missing socket: %v, want ErrNotRunning", err)
	}
	// A socket nobody listens on (left by a daemon that died).
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	c = control.NewClient(stale)
	if _, err := c.Status(context.Background()); !errors.Is(err, control.ErrNotRunning) || !strings.Contains(err.Error(), stale) {
		t.Errorf("stale socket: %v, want ErrNotRunning naming the socket", err)
	}
	// Listen takes over the stale socket.
	l2, err := control.Listen(stale)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	l2.Close()
}

func TestListen(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "w.sock")
	l, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	// No leftovers of the private name beside it.
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want the socket alone", len(ents))
	}
	// A second daemon does not steal a live socket.
	if _, err := control.Listen(path); err == nil || !strings.Contains(err.Error(), "another daemon answers") {
		t.Errorf("Listen on a live socket: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
	// A regular file is never removed.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := control.Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen on a file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep me" {
		t.Errorf("file changed: %q", b)
	}
	// Nor a directory.
	if _, err := control.Listen(dir); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen on a directory: %v", err)
	}
}

// A request in flight when the daemon stops still gets its answer; the
// socket is gone once Serve returns.
func TestGracefulShutdown(t *testing.T) {
	f := newFake()
	entered, release := make(chan struct{}), make(chan struct{})
	f.reload = func(string, bool) error {
		close(entered)
		<-release
		return nil
	}
	c, path, stop := serve(t, f)
	got := make(chan error, 1)
	go func() { got <- c.Reload(context.Background(), "", false) }()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	close(release)
	if err := <-got; err != nil {
		t.Errorf("Reload in flight: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after shutdown: %v", err)
	}
}

// A request that does not finish within ShutdownTimeout is cut off.
func TestShutdownTimeout(t *testing.T) {
	f := newFake()
	entered, release := make(chan struct{}), make(chan struct{})
	f.reload = func(string, bool) error {
		close(entered)
		<-release
		return nil
	}
	path := filepath.Join(shortDir(t), "w.sock")
	l, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := control.NewServer(f, slog.New(slog.DiscardHandler))
	srv.ShutdownTimeout = 1 // nanosecond: cut off at once
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	got := make(chan error, 1)
	go func() { got <- control.NewClient(path).Reload(context.Background(), "", false) }()
	<-entered
	cancel()
	err = <-done
	if err != nil {
		t.Errorf("Serve after a forced close: %v", err)
	}
	if err := <-got; err == nil {
		t.Errorf("the cut-off request succeeded")
	}
	close(release)
}

// Stop answers before the daemon shuts the server down.
func TestStop(t *testing.T) {
	f := newFake()
	c, _, stop := serve(t, f)
	f.onStop = func() { go stop() }
	if err := c.Stop(context.Background()); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestValueJSON(t *testing.T) {
	tests := []struct {
		v    control.Value
		json string
	}{
		{control.Value{}, `null`},
		{control.StringValue("warn"), `"warn"`},
		{control.IntValue(-1), `-1`},
		{control.BoolValue(true), `true`},
		{control.ListValue(nil), `[]`},
		{control.ListValue([]string{"a", "b"}), `["a","b"]`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.v, b, err, tt.json)
		}
		var back control.Value
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("Unmarshal(%s): %v", b, err)
		}
		want := tt.v
		if want.Kind == control.List && want.List == nil {
			want.List = []string{}
		}
		if !reflect.DeepEqual(back, want) {
			t.Errorf("Unmarshal(%s) = %+v, want %+v", b, back, want)
		}
	}
	for _, bad := range []string{`1.5`, `{"a":1}`, `[1]`} {
		var v control.Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", bad, v)
		}
	}
}
