package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/control"
)

// defaultSocket is the daemon's control socket unless --socket or
// $WARDEN_SOCKET says otherwise.
const defaultSocket = "/run/warden/warden.sock"

// socketFlag is the --socket option every control command takes.
type socketFlag struct{ path string }

// register adds --socket; its default, from s, is not shown as the flag's
// default, so that the help and the man pages stay the same whatever
// $WARDEN_SOCKET holds.
func (f *socketFlag) register(cmd *cobra.Command, s settings) {
	cmd.Flags().StringVar(&f.path, "socket", "", "the daemon's control socket (default $WARDEN_SOCKET, else "+defaultSocket+")")
	cmd.PreRun = func(*cobra.Command, []string) {
		if f.path == "" {
			f.path = s.socket
		}
	}
}

func (f *socketFlag) client() *control.Client { return control.NewClient(f.path) }

// reach explains a failure to talk to the daemon.
func (f *socketFlag) reach(err error) error {
	var ce *control.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return errors.New(ce.Message)
	case errors.Is(err, control.ErrNotRunning):
		if fi, serr := os.Stat(f.path); serr == nil && fi.Mode().Type() != fs.ModeSocket {
			return fmt.Errorf("cannot reach warden at %s: not a socket (give the daemon's with --socket)", f.path)
		}
		return fmt.Errorf("cannot reach warden at %s: is the daemon running? (warden run)", f.path)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("no permission to use the control socket %s (run as root)", f.path)
	}
	return err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// checkAddresses refuses what is not an IP address or a network in CIDR
// form, before anything is sent.
func checkAddresses(cmd *cobra.Command, ips []string) error {
	for _, ip := range ips {
		if _, err := netip.ParseAddr(ip); err == nil {
			continue
		}
		if _, err := netip.ParsePrefix(ip); err == nil {
			continue
		}
		return usageErrorf(cmd, "%q is not an IP address or network", ip)
	}
	return nil
}

// controlCommands are the commands that talk to a running daemon.
func controlCommands(s settings) []*cobra.Command {
	return []*cobra.Command{
		newStatusCmd(s), newBanCmd(s), newUnbanCmd(s), newBannedCmd(s), newReloadCmd(s),
		newGetCmd(s), newSetCmd(s), newPingCmd(s), newStopCmd(s),
	}
}

func newStatusCmd(s settings) *cobra.Command {
	var f socketFlag
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [JAIL] [--json]",
		Short: "Show the jails, or one jail's failures and bans",
		Long: `Without JAIL, list the running jails; with JAIL, its failures, files and
bans. The text is fail2ban-client status's, line for line, so that the
monitoring plugins written for it read it unchanged.

Actions whose operations failed (a firewall that refused a ban, a mail
server that is down) are named on standard error with their last error;
they are retried with back-off.

With --json, one JSON object: {"jails": [names], "actions": [{"name",
"queued", "handled", "errors", "failed", "dropped", "last_error",
"last_error_time"}]}, or for a jail {"name",
"currently_failed", "total_failed", "evicted" (addresses dropped by the cap
on tracked failures), "file_list", "journal", "journal_matches",
"currently_banned", "total_banned", "banned_ip_list"}.`,
		Example: `  warden status
  warden status sshd
  warden status --socket /tmp/w.sock sshd --json`,
		Args: argsBetween(0, 1, "JAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, out := f.client(), cmd.OutOrStdout()
			if len(args) == 0 {
				o, err := c.Status(cmd.Context())
				if err != nil {
					return f.reach(err)
				}
				if asJSON {
					return printJSON(out, o)
				}
				// Failing actions on stderr: stdout stays fail2ban's text.
				for _, a := range o.Actions {
					if a.Failed > 0 || a.Dropped > 0 || (a.Errors > 0 && a.LastError != "") {
						fmt.Fprintf(cmd.ErrOrStderr(), "warning: action %s: %d failed attempt(s), %d event(s) given up, %d dropped; last error (%s): %s\n",
							a.Name, a.Errors, a.Failed, a.Dropped, a.LastErrorTime.Format(time.RFC3339), a.LastError)
					}
				}
				_, err = io.WriteString(out, formatOverview(o))
				return err
			}
			st, err := c.JailStatus(cmd.Context(), args[0])
			if err != nil {
				return f.reach(err)
			}
			if asJSON {
				return printJSON(out, st)
			}
			_, err = io.WriteString(out, formatJailStatus(st))
			return err
		},
	}
	f.register(cmd, s)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newBanCmd(s settings) *cobra.Command {
	var f socketFlag
	cmd := &cobra.Command{
		Use:   "ban JAIL IP...",
		Short: "Ban addresses in a jail",
		Long: `Ban each IP (an address, or a network in CIDR form) in JAIL, for the
jail's bantime, as if it had failed there. Prints how many were not banned
in that jail yet (fail2ban-client set JAIL banip).`,
		Example: `  warden ban sshd 192.0.2.7 2001:db8::/64`,
		Args:    argsBetween(2, 1<<30, "JAIL and IP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkAddresses(cmd, args[1:]); err != nil {
				return err
			}
			n, err := f.client().Ban(cmd.Context(), args[0], args[1:])
			if err != nil {
				return f.reach(err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), n)
			return err
		},
	}
	f.register(cmd, s)
	return cmd
}

func newUnbanCmd(s settings) *cobra.Command {
	var f socketFlag
	var all bool
	var jail string
	cmd := &cobra.Command{
		Use:   "unban IP... | --all",
		Short: "Lift bans",
		Long: `Lift the bans of each IP in every jail (or only in --jail JAIL), or every
ban with --all. Prints how many bans were lifted; an address that is not
banned is no error.`,
		Example: `  warden unban 192.0.2.7
  warden unban --jail sshd 192.0.2.7
  warden unban --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case all && len(args) > 0:
				return usageErrorf(cmd, "give addresses or --all, not both")
			case !all && len(args) == 0:
				return usageErrorf(cmd, "missing IP (or --all)")
			}
			if err := checkAddresses(cmd, args); err != nil {
				return err
			}
			n, err := f.client().Unban(cmd.Context(), jail, args, all)
			if err != nil {
				return f.reach(err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), n)
			return err
		},
	}
	f.register(cmd, s)
	cmd.Flags().BoolVar(&all, "all", false, "lift every ban")
	cmd.Flags().StringVar(&jail, "jail", "", "lift the bans of this jail only")
	return cmd
}

func newBannedCmd(s settings) *cobra.Command {
	var f socketFlag
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "banned [IP...] [--json]",
		Short: "List the banned addresses, or the jails banning an address",
		Long: `Without IP, list each jail with its banned addresses; with IPs, the jails
that ban each of them. The text is fail2ban-client banned's (Python's
lists): [{'sshd': ['192.0.2.7']}, {'nginx': []}], or [['sshd'], []].

With --json: [{"jail", "ips"}] for each jail, the addresses limited to the
IPs given.`,
		Example: `  warden banned
  warden banned 192.0.2.7`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkAddresses(cmd, args); err != nil {
				return err
			}
			jb, err := f.client().Banned(cmd.Context(), args)
			if err != nil {
				return f.reach(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), jb)
			}
			_, err = io.WriteString(cmd.OutOrStdout(), formatBanned(jb, args))
			return err
		},
	}
	f.register(cmd, s)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newReloadCmd(s settings) *cobra.Command {
	var f socketFlag
	var unban bool
	cmd := &cobra.Command{
		Use:   "reload [JAIL] [--unban]",
		Short: "Reload the configuration",
		Long: `Reload the daemon's configuration (or only JAIL's): it is read and checked
first, and applied only when valid: an invalid one keeps the running
configuration, and the error says why. Bans and failure counts of
unchanged jails are kept; --unban lifts the bans of the reloaded jails.
Prints OK.`,
		Example: `  warden reload
  warden reload sshd --unban`,
		Args: argsBetween(0, 1, "JAIL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			jail := ""
			if len(args) == 1 {
				jail = args[0]
			}
			if err := f.reach(f.client().Reload(cmd.Context(), jail, unban)); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "OK")
			return err
		},
	}
	f.register(cmd, s)
	cmd.Flags().BoolVar(&unban, "unban", false, "lift the bans of the reloaded jails")
	return cmd
}

// bantimeKeys, getKeys and setKeys are the jail settings get and set
// know, as fail2ban-client names them.
func bantimeKeys() []string {
	return []string{"bantime.increment", "bantime.factor", "bantime.formula", "bantime.multipliers",
		"bantime.maxtime", "bantime.rndtime", "bantime.overalljails"}
}

func getKeys() []string {
	return append([]string{"bantime", "findtime", "maxretry", "maxmatches", "maxlines", "ignoreip", "ignoreself",
		"ignorecommand", "usedns", "logpath", "logencoding", "journalmatch", "failregex", "ignoreregex",
		"prefregex", "logtimezone", "actions", "banip"}, bantimeKeys()...)
}

func setKeys() []string {
	return append([]string{"bantime", "findtime", "maxretry", "maxmatches", "maxlines", "addignoreip",
		"delignoreip", "ignoreself", "ignorecommand", "usedns", "logencoding"}, bantimeKeys()...)
}

func newGetCmd(s settings) *cobra.Command {
	var f socketFlag
	cmd := &cobra.Command{
		Use:   "get JAIL KEY",
		Short: "Print a jail setting",
		Long: `Print a setting of a running jail, as fail2ban-client get does. KEY is one of
` + strings.Join(getKeys(), ", ") + `.
Times are in seconds.`,
		Example: `  warden get sshd maxretry
  warden get sshd ignoreip`,
		Args: argsBetween(2, 2, "JAIL and KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(getKeys(), args[1]) {
				return usageErrorf(cmd, "unknown setting %q (use %s)", args[1], strings.Join(getKeys(), ", "))
			}
			v, err := f.client().Get(cmd.Context(), args[0], args[1])
			if err != nil {
				return f.reach(err)
			}
			_, err = io.WriteString(cmd.OutOrStdout(), formatValue(args[0], args[1], v))
			return err
		},
	}
	f.register(cmd, s)
	return cmd
}

func newSetCmd(s settings) *cobra.Command {
	var f socketFlag
	cmd := &cobra.Command{
		Use:   "set JAIL KEY VALUE",
		Short: "Change a jail setting",
		Long: `Change a setting of a running jail until the next reload, and print its new
value, as fail2ban-client set does. KEY is one of
` + strings.Join(setKeys(), ", ") + `.
Times take fail2ban's forms (600, 10m, 1h30m); addignoreip takes several
addresses.`,
		Example: `  warden set sshd maxretry 3
  warden set sshd bantime 1h
  warden set sshd addignoreip 192.0.2.0/24 198.51.100.1`,
		Args: argsBetween(3, 1<<30, "JAIL, KEY and VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			jail, key, values := args[0], args[1], args[2:]
			if !slices.Contains(setKeys(), key) {
				return usageErrorf(cmd, "unknown setting %q (use %s)", key, strings.Join(setKeys(), ", "))
			}
			if len(values) > 1 && key != "addignoreip" {
				return usageErrorf(cmd, "unexpected argument %q", values[1])
			}
			var v control.Value
			for _, val := range values {
				var err error
				if v, err = f.client().Set(cmd.Context(), jail, key, val); err != nil {
					return f.reach(err)
				}
			}
			_, err := io.WriteString(cmd.OutOrStdout(), formatValue(jail, key, v))
			return err
		},
	}
	f.register(cmd, s)
	return cmd
}

func newPingCmd(s settings) *cobra.Command {
	var f socketFlag
	cmd := &cobra.Command{
		Use:   "ping",
		Short: "Check that the daemon answers",
		Long:  `Check that the daemon answers on its control socket: prints "Server replied: pong".`,
		Args:  argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.reach(f.client().Ping(cmd.Context())); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "Server replied: pong")
			return err
		},
	}
	f.register(cmd, s)
	return cmd
}

func newStopCmd(s settings) *cobra.Command {
	var f socketFlag
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop the daemon",
		Long: `Ask the daemon to stop: it finishes what it is doing and exits; the bans
stay recorded and come back when it starts again. Prints
"Shutdown successful".`,
		Args: argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.reach(f.client().Stop(cmd.Context())); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "Shutdown successful")
			return err
		},
	}
	f.register(cmd, s)
	return cmd
}
