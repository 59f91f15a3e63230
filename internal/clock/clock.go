// Package clock is the time Warden's components see: the real clock in
// production, a fake one in tests that only moves when the test says so,
// so that no test waits on the wall clock.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a time.Timer of a Clock.
type Timer interface {
	C() <-chan time.Time // nil for an AfterFunc timer
	Stop() bool
	Reset(d time.Duration) bool
}

// Real is the system clock.
type Real struct{}

func (Real) Now() time.Time { return time.Now() }

func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (Real) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Fake is a clock that moves only with Advance or Set. Its timers fire,
// in order of their deadlines, when the clock passes them. It is safe
// for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake returns a fake clock set at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) NewTimer(d time.Duration) Timer {
	return f.add(d, make(chan time.Time, 1), nil)
}

func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	return f.add(d, nil, fn)
}

func (f *Fake) add(d time.Duration, c chan time.Time, fn func()) *fakeTimer {
	f.mu.Lock()
	t := &fakeTimer{clock: f, when: f.now.Add(d), c: c, fn: fn, active: true}
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	if d <= 0 {
		f.Advance(0)
	}
	return t
}

// Advance moves the clock forward by d and fires the timers it passes.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	target := f.now.Add(d)
	f.mu.Unlock()
	f.Set(target)
}

// Set moves the clock to t (never backwards) and fires the timers due.
func (f *Fake) Set(t time.Time) {
	for {
		f.mu.Lock()
		sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].when.Before(f.timers[j].when) })
		if len(f.timers) == 0 || f.timers[0].when.After(t) {
			if t.After(f.now) {
				f.now = t
			}
			f.mu.Unlock()
			return
		}
		next := f.timers[0]
		f.timers = f.timers[1:]
		if next.when.After(f.now) {
			f.now = next.when
		}
		next.active = false
		now := f.now
		f.mu.Unlock()
		if next.c != nil {
			select {
			case next.c <- now:
			default:
			}
		} else {
			go next.fn()
		}
	}
}

// Timers returns how many timers are waiting: tests use it to know that a
// component has set its timer before they advance the clock.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

type fakeTimer struct {
	clock  *Fake
	when   time.Time
	c      chan time.Time
	fn     func()
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	was := t.active
	t.active = false
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			break
		}
	}
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	was := t.Stop()
	f := t.clock
	f.mu.Lock()
	t.when, t.active = f.now.Add(d), true
	f.timers = append(f.timers, t)
	f.mu.Unlock()
	if d <= 0 {
		f.Advance(0)
	}
	return was
}
