package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/mail"
)

// mailAction sends the ban reports of every jail with a native mail
// action (fail2ban's sendmail-whois-lines and the like). It is one
// ban.Action with its own queue, so a mail server that is down delays
// the reports and never a ban; the ban manager retries a failed send
// with back-off.
type mailAction struct {
	log   *slog.Logger
	clock clock.Clock
	bans  func(jail string) []ban.Ban // the active bans, for <ipmatches>
	opts  mail.Options

	mu    sync.Mutex
	jails map[string]mailJail
	wg    sync.WaitGroup // notices in flight
}

// mailJail is one jail's mail actions.
type mailJail struct {
	key     string // the jail's configuration, to tell a change
	mailers []*mail.Mailer
}

func newMailAction(log *slog.Logger, clk clock.Clock, bans func(string) []ban.Ban, opts mail.Options) *mailAction {
	opts.Clock, opts.Log = clk, log
	if opts.WhoisCache == nil {
		// One cache for all jails: an attacker of several jails is
		// looked up once.
		opts.WhoisCache = mail.NewWhoisCache(clk, mail.DefaultWhoisCacheSize, mail.DefaultWhoisCacheTTL)
	}
	return &mailAction{log: log, clock: clk, bans: bans, opts: opts, jails: map[string]mailJail{}}
}

func (m *mailAction) Name() string { return "mail" }

// configure makes a Mailer for each native mail action of jails, for
// new and changed jails, and sends the start and stop notices of those
// that ask for them. It returns the problems of actions left out.
func (m *mailAction) configure(ctx context.Context, jails []*config.Jail) error {
	next := map[string]mailJail{}
	var probs []error
	m.mu.Lock()
	old := m.jails
	m.mu.Unlock()
	var started []string
	for _, j := range jails {
		key := jailKey(j)
		if o, ok := old[j.Name]; ok && o.key == key {
			next[j.Name] = o
			continue
		}
		mj := mailJail{key: key}
		for _, a := range j.Actions {
			if a.Native != "mail" {
				continue
			}
			mr, err := newMailer(a, m.opts)
			if err != nil {
				probs = append(probs, fmt.Errorf("jail [%s]: action %s: %w", j.Name, a.Name, err))
				continue
			}
			mj.mailers = append(mj.mailers, mr)
		}
		if len(mj.mailers) > 0 {
			next[j.Name] = mj
			started = append(started, j.Name)
		}
	}
	for name, o := range old {
		if n, ok := next[name]; !ok || n.key != o.key {
			m.notice(ctx, name, o.mailers, false)
		}
	}
	m.mu.Lock()
	m.jails = next
	m.mu.Unlock()
	for _, name := range started {
		m.notice(ctx, name, next[name].mailers, true)
	}
	return errors.Join(probs...)
}

// newMailer makes the Mailer of a native mail action.
func newMailer(a config.Action, opts mail.Options) (*mail.Mailer, error) {
	cfg, err := mail.ConfigFromParams(a.File, stringParams(a.Params))
	if err != nil {
		return nil, err
	}
	return mail.New(cfg, opts)
}

// stop sends the stop notices of every jail (the daemon is stopping) and
// waits for the notices in flight, at most until ctx is done.
func (m *mailAction) stop(ctx context.Context) {
	m.mu.Lock()
	jails := m.jails
	m.jails = map[string]mailJail{}
	m.mu.Unlock()
	for _, name := range sortedKeys(jails) {
		m.notice(ctx, name, jails[name].mailers, false)
	}
	m.wg.Wait()
}

func (m *mailAction) mailers(jail string) []*mail.Mailer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.jails[jail].mailers
}

// Handle mails the report of a new ban. Restored bans were reported
// before the restart (fail2ban's norestored); prolongs and unbans are
// not reported, as with fail2ban's mail actions.
func (m *mailAction) Handle(ctx context.Context, e ban.Event) error {
	if e.Kind != ban.KindBan {
		return nil
	}
	var errs []error
	for _, mr := range m.mailers(e.Ban.Jail) {
		r := mail.Report{Jail: e.Ban.Jail, IP: e.Ban.IP, Failures: e.Ban.Failures, Count: e.Ban.Count,
			Time: e.Ban.Time, BanTime: e.Ban.BanTime, Matches: e.Ban.Matches}
		if mr.Config().Matches == mail.IPMatches {
			r.Matches = m.ipMatches(e.Ban)
		}
		if err := mr.SendBan(ctx, r); err != nil {
			if errors.Is(err, mail.ErrBadReport) {
				err = ban.Permanent(err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ipMatches are the matches of the ban's address in every jail that bans
// it now, the ban's own first.
func (m *mailAction) ipMatches(b ban.Ban) []string {
	out := append([]string(nil), b.Matches...)
	for _, o := range m.bans("") {
		if o.IP == b.IP && o.Jail != b.Jail {
			out = append(out, o.Matches...)
		}
	}
	return out
}

// notice sends the start or stop notices of a jail's mail actions that
// ask for them (off by default), in goroutines that stop waits for: a
// mail server that is down never delays a jail.
func (m *mailAction) notice(ctx context.Context, jail string, mailers []*mail.Mailer, start bool) {
	for _, mr := range mailers {
		if !mr.Config().StartStop {
			continue
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			send := mr.SendStop
			if start {
				send = mr.SendStart
			}
			if err := send(ctx, jail); err != nil {
				m.log.Error("mail notice not sent", "jail", jail, "start", start, "err", err)
			}
		}()
	}
}
