package ban

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// worker feeds one action its events, in order, from its own queue.
type worker struct {
	m     *Manager
	a     Action
	batch BatchAction // nil unless a implements it
	name  string
	wake  chan struct{}

	mu      sync.Mutex
	q       [][]Event // waiting events, in chunks shared with the other workers
	pending int       // waiting or being handled
	fresh   int       // of which bans and prolongs: what the queue limit bounds
	handled uint64
	errors  uint64
	failed  uint64
	dropped uint64
	lastErr string    // the last failed attempt's error
	lastAt  time.Time // and when it happened
}

// droppable tells the events a full queue may drop: new bans and
// prolongs, whose number grows with an attack. Unbans and restores are
// bounded by the active bans, and losing an unban would leave an address
// banned in a firewall without timeouts.
func droppable(k Kind) bool { return k == KindBan || k == KindProlong }

// push queues events for the action; never blocks. The chunk is shared,
// unless some events must be dropped.
func (w *worker) push(events []Event) {
	w.mu.Lock()
	fresh := 0
	for _, e := range events {
		if droppable(e.Kind) {
			fresh++
		}
	}
	var dropped int
	var first Event
	if w.fresh+fresh > w.m.opt.queueLimit {
		kept := make([]Event, 0, len(events))
		for _, e := range events {
			if droppable(e.Kind) {
				if w.fresh >= w.m.opt.queueLimit {
					if dropped == 0 {
						first = e
					}
					dropped++
					continue
				}
				w.fresh++
			}
			kept = append(kept, e)
		}
		events = kept
	} else {
		w.fresh += fresh
	}
	if len(events) > 0 {
		w.q = append(w.q, events)
		w.pending += len(events)
	}
	w.dropped += uint64(dropped)
	queued := w.pending
	w.mu.Unlock()
	if dropped > 0 {
		w.m.log.Error("action queue full; events dropped for this action", "action", w.name,
			"dropped", dropped, "first_kind", first.Kind.String(), "first_jail", first.Ban.Jail,
			"first_ip", first.Ban.IP, "queued", queued)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			w.stop()
			return
		case <-w.wake:
		}
		for {
			w.mu.Lock()
			chunks := w.q
			w.q = nil
			w.mu.Unlock()
			if len(chunks) == 0 {
				break
			}
			for _, c := range chunks {
				if !w.process(ctx, c) {
					w.stop()
					return
				}
			}
		}
	}
}

// stop logs what is left undelivered when the manager stops.
func (w *worker) stop() {
	w.mu.Lock()
	n := w.pending
	w.mu.Unlock()
	if n > 0 {
		w.m.log.Warn("stopping with events the action has not handled", "action", w.name, "events", n)
	}
}

// process delivers a batch in order; false when ctx ended it.
func (w *worker) process(ctx context.Context, batch []Event) bool {
	for i := 0; i < len(batch); {
		n := 1
		if w.batch != nil {
			n = min(len(batch)-i, w.m.opt.batchSize)
		}
		if !w.deliver(ctx, batch[i:i+n]) {
			return false
		}
		fresh := 0
		for _, e := range batch[i : i+n] {
			if droppable(e.Kind) {
				fresh++
			}
		}
		i += n
		w.mu.Lock()
		w.pending -= n
		w.fresh -= fresh
		w.mu.Unlock()
	}
	return true
}

// deliver hands events to the action, retrying with back-off; false when
// ctx ended it.
func (w *worker) deliver(ctx context.Context, evs []Event) bool {
	for attempt := 1; ; attempt++ {
		err := w.call(ctx, evs)
		if err == nil {
			w.mu.Lock()
			w.handled += uint64(len(evs))
			w.mu.Unlock()
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		var perm *permanentError
		giveUp := errors.As(err, &perm) || attempt >= w.m.opt.maxAttempts
		w.mu.Lock()
		w.errors++
		w.lastErr, w.lastAt = err.Error(), w.m.clock.Now()
		if giveUp {
			w.failed += uint64(len(evs))
		}
		w.mu.Unlock()
		first := evs[0]
		if giveUp {
			w.m.log.Error("action failed; giving the events up", "action", w.name, "kind", first.Kind.String(),
				"jail", first.Ban.Jail, "ip", first.Ban.IP, "events", len(evs), "attempts", attempt, "err", err)
			return true
		}
		d := backoff(attempt, time.Minute)
		w.m.log.Warn("action failed; retrying", "action", w.name, "kind", first.Kind.String(),
			"jail", first.Ban.Jail, "ip", first.Ban.IP, "events", len(evs), "attempt", attempt,
			"retry_in", d, "err", err)
		t := w.m.clock.NewTimer(d)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return false
		}
	}
}

// call runs the action; a panic becomes a permanent error.
func (w *worker) call(ctx context.Context, evs []Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("action %s panicked: %v", w.name, r))
		}
	}()
	if w.batch != nil {
		return w.batch.HandleBatch(ctx, evs)
	}
	return w.a.Handle(ctx, evs[0])
}

func (w *worker) stats() ActionStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return ActionStats{Name: w.name, Queued: w.pending, Handled: w.handled,
		Errors: w.errors, Failed: w.failed, Dropped: w.dropped, LastError: w.lastErr, LastErrorTime: w.lastAt}
}
