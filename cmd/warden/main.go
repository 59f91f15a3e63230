// Command warden is a fail2ban-compatible intrusion-prevention daemon and its
// command-line tools.
//
// Exit statuses: 0 success, 1 a problem found (configuration errors, a
// failure to read or write), 2 wrong usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	// warden regex's heap in huge pages from early in the packages'
	// initialisation (see the package)
	_ "github.com/wardenipd/warden/internal/hugeheap/atstart"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake in the command line. msg starts with the
// command's path ("warden regex: ..."); hint names the command whose help
// to read.
type usageError struct {
	msg  string
	hint string // command path, e.g. "warden regex"; empty for none
}

func (e *usageError) Error() string { return e.msg }

// exitError carries an exit code for a failure already reported to the user.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args, err := commandLine(os.Args[0], os.Args[1:])
	if err == nil {
		s := defaultSettings()
		s.hugeHeap = true
		err = runWith(ctx, s, args, os.Stdin, os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// commandLine is warden's command line for the program invoked as argv0
// with args: through a link named fail2ban-regex or fail2ban-client, the
// command line of that program, translated.
func commandLine(argv0 string, args []string) ([]string, error) {
	switch filepath.Base(argv0) {
	case "fail2ban-regex":
		return append([]string{"regex"}, args...), nil
	case "fail2ban-client":
		return fail2banClientArgs(args)
	}
	return args, nil
}

// exitCode reports err on stderr (unless it was reported already) and
// returns the exit status for it.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", ue.hint)
		}
		return exitUsage
	default:
		fmt.Fprintf(stderr, "warden: %v\n", err)
		return exitFailure
	}
}

// run executes the command line args (without the program name) and
// returns what went wrong, for exitCode. Everything written to stdout is
// checked: a write error is a failure (exit 1), never silently lost.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runWith(ctx, defaultSettings(), args, stdin, stdout, stderr)
}

func runWith(ctx context.Context, s settings, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	out := &checkedWriter{w: stdout}
	var root *cobra.Command
	if len(args) > 0 && args[0] == "regex" {
		root = newRegexRoot(s, stdin, out, stderr)
	} else {
		root = newRootCmd(s, stdin, out, stderr)
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	// A failed write explains whatever else went wrong after it.
	var ue *usageError
	if out.err != nil && !errors.As(err, &ue) {
		err = fmt.Errorf("write output: %w", out.err)
	}
	return err
}

// checkedWriter remembers the first write error; later writes fail at
// once with it.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}
