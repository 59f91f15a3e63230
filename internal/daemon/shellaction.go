package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/wardenipd/warden/internal/action"
	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/config"
)

// shellAction runs the jails' action.d files that have no native
// implementation (a user's own, cloudflare...) as shell actions. It is
// one ban.Action for all of them; each jail's actions are made, started
// and stopped by configure, as jails start, change and stop.
type shellAction struct {
	log   *slog.Logger
	clock clock.Clock
	bans  func(jail string) []ban.Ban

	mu    sync.Mutex
	jails map[string]*shellJail

	// done remembers, for an event being retried, the actions that
	// already ran it, so a retry runs only those that failed.
	doneMu sync.Mutex
	last   ban.Event
	done   map[*action.Action]bool
}

// shellJail is one jail's shell actions.
type shellJail struct {
	key     string // the jail's configuration, to tell a change
	actions []*action.Action
}

func newShellAction(log *slog.Logger, clk clock.Clock, bans func(string) []ban.Ban) *shellAction {
	return &shellAction{log: log, clock: clk, bans: bans, jails: map[string]*shellJail{}}
}

func (s *shellAction) Name() string { return "shell" }

// history gives <ipmatches> and <ipjailmatches> from the active bans.
type history struct{ bans func(string) []ban.Ban }

func (h history) Merged(_ context.Context, ip, jail string) (action.Merged, error) {
	var m action.Merged
	for _, b := range h.bans(jail) {
		if b.IP == ip {
			m.Matches = append(m.Matches, b.Matches...)
			m.Failures += b.Failures
		}
	}
	return m, nil
}

// configure makes the shell actions of new and changed jails and starts
// them (their actionstart), bans again what the jail bans now, and stops
// those of jails gone or changed (actionflush or each unban, then
// actionstop). It returns the problems of actions left out.
func (s *shellAction) configure(ctx context.Context, jails []*config.Jail) error {
	want := map[string]*config.Jail{}
	for _, j := range jails {
		want[j.Name] = j
	}
	s.mu.Lock()
	var stop []string
	for name, sj := range s.jails {
		if j, ok := want[name]; !ok || jailKey(j) != sj.key {
			stop = append(stop, name)
		}
	}
	s.mu.Unlock()
	for _, name := range stop {
		s.stopJail(ctx, name)
	}
	var probs []error
	for _, j := range jails {
		s.mu.Lock()
		_, running := s.jails[j.Name]
		s.mu.Unlock()
		if running {
			continue
		}
		sj := &shellJail{key: jailKey(j)}
		for _, a := range j.Actions {
			if a.Native != "" {
				continue
			}
			if a.Python {
				probs = append(probs, fmt.Errorf("jail %s: action %s: Python actions (%s) do not run in Warden", j.Name, a.Name, a.File))
				continue
			}
			act, err := action.New(j.Name+"/"+a.Name, a.Params, action.Options{Log: s.log, Clock: s.clock,
				History: history{s.bans}, Jail: j.Name, BanTime: seconds(j.BanTime)})
			if err != nil {
				probs = append(probs, fmt.Errorf("jail %s: action %s: %w", j.Name, a.Name, err))
				continue
			}
			if err := act.Start(ctx); err != nil {
				// fail2ban carries on: the action's bans will start it
				// on demand or fail, logged and retried.
				s.log.Error("shell action start failed", "jail", j.Name, "action", a.Name, "err", err)
			}
			sj.actions = append(sj.actions, act)
		}
		if len(sj.actions) == 0 {
			continue
		}
		s.mu.Lock()
		s.jails[j.Name] = sj
		s.mu.Unlock()
		// What the jail bans now (after a change of its actions) goes
		// to the new actions, as restored bans.
		for _, b := range s.bans(j.Name) {
			for _, a := range sj.actions {
				if err := run(ctx, a, ban.Event{Kind: ban.KindRestore, Ban: b}); err != nil {
					s.log.Error("shell action: ban again after a reload failed", "action", a.Name(), "ip", b.IP, "err", err)
				}
			}
		}
	}
	return errors.Join(probs...)
}

// stopJail flushes (or unbans every ban of) a jail's shell actions and
// stops them.
func (s *shellAction) stopJail(ctx context.Context, name string) {
	s.mu.Lock()
	sj := s.jails[name]
	delete(s.jails, name)
	s.mu.Unlock()
	if sj == nil {
		return
	}
	for _, a := range sj.actions {
		if a.HasFlush() {
			if err := a.Flush(ctx); err != nil {
				s.log.Error("shell action flush failed", "action", a.Name(), "err", err)
			}
		} else {
			for _, b := range s.bans(name) {
				if err := a.Unban(ctx, ticket(b, false)); err != nil {
					s.log.Error("shell action unban at stop failed", "action", a.Name(), "ip", b.IP, "err", err)
				}
			}
		}
		if err := a.Stop(ctx); err != nil {
			s.log.Error("shell action stop failed", "action", a.Name(), "err", err)
		}
	}
}

// stopAll stops every jail's shell actions (the daemon is stopping).
func (s *shellAction) stopAll(ctx context.Context) {
	s.mu.Lock()
	names := sortedKeys(s.jails)
	s.mu.Unlock()
	for _, name := range names {
		s.stopJail(ctx, name)
	}
}

// Handle runs the event's operation in each shell action of its jail. A
// retried event runs only in the actions where it failed.
func (s *shellAction) Handle(ctx context.Context, e ban.Event) error {
	s.mu.Lock()
	sj := s.jails[e.Ban.Jail]
	s.mu.Unlock()
	if sj == nil {
		return nil
	}
	s.doneMu.Lock()
	if !sameEvent(s.last, e) {
		s.last, s.done = e, map[*action.Action]bool{}
	}
	done := s.done
	s.doneMu.Unlock()
	var errs []error
	for _, a := range sj.actions {
		s.doneMu.Lock()
		skip := done[a]
		s.doneMu.Unlock()
		if skip {
			continue
		}
		if err := run(ctx, a, e); err != nil {
			errs = append(errs, err)
			continue
		}
		s.doneMu.Lock()
		done[a] = true
		s.doneMu.Unlock()
	}
	return errors.Join(errs...)
}

// run runs an event's operation in one shell action.
func run(ctx context.Context, a *action.Action, e ban.Event) error {
	var err error
	switch e.Kind {
	case ban.KindBan:
		err = a.Ban(ctx, ticket(e.Ban, false))
	case ban.KindRestore:
		if !a.NoRestored() {
			err = a.Ban(ctx, ticket(e.Ban, true))
		}
	case ban.KindProlong:
		err = a.Prolong(ctx, ticket(e.Ban, false))
	case ban.KindUnban:
		err = a.Unban(ctx, ticket(e.Ban, false))
	}
	if errors.Is(err, action.ErrBadTicket) {
		return ban.Permanent(err)
	}
	return err
}

func sameEvent(a, b ban.Event) bool {
	return a.Kind == b.Kind && a.Ban.Jail == b.Ban.Jail && a.Ban.IP == b.Ban.IP && a.Ban.Time.Equal(b.Ban.Time) && a.Ban.BanTime == b.Ban.BanTime
}

// ticket is what a shell action is told of a ban.
func ticket(b ban.Ban, restored bool) action.Ticket {
	t := action.Ticket{IP: b.IP, Time: b.Time, BanTime: b.BanTime, Count: b.Count, Failures: b.Failures,
		Matches: b.Matches, Restored: restored}
	if b.User != "" {
		t.Fields = map[string]string{"user": b.User}
	}
	return t
}
