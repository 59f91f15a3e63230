package ban

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// Run restores the active bans from the store (KindRestore events), then
// writes bans to the store, expires them on time (KindUnban events) and
// feeds the actions until ctx is done. On stop it makes a last attempt to
// write what the store still lacks, stops the actions' goroutines and
// returns nil. A store that fails is retried with back-off (1 s doubling
// to 1 min) while bans keep working in memory: a failed restore is retried
// too, and the bans it finds later are merged with those made meanwhile.
// Run may be called once.
func (m *Manager) Run(ctx context.Context) error {
	if !m.started.CompareAndSwap(false, true) {
		return errors.New("ban manager: run called twice")
	}
	wctx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, w := range m.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(wctx)
		}()
	}
	defer func() {
		stopWorkers()
		wg.Wait()
	}()

	m.restore()
	close(m.ready)

	var (
		timer  clock.Timer
		timerC <-chan time.Time
		armed  time.Time
	)
	for {
		m.step(false)
		if next := m.nextDeadline(); !next.Equal(armed) {
			if timer != nil {
				timer.Stop()
			}
			timer, timerC, armed = nil, nil, time.Time{}
			if !next.IsZero() {
				t := m.clock.NewTimer(max(next.Sub(m.clock.Now()), 0))
				timer, timerC, armed = t, t.C(), next
			}
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			m.shutdown()
			return nil
		case <-m.wake:
		case <-timerC:
			timer, timerC, armed = nil, nil, time.Time{}
		case r := <-m.syncReq:
			r <- m.step(true)
		}
	}
}

// step does what is due: a restore retry, expiries, the store write (now,
// or when the back-off allows unless force) and the dispatch of the queued
// events, in that order. It returns the store's error.
func (m *Manager) step(force bool) error {
	now := m.clock.Now()
	m.mu.Lock()
	retryRestore := !m.restored && !now.Before(m.restoreRetryAt)
	m.mu.Unlock()
	if retryRestore {
		m.restore()
	}

	m.mu.Lock()
	m.expireLocked(now)
	var adds []Ban
	var removes []key
	if len(m.dirty) > 0 && (force || !now.Before(m.storeRetryAt)) {
		adds, removes = m.takeDirtyLocked()
	}
	events := m.outbox
	if len(events) > 0 {
		m.outbox = nil // the actions' queues share events from now on
		close(m.space)
		m.space = make(chan struct{})
	}
	m.mu.Unlock()

	err := m.write(adds, removes)
	if len(events) > 0 {
		m.dispatch(events)
	}
	return err
}

// takeDirtyLocked takes the changes the store lacks: the bans to record
// and the keys whose ban ended. m.mu is held.
func (m *Manager) takeDirtyLocked() (adds []Ban, removes []key) {
	for k := range m.dirty {
		if e, ok := m.bans[k]; ok {
			adds = append(adds, e.ban)
		} else {
			removes = append(removes, k)
		}
	}
	clear(m.dirty)
	return adds, removes
}

// write records a snapshot of changes; on failure the keys not written go
// back to the dirty set for a retry after the back-off.
func (m *Manager) write(adds []Ban, removes []key) error {
	if len(adds) == 0 && len(removes) == 0 {
		return nil
	}
	var failed []key
	var err error
	addsOK := true
	if len(adds) > 0 {
		if e := m.store.AddBans(adds); e != nil {
			addsOK = false
			err = fmt.Errorf("add %d bans: %w", len(adds), e)
			for _, b := range adds {
				failed = append(failed, key{b.Jail, b.IP})
			}
		}
	}
	for i, k := range removes {
		if e := m.store.RemoveBan(k.jail, k.ip); e != nil {
			err = errors.Join(err, fmt.Errorf("remove ban of %s in %s: %w", k.ip, k.jail, e))
			failed = append(failed, removes[i:]...)
			break
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		m.storeFails, m.storeRetryAt = 0, time.Time{}
	}
	if addsOK {
		// The store has the matched lines now: memory need not keep them,
		// unless the ban changed again meanwhile.
		for _, b := range adds {
			k := key{b.Jail, b.IP}
			if _, again := m.dirty[k]; !again {
				if e, ok := m.bans[k]; ok {
					e.ban.Matches = nil
				}
			}
		}
	}
	if err == nil {
		return nil
	}
	for _, k := range failed {
		m.dirty[k] = struct{}{}
	}
	m.storeErrors++
	m.storeFails++
	d := backoff(m.storeFails, time.Minute)
	m.storeRetryAt = m.clock.Now().Add(d)
	m.log.Error("ban store write failed; the bans stay active in memory and the write is retried",
		"pending", len(m.dirty), "retry_in", d, "err", err)
	return err
}

// restore loads the active bans from the store.
func (m *Manager) restore() {
	now := m.clock.Now()
	bans, err := m.store.ActiveBans(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.storeErrors++
		m.restoreFails++
		d := backoff(m.restoreFails, time.Minute)
		m.restoreRetryAt = now.Add(d)
		m.log.Error("loading the active bans failed; new bans work meanwhile and the load is retried",
			"retry_in", d, "err", err)
		return
	}
	m.restored = true
	n := 0
	if len(m.bans) == 0 {
		m.bans = make(map[key]*entry, len(bans))
		m.expiry = make(expiryHeap, 0, len(bans))
	}
	m.outbox = slices.Grow(m.outbox, len(bans))
	for _, b := range bans {
		b, err := m.normalize(b)
		if err == nil {
			err = m.applyLocked(b, KindRestore, now)
		}
		if err != nil {
			if !errors.Is(err, ErrExpired) {
				m.log.Warn("skipping a stored ban", "err", err)
			}
			continue
		}
		n++
	}
	m.log.Info("restored the active bans", "bans", n, "took", m.clock.Now().Sub(now))
}

// applyLocked records b in memory and queues its event.
func (m *Manager) applyLocked(b Ban, kind Kind, now time.Time) error {
	end := b.End()
	if !b.Permanent() && !end.After(now) {
		return ErrExpired
	}
	js := m.jails[b.Jail]
	if js == nil {
		js = &jailCount{name: b.Jail}
		m.jails[b.Jail] = js
	}
	b.Jail = js.name // one string per jail, not per ban
	k := key{b.Jail, b.IP}
	if e, ok := m.bans[k]; ok {
		if old := e.ban.End(); old.IsZero() || !end.IsZero() && !end.After(old) {
			return nil // already banned at least as long
		}
		b.Time = e.ban.Time
		if end.IsZero() {
			b.BanTime = -1
			heap.Remove(&m.expiry, e.idx)
		} else {
			b.BanTime = end.Sub(b.Time)
		}
		e.ban = b
		if !end.IsZero() {
			heap.Fix(&m.expiry, e.idx)
		}
		m.dirty[k] = struct{}{}
		m.outbox = append(m.outbox, Event{Kind: KindProlong, Ban: b})
		return nil
	}
	e := &entry{ban: b, idx: -1}
	m.bans[k] = e
	if !end.IsZero() {
		heap.Push(&m.expiry, e)
	}
	js.banned++
	js.total++
	m.outbox = append(m.outbox, Event{Kind: kind, Ban: b})
	if kind == KindRestore {
		e.ban.Matches = nil // in the store already
	} else {
		m.dirty[k] = struct{}{}
	}
	return nil
}

// removeLocked ends a ban and queues its KindUnban event.
func (m *Manager) removeLocked(e *entry) {
	if e.idx >= 0 {
		heap.Remove(&m.expiry, e.idx)
	}
	k := key{e.ban.Jail, e.ban.IP}
	delete(m.bans, k)
	m.jails[e.ban.Jail].banned--
	m.dirty[k] = struct{}{}
	m.outbox = append(m.outbox, Event{Kind: KindUnban, Ban: e.ban})
}

func (m *Manager) expireLocked(now time.Time) {
	for len(m.expiry) > 0 && !m.expiry[0].ban.End().After(now) {
		m.removeLocked(m.expiry[0])
	}
}

// nextDeadline is when the Run loop must wake next: the earliest end of a
// ban, or a store retry; zero when nothing is due.
func (m *Manager) nextDeadline() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if len(m.expiry) > 0 {
		earlier(m.expiry[0].ban.End())
	}
	if len(m.dirty) > 0 {
		earlier(m.storeRetryAt)
	}
	if !m.restored {
		earlier(m.restoreRetryAt)
	}
	return next
}

// shutdown stops accepting changes and makes a last attempt to write the
// changes the store lacks.
func (m *Manager) shutdown() {
	close(m.done)
	m.mu.Lock()
	adds, removes := m.takeDirtyLocked()
	m.mu.Unlock()
	if err := m.write(adds, removes); err != nil {
		m.log.Error("stopping with changes the ban store lacks", "pending", len(adds)+len(removes), "err", err)
	}
}

// backoff is 1 s doubling with each failure, at most limit.
func backoff(failures int, limit time.Duration) time.Duration {
	if failures > 30 {
		return limit
	}
	return min(time.Second<<max(failures-1, 0), limit)
}

// dispatch hands events to every action's queue, and logs them. The
// queues share the slice: nobody modifies it after this.
func (m *Manager) dispatch(events []Event) {
	for _, w := range m.workers {
		w.push(events)
	}
	if !m.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	for _, e := range events {
		if e.Kind == KindRestore {
			continue // one summary line for a restore
		}
		m.log.Info(e.Kind.String(), "jail", e.Ban.Jail, "ip", e.Ban.IP, "end", endAttr(e.Ban))
	}
}

func endAttr(b Ban) slog.Value {
	if b.Permanent() {
		return slog.StringValue("never")
	}
	return slog.TimeValue(b.End())
}

// expiryHeap orders the bans that end by their end.
type expiryHeap []*entry

func (h expiryHeap) Len() int { return len(h) }
func (h expiryHeap) Less(i, j int) bool {
	if c := h[i].ban.End().Compare(h[j].ban.End()); c != 0 {
		return c < 0
	}
	return h[i].ban.IP < h[j].ban.IP
}
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.idx = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.idx = -1
	*h = old[:len(old)-1]
	return e
}
