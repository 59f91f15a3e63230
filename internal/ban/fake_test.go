package ban

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

var errDown = errors.New("store down")

// fakeStore is an in-memory Store that can fail and block on demand.
type fakeStore struct {
	mu          sync.Mutex
	active      map[key]Ban
	restore     []Ban // what ActiveBans returns (all of it, ended or not)
	addCalls    int
	addSizes    []int
	removeCalls int
	failAdd     bool
	failRemove  bool
	failActive  int           // ActiveBans fails this many times
	gate        chan struct{} // when set, the first AddBans waits for it to close
	inAdd       chan struct{} // receives when an AddBans starts (if set)
	added       chan []Ban    // receives each successful AddBans (if set)
}

func newFakeStore(restore ...Ban) *fakeStore {
	return &fakeStore{active: map[key]Ban{}, restore: restore}
}

func (s *fakeStore) AddBans(bans []Ban) error {
	s.mu.Lock()
	s.addCalls++
	gate, inAdd := s.gate, s.inAdd
	s.gate = nil
	s.mu.Unlock()
	if inAdd != nil {
		inAdd <- struct{}{}
	}
	if gate != nil {
		<-gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAdd {
		return errDown
	}
	s.addSizes = append(s.addSizes, len(bans))
	for _, b := range bans {
		s.active[key{b.Jail, b.IP}] = b
	}
	if s.added != nil {
		s.added <- slices.Clone(bans)
	}
	return nil
}

func (s *fakeStore) RemoveBan(jail, ip string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeCalls++
	if s.failRemove {
		return errDown
	}
	delete(s.active, key{jail, ip})
	return nil
}

func (s *fakeStore) ActiveBans(now time.Time) ([]Ban, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failActive > 0 {
		s.failActive--
		return nil, errDown
	}
	return s.restore, nil
}

func (s *fakeStore) get(jail, ip string) (Ban, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.active[key{jail, ip}]
	return b, ok
}

func (s *fakeStore) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.active)
}

func (s *fakeStore) set(f func(s *fakeStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// fakeAction records its events on a channel; it can fail its first
// attempts, or block until released.
type fakeAction struct {
	name     string
	events   chan Event
	attempts chan Event // every attempt, before its outcome (if set)

	mu    sync.Mutex
	errs  []error // the outcomes of the next attempts (nil: success)
	block chan struct{}
}

func newFakeAction(name string) *fakeAction {
	return &fakeAction{name: name, events: make(chan Event, 20000)}
}

func (a *fakeAction) Name() string { return a.name }

func (a *fakeAction) Handle(ctx context.Context, e Event) error {
	if a.attempts != nil {
		a.attempts <- e
	}
	a.mu.Lock()
	block := a.block
	var err error
	if len(a.errs) > 0 {
		err, a.errs = a.errs[0], a.errs[1:]
	}
	a.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err != nil {
		return err
	}
	a.events <- e
	return nil
}

// batchAction records the sizes of its batches.
type batchAction struct {
	fakeAction
	sizes chan int
}

func (a *batchAction) HandleBatch(ctx context.Context, events []Event) error {
	a.sizes <- len(events)
	for _, e := range events {
		a.events <- e
	}
	return nil
}

// harness runs a Manager on a fake clock until the test ends.
type harness struct {
	m     *Manager
	clk   *clock.Fake
	store *fakeStore
	stop  func() // stops the manager and waits for Run; idempotent
}

func start(t testing.TB, st *fakeStore, actions []Action, opts ...Option) *harness {
	t.Helper()
	clk := clock.NewFake(t0)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m := New(st, clk, log, opts...)
	for _, a := range actions {
		m.Subscribe(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not stop")
		}
	})
	t.Cleanup(stop)
	return &harness{m: m, clk: clk, store: st, stop: stop}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func (h *harness) sync(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.m.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

func (h *harness) ban(t testing.TB, jail, ip string, at time.Time, d time.Duration) {
	t.Helper()
	if err := h.m.Ban(Ban{Jail: jail, IP: ip, Time: at, BanTime: d, Count: 1, Failures: 5}); err != nil {
		t.Fatalf("Ban(%s, %s): %v", jail, ip, err)
	}
}

// next waits for the next event of a, with a bounded timeout.
func next(t testing.TB, a *fakeAction) Event {
	t.Helper()
	select {
	case e := <-a.events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event", a.name)
		return Event{}
	}
}

// expect checks the next events of a, as "kind jail ip".
func expect(t testing.TB, a *fakeAction, want ...string) {
	t.Helper()
	for _, w := range want {
		e := next(t, a)
		if got := fmt.Sprintf("%s %s %s", e.Kind, e.Ban.Jail, e.Ban.IP); got != w {
			t.Fatalf("%s: event %q, want %q", a.name, got, w)
		}
	}
}

// waitFor polls cond, for conditions set by other goroutines (a timer
// being armed), with a bounded timeout; it does not wait for time to pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
