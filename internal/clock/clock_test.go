package clock

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestFakeTimersFireInOrder(t *testing.T) {
	f := NewFake(t0)
	a := f.NewTimer(2 * time.Second)
	b := f.NewTimer(time.Second)
	c := f.NewTimer(time.Hour)
	if f.Timers() != 3 {
		t.Fatalf("Timers() = %d", f.Timers())
	}
	f.Advance(1500 * time.Millisecond)
	select {
	case got := <-b.C():
		if !got.Equal(t0.Add(time.Second)) {
			t.Errorf("b fired at %v", got)
		}
	default:
		t.Fatal("b did not fire")
	}
	select {
	case <-a.C():
		t.Fatal("a fired early")
	default:
	}
	f.Advance(time.Second)
	if got := <-a.C(); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("a fired at %v", got)
	}
	if !f.Now().Equal(t0.Add(2500 * time.Millisecond)) {
		t.Errorf("Now() = %v", f.Now())
	}
	if !c.Stop() || c.Stop() {
		t.Error("Stop of a waiting timer must report true once")
	}
	f.Advance(2 * time.Hour)
	select {
	case <-c.C():
		t.Error("a stopped timer fired")
	default:
	}
}

func TestFakeAfterFuncAndReset(t *testing.T) {
	f := NewFake(t0)
	var wg sync.WaitGroup
	wg.Add(1)
	fired := make(chan time.Time, 1)
	tm := f.AfterFunc(time.Minute, func() { fired <- f.Now(); wg.Done() })
	tm.Reset(2 * time.Minute)
	f.Advance(time.Minute)
	if f.Timers() != 1 {
		t.Fatalf("reset timer gone: %d", f.Timers())
	}
	f.Advance(time.Minute)
	wg.Wait()
	if got := <-fired; got.Before(t0.Add(2 * time.Minute)) {
		t.Errorf("fired at %v", got)
	}
	f.Set(t0) // never backwards
	if f.Now().Before(t0.Add(2 * time.Minute)) {
		t.Errorf("Set moved the clock back: %v", f.Now())
	}
}

func TestReal(t *testing.T) {
	var c Clock = Real{}
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	if tm.Stop() {
		t.Error("Stop after firing must report false")
	}
	done := make(chan struct{})
	c.AfterFunc(0, func() { close(done) })
	<-done
	if time.Since(c.Now()) > time.Minute {
		t.Error("Now is not the system time")
	}
}
