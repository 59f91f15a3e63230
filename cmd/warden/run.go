package main

import (
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/daemon"
)

const (
	defaultStateDir = "/var/lib/warden"
	defaultBanLog   = "/var/log/warden.log"
)

func newRunCmd(s settings) *cobra.Command {
	var (
		o         daemon.Options
		logLevel  string
		logFormat string
	)
	cmd := &cobra.Command{
		Use:   "run [--config DIR] [--state-dir DIR] [--socket PATH] [--dry-run]",
		Short: "Run the daemon in the foreground",
		Long: `Run the daemon in the foreground: watch the logs of the enabled jails, count
failures, ban, unban and remember. It logs to standard error. SIGHUP reloads
the configuration (an invalid one keeps the running one, and the log says
why); SIGTERM and SIGINT stop it gracefully. Under systemd (Type=notify, see
dist/systemd/warden.service) it reports readiness, reloads and the watchdog.

Bans are kept in a SQLite store in the state directory, with the read
position of each log, so that a restart neither replays old lines nor misses
new ones, and active bans come back for their remaining time.

Each jail's actions run as its configuration says. The firewall actions
(banaction nftables, nftables-multiport, nftables-allports, and fail2ban's
iptables, iptables-multiport, iptables-allports and iptables-ipset names) are
native: Warden keeps its own nftables table "inet warden" (or iptables chains
with ipsets) with one set per jail whose entries carry the ban's time as a
kernel timeout, so a ban ends on time even if Warden is not running. At
start the kernel is reconciled with the store; at a clean stop Warden's
rules are removed, unless --keep-firewall. The mail actions (sendmail-whois,
sendmail-whois-lines, mail-whois...) are native too; other action.d files run
as shell commands, with every value taken from a log line passed as an
environment variable, never as shell text.

--dry-run runs everything but the firewall and the actions: each ban is
logged, recorded in the store, expires, and shows in 'warden status'.`,
		Example: `  warden run --dry-run --config /etc/fail2ban
  warden run --config /etc/warden --state-dir /var/lib/warden --socket /run/warden/warden.sock`,
		Args: argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usageErrorf(cmd, "--log-level %q: use debug, info, warn or error", logLevel)
			}
			hopts := &slog.HandlerOptions{Level: level}
			switch logFormat {
			case "text":
				o.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), hopts))
			case "json":
				o.Log = slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), hopts))
			default:
				return usageErrorf(cmd, "--log-format %q: use text or json", logFormat)
			}
			if o.ConfigDir == "" {
				if st, err := os.Stat(s.configDir); err == nil && st.IsDir() {
					o.ConfigDir = s.configDir
				} else {
					o.Log.Warn("configuration directory does not exist: using the built-in defaults alone", "dir", s.configDir)
				}
			}
			if o.ConfigDir != "" {
				if abs, err := filepath.Abs(o.ConfigDir); err == nil {
					o.ConfigDir = abs
				}
			}
			if o.Socket == "" {
				o.Socket = s.socket
			}
			o.Clock = clock.Real{}
			o.Notifier = daemon.NewNotifier()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan struct{}, 1)
			done := make(chan struct{})
			defer close(done)
			go func() {
				for {
					select {
					case <-hup:
						select {
						case reload <- struct{}{}:
						default:
						}
					case <-done:
						return
					}
				}
			}()
			o.Reload = reload
			return daemon.Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.ConfigDir, "config", "c", "", "configuration directory (default $WARDEN_CONFIG, else "+defaultConfigDir+", over the built-in defaults)")
	fl.StringVar(&o.StateDir, "state-dir", defaultStateDir, "directory of the ban store")
	fl.StringVar(&o.Socket, "socket", "", "path of the control socket (default $WARDEN_SOCKET, else "+defaultSocket+")")
	fl.StringVar(&o.BanLog, "ban-log", defaultBanLog, "log of bans in fail2ban's format, read by the recidive jail (\"\" for none)")
	fl.DurationVar(&o.PurgeAge, "db-purge-age", daemon.DefaultPurgeAge, "forget ended bans older than this (fail2ban's dbpurgeage); bantime.increment looks back this far")
	fl.BoolVar(&o.DryRun, "dry-run", false, "no firewall and no actions: log each ban, record it and let it expire")
	fl.BoolVar(&o.KeepFirewall, "keep-firewall", false, "leave the firewall rules and sets in the kernel when stopping: bans stay enforced until their kernel timeouts")
	fl.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&logFormat, "log-format", "text", "text or json")
	_ = cmd.MarkFlagDirname("config")
	_ = cmd.MarkFlagDirname("state-dir")
	return cmd
}
