// Package daemon runs Warden: it wires the configuration's jails (log
// source, filter, failure counting) to the ban manager and its actions,
// and serves the control socket. Data flows one way: lines, failures, ban
// decisions, bans, actions.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/control"
	"github.com/wardenipd/warden/internal/mail"
	"github.com/wardenipd/warden/internal/store"
)

// Options configure a daemon.
type Options struct {
	ConfigDir string // the configuration directory; "" for the built-in defaults alone
	StateDir  string // where the ban store lives
	Socket    string // the control socket's path
	BanLog    string // a log of bans in fail2ban's format (for recidive); "" for none
	DryRun    bool   // no firewall and no actions: bans are logged, recorded and expire as usual
	Log       *slog.Logger
	Clock     clock.Clock
	Notifier  *Notifier
	// Resolve turns host names of ignoreip into addresses; nil: no DNS.
	Resolve func(host string) []string
	// Reload asks for the configuration to be reloaded (SIGHUP).
	Reload <-chan struct{}
	// Actions are subscribed to the ban manager besides the daemon's own
	// (the dry-run log, the ban log).
	Actions []ban.Action
	// Firewall opens the firewall backends the jails' native firewall
	// actions need; nil opens the real nftables and iptables backends.
	Firewall FirewallOpener
	// KeepFirewall leaves Warden's firewall rules and sets in the kernel
	// when the daemon stops: the bans stay enforced until their kernel
	// timeouts, and the next start reconciles them with the store.
	KeepFirewall bool
	// Mail are the mail actions' dependencies (tests: the dialer, the
	// host name, trusted CAs); the zero value is the real ones.
	Mail mail.Options
	// PurgeAge is fail2ban's dbpurgeage: ended bans older than this are
	// forgotten (at start, then hourly); 0 is DefaultPurgeAge.
	PurgeAge time.Duration
}

// ResyncInterval is how often the daemon checks whether a firewall batch
// failed since the last check, and if so sets the kernel right from the
// active bans (a ban given up after its retries is enforced again).
const ResyncInterval = time.Minute

// DefaultPurgeAge is fail2ban's default dbpurgeage.
const DefaultPurgeAge = 24 * time.Hour

// Daemon is a running Warden.
type Daemon struct {
	o     Options
	store *store.Store
	bans  *ban.Manager
	fw    *fwAction    // nil in a dry run
	shell *shellAction // nil in a dry run
	mail  *mailAction  // nil in a dry run
	abuse *abuseAction // nil in a dry run
	rep   *reputation  // nil in a dry run
	// actJails are the jails the actions were last configured with.
	actJails []*config.Jail

	mu    sync.Mutex
	jails map[string]*jailRun
	order []string // jail names in configuration order

	stop     chan struct{} // closed by Stop
	stopOnce sync.Once
	reload   chan reloadRequest
}

type reloadRequest struct {
	jail  string
	unban bool
	done  chan error
}

// Run starts the daemon and returns when ctx is done or Stop is called,
// after stopping every jail, the control socket and the ban manager.
func Run(ctx context.Context, o Options) error {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	cfg, err := loadConfig(o.ConfigDir)
	if err != nil {
		return err
	}
	for _, p := range cfg.Problems {
		o.Log.Error("configuration problem", "problem", p.Error())
	}
	for _, w := range cfg.Warnings {
		o.Log.Warn("configuration", "warning", w)
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	st, err := store.Open(filepath.Join(o.StateDir, "warden.db"))
	if err != nil {
		return fmt.Errorf("open ban store: %w", err)
	}
	defer st.Close()
	d := &Daemon{o: o, store: st, jails: map[string]*jailRun{}, stop: make(chan struct{}), reload: make(chan reloadRequest)}
	d.bans = ban.New(storeAdapter{st}, o.Clock, o.Log)
	if o.DryRun {
		d.bans.Subscribe(dryRunAction{log: o.Log})
	} else {
		if o.Firewall == nil {
			o.Firewall = OpenFirewall
		}
		d.fw = newFwAction(o.Log, o.Clock, o.Firewall)
		d.shell = newShellAction(o.Log, o.Clock, d.bans.Banned)
		d.mail = newMailAction(o.Log, o.Clock, d.bans.Banned, o.Mail)
		d.abuse = newAbuseAction(ctx, o.Log, o.Clock, st, o.ConfigDir, d.ignored)
		d.rep = newReputation(o.Log, o.Clock, d.bans.Ban, d.ignored)
		active, err := storeAdapter{st}.ActiveBans(o.Clock.Now())
		if err != nil {
			return fmt.Errorf("read the active bans: %w", err)
		}
		byJail := map[string][]ban.Ban{}
		for _, b := range active {
			byJail[b.Jail] = append(byJail[b.Jail], b)
		}
		if err := d.configureActions(ctx, cfg.Jails, func(jail string) []ban.Ban { return byJail[jail] }); err != nil {
			return err
		}
		defer func() {
			// After the ban manager: no event reaches an action that
			// is being stopped.
			tctx, tcancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer tcancel()
			d.shell.stopAll(tctx)
			d.mail.stop(tctx)
			d.abuse.stop()
			if o.KeepFirewall {
				return
			}
			if err := d.fw.teardown(tctx); err != nil {
				o.Log.Error("firewall rules not removed", "err", err)
			}
		}()
		d.bans.Subscribe(d.fw)
		d.bans.Subscribe(d.shell)
		d.bans.Subscribe(d.mail)
		d.bans.Subscribe(d.abuse)
	}
	for _, a := range o.Actions {
		d.bans.Subscribe(a)
	}
	if o.BanLog != "" {
		bl, err := openBanLog(o.BanLog)
		if err != nil {
			return err
		}
		defer bl.Close()
		d.bans.Subscribe(bl)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if d.rep != nil {
		wg.Add(2)
		go func() {
			defer wg.Done()
			d.rep.run(ctx)
		}()
		go func() {
			defer wg.Done()
			d.runBlacklist(ctx, d.blacklistNow, func(s abuseipdb.Settings) (blacklister, error) {
				return abuseipdb.New(abuseipdb.Options{BaseURL: s.URL, Key: s.Key, UserAgent: "warden"})
			})
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := d.bans.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- fmt.Errorf("ban manager: %w", err)
		}
	}()
	// The jails first: the socket answers once they run.
	d.apply(ctx, cfg, "", false)
	l, err := control.Listen(o.Socket)
	if err != nil {
		d.stopJails(d.jailNames())
		cancel()
		wg.Wait()
		return err
	}
	srv := control.NewServer(d, o.Log)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ctx, l); err != nil {
			errc <- err
		}
	}()
	if o.PurgeAge <= 0 {
		o.PurgeAge = DefaultPurgeAge
	}
	d.purge()
	purge := o.Clock.NewTimer(time.Hour)
	defer purge.Stop()
	resync := o.Clock.NewTimer(ResyncInterval)
	defer resync.Stop()
	// What start-up used (configuration, regex compilation) goes back to
	// the system: the idle daemon stays small.
	debug.FreeOSMemory()
	_ = o.Notifier.Notify("READY=1\nSTATUS=" + d.statusLine())
	o.Log.Info("warden started", "jails", len(d.order), "socket", o.Socket, "dry_run", o.DryRun)

	var watchdog <-chan time.Time
	if iv := WatchdogInterval(); iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		watchdog = t.C
	}
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-d.stop:
			break loop
		case err := <-errc:
			runErr = err
			break loop
		case r := <-d.reload:
			_ = o.Notifier.Notify("RELOADING=1")
			r.done <- d.doReload(ctx, r.jail, r.unban)
			_ = o.Notifier.Notify("READY=1\nSTATUS=" + d.statusLine())
		case <-o.Reload:
			_ = o.Notifier.Notify("RELOADING=1")
			if err := d.doReload(ctx, "", false); err != nil {
				o.Log.Error("reload failed", "err", err)
			}
			_ = o.Notifier.Notify("READY=1\nSTATUS=" + d.statusLine())
		case <-resync.C():
			if d.fw != nil {
				if err := d.fw.resync(ctx, d.bans.Banned); err != nil {
					o.Log.Error("firewall resync failed", "err", err)
				}
			}
			resync.Reset(ResyncInterval)
		case <-purge.C():
			d.purge()
			purge.Reset(time.Hour)
		case <-watchdog:
			_ = o.Notifier.Notify("WATCHDOG=1")
		}
	}
	_ = o.Notifier.Notify("STOPPING=1")
	d.stopJails(d.jailNames())
	cancel()
	wg.Wait()
	o.Log.Info("warden stopped")
	return runErr
}

// configureActions gives the actions the jails' configuration: the
// firewall's rules (with the kernel reconciled to active's bans) and the
// shell actions. A wrong action is logged and left out; an error of the
// kernel firewall is returned.
func (d *Daemon) configureActions(ctx context.Context, jails []*config.Jail, active func(jail string) []ban.Ban) error {
	d.mu.Lock()
	d.actJails = jails
	d.mu.Unlock()
	d.fw.setBlacklist(blacklistWanted(jails, d.o.ConfigDir))
	probs, err := d.fw.configure(ctx, jails, active)
	if probs != nil {
		d.o.Log.Error("firewall action not applied", "err", probs)
	}
	if err != nil {
		return err
	}
	if probs := d.shell.configure(ctx, jails); probs != nil {
		d.o.Log.Error("shell action not applied", "err", probs)
	}
	if probs := d.mail.configure(ctx, jails); probs != nil {
		d.o.Log.Error("mail action not applied", "err", probs)
	}
	if probs := d.abuse.configure(jails); probs != nil {
		d.o.Log.Error("AbuseIPDB action not applied", "err", probs)
	}
	return nil
}

// blacklistNow are the settings of the blacklist import the running
// configuration asks for.
func (d *Daemon) blacklistNow() (abuseipdb.Settings, bool) {
	d.mu.Lock()
	jails := d.actJails
	d.mu.Unlock()
	return blacklistSettings(jails, d.o.ConfigDir)
}

// ignored tells whether a running jail ignores an address.
func (d *Daemon) ignored(jail, ip string) bool {
	d.mu.Lock()
	r := d.jails[jail]
	d.mu.Unlock()
	if r == nil {
		return false
	}
	ign, err := r.jail.Ignored(ip)
	if err != nil {
		d.o.Log.Warn("ignore check failed", "jail", jail, "ip", ip, "err", err)
	}
	return ign
}

// requestReload asks the daemon's loop to reload the configuration and
// waits for the outcome.
func (d *Daemon) requestReload(jail string, unban bool) error {
	r := reloadRequest{jail: jail, unban: unban, done: make(chan error, 1)}
	select {
	case d.reload <- r:
	case <-d.stop:
		return errors.New("warden is stopping")
	}
	return <-r.done
}

// purge forgets the ended bans older than the purge age.
func (d *Daemon) purge() {
	if err := d.store.Purge(d.o.Clock.Now().Add(-d.o.PurgeAge)); err != nil {
		d.o.Log.Error("purge the ban store", "err", err)
	}
}

func (d *Daemon) statusLine() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fmt.Sprintf("%d jail(s)", len(d.order))
}

func (d *Daemon) jailNames() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.order...)
}

// loadConfig loads dir over the built-in defaults ("" for the defaults
// alone).
func loadConfig(dir string) (*config.Config, error) {
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("configuration directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("configuration directory %s is not a directory", dir)
		}
	}
	cfg, err := config.Load(config.Options{Dir: dir})
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	return cfg, nil
}

// dryRunAction logs each ban instead of enforcing it.
type dryRunAction struct{ log *slog.Logger }

func (dryRunAction) Name() string { return "dry-run" }

func (a dryRunAction) Handle(_ context.Context, e ban.Event) error {
	if e.Kind == ban.KindRestore {
		// The ban manager logs one line for all the restored bans.
		a.log.Debug("dry run: restore", "jail", e.Ban.Jail, "ip", e.Ban.IP)
		return nil
	}
	a.log.Info("dry run: "+e.Kind.String(), "jail", e.Ban.Jail, "ip", e.Ban.IP, "bantime", e.Ban.BanTime)
	return nil
}
