package ban

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const hour = time.Hour

func TestRestoreEmitsRestoreNotBan(t *testing.T) {
	st := newFakeStore(
		Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0.Add(-30 * time.Minute), BanTime: hour, Count: 1, Matches: []string{"line"}},
		Ban{Jail: "sshd", IP: "192.0.2.2", Time: t0.Add(-48 * hour), BanTime: -1, Count: 3},
		Ban{Jail: "sshd", IP: "192.0.2.3", Time: t0.Add(-2 * hour), BanTime: hour}, // ended: skipped
		Ban{Jail: "sshd", IP: "not an address", Time: t0, BanTime: hour},           // corrupt: skipped
	)
	a := newFakeAction("firewall")
	h := start(t, st, []Action{a})
	e := next(t, a)
	if e.Kind != KindRestore || e.Ban.IP != "192.0.2.1" || len(e.Ban.Matches) != 1 {
		t.Fatalf("first event %+v, want a restore of 192.0.2.1 with its matches", e)
	}
	expect(t, a, "restore sshd 192.0.2.2")
	h.sync(t)
	if st.addCalls != 0 {
		t.Errorf("restore wrote %d times to the store, want 0", st.addCalls)
	}
	if got, want := h.m.JailStats("sshd"), (JailStats{Banned: 2, Total: 2}); got != want {
		t.Errorf("JailStats = %+v, want %+v", got, want)
	}
	if !h.m.Stats().Restored {
		t.Error("Stats().Restored = false")
	}
	// The restored ban ends on time, and leaves the store.
	h.clk.Advance(30 * time.Minute)
	expect(t, a, "unban sshd 192.0.2.1")
	h.sync(t)
	if st.removeCalls != 1 {
		t.Errorf("RemoveBan calls = %d, want 1", st.removeCalls)
	}
	if got := h.m.Banned("sshd"); len(got) != 1 || got[0].IP != "192.0.2.2" {
		t.Errorf("Banned = %+v", got)
	}
}

func TestExpiryOnTimeInOrder(t *testing.T) {
	a := newFakeAction("firewall")
	h := start(t, newFakeStore(), []Action{a})
	h.ban(t, "sshd", "192.0.2.1", t0, hour)
	h.ban(t, "sshd", "192.0.2.2", t0, 30*time.Minute)
	h.ban(t, "sshd", "192.0.2.3", t0, 2*hour)
	h.ban(t, "web", "192.0.2.4", t0, 90*time.Minute)
	h.ban(t, "sshd", "192.0.2.99", t0, -1) // a sentinel for ordering
	expect(t, a, "ban sshd 192.0.2.1", "ban sshd 192.0.2.2", "ban sshd 192.0.2.3", "ban web 192.0.2.4", "ban sshd 192.0.2.99")
	h.sync(t)
	if h.store.size() != 5 {
		t.Fatalf("store has %d bans, want 5", h.store.size())
	}

	// Not a nanosecond early.
	h.clk.Advance(30*time.Minute - 1)
	h.sync(t)
	if err := h.m.Unban("sshd", "192.0.2.99"); err != nil {
		t.Fatal(err)
	}
	expect(t, a, "unban sshd 192.0.2.99")
	// On time, through the timer alone.
	h.clk.Advance(1)
	expect(t, a, "unban sshd 192.0.2.2")
	// Several at once come out in order of their ends.
	h.clk.Advance(3 * hour)
	expect(t, a, "unban sshd 192.0.2.1", "unban web 192.0.2.4", "unban sshd 192.0.2.3")
	h.sync(t)
	if n := h.store.size(); n != 0 {
		t.Errorf("store keeps %d active bans after expiry", n)
	}
	if got, want := h.m.JailStats("sshd"), (JailStats{Banned: 0, Total: 4}); got != want {
		t.Errorf("JailStats = %+v, want %+v", got, want)
	}
	if h.clk.Timers() != 0 {
		t.Errorf("%d timers left with no ban", h.clk.Timers())
	}
}

func TestPermanentBansNeverExpire(t *testing.T) {
	a := newFakeAction("firewall")
	h := start(t, newFakeStore(), []Action{a})
	h.ban(t, "sshd", "2001:db8::1", t0, -1)
	h.ban(t, "sshd", "192.0.2.1", t0, hour)
	expect(t, a, "ban sshd 2001:db8::1", "ban sshd 192.0.2.1")
	h.clk.Advance(100 * 365 * 24 * hour)
	expect(t, a, "unban sshd 192.0.2.1")
	h.sync(t)
	got := h.m.Banned("")
	if len(got) != 1 || got[0].IP != "2001:db8::1" || !got[0].Permanent() || !got[0].End().IsZero() {
		t.Fatalf("Banned = %+v, want the permanent ban only", got)
	}
	if h.clk.Timers() != 0 {
		t.Errorf("a permanent ban keeps %d timers", h.clk.Timers())
	}
}

func TestRebanExtends(t *testing.T) {
	a := newFakeAction("firewall")
	h := start(t, newFakeStore(), []Action{a})
	h.ban(t, "sshd", "192.0.2.1", t0, hour)
	expect(t, a, "ban sshd 192.0.2.1")

	h.clk.Advance(30 * time.Minute)
	if err := h.m.Ban(Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0.Add(30 * time.Minute), BanTime: hour, Count: 2, Failures: 7, Matches: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	e := next(t, a)
	if e.Kind != KindProlong || !e.Ban.Time.Equal(t0) || e.Ban.BanTime != 90*time.Minute || e.Ban.Count != 2 || e.Ban.Failures != 7 {
		t.Fatalf("re-ban event %+v, want a prolong from t0 for 90m with the new count", e)
	}
	h.sync(t)
	if b, ok := h.store.get("sshd", "192.0.2.1"); !ok || !b.End().Equal(t0.Add(90*time.Minute)) {
		t.Errorf("store has %+v (%v), want the prolonged ban", b, ok)
	}
	// A ban that ends sooner changes nothing.
	h.ban(t, "sshd", "192.0.2.1", t0.Add(30*time.Minute), 10*time.Minute)
	if got, want := h.m.JailStats("sshd"), (JailStats{Banned: 1, Total: 1}); got != want {
		t.Errorf("JailStats = %+v, want %+v (a prolong is not a new ban)", got, want)
	}

	h.clk.Advance(30 * time.Minute) // the first ban's end
	h.sync(t)
	h.ban(t, "sshd", "192.0.2.99", time.Time{}, -1)
	expect(t, a, "ban sshd 192.0.2.99") // no unban before it
	h.clk.Advance(30 * time.Minute)
	expect(t, a, "unban sshd 192.0.2.1")

	// Prolonged to permanent, it stays.
	h.ban(t, "sshd", "192.0.2.5", time.Time{}, hour)
	h.ban(t, "sshd", "192.0.2.5", time.Time{}, -1)
	expect(t, a, "ban sshd 192.0.2.5", "prolong sshd 192.0.2.5")
	h.clk.Advance(10 * hour)
	h.sync(t)
	if err := h.m.Unban("sshd", "192.0.2.99"); err != nil {
		t.Fatal(err)
	}
	expect(t, a, "unban sshd 192.0.2.99")
	if got := h.m.Banned("sshd"); len(got) != 1 || got[0].IP != "192.0.2.5" || !got[0].Permanent() {
		t.Errorf("Banned = %+v", got)
	}
}

func TestUnbanAndUnbanAll(t *testing.T) {
	a := newFakeAction("firewall")
	h := start(t, newFakeStore(), []Action{a})
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		h.ban(t, "sshd", ip, t0, hour)
	}
	h.ban(t, "web", "192.0.2.1", t0, hour)
	h.ban(t, "web", "192.0.2.9", t0, -1)
	for range 5 {
		next(t, a)
	}
	if err := h.m.Unban("", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	expect(t, a, "unban sshd 192.0.2.1", "unban web 192.0.2.1")
	if err := h.m.Unban("sshd", "192.0.2.9"); !errors.Is(err, ErrNotBanned) {
		t.Errorf("Unban of an address banned elsewhere: %v, want ErrNotBanned", err)
	}
	if err := h.m.Unban("", "nonsense"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Unban of nonsense: %v, want ErrInvalid", err)
	}
	if n, err := h.m.UnbanAll("sshd"); n != 2 || err != nil {
		t.Errorf("UnbanAll(sshd) = %d, %v", n, err)
	}
	expect(t, a, "unban sshd 192.0.2.2", "unban sshd 192.0.2.3")
	if n, err := h.m.UnbanAll(""); n != 1 || err != nil {
		t.Errorf("UnbanAll() = %d, %v", n, err)
	}
	expect(t, a, "unban web 192.0.2.9")
	h.sync(t)
	if len(h.m.Banned("")) != 0 || h.store.size() != 0 {
		t.Errorf("bans left: memory %d, store %d", len(h.m.Banned("")), h.store.size())
	}
	s := h.m.Stats()
	if s.Jails["sshd"] != (JailStats{Banned: 0, Total: 3}) || s.Jails["web"] != (JailStats{Banned: 0, Total: 2}) {
		t.Errorf("Stats().Jails = %+v", s.Jails)
	}
	// An expiry after an unban does nothing.
	h.clk.Advance(2 * hour)
	h.sync(t)
	h.ban(t, "sshd", "192.0.2.99", time.Time{}, -1)
	expect(t, a, "ban sshd 192.0.2.99")
}

func TestBanValidation(t *testing.T) {
	h := start(t, newFakeStore(), nil)
	for _, c := range []struct {
		b    Ban
		want error
	}{
		{Ban{Jail: "sshd", IP: "192.0.2.1; rm -rf /", BanTime: hour}, ErrInvalid},
		{Ban{Jail: "sshd", IP: "", BanTime: hour}, ErrInvalid},
		{Ban{IP: "192.0.2.1", BanTime: hour}, ErrInvalid},
		{Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0.Add(-2 * hour), BanTime: hour}, ErrExpired},
		{Ban{Jail: "sshd", IP: "192.0.2.1", BanTime: 0}, ErrExpired},
	} {
		if err := h.m.Ban(c.b); !errors.Is(err, c.want) {
			t.Errorf("Ban(%+v) = %v, want %v", c.b, err, c.want)
		}
	}
	h.ban(t, "sshd", "2001:DB8:0::0:1", time.Time{}, hour)
	h.ban(t, "sshd", "2001:db8:1::5/48", time.Time{}, hour)
	var ips []string
	for _, b := range h.m.Banned("sshd") {
		ips = append(ips, b.IP)
		if !b.Time.Equal(t0) {
			t.Errorf("a ban without time started at %v, want now", b.Time)
		}
	}
	if fmt.Sprint(ips) != "[2001:db8:1::/48 2001:db8::1]" {
		t.Errorf("banned %v, want canonical forms", ips)
	}
	if err := h.m.Unban("sshd", "2001:db8::0001"); err != nil {
		t.Errorf("Unban of a non-canonical form: %v", err)
	}
}

func TestFailingActionRetriedWithoutBlockingOthers(t *testing.T) {
	slow := newFakeAction("mail")
	slow.errs = []error{errors.New("down"), errors.New("down")}
	slow.attempts = make(chan Event, 10)
	fast := newFakeAction("firewall")
	h := start(t, newFakeStore(), []Action{slow, fast})
	// Permanent bans: the only timers are the retries'.
	h.ban(t, "sshd", "192.0.2.1", t0, -1)
	h.ban(t, "sshd", "192.0.2.2", t0, -1)
	expect(t, fast, "ban sshd 192.0.2.1", "ban sshd 192.0.2.2")

	for i, wait := range []time.Duration{time.Second, 2 * time.Second} {
		if e := <-slow.attempts; e.Ban.IP != "192.0.2.1" {
			t.Fatalf("attempt %d on %s", i+1, e.Ban.IP)
		}
		waitFor(t, "the retry timer", func() bool { return h.clk.Timers() == 1 })
		if s := h.m.Stats().Actions[0]; s.Errors != uint64(i+1) || s.Queued != 2 {
			t.Errorf("after %d failures: %+v", i+1, s)
		}
		h.clk.Advance(wait - 1)
		select {
		case <-slow.attempts:
			t.Fatal("retried before its back-off")
		default:
		}
		h.clk.Advance(1)
	}
	expect(t, slow, "ban sshd 192.0.2.1", "ban sshd 192.0.2.2")
	want := []ActionStats{{Name: "mail", Handled: 2, Errors: 2, LastError: "down"}, {Name: "firewall", Handled: 2}}
	waitFor(t, "the stats", func() bool { return slices.Equal(untimed(h.m.Stats().Actions), want) })
}

func TestActionGivesUp(t *testing.T) {
	a := newFakeAction("shell")
	a.errs = []error{Permanent(errors.New("bad config")), errors.New("down"), errors.New("down")}
	h := start(t, newFakeStore(), []Action{a}, WithMaxAttempts(2))
	h.ban(t, "sshd", "192.0.2.1", t0, -1) // a permanent error: given up at once
	h.ban(t, "sshd", "192.0.2.2", t0, -1) // fails twice: given up
	h.ban(t, "sshd", "192.0.2.3", t0, -1)
	waitFor(t, "the retry timer", func() bool { return h.clk.Timers() == 1 })
	if got := h.m.Stats().Actions[0]; got.Failed != 1 || got.Errors != 2 {
		t.Errorf("after two failures: %+v", got)
	}
	h.clk.Advance(time.Second)
	expect(t, a, "ban sshd 192.0.2.3")
	want := ActionStats{Name: "shell", Handled: 1, Errors: 3, Failed: 2, LastError: "down"}
	waitFor(t, "the stats", func() bool { return untimed(h.m.Stats().Actions)[0] == want })
	if at := h.m.Stats().Actions[0].LastErrorTime; at.Before(t0) || at.After(t0.Add(time.Second)) {
		t.Errorf("last error time %v, want the fake clock's", at)
	}
}

func TestActionPanicIsAnError(t *testing.T) {
	a := &panicAction{}
	b := newFakeAction("firewall")
	h := start(t, newFakeStore(), []Action{a, b})
	h.ban(t, "sshd", "192.0.2.1", t0, -1)
	expect(t, b, "ban sshd 192.0.2.1")
	waitFor(t, "the panic counted", func() bool { return h.m.Stats().Actions[0].Failed == 1 })
}

type panicAction struct{}

func (panicAction) Name() string                            { return "panics" }
func (panicAction) Handle(_ context.Context, e Event) error { panic("boom " + e.Ban.IP) }

func TestFullActionQueueDrops(t *testing.T) {
	slow := newFakeAction("mail")
	slow.block = make(chan struct{})
	slow.attempts = make(chan Event, 10)
	fast := newFakeAction("firewall")
	h := start(t, newFakeStore(), []Action{slow, fast}, WithQueueLimit(2))
	for i := 1; i <= 5; i++ {
		h.ban(t, "sshd", fmt.Sprintf("192.0.2.%d", i), t0, -1)
		next(t, fast) // one at a time: the healthy action's queue never fills
	}
	<-slow.attempts
	// Unbans are never dropped: they are bounded by the active bans, and a
	// lost one would leave an address banned in the kernel.
	if n, err := h.m.UnbanAll(""); n != 5 || err != nil {
		t.Fatalf("UnbanAll = %d, %v", n, err)
	}
	h.sync(t)
	if got := h.m.Stats().Actions[0]; got.Dropped != 3 || got.Queued != 7 {
		t.Errorf("slow action %+v, want 3 dropped and 7 queued", got)
	}
	if got := h.m.Stats().Actions[1]; got.Dropped != 0 {
		t.Errorf("fast action %+v, want none dropped", got)
	}
	close(slow.block)
	expect(t, slow, "ban sshd 192.0.2.1", "ban sshd 192.0.2.2")
	for i := 1; i <= 5; i++ {
		expect(t, slow, fmt.Sprintf("unban sshd 192.0.2.%d", i))
	}
}

func TestBatchAction(t *testing.T) {
	var bans []Ban
	for i := range 10000 {
		bans = append(bans, Ban{Jail: "sshd", IP: ipv4(i), Time: t0, BanTime: -1})
	}
	a := &batchAction{fakeAction: *newFakeAction("nftables"), sizes: make(chan int, 10000)}
	start(t, newFakeStore(bans...), []Action{a}, WithBatchSize(1000))
	for i := range 10000 {
		e := next(t, &a.fakeAction)
		if e.Kind != KindRestore || e.Ban.IP != ipv4(i) {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	calls := len(a.sizes)
	for range calls {
		if n := <-a.sizes; n > 1000 {
			t.Errorf("batch of %d events, above the batch size", n)
		}
	}
	if calls < 10 || calls > 10000/2 {
		t.Errorf("%d HandleBatch calls for 10,000 events", calls)
	}
}

func TestFailingStore(t *testing.T) {
	st := newFakeStore()
	st.failAdd = true
	st.added = make(chan []Ban, 10)
	a := newFakeAction("firewall")
	h := start(t, st, []Action{a})
	h.ban(t, "sshd", "192.0.2.1", t0, hour)
	// The ban takes effect although the store is down.
	expect(t, a, "ban sshd 192.0.2.1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.m.Sync(ctx); !errors.Is(err, errDown) {
		t.Fatalf("Sync with the store down: %v", err)
	}
	s := h.m.Stats()
	if s.StoreErrors == 0 || s.StorePending != 1 || len(h.m.Banned("sshd")) != 1 {
		t.Fatalf("stats %+v, banned %v", s, h.m.Banned("sshd"))
	}
	// The store comes back: the retry timer writes the ban.
	st.set(func(s *fakeStore) { s.failAdd = false })
	h.clk.Advance(time.Minute)
	if got := <-st.added; len(got) != 1 || got[0].IP != "192.0.2.1" {
		t.Fatalf("retried write %+v", got)
	}
	h.sync(t)
	if s := h.m.Stats(); s.StorePending != 0 {
		t.Errorf("StorePending = %d after recovery", s.StorePending)
	}

	// Removals are retried the same way.
	st.set(func(s *fakeStore) { s.failRemove = true })
	if err := h.m.Unban("sshd", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	expect(t, a, "unban sshd 192.0.2.1")
	if err := h.m.Sync(ctx); !errors.Is(err, errDown) {
		t.Fatalf("Sync with RemoveBan failing: %v", err)
	}
	st.set(func(s *fakeStore) { s.failRemove = false })
	h.clk.Advance(time.Minute)
	h.sync(t)
	if st.size() != 0 {
		t.Errorf("the unban never reached the store")
	}
}

func TestFailedRestoreRetriedAndMerged(t *testing.T) {
	st := newFakeStore(
		Ban{Jail: "sshd", IP: "192.0.2.1", Time: t0, BanTime: hour},
		Ban{Jail: "sshd", IP: "192.0.2.2", Time: t0, BanTime: 3 * hour},
		Ban{Jail: "sshd", IP: "192.0.2.3", Time: t0, BanTime: hour},
	)
	st.failActive = 1
	a := newFakeAction("firewall")
	h := start(t, st, []Action{a})
	// Bans work while the store cannot be read.
	h.ban(t, "sshd", "192.0.2.2", t0, 2*hour)
	h.ban(t, "sshd", "192.0.2.3", t0, 2*hour)
	expect(t, a, "ban sshd 192.0.2.2", "ban sshd 192.0.2.3")
	if h.m.Stats().Restored {
		t.Fatal("Restored after a failed load")
	}
	h.clk.Advance(time.Second)
	// .1 is new, .2 is stored longer: prolonged; .3 stays as banned now.
	expect(t, a, "restore sshd 192.0.2.1", "prolong sshd 192.0.2.2")
	h.sync(t)
	if !h.m.Stats().Restored {
		t.Error("not Restored after the retry")
	}
	if got, want := h.m.JailStats("sshd"), (JailStats{Banned: 3, Total: 3}); got != want {
		t.Errorf("JailStats = %+v, want %+v", got, want)
	}
}

func TestShutdownWritesPending(t *testing.T) {
	st := newFakeStore()
	st.failAdd = true
	h := start(t, st, nil)
	h.ban(t, "sshd", "192.0.2.1", t0, hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.m.Sync(ctx); err == nil {
		t.Fatal("Sync succeeded with the store down")
	}
	st.set(func(s *fakeStore) { s.failAdd = false })
	h.stop()
	if _, ok := st.get("sshd", "192.0.2.1"); !ok {
		t.Error("the pending ban was not written on stop")
	}
	if err := h.m.Ban(Ban{Jail: "sshd", IP: "192.0.2.2", BanTime: hour}); !errors.Is(err, ErrClosed) {
		t.Errorf("Ban after stop: %v, want ErrClosed", err)
	}
	if err := h.m.Sync(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync after stop: %v, want ErrClosed", err)
	}
}

func TestBurstIsBatched(t *testing.T) {
	const n = 5000
	st := newFakeStore()
	gate := make(chan struct{})
	st.gate = gate
	st.inAdd = make(chan struct{}, 10)
	a := newFakeAction("firewall")
	h := start(t, st, []Action{a})
	for i := range n {
		h.ban(t, "sshd", ipv4(i), time.Time{}, hour)
		if i == 0 {
			<-st.inAdd // the first write is under way, and held
		}
	}
	close(gate)
	for i := range n {
		if e := next(t, a); e.Ban.IP != ipv4(i) || e.Kind != KindBan {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	h.sync(t)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.addCalls != 2 || len(st.active) != n {
		t.Errorf("%d bans in %d AddBans calls (sizes %v), want %d in 2", len(st.active), st.addCalls, st.addSizes, n)
	}
}

func TestBanBackPressure(t *testing.T) {
	st := newFakeStore()
	gate := make(chan struct{})
	st.gate = gate
	st.inAdd = make(chan struct{}, 10)
	h := start(t, st, nil, WithPendingLimit(10))
	h.ban(t, "sshd", ipv4(0), time.Time{}, hour)
	<-st.inAdd
	for i := 1; i <= 10; i++ {
		h.ban(t, "sshd", ipv4(i), time.Time{}, hour)
	}
	done := make(chan error, 1)
	go func() { done <- h.m.Ban(Ban{Jail: "sshd", IP: ipv4(11), BanTime: hour}) }()
	waitFor(t, "Ban to wait", func() bool { return h.m.Stats().Throttled == 1 })
	select {
	case err := <-done:
		t.Fatalf("Ban returned %v while the queue was full", err)
	default:
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.sync(t)
	if st.size() != 12 {
		t.Errorf("store has %d bans, want 12", st.size())
	}
}

func TestRunTwiceAndSubscribeLate(t *testing.T) {
	h := start(t, newFakeStore(), nil)
	h.sync(t)
	if err := h.m.Run(context.Background()); err == nil {
		t.Error("a second Run did not fail")
	}
	defer func() {
		if recover() == nil {
			t.Error("Subscribe after Run did not panic")
		}
	}()
	h.m.Subscribe(newFakeAction("late"))
}

func ipv4(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
}

// untimed clears the stats' error times, which depend on the retries'
// timing.
func untimed(st []ActionStats) []ActionStats {
	for i := range st {
		st[i].LastErrorTime = time.Time{}
	}
	return st
}
