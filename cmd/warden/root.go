package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// settings are the defaults a command line starts from; tests replace them.
type settings struct {
	configDir string           // the configuration directory when --config is not given
	socket    string           // the daemon's control socket when --socket is not given
	lines     lineMode         // how warden regex hands out the lines of a log (tests)
	now       func() time.Time // warden regex's clock; nil: time.Now (tests)
	// hugeHeap: warden regex asks for huge pages for its heap
	// (hugeheap.Advise); set for the process's own command line, not
	// for the tests that run commands in theirs.
	hugeHeap bool
}

// defaultSettings: the configuration directory is $WARDEN_CONFIG when set,
// else /etc/warden; the control socket $WARDEN_SOCKET, else
// /run/warden/warden.sock.
func defaultSettings() settings {
	s := settings{configDir: defaultConfigDir, socket: defaultSocket}
	if d := os.Getenv("WARDEN_CONFIG"); d != "" {
		s.configDir = d
	}
	if p := os.Getenv("WARDEN_SOCKET"); p != "" {
		s.socket = p
	}
	return s
}

const rootLong = `Warden is a fail2ban-compatible intrusion-prevention daemon: it reads your
logs, spots failed logins, bans the attackers in the kernel firewall and can
report them to AbuseIPDB.

The configuration directory defaults to /etc/warden (or $WARDEN_CONFIG); it is
laid over Warden's built-in defaults. An existing fail2ban tree works too: --config /etc/fail2ban.

status, ban, unban, banned, reload, get, set, ping and stop talk to the running
daemon on its control socket: /run/warden/warden.sock, or $WARDEN_SOCKET, or
--socket PATH. Invoked as fail2ban-client (a link), warden takes
fail2ban-client's command lines for them.

Exit statuses: 0 success, 1 a problem found (configuration errors, a failure
to read or write), 2 wrong usage.`

// newRootCmd builds the whole command tree, writing to out and errw.
// Nothing in it is global: each call gets fresh commands and flags.
func newRootCmd(s settings, in io.Reader, out, errw io.Writer) *cobra.Command {
	root := newBareRoot(in, out, errw)
	// --version, as well as the version command.
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		newConfigCmd(s),
		newRegexCmd(s),
		newRunCmd(s),
		newVersionCmd(),
		newManCmd(),
		newAbuseIPDBCmd(s),
	)
	root.AddCommand(controlCommands(s)...)
	// cobra's own help and completion commands, added now rather than at
	// Execute so that the man pages have them too; a group without its
	// subcommand (completion) is wrong usage, as ours are.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args, c.RunE = noSubcommandArgs, groupRunE
		}
	}
	return root
}

// newRegexRoot is the tree of newRootCmd cut to its regex command, for a
// command line that starts with it: warden regex is run on logs of a few
// megabytes, and building the other commands (their flags, cobra's
// completion command, the version line from the build information) took
// 0.3 to 0.4 million of the 18.7 million instructions of its start-up on
// an empty log (WARDEN_REV=3ca74f5 bench/compile.sh against the tree
// after). A command line given to the regex
// command runs, and fails, as in the whole tree: the root has no
// persistent flag, and --version is the root's alone.
// TestRegexRootAsWholeTree compares the two.
func newRegexRoot(s settings, in io.Reader, out, errw io.Writer) *cobra.Command {
	root := newBareRoot(in, out, errw)
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newRegexCmd(s))
	return root
}

// newBareRoot is the root command, without its subcommands.
func newBareRoot(in io.Reader, out, errw io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "warden",
		Short:         "A fail2ban-compatible intrusion-prevention daemon",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noSubcommandArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// No command: the help, on stderr, as wrong usage.
			cmd.SetOut(cmd.ErrOrStderr())
			if err := cmd.Help(); err != nil {
				return err
			}
			return &exitError{code: exitUsage}
		},
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	// Before the completion command is added: it takes its output then.
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errw)
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf(cmd, "%v", err)
	})
	return root
}

// noSubcommandArgs rejects arguments of a command that only groups
// subcommands: an unknown subcommand is wrong usage.
func noSubcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErrorf(cmd, "%s", msg)
}

// groupRunE is the RunE of a command that only groups subcommands:
// without one it is wrong usage.
func groupRunE(cmd *cobra.Command, _ []string) error {
	return usageErrorf(cmd, "missing subcommand (%s)", subcommandNames(cmd))
}

func subcommandNames(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}

// argsBetween accepts between lo and hi positional arguments, named in
// the message when there are not.
func argsBetween(lo, hi int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < lo:
			return usageErrorf(cmd, "missing %s", what)
		case len(args) > hi:
			return usageErrorf(cmd, "unexpected argument %q", args[hi])
		}
		return nil
	}
}

// usageErrorf is wrong usage of cmd: the message starts with the command's
// path, and the hint points at its help.
func usageErrorf(cmd *cobra.Command, format string, a ...any) error {
	return &usageError{msg: cmd.CommandPath() + ": " + fmt.Sprintf(format, a...), hint: cmd.CommandPath()}
}
