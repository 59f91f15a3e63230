package source

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// eventTimeout bounds each wait for a process or the kernel; tests never
// wait for time to pass.
const eventTimeout = 20 * time.Second

var epoch = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// waitFor waits, up to eventTimeout, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(eventTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// recv returns the next line sent to out, failing after eventTimeout.
func recv(t *testing.T, out <-chan Line) Line {
	t.Helper()
	select {
	case l := <-out:
		return l
	case <-time.After(eventTimeout):
		t.Fatal("timed out waiting for a line")
		return Line{}
	}
}

// logRecorder is a slog handler that keeps the messages it is given.
type logRecorder struct {
	mu   sync.Mutex
	recs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	r.recs = append(r.recs, b.String())
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.recs...)
}

// running starts b.Run in a goroutine; the returned stop cancels it and
// waits for Run to return.
func running(t *testing.T, run func(context.Context, chan<- Line) error, out chan Line) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, out) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(eventTimeout):
			t.Fatal("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}

func newTestCommand(t *testing.T, command string, fc clock.Clock, log *logRecorder) *Command {
	t.Helper()
	cfg := CommandConfig{Command: command, Clock: fc}
	if log != nil {
		cfg.Log = slog.New(log)
	}
	c, err := NewCommand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCommandLines(t *testing.T) {
	fc := clock.NewFake(epoch)
	cmd := `sh -c 'echo a; printf "b\r\n"; printf "no end"'`
	c := newTestCommand(t, cmd, fc, nil)
	out := make(chan Line)
	running(t, c.Run, out)
	for _, want := range []string{"a", "b", "no end"} {
		got := recv(t, out)
		if got.Text != want || got.Source != "command:"+cmd || !got.Time.IsZero() {
			t.Errorf("got %+v, want text %q from %q", got, want, "command:"+cmd)
		}
	}
	waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
	if got := c.Stats(); got.Starts != 1 || got.Restarts != 1 || got.Lines != 3 {
		t.Errorf("Stats = %+v, want 1 start, 1 restart, 3 lines", got)
	}
}

// TestCommandBackoff checks that a command exiting at once is restarted
// after 1s, 2s, 4s... of the clock, and after 1s again once it ran for
// ResetAfter.
func TestCommandBackoff(t *testing.T) {
	dir := t.TempDir()
	up, stop := filepath.Join(dir, "up"), filepath.Join(dir, "stop")
	// Exits at once, unless the file up exists: then it runs until stop does.
	cmd := fmt.Sprintf(`sh -c 'if [ -e %[1]s ]; then echo up; while [ ! -e %[2]s ]; do sleep 0.01; done; fi'`, up, stop)
	fc := clock.NewFake(epoch)
	log := &logRecorder{}
	c := newTestCommand(t, cmd, fc, log)
	out := make(chan Line, 10)
	running(t, c.Run, out)

	// expectDelay checks that the waiting restart timer fires after d and
	// not before; then runs before the restart.
	expectDelay := func(d time.Duration, then ...func()) {
		t.Helper()
		waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
		starts := c.Stats().Starts // stable while the timer waits
		for _, f := range then {
			f()
		}
		fc.Advance(d - time.Millisecond)
		if fc.Timers() != 1 {
			t.Fatalf("restarted before %v", d)
		}
		fc.Advance(time.Millisecond)
		deadline := time.Now().Add(eventTimeout)
		for c.Stats().Starts != starts+1 {
			if time.Now().After(deadline) {
				t.Fatalf("no restart after %v: %+v, %d timers, log %q", d, c.Stats(), fc.Timers(), log.messages())
			}
			time.Sleep(time.Millisecond)
		}
	}
	expectDelay(time.Second)
	expectDelay(2 * time.Second)
	expectDelay(4 * time.Second)
	expectDelay(8 * time.Second)
	expectDelay(16*time.Second, func() {
		if err := os.WriteFile(up, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if got := recv(t, out); got.Text != "up" {
		t.Fatalf("got %q, want up", got.Text)
	}
	fc.Advance(DefaultResetAfter) // it runs a while
	if err := os.WriteFile(stop, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	expectDelay(time.Second)
	if got := c.Stats().Restarts; got < 6 {
		t.Errorf("Restarts = %d, want at least 6", got)
	}
	var restarts int
	for _, m := range log.messages() {
		if strings.HasPrefix(m, "log source process ended; restarting after back-off") {
			restarts++
		}
	}
	if restarts < 6 {
		t.Errorf("%d restart log lines, want at least 6: %q", restarts, log.messages())
	}
}

func TestCommandBackoffMax(t *testing.T) {
	fc := clock.NewFake(epoch)
	c, err := NewCommand(CommandConfig{Command: "true", Clock: fc, Backoff: Backoff{Min: time.Second, Max: 3 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan Line)
	running(t, c.Run, out)
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
		fc.Advance(d - time.Millisecond)
		if fc.Timers() != 1 {
			t.Fatalf("restart %d before %v", i, d)
		}
		fc.Advance(time.Millisecond)
	}
}

// TestCommandStopKillsGroup checks that cancelling Run kills the command
// and what it started.
func TestCommandStopKillsGroup(t *testing.T) {
	c := newTestCommand(t, `sh -c 'sleep 1000 & echo $!; wait'`, clock.NewFake(epoch), nil)
	out := make(chan Line)
	stop := running(t, c.Run, out)
	pid, err := strconv.Atoi(recv(t, out).Text)
	if err != nil {
		t.Fatal(err)
	}
	if !alive(pid) {
		t.Fatalf("sleep %d not running", pid)
	}
	stop()
	waitFor(t, "the child to die", func() bool { return !alive(pid) })
}

// alive reports whether pid is a live process (not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// TestCommandStopWhileBlocked: Run returns when ctx is done while it waits
// to send a line nobody reads.
func TestCommandStopWhileBlocked(t *testing.T) {
	c := newTestCommand(t, `sh -c 'while :; do echo x; done'`, clock.NewFake(epoch), nil)
	out := make(chan Line)
	stop := running(t, c.Run, out)
	recv(t, out)
	stop()
}

func TestCommandLongAndBinaryLines(t *testing.T) {
	fc := clock.NewFake(epoch)
	c, err := NewCommand(CommandConfig{
		Command: `sh -c 'head -c 200000 /dev/zero | tr "\0" x; echo; printf "a\377b\0c\n"; echo ok'`,
		Clock:   fc, MaxLine: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan Line)
	running(t, c.Run, out)
	if got := recv(t, out).Text; got != strings.Repeat("x", 1000) {
		t.Errorf("long line: got %d bytes, want 1000 x", len(got))
	}
	if got, want := recv(t, out).Text, "a\uFFFDb\x00c"; got != want {
		t.Errorf("binary line: got %q, want %q", got, want)
	}
	if got := recv(t, out).Text; got != "ok" {
		t.Errorf("got %q, want ok", got)
	}
	waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
	if got := c.Stats().Truncated; got != 1 {
		t.Errorf("Truncated = %d, want 1", got)
	}
}

func TestCommandStderrBounded(t *testing.T) {
	fc := clock.NewFake(epoch)
	log := &logRecorder{}
	long := strings.Repeat("e", 5000)
	c := newTestCommand(t, `sh -c 'i=0; while [ $i -lt 100 ]; do echo `+long+` >&2; i=$((i+1)); done; echo done'`, fc, log)
	out := make(chan Line)
	running(t, c.Run, out)
	recv(t, out)
	waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
	var logged, summary int
	for _, m := range log.messages() {
		switch {
		case strings.HasPrefix(m, "log source process stderr lines not logged"):
			summary++
			if !strings.Contains(m, "count=90") {
				t.Errorf("summary %q, want count=90", m)
			}
		case strings.HasPrefix(m, "log source process stderr "):
			logged++
			if i := strings.Index(m, " line="); i < 0 || len(m)-i > maxStderrLine+20 {
				t.Errorf("stderr log line %q not cut", m)
			}
		}
	}
	if logged != maxStderrLines || summary != 1 {
		t.Errorf("%d stderr lines logged and %d summaries, want %d and 1", logged, summary, maxStderrLines)
	}
	if got := c.Stats().Stderr; got != 100 {
		t.Errorf("Stats.Stderr = %d, want 100", got)
	}
}

func TestCommandMissingProgram(t *testing.T) {
	fc := clock.NewFake(epoch)
	log := &logRecorder{}
	c := newTestCommand(t, "/nonexistent/program -f", fc, log)
	running(t, c.Run, make(chan Line))
	waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
	if got := c.Stats(); got.Starts != 0 || got.Restarts != 1 {
		t.Errorf("Stats = %+v, want no start and 1 restart", got)
	}
	if m := log.messages(); len(m) == 0 || !strings.Contains(m[0], "/nonexistent/program") {
		t.Errorf("log %q does not name the program", m)
	}
}

func TestNewCommandErrors(t *testing.T) {
	for _, cmd := range []string{"", "  ", `a 'b`} {
		if _, err := NewCommand(CommandConfig{Command: cmd}); err == nil {
			t.Errorf("NewCommand(%q): no error", cmd)
		}
	}
}

func newLogger(r *logRecorder) *slog.Logger { return slog.New(r) }
