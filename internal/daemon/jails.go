package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/filter"
	"github.com/wardenipd/warden/internal/jail"
	"github.com/wardenipd/warden/internal/source"
)

// lineSource is a jail's log source.
type lineSource interface {
	Run(ctx context.Context, out chan<- source.Line) error
}

// jailRun is one running jail: its source feeds a goroutine that runs the
// filter and the failure counting, and hands ban decisions to the ban
// manager.
type jailRun struct {
	cfg *config.Jail
	key string // the resolved configuration, to tell a changed jail on reload
	src lineSource

	filt *filter.Filter // used by loop's goroutine alone
	jail *jail.Jail     // safe for concurrent use

	cancel context.CancelFunc
	done   chan struct{}
}

func jailKey(j *config.Jail) string {
	b, _ := json.Marshal(j)
	return string(b)
}

// apply starts the jails of cfg that are not running with the same
// configuration, and stops those that are gone or changed. A jail left
// unchanged keeps its failure counts; bans are the ban manager's and stay.
func (d *Daemon) apply(ctx context.Context, cfg *config.Config, only string, unban bool) {
	want := map[string]*config.Jail{}
	var order []string
	for _, j := range cfg.Jails {
		want[j.Name] = j
		order = append(order, j.Name)
	}
	var stop []string
	d.mu.Lock()
	for name, r := range d.jails {
		if only != "" && name != only {
			continue
		}
		if w, ok := want[name]; !ok || jailKey(w) != r.key || unban {
			stop = append(stop, name)
		}
	}
	d.mu.Unlock()
	d.stopJails(stop)
	if unban {
		for _, name := range stop {
			if err := d.bans.Unban(name, ""); err != nil {
				d.o.Log.Error("unban on reload", "jail", name, "err", err)
			}
		}
	}
	for _, name := range order {
		if only != "" && name != only {
			continue
		}
		d.mu.Lock()
		_, running := d.jails[name]
		d.mu.Unlock()
		if running {
			continue
		}
		r, err := d.startJail(ctx, want[name])
		if err != nil {
			d.o.Log.Error("jail not started", "jail", name, "err", err)
			continue
		}
		d.mu.Lock()
		d.jails[name] = r
		d.mu.Unlock()
		d.o.Log.Info("jail started", "jail", name, "files", r.files(), "backend", want[name].Backend)
	}
	d.mu.Lock()
	d.order = d.order[:0]
	for _, name := range order {
		if _, ok := d.jails[name]; ok {
			d.order = append(d.order, name)
		}
	}
	d.mu.Unlock()
}

// doReload loads the configuration anew and, when it has no problem,
// applies it; an invalid configuration keeps the running one.
func (d *Daemon) doReload(ctx context.Context, only string, unban bool) error {
	cfg, err := loadConfig(d.o.ConfigDir)
	if err != nil {
		return err
	}
	if len(cfg.Problems) > 0 {
		return fmt.Errorf("configuration not reloaded, the running one is kept: %w", cfg.Problems)
	}
	if only != "" {
		found := false
		for _, j := range cfg.Jails {
			found = found || j.Name == only
		}
		d.mu.Lock()
		_, running := d.jails[only]
		d.mu.Unlock()
		if !found && !running {
			return fmt.Errorf("no jail %q", only)
		}
	}
	d.apply(ctx, cfg, only, unban)
	if d.fw != nil {
		if err := d.configureActions(ctx, cfg.Jails, d.bans.Banned); err != nil {
			return fmt.Errorf("configuration reloaded, but the firewall failed: %w", err)
		}
	}
	d.o.Log.Info("configuration reloaded", "jail", only)
	return nil
}

func (d *Daemon) stopJails(names []string) {
	for _, name := range names {
		d.mu.Lock()
		r := d.jails[name]
		delete(d.jails, name)
		d.mu.Unlock()
		if r == nil {
			continue
		}
		r.cancel()
		<-r.done
		d.o.Log.Info("jail stopped", "jail", name)
	}
}

// startJail builds a jail's filter, failure counting and source, and
// starts them.
func (d *Daemon) startJail(parent context.Context, j *config.Jail) (*jailRun, error) {
	now := d.o.Clock.Now
	f, err := filter.New(filter.Options{PrefRegex: j.PrefRegex, FailRegex: j.FailRegex, IgnoreRegex: j.IgnoreRegex,
		MaxLines: j.MaxLines, DatePattern: j.DatePattern, LogTimeZone: j.LogTimezone, UseDNS: j.UseDNS,
		Now: now, IgnorePending: true, CheckFindTime: true, FindTime: j.FindTime, Resolve: d.o.Resolve})
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	jl, err := newJail(j, storeAdapter{d.store}, d.o)
	if err != nil {
		return nil, err
	}
	src, err := newSource(j, jailPositions{d.store, j.Name}, d.o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(parent)
	r := &jailRun{cfg: j, key: jailKey(j), src: src, filt: f, jail: jl, cancel: cancel, done: make(chan struct{})}
	lines := make(chan source.Line, 1024)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := src.Run(ctx, lines); err != nil && ctx.Err() == nil {
			d.o.Log.Error("log source stopped", "jail", j.Name, "err", err)
		}
	}()
	go func() {
		defer close(r.done)
		r.loop(ctx, lines, d)
		wg.Wait()
	}()
	return r, nil
}

// loop runs each line through the filter and the failure counting.
func (r *jailRun) loop(ctx context.Context, lines <-chan source.Line, d *Daemon) {
	for {
		select {
		case <-ctx.Done():
			return
		case l := <-lines:
			r.line(l, d)
		}
	}
}

// files are the files the jail follows (none for the journal and commands).
func (r *jailRun) files() []string {
	if f, ok := r.src.(interface{ Paths() []string }); ok {
		return f.Paths()
	}
	return []string{}
}

func (r *jailRun) line(l source.Line, d *Daemon) {
	var (
		found []filter.Failure
		err   error
	)
	if !l.Time.IsZero() {
		found, err = r.filt.ProcessDated(l.Text, "", float64(l.Time.UnixNano())/1e9)
	} else {
		found, err = r.filt.ProcessLine(l.Text)
	}
	if err != nil {
		d.o.Log.Warn("line skipped", "jail", r.cfg.Name, "source", l.Source, "err", err)
		return
	}
	var decisions []jail.Decision
	for _, m := range found {
		if !m.HasID || m.NoFail() {
			continue
		}
		sec, frac := math.Modf(m.Time)
		// Backlog: a line older than findtime counts for nothing (it may
		// be an old file read from its head), a recent one at its date.
		fl := jail.Failure{IP: m.ID, Time: time.Unix(int64(sec), int64(frac*1e9)), Line: l.Text, Backlog: true}
		if v, ok := m.Value("user"); ok {
			fl.User = fmt.Sprint(v)
		}
		dec, banNow, err := r.jail.AddFailure(fl)
		if err != nil {
			d.o.Log.Error("failure not counted", "jail", r.cfg.Name, "ip", m.ID, "err", err)
			continue
		}
		if banNow {
			decisions = append(decisions, dec)
		} else if d.rep != nil {
			if req, ok := d.abuse.reputationFor(r.cfg.Name, m.ID, l.Text, r.jail.Config().BanTime); ok {
				d.rep.ask(req)
			}
		}
	}
	for _, dec := range decisions {
		if err := d.bans.Ban(banFromDecision(dec)); err != nil {
			d.o.Log.Error("ban not recorded", "jail", dec.Jail, "ip", dec.IP, "err", err)
		}
	}
}
