// Command warden is a fail2ban-compatible intrusion-prevention daemon and its
// command-line tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitError carries an exit code for a failure already reported to the user.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "warden: %s\nRun 'warden help' for usage.\n", ue.msg)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "warden: %v\n", err)
		return exitFailure
	}
}

const usage = `Warden: a fail2ban-compatible intrusion-prevention daemon.

Usage:
  warden config check [--config DIR]        check the configuration, list problems as FILE:LINE: message
  warden config dump [--config DIR] --json  print the resolved enabled jails as JSON
  warden regex [options] LOG FILTER [IGNOREREGEX]
                                            test a filter against a log, like fail2ban-regex
  warden version                            print the version
  warden help                               this text

The configuration directory defaults to /etc/warden; it is laid over Warden's
built-in defaults. An existing fail2ban tree works too: --config /etc/fail2ban.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: exitUsage}
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintf(stdout, "warden %s (fail2ban %s configuration compatible)\n", version, compatVersion)
		return nil
	case "config":
		return runConfig(ctx, args[1:], stdout, stderr)
	case "regex":
		return runRegex(ctx, args[1:], stdin, stdout, stderr)
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
}
