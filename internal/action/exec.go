package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// maxOutput bounds what is kept of a command's standard output and error.
const maxOutput = 64 << 10

// ErrTimeout is wrapped by the error of a command killed because it ran
// longer than the action's timeout.
var ErrTimeout = errors.New("command timed out")

// CommandError is a command that failed: it exited with a status other
// than 0, was killed, or could not start.
type CommandError struct {
	Op       string // actionban, actionstart...
	Family   string // inet4, inet6 or ""
	ExitCode int    // -1 when killed by a signal or not started
	Stderr   string // the end of its standard error
	Err      error
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.Op)
	if e.Family != "" {
		fmt.Fprintf(&b, " (%s)", e.Family)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		fmt.Fprintf(&b, ": %q", s)
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// capped keeps the first max bytes written to it.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		if len(p) > room {
			c.buf.Write(p[:room])
		} else {
			c.buf.Write(p)
		}
	}
	return len(p), nil
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// run runs script with the action's shell in a session of its own, with
// env added to the environment. When timeout passes or ctx is cancelled
// the whole process group gets SIGTERM, then SIGKILL after the grace
// period (fail2ban kills the tree so too).
func (a *Action) run(ctx context.Context, op, family, script string, env map[string]string) error {
	if script == "" {
		return nil
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	cmd := exec.Command(a.opts.Shell, "-c", script)
	cmd.Dir = a.opts.Dir
	cmd.Env = a.environ(env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stdout, stderr := &capped{max: maxOutput}, &capped{max: maxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A background process that keeps the output pipes open does not
	// hold the action once the shell has exited.
	cmd.WaitDelay = a.opts.KillGrace
	fail := func(code int, err error) error {
		return &CommandError{Op: op, Family: family, ExitCode: code, Stderr: tail(stderr.buf.String(), 512), Err: err}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fail(-1, fmt.Errorf("start %s: %w", a.opts.Shell, err))
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	killed := false
	select {
	case err = <-done:
	case <-ctx.Done():
		killed = true
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		grace := time.NewTimer(a.opts.KillGrace)
		exited := false
		select {
		case err = <-done:
			exited = true
		case <-grace.C:
		}
		grace.Stop()
		// The shell's children too, even when it went on SIGTERM.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		if !exited {
			err = <-done
		}
	}
	log := a.opts.Log.With("action", a.name, "op", op, "family", family, "took", time.Since(start))
	if killed {
		cause := parent.Err()
		if cause == nil {
			cause = fmt.Errorf("%w after %s", ErrTimeout, a.timeout)
		}
		log.Error("action command killed", "err", cause, "stdout", stdout.buf.String(), "stderr", stderr.buf.String())
		return fail(-1, cause)
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		// The shell exited 0; a background process it left keeps the
		// output open, and is left running, as fail2ban leaves it.
		err = nil
	}
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		log.Error("action command failed", "err", err, "stdout", stdout.buf.String(), "stderr", stderr.buf.String())
		return fail(code, err)
	}
	log.Debug("action command done", "stdout", stdout.buf.String(), "stderr", stderr.buf.String())
	return nil
}

// environ returns the commands' environment with env's variables (and no
// inherited f2bV_ ones).
func (a *Action) environ(env map[string]string) []string {
	base := a.opts.Env
	if base == nil {
		base = os.Environ()
	}
	out := make([]string, 0, len(base)+len(env))
	for _, kv := range base {
		if !strings.HasPrefix(kv, "f2bV_") {
			out = append(out, kv)
		}
	}
	names := make([]string, 0, len(env))
	for n := range env {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, n+"="+env[n])
	}
	return out
}
