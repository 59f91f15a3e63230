package jail

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/f2btest"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, x := range s {
		out = append(out, netip.MustParseAddr(x))
	}
	return out
}

func TestIgnoreIP(t *testing.T) {
	resolver := func(host string) ([]netip.Addr, error) {
		switch host {
		case "office.example":
			return addrs("198.51.100.7", "2001:db8:1::7"), nil
		case "mapped.example":
			return addrs("::ffff:203.0.113.9"), nil
		}
		return nil, errors.New("NXDOMAIN")
	}
	tests := []struct {
		ignoreip []string
		ip       string
		want     bool
	}{
		{[]string{"192.0.2.1"}, "192.0.2.1", true},
		{[]string{"192.0.2.1"}, "192.0.2.2", false},
		{[]string{"192.0.2.1"}, "::ffff:192.0.2.1", true},
		{[]string{"::ffff:192.0.2.1"}, "192.0.2.1", true},
		{[]string{"127.0.0.1/8"}, "127.255.0.3", true},
		{[]string{"127.0.0.1/8"}, "128.0.0.1", false},
		{[]string{"10.0.0.0/255.0.0.0"}, "10.9.9.9", true},
		{[]string{"10.0.0.0/255.255.0.0"}, "10.9.9.9", false},
		{[]string{"0.0.0.0/0"}, "203.0.113.1", true},
		{[]string{"0.0.0.0/0"}, "2001:db8::1", false},
		{[]string{"2001:db8::/32"}, "2001:db8:ffff::1", true},
		{[]string{"2001:db8::/32"}, "2001:db9::1", false},
		{[]string{"2001:DB8::1"}, "2001:db8::1", true},
		{[]string{"[2001:db8::1]"}, "2001:db8::1", true},
		{[]string{"::1"}, "::1", true},
		{[]string{"192.0.2.5/32"}, "192.0.2.5", true},
		{[]string{"192.0.2.5/40"}, "192.0.2.5", true},
		{[]string{"192.0.2.5/40"}, "192.0.2.6", false},
		// as fail2ban: an IPv4-mapped prefix stays IPv6 and does not hold IPv4 addresses
		{[]string{"::ffff:192.0.2.0/120"}, "192.0.2.5", false},
		{[]string{"office.example"}, "198.51.100.7", true},
		{[]string{"office.example"}, "2001:db8:1::7", true},
		{[]string{"office.example"}, "198.51.100.8", false},
		{[]string{"mapped.example"}, "203.0.113.9", true},
		{[]string{"office.example/24"}, "198.51.100.7", true}, // fail2ban drops a name's mask
		{[]string{"nowhere.example"}, "198.51.100.7", false},
		{[]string{"", "nowhere.example", "10.0.0.0/8", "192.0.2.1"}, "10.1.1.1", true},
		{nil, "10.1.1.1", false},
		{[]string{"10.0.0.0/8"}, "not-an-ip", false},
	}
	for _, tt := range tests {
		cfg := Config{Name: "t", MaxRetry: 1, FindTime: time.Minute, BanTime: time.Minute, IgnoreIP: tt.ignoreip}
		j, err := New(cfg, nil, clock.NewFake(t0), append(noDeps(), WithResolver(resolver))...)
		if err != nil {
			t.Fatalf("%q: %v", tt.ignoreip, err)
		}
		_, ban, err := j.AddFailure(Failure{IP: tt.ip})
		if err != nil {
			t.Fatal(err)
		}
		if got := !ban; got != tt.want {
			t.Errorf("ignoreip %q, %s: ignored %v, want %v", tt.ignoreip, tt.ip, got, tt.want)
		}
		if got := j.Stats().TotalFailed; got != map[bool]int64{true: 0, false: 1}[tt.want] {
			t.Errorf("ignoreip %q, %s: total failed %d", tt.ignoreip, tt.ip, got)
		}
	}
}

func TestIgnoreDNSCache(t *testing.T) {
	c := clock.NewFake(t0)
	calls := 0
	current := addrs("198.51.100.7")
	resolver := func(host string) ([]netip.Addr, error) {
		calls++
		return append([]netip.Addr(nil), current...), nil
	}
	j := newJail(t, Config{MaxRetry: 1, FindTime: time.Minute, BanTime: time.Minute, IgnoreIP: []string{"office.example"}}, nil, c, WithResolver(resolver))
	ignored := func(ip string) bool {
		_, ban, err := j.AddFailure(Failure{IP: ip})
		if err != nil {
			t.Fatal(err)
		}
		return !ban
	}
	if !ignored("198.51.100.7") || ignored("198.51.100.8") || calls != 1 {
		t.Fatalf("calls %d", calls)
	}
	current = addrs("198.51.100.8")
	c.Advance(4 * time.Minute)
	if !ignored("198.51.100.7") || calls != 1 {
		t.Fatalf("cache not used: calls %d", calls)
	}
	c.Advance(time.Minute + time.Second)
	if ignored("198.51.100.7") || !ignored("198.51.100.8") || calls != 2 {
		t.Fatalf("cache not renewed after 5 minutes: calls %d", calls)
	}
}

func TestIgnoreSelf(t *testing.T) {
	self := func() ([]netip.Addr, error) { return addrs("127.0.0.1", "::1", "::ffff:192.0.2.10"), nil }
	for _, tt := range []struct {
		on   bool
		ip   string
		want bool
	}{
		{true, "127.0.0.1", true},
		{true, "::1", true},
		{true, "192.0.2.10", true},
		{true, "192.0.2.11", false},
		{false, "127.0.0.1", false},
	} {
		j := newJail(t, Config{MaxRetry: 1, FindTime: time.Minute, BanTime: time.Minute, IgnoreSelf: tt.on}, nil, clock.NewFake(t0), WithSelfAddrs(self))
		_, ban, err := j.AddFailure(Failure{IP: tt.ip})
		if err != nil {
			t.Fatal(err)
		}
		if !ban != tt.want {
			t.Errorf("ignoreself %v, %s: ignored %v", tt.on, tt.ip, !ban)
		}
	}
}

func TestIgnoreCommand(t *testing.T) {
	tests := []struct {
		command string
		ip      string
		argv    []string // nil: not run
		exit    int
		runErr  error
		ignored bool
		wantErr bool
	}{
		{command: "/usr/bin/check <ip>", ip: "192.0.2.1", argv: []string{"/usr/bin/check", "192.0.2.1"}, exit: 0, ignored: true},
		{command: "/usr/bin/check <ip>", ip: "192.0.2.1", argv: []string{"/usr/bin/check", "192.0.2.1"}, exit: 1},
		{command: "/usr/bin/check <ip>", ip: "192.0.2.1", argv: []string{"/usr/bin/check", "192.0.2.1"}, exit: 2, wantErr: true},
		{command: "/usr/bin/check <ip>", ip: "192.0.2.1", argv: []string{"/usr/bin/check", "192.0.2.1"}, runErr: errors.New("no such file"), wantErr: true},
		{command: "/usr/bin/check <ip>", ip: "::ffff:192.0.2.1", argv: []string{"/usr/bin/check", "192.0.2.1"}, ignored: true},
		{command: `/opt/x --ip=<ip> --fam <family> 'a b' "c d" e\ f`, ip: "2001:db8::1",
			argv: []string{"/opt/x", "--ip=2001:db8::1", "--fam", "inet6", "a b", "c d", "e f"}, ignored: true},
		{command: "/opt/x '<ip>'", ip: "192.0.2.1", argv: []string{"/opt/x", "192.0.2.1"}, ignored: true},
		{command: "/opt/x <fid> | grep -q ok", ip: "192.0.2.1", argv: []string{"/bin/sh", "-c", "/opt/x 192.0.2.1 | grep -q ok"}, ignored: true},
		{command: "test -n \"$HOME\" && /opt/x <ip>", ip: "192.0.2.1", argv: []string{"/bin/sh", "-c", "test -n \"$HOME\" && /opt/x 192.0.2.1"}, ignored: true},
		// never run for a failure id that is no address
		{command: "/usr/bin/check <ip>", ip: "$(reboot)", argv: nil},
		{command: "/usr/bin/check <ip>", ip: "a;b", argv: nil},
	}
	for _, tt := range tests {
		var got []string
		runner := func(argv []string) (int, error) {
			got = argv
			return tt.exit, tt.runErr
		}
		j := newJail(t, Config{MaxRetry: 1, FindTime: time.Minute, BanTime: time.Minute, IgnoreCommand: tt.command}, nil, clock.NewFake(t0), WithRunner(runner))
		_, ban, err := j.AddFailure(Failure{IP: tt.ip})
		if !reflect.DeepEqual(got, tt.argv) {
			t.Errorf("%q, %s: ran %q, want %q", tt.command, tt.ip, got, tt.argv)
		}
		if !ban != tt.ignored {
			t.Errorf("%q, %s: ignored %v, want %v", tt.command, tt.ip, !ban, tt.ignored)
		}
		if (err != nil) != tt.wantErr {
			t.Errorf("%q, %s: err %v", tt.command, tt.ip, err)
		}
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in    string
		words []string
		ok    bool
	}{
		{"a b  c", []string{"a", "b", "c"}, true},
		{`a 'b c' "d e"`, []string{"a", "b c", "d e"}, true},
		{`a "b \"c\" \\ \x"`, []string{"a", `b "c" \ \x`}, true},
		{`a\ b`, []string{"a b"}, true},
		{`a'b'"c"d`, []string{"abcd"}, true},
		{"a ''", []string{"a", ""}, true},
		{"a=b", nil, false}, // an assignment: for a shell
		{"cmd a=b", []string{"cmd", "a=b"}, true},
		{"a b#c", []string{"a", "b#c"}, true},
		{"a | b", nil, false},
		{"a > f", nil, false},
		{"a; b", nil, false},
		{"a && b", nil, false},
		{"a $X", nil, false},
		{`a "$X"`, nil, false},
		{"a `x`", nil, false},
		{"a *", nil, false},
		{"a #c", nil, false},
		{"a ~/x", nil, false},
		{"a 'b", nil, false},
		{`a "b`, nil, false},
		{`a \`, nil, false},
	}
	for _, tt := range tests {
		words, ok := splitWords(tt.in)
		if ok != tt.ok || ok && !reflect.DeepEqual(words, tt.words) {
			t.Errorf("splitWords(%q) = %q, %v; want %q, %v", tt.in, words, ok, tt.words, tt.ok)
		}
	}
}

// TestIgnoreCommandReal runs real programs through the default runner.
func TestIgnoreCommandReal(t *testing.T) {
	for _, p := range []string{"/bin/true", "/bin/false", "/bin/sh"} {
		if _, err := os.Stat(p); err != nil {
			f2btest.Require(t, "%s: %v", p, err)
		}
	}
	dir := t.TempDir()
	seen := filepath.Join(dir, "seen")
	script := filepath.Join(dir, "check")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+seen+"\n[ \"$1\" = 192.0.2.1 ]\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		command string
		ip      string
		ignored bool
	}{
		{"/bin/true <ip>", "192.0.2.1", true},
		{"/bin/false <ip>", "192.0.2.1", false},
		{script + " <ip>", "192.0.2.1", true},
		{script + " <ip>", "192.0.2.2", false},
		{script + " <ip> | cat", "192.0.2.2", true}, // via /bin/sh: the pipeline's status is cat's
		{"/bin/sh -c 'exit 0'", "192.0.2.1", true},
	}
	for _, tt := range tests {
		j, err := New(Config{Name: "t", MaxRetry: 1, FindTime: time.Minute, BanTime: time.Minute, IgnoreCommand: tt.command}, nil, clock.NewFake(t0),
			WithSelfAddrs(func() ([]netip.Addr, error) { return nil, nil }))
		if err != nil {
			t.Fatal(err)
		}
		_, ban, err := j.AddFailure(Failure{IP: tt.ip})
		if err != nil {
			t.Fatalf("%q: %v", tt.command, err)
		}
		if !ban != tt.ignored {
			t.Errorf("%q, %s: ignored %v, want %v", tt.command, tt.ip, !ban, tt.ignored)
		}
	}
	if b, err := os.ReadFile(seen); err != nil || string(b) != "192.0.2.2\n" {
		t.Errorf("script saw %q (%v)", b, err)
	}
	// exit status 2 is an error, the address is not ignored
	j, err := New(Config{Name: "t", MaxRetry: 1, IgnoreCommand: "/bin/sh -c 'exit 2'"}, nil, clock.NewFake(t0),
		WithSelfAddrs(func() ([]netip.Addr, error) { return nil, nil }))
	if err != nil {
		t.Fatal(err)
	}
	if _, ban, err := j.AddFailure(Failure{IP: "192.0.2.1"}); !ban || err == nil {
		t.Errorf("exit 2: ban %v, err %v", ban, err)
	}
	if _, err := exec.LookPath("this-command-does-not-exist"); err == nil {
		t.Skip("unexpected program on PATH")
	}
	j, _ = New(Config{Name: "t", MaxRetry: 1, IgnoreCommand: "this-command-does-not-exist <ip>"}, nil, clock.NewFake(t0),
		WithSelfAddrs(func() ([]netip.Addr, error) { return nil, nil }))
	if _, ban, err := j.AddFailure(Failure{IP: "192.0.2.1"}); !ban || err == nil {
		t.Errorf("missing program: ban %v, err %v", ban, err)
	}
}
