package source_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/source"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait for an event from the kernel or a goroutine.
const wait = 10 * time.Second

const poll = time.Second

var modes = []source.Mode{source.ModeInotify, source.ModePolling}

// eachMode runs f as a subtest per Mode.
func eachMode(t *testing.T, f func(t *testing.T, mode source.Mode)) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) { f(t, m) })
	}
}

// positions is an in-memory source.Positions.
type positions struct {
	mu   sync.Mutex
	m    map[string]saved
	sets int
}

type saved struct {
	pos int64
	fp  string
}

var _ source.Positions = (*positions)(nil)

func newPositions() *positions { return &positions{m: map[string]saved{}} }

func (p *positions) Position(path string) (int64, string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.m[path]
	return s.pos, s.fp, ok, nil
}

func (p *positions) SetPosition(path string, pos int64, fp string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[path] = saved{pos, fp}
	p.sets++
	return nil
}

func (p *positions) get(path string) (saved, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.m[path]
	return s, ok
}

// harness runs Files on a fake clock.
type harness struct {
	t      testing.TB
	mode   source.Mode
	clk    *clock.Fake
	files  *source.Files
	lines  chan source.Line
	cancel context.CancelFunc
	done   chan error
	err    error
	ended  bool
}

func start(t testing.TB, mode source.Mode, cfg source.FileConfig) *harness {
	t.Helper()
	h := &harness{t: t, mode: mode, clk: clock.NewFake(time.Unix(1_700_000_000, 0)),
		lines: make(chan source.Line, 1<<17), done: make(chan error, 1)}
	cfg.Mode, cfg.Clock, cfg.PollInterval = mode, h.clk, poll
	f, err := source.NewFiles(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.files = f
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- f.Run(ctx, h.lines) }()
	t.Cleanup(h.stop)
	h.idle() // the first scan is done when the poll timer is set
	return h
}

// idle waits until Run waits on its poll timer: a scan is over.
func (h *harness) idle() {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for h.clk.Timers() == 0 {
		if time.Now().After(deadline) {
			h.t.Fatal("Run never set its poll timer")
		}
		runtime.Gosched()
		time.Sleep(50 * time.Microsecond)
	}
}

// tick makes Run look at every file once, and waits until it is done.
func (h *harness) tick() {
	h.t.Helper()
	h.idle()
	h.clk.Advance(poll)
	h.idle()
}

// changed is called after the files changed: polling needs a tick;
// inotify sees the change by itself.
func (h *harness) changed() {
	h.t.Helper()
	if h.mode == source.ModePolling {
		h.tick()
	}
}

// expect receives the next lines and checks their texts.
func (h *harness) expect(want ...string) []source.Line {
	h.t.Helper()
	h.changed()
	got := h.take(len(want))
	var texts []string
	for _, l := range got {
		texts = append(texts, l.Text)
	}
	if !slices.Equal(texts, want) {
		h.t.Fatalf("lines:\n got %q\nwant %q", texts, want)
	}
	return got
}

func (h *harness) take(n int) []source.Line {
	h.t.Helper()
	var got []source.Line
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for len(got) < n {
		select {
		case l := <-h.lines:
			got = append(got, l)
		case <-timeout.C:
			h.t.Fatalf("got %d lines of %d: %q", len(got), n, got)
		}
	}
	return got
}

// end writes a last line to path and checks that it is the next line:
// no other line came before it.
func (h *harness) end(path string) {
	h.t.Helper()
	appendFile(h.t, path, "END\n")
	h.expect("END")
	if len(h.lines) != 0 {
		h.t.Fatalf("%d more lines", len(h.lines))
	}
}

// stop ends Run and checks it returned nil.
func (h *harness) stop() {
	if h.ended {
		return
	}
	h.ended = true
	h.cancel()
	select {
	case h.err = <-h.done:
	case <-time.After(wait):
		h.t.Fatal("Run did not return")
	}
	if h.err != nil {
		h.t.Errorf("Run: %v", h.err)
	}
}

func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func logPath(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name)
}
