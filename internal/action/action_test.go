package action_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/action"
	"github.com/wardenipd/warden/internal/clock"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// fakeResolver answers from maps, never the network.
type fakeResolver struct {
	names map[string][]string // address -> names
	hosts map[string][]string // name -> addresses
}

func (r fakeResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	if n, ok := r.names[addr]; ok {
		return n, nil
	}
	return nil, errors.New("no such host")
}

func (r fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := r.hosts[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

// env runs actions in a temporary directory; their commands write to the
// file "log" there.
type env struct {
	t   *testing.T
	dir string
}

func newEnv(t *testing.T) *env {
	return &env{t: t, dir: t.TempDir()}
}

func (e *env) options() action.Options {
	return action.Options{
		Dir:      e.dir,
		Clock:    clock.NewFake(t0),
		Hostname: func() (string, error) { return "gate", nil },
		FQDN:     func() (string, error) { return "gate.example.net", nil },
		Resolver: fakeResolver{},
		BanTime:  10 * time.Minute,
	}
}

func (e *env) action(params map[string]any) *action.Action {
	e.t.Helper()
	a, err := action.New("test", params, e.options())
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// log returns the lines written to the log file, and empties it.
func (e *env) log() []string {
	e.t.Helper()
	p := filepath.Join(e.dir, "log")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	os.Remove(p)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func (e *env) wantLog(want ...string) {
	e.t.Helper()
	got := e.log()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		e.t.Errorf("commands ran:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func ticket(ip string) action.Ticket {
	return action.Ticket{IP: ip, Time: t0, BanTime: time.Hour, Count: 2, Failures: 5}
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionstart": "echo start <name> <family> <time> <bantime> '<ip>' >> log",
		"actionban":   "echo ban <ip> <family> <time> <bantime> <bancount> <failures> <restored> <ip-rev> <fid> >> log",
		"actionunban": "echo unban <ip> >> log",
		"actionstop":  "echo stop <name> >> log",
		"name":        "sshd",
	})
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e.wantLog("start sshd 1796119200.0 600 ")
	if err := a.Ban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	v6 := ticket("2001:db8::1")
	v6.BanTime, v6.Restored, v6.Time = -1, true, t0.Add(1500*time.Millisecond)
	if err := a.Ban(ctx, v6); err != nil {
		t.Fatal(err)
	}
	e.wantLog("ban 192.0.2.1 inet4 1796119200.0 3600 2 5 0 1.2.0.192. 192.0.2.1",
		"ban 2001:db8::1 inet6 1796119201.5 -1 2 5 1 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2. 2001:db8::1")
	if err := a.Unban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// One stop: the start's family "" and the bans' inet4 and inet6 have
	// the same command, which fail2ban runs once.
	e.wantLog("unban 192.0.2.1", "stop sshd")
}

// TestConditionalFamilies is an iptables-like action: [Init?family=inet6]
// values, started on demand per family, stopped for each.
func TestConditionalFamilies(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionstart":              "echo start <iptables> <family> >> log",
		"actionban":                "echo <iptables> -I f2b-<name> -s <ip> -j <blocktype> >> log",
		"actionunban":              "echo <iptables> -D f2b-<name> -s <ip> -j <blocktype> >> log",
		"actionstop":               "echo stop <iptables> >> log",
		"iptables":                 "iptables <lockingopt>",
		"iptables?family=inet6":    "ip6tables <lockingopt>",
		"lockingopt":               "-w",
		"blocktype":                "REJECT --reject-with icmp-port-unreachable",
		"blocktype?family=inet6":   "REJECT --reject-with icmp6-port-unreachable",
		"name":                     "sshd",
		"norestored":               true,
		"actionrepair_on_unban":    "no",
		"some-number-param":        int64(3),
		"some-float-param":         1.5,
		"some-other-bool-param":    false,
		"conditional?family=bogus": "x",
	})
	if !a.NoRestored() {
		t.Error("norestored = true not seen")
	}
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e.wantLog() // on demand
	if err := a.Unban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	e.wantLog() // nothing banned
	for _, ip := range []string{"192.0.2.1", "2001:db8::1", "192.0.2.2"} {
		if err := a.Ban(ctx, ticket(ip)); err != nil {
			t.Fatal(err)
		}
	}
	e.wantLog("start iptables -w inet4",
		"iptables -w -I f2b-sshd -s 192.0.2.1 -j REJECT --reject-with icmp-port-unreachable",
		"start ip6tables -w inet6",
		"ip6tables -w -I f2b-sshd -s 2001:db8::1 -j REJECT --reject-with icmp6-port-unreachable",
		"iptables -w -I f2b-sshd -s 192.0.2.2 -j REJECT --reject-with icmp-port-unreachable")
	if err := a.Unban(ctx, ticket("2001:db8::1")); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	e.wantLog("ip6tables -w -D f2b-sshd -s 2001:db8::1 -j REJECT --reject-with icmp6-port-unreachable",
		"stop iptables -w", "stop ip6tables -w")
	// Stopped: a new ban starts its family again.
	if err := a.Ban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	e.wantLog("start iptables -w inet4",
		"iptables -w -I f2b-sshd -s 192.0.2.1 -j REJECT --reject-with icmp-port-unreachable")
}

// TestStartBothFamilies: an action with conditional values that is not
// started on demand starts both families at once, and a command the same
// for both runs once.
func TestStartBothFamilies(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionstart":           "echo start <x> >> log; echo common >> log",
		"actionstop":            "echo stop >> log",
		"x":                     "four",
		"x?family=inet6":        "six",
		"actionstart_on_demand": false,
	})
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e.wantLog("start four", "common", "start six", "common")
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	e.wantLog("stop")
}

func TestFlush(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionban":   "echo ban <ip> >> log",
		"actionunban": "echo unban <ip> >> log",
		"actionflush": "echo flush <family> >> log",
	})
	if !a.HasFlush() || a.Prolongable() {
		t.Fatal("HasFlush or Prolongable wrong")
	}
	ctx := context.Background()
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	e.wantLog() // nothing banned
	a.Ban(ctx, ticket("192.0.2.1"))
	a.Ban(ctx, ticket("2001:db8::1"))
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Flushed: an unban has nothing to remove.
	if err := a.Unban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	e.wantLog("ban 192.0.2.1", "ban 2001:db8::1", "flush inet4", "flush inet6")
}

func TestProlongAndReban(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{"actionban": "echo ban <ip> >> log"})
	ctx := context.Background()
	if err := a.Prolong(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	if err := a.Reban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	e.wantLog("ban 192.0.2.1")
	a = e.action(map[string]any{
		"actionban":     "echo ban <ip> >> log",
		"actionreban":   "echo reban <ip> >> log",
		"actionprolong": "echo prolong <ip> <bantime> >> log",
	})
	pt := ticket("192.0.2.1")
	pt.BanTime = 2 * time.Hour
	if err := a.Prolong(ctx, pt); err != nil {
		t.Fatal(err)
	}
	if err := a.Reban(ctx, pt); err != nil {
		t.Fatal(err)
	}
	e.wantLog("prolong 192.0.2.1 7200", "reban 192.0.2.1")
}

// TestFailedCommandRunsAgain: without actioncheck a failed command is run
// a second time, as fail2ban does; the error of the second run is
// returned.
func TestFailedCommandRunsAgain(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{"actionban": "echo try >> log; echo oops >&2; exit 3"})
	err := a.Ban(context.Background(), ticket("192.0.2.1"))
	var ce *action.CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 || ce.Op != "actionban" || ce.Family != "inet4" || !strings.Contains(ce.Stderr, "oops") {
		t.Fatalf("err = %#v (%v)", ce, err)
	}
	e.wantLog("try", "try")
}

// TestCheckAndRepair: a failed ban runs actioncheck; when that fails,
// actionrepair, then the check again and the ban again.
func TestCheckAndRepair(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionban":    "echo ban >> log; test -e repaired",
		"actioncheck":  "echo check >> log; test -e repaired",
		"actionrepair": "echo repair <family> >> log; touch repaired",
		"actionunban":  "echo unban >> log; false",
	})
	ctx := context.Background()
	if err := a.Ban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	e.wantLog("ban", "check", "repair inet4", "check", "ban")
	if n, _ := a.Epoch(ctx); n != 1 {
		t.Errorf("epoch = %d, want 1", n)
	}
	// Unban: the check passes, the unban runs again and fails again.
	if err := a.Unban(ctx, ticket("192.0.2.1")); err == nil {
		t.Error("unban succeeded")
	}
	e.wantLog("unban", "check", "unban")
	// With the environment broken, an unban is not repaired.
	os.Remove(filepath.Join(e.dir, "repaired"))
	if err := a.Unban(ctx, ticket("192.0.2.1")); err == nil {
		t.Error("unban succeeded")
	}
	e.wantLog("unban", "check")
	// Check repairs the started families.
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	e.wantLog("check", "repair inet4", "check")
}

// TestCheckRestart: without actionrepair a failed check stops and starts
// the family again.
func TestCheckRestart(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionstart":    "echo start <family> >> log; touch ok",
		"actionstop":     "echo stop <family> >> log; rm -f ok",
		"actionban":      "echo ban >> log; test -e ok",
		"actioncheck":    "echo check >> log; test -e ok",
		"x?family=inet6": "y", // started on demand, per family
	})
	ctx := context.Background()
	if err := a.Ban(ctx, ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(e.dir, "ok"))
	if err := a.Ban(ctx, ticket("192.0.2.2")); err != nil {
		t.Fatal(err)
	}
	e.wantLog("start inet4", "ban", "ban", "check", "stop inet4", "start inet4", "check", "ban")
}

func TestStartFailure(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionstart":    "echo start >> log; exit 1",
		"actionban":      "echo ban >> log",
		"x?family=inet6": "y",
	})
	ctx := context.Background()
	if err := a.Ban(ctx, ticket("192.0.2.1")); err == nil {
		t.Fatal("ban after a failed start succeeded")
	}
	e.wantLog("start")
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionban": "sleep 30 & echo $! > child; echo started >> log; sleep 30",
		"timeout":   "0.3",
	})
	start := time.Now()
	err := a.Ban(context.Background(), ticket("192.0.2.1"))
	if !errors.Is(err, action.ErrTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("ban took %s", d)
	}
	// Run twice (the retry), each killed.
	e.wantLog("started", "started")
	b, err := os.ReadFile(filepath.Join(e.dir, "child"))
	if err != nil {
		t.Fatal(err)
	}
	waitGone(t, strings.TrimSpace(string(b)))
}

func TestCancelKillsProcessGroup(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{"actionban": "sleep 30 & echo $! > child; echo started >> log; sleep 30"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Ban(ctx, ticket("192.0.2.1")) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := os.ReadFile(filepath.Join(e.dir, "log")); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ban not cancelled")
	}
	e.wantLog("started") // not run again once cancelled
	b, _ := os.ReadFile(filepath.Join(e.dir, "child"))
	waitGone(t, strings.TrimSpace(string(b)))
}

// waitGone waits until process pid has ended (or is a zombie no one has
// reaped yet).
func waitGone(t *testing.T, pid string) {
	t.Helper()
	if pid == "" {
		t.Fatal("no pid")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return
		}
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %s of the action's group still runs: %s", pid, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBadTicket(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{"actionban": "echo ban >> log"})
	for _, ip := range []string{"", "host.example", "1.2.3.4; id", "1.2.3.4/99", "fe80::1%eth0", "fe80::1%$(id>pwned)", "::ffff:1.2.3.0/24"} {
		if err := a.Ban(context.Background(), ticket(ip)); !errors.Is(err, action.ErrBadTicket) {
			t.Errorf("Ban(%q) = %v, want ErrBadTicket", ip, err)
		}
	}
	e.wantLog()
}

func TestRecursiveTags(t *testing.T) {
	for _, p := range []map[string]any{
		{"actionban": "<a>", "a": "<b>", "b": "<a>"},
		{"actionban": "<a>", "a": "x<a>"},
		{"actionban": "<actionban>"},
	} {
		if _, err := action.New("test", p, action.Options{}); !errors.Is(err, action.ErrRecursion) {
			t.Errorf("New(%v) = %v, want ErrRecursion", p, err)
		}
	}
	if _, err := action.New("test", map[string]any{"timeout": "soon"}, action.Options{}); err == nil {
		t.Error("timeout 'soon' accepted")
	}
}

type fakeHistory map[string]action.Merged

func (h fakeHistory) Merged(_ context.Context, ip, jail string) (action.Merged, error) {
	m, ok := h[ip+"/"+jail]
	if !ok {
		return action.Merged{}, errors.New("not recorded")
	}
	return m, nil
}

func TestTicketTags(t *testing.T) {
	e := newEnv(t)
	opts := e.options()
	opts.Resolver = fakeResolver{names: map[string][]string{"192.0.2.1": {"evil.example.", "other"}}}
	opts.History = fakeHistory{
		"192.0.2.1/":     {Matches: []string{"m1", "m2", "m3"}, Failures: 12},
		"192.0.2.1/sshd": {Matches: []string{"m1", "m2"}, Failures: 7},
	}
	opts.Jail = "sshd"
	a, err := action.New("test", map[string]any{
		"actionban": `printf '%s|' <sh-hostname> <fq-hostname> "<ip-host>" "<ipmatches>" <ipfailures> "<ipjailmatches>" <ipjailfailures> "<matches>" "<F-USER>" "[<F-MISSING>]" "<F-PORT>" "<F-ID>" "a<sp>b<br>c" >> log; echo >> log`,
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tk := ticket("192.0.2.1")
	tk.Matches = []string{"line one", "line two"}
	tk.Fields = map[string]string{"user": "root", "fport": "22", "fid": "raw-id"}
	if err := a.Ban(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	e.wantLog("gate|gate.example.net|evil.example|m1", "m2", "m3|12|m1", "m2|7|line one", "line two|root|[]|22|raw-id|a b", "c|")
	// Unknown address and history: fail2ban's None, and the ticket's own.
	tk.IP = "192.0.2.9"
	if err := a.Ban(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	e.wantLog("gate|gate.example.net|None|line one", "line two|5|line one", "line two|5|line one", "line two|root|[]|22|raw-id|a b", "c|")
}

func TestTicketAddressForms(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{"actionban": "echo <ip> <family> <fid> >> log"})
	for _, ip := range []string{"2001:DB8::1", "::ffff:192.0.2.1", "2001:db8::/64", "::ffff:192.0.2.0/120", "192.0.2.0/24"} {
		if err := a.Ban(context.Background(), ticket(ip)); err != nil {
			t.Fatal(err)
		}
	}
	e.wantLog("2001:db8::1 inet6 2001:db8::1", "192.0.2.1 inet4 192.0.2.1", "2001:db8::/64 inet6 2001:db8::/64",
		"192.0.2.0/24 inet4 192.0.2.0/24", "192.0.2.0/24 inet4 192.0.2.0/24")
}

// TestConcurrentUse: operations from several goroutines run one at a
// time (each command appends its two lines together) and all run.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionban":   "echo begin <ip> >> log; echo end <ip> >> log",
		"actionunban": "echo begin un <ip> >> log; echo end un <ip> >> log",
	})
	ctx := context.Background()
	errs := make(chan error, 16)
	for i := range 8 {
		go func() {
			ip := "192.0.2." + strconv.Itoa(i+1)
			err := a.Ban(ctx, ticket(ip))
			if err == nil {
				err = a.Unban(ctx, ticket(ip))
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	lines := e.log()
	if len(lines) != 32 {
		t.Fatalf("%d lines, want 32:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i := 0; i < len(lines); i += 2 {
		if strings.TrimPrefix(lines[i], "begin ") != strings.TrimPrefix(lines[i+1], "end ") {
			t.Errorf("interleaved: %q then %q", lines[i], lines[i+1])
		}
	}
}

// TestLockHonoursContext: an operation waiting for a long one gives up
// when its context ends.
func TestLockHonoursContext(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{"actionban": "echo started >> log; sleep 30", "timeout": "5"})
	long, cancelLong := context.WithCancel(context.Background())
	defer cancelLong()
	done := make(chan error, 1)
	go func() { done <- a.Ban(long, ticket("192.0.2.1")) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, _ := os.ReadFile(filepath.Join(e.dir, "log")); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first ban did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := a.Ban(short, ticket("192.0.2.2")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting ban: %v, want DeadlineExceeded", err)
	}
	cancelLong()
	<-done
}

// TestTimeoutShellExitsOnTerm: a command whose shell exits 0 on SIGTERM
// still fails as timed out, and its children, which ignore SIGTERM, are
// killed.
func TestTimeoutShellExitsOnTerm(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionban": "trap 'exit 0' TERM; (trap '' TERM; sleep 30) >/dev/null 2>&1 & echo $! >> children; wait",
		"timeout":   "0.2",
	})
	done := make(chan error, 1)
	go func() { done <- a.Ban(context.Background(), ticket("192.0.2.1")) }()
	select {
	case err := <-done:
		if !errors.Is(err, action.ErrTimeout) {
			t.Fatalf("err = %v, want a timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the ban did not return")
	}
	b, _ := os.ReadFile(filepath.Join(e.dir, "children"))
	pids := strings.Fields(string(b))
	if len(pids) != 2 {
		t.Fatalf("children %q, want two runs", pids)
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

// TestNoRestored: a norestored action ignores restored tickets, and then
// has nothing to unban.
func TestNoRestored(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{
		"actionban":     "echo ban <ip> <restored> >> log",
		"actionprolong": "echo prolong <ip> >> log",
		"actionunban":   "echo unban <ip> >> log",
		"norestored":    "yes",
	})
	ctx := context.Background()
	tk := ticket("192.0.2.1")
	tk.Restored = true
	for _, op := range []func(context.Context, action.Ticket) error{a.Ban, a.Prolong, a.Unban} {
		if err := op(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	e.wantLog()
	tk.Restored = false
	for _, op := range []func(context.Context, action.Ticket) error{a.Ban, a.Prolong, a.Unban} {
		if err := op(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	e.wantLog("ban 192.0.2.1 0", "prolong 192.0.2.1", "unban 192.0.2.1")
}

// TestLongValue: matches longer than an environment string may be are
// cut to MaxValue bytes, and the action runs.
func TestLongValue(t *testing.T) {
	e := newEnv(t)
	a := e.action(map[string]any{"actionban": `printf '%s' "<matches>" | wc -c >> log`})
	tk := ticket("192.0.2.1")
	tk.Matches = []string{strings.Repeat("x", 150_000), strings.Repeat("y", 150_000)}
	if err := a.Ban(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	e.wantLog(strconv.Itoa(action.MaxValue))
}

type fakeStats struct{}

func (fakeStats) JailStats(context.Context) (action.Stats, error) {
	return action.Stats{Banned: 1, BannedTotal: 2, Found: 3, FoundTotal: 4}, nil
}

func TestJailStats(t *testing.T) {
	e := newEnv(t)
	cmd := map[string]any{"actionban": `echo "<jail.banned> <jail.banned_total> <jail.found> <jail.found_total>" >> log`}
	if err := e.action(cmd).Ban(context.Background(), ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	opts := e.options()
	opts.Stats = fakeStats{}
	a, err := action.New("stats", cmd, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Ban(context.Background(), ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	e.wantLog("<jail.banned> <jail.banned_total> <jail.found> <jail.found_total>", "1 2 3 4")
}

// TestBackgroundProcess: a command that leaves a process in the
// background holding its output succeeds once the shell has exited.
func TestBackgroundProcess(t *testing.T) {
	e := newEnv(t)
	opts := e.options()
	opts.KillGrace = 100 * time.Millisecond
	a, err := action.New("bg", map[string]any{"actionban": "sleep 60 & echo $! > child; echo ok >> log"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Ban(context.Background(), ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	// The ban returned while its background process still runs: it did
	// not wait for it (whatever the machine's speed).
	e.wantLog("ok")
	b, _ := os.ReadFile(filepath.Join(e.dir, "child"))
	pid := strings.TrimSpace(string(b))
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatalf("child pid %q: %v", pid, err)
	}
	if err := syscall.Kill(n, 0); err != nil {
		t.Errorf("the background process is gone when the ban returns: the ban waited for it (%v)", err)
	}
	_ = syscall.Kill(n, syscall.SIGKILL)
	waitGone(t, pid)
}

// TestHostnameSanitised: a host name with shell syntax (a hostile
// resolver's answer) loses those bytes before it is written into the
// script.
func TestHostnameSanitised(t *testing.T) {
	e := newEnv(t)
	opts := e.options()
	opts.FQDN = func() (string, error) { return "gate.$(id>pwned).example", nil }
	opts.Hostname = func() (string, error) { return "gate;id>pwned", nil }
	a, err := action.New("host", map[string]any{"actionban": "echo <fq-hostname> <sh-hostname> >> log"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Ban(context.Background(), ticket("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	e.wantLog("gate.idpwned.example gateidpwned")
}
