package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/logenc"
	"github.com/wardenipd/warden/internal/shlex"
)

// CommandConfig configures a command backend (backend = command:...).
type CommandConfig struct {
	// Command is the command line written after "command:", such as
	// "docker logs -f --since 1m web". It is split into arguments by
	// shlex.Split and run directly, without a shell: no expansion, no
	// pipes. A shell is one argument away when wanted:
	// command:sh -c 'journalctl -f | grep sshd'.
	Command string
	// Encoding decodes the output (logencoding); nil is UTF-8. It must
	// end lines with "\n" (no UTF-16 or EBCDIC).
	Encoding *logenc.Encoding
	MaxLine  int // bytes of a line kept, the rest cut; 0 is DefaultMaxProcessLine
	Backoff  Backoff
	Clock    clock.Clock  // nil is clock.Real{}
	Log      *slog.Logger // nil discards
}

// Command reads the standard output of a long-running command, one Line
// for each line it writes, and starts the command again, after a
// back-off, whenever it ends. Its standard error is logged (the first
// lines of each run, cut short).
type Command struct {
	name string
	argv []string
	enc  *logenc.Encoding
	proc *proc
}

// NewCommand checks cfg and returns the backend; nothing runs before Run.
func NewCommand(cfg CommandConfig) (*Command, error) {
	argv, err := shlex.Split(cfg.Command)
	if err != nil {
		return nil, fmt.Errorf("command %q: %w", cfg.Command, err)
	}
	if len(argv) == 0 {
		return nil, errors.New("command: empty command")
	}
	enc := cfg.Encoding
	if enc == nil {
		if enc, err = logenc.Lookup("utf-8"); err != nil {
			return nil, fmt.Errorf("command: %w", err)
		}
	}
	if enc.Newline() != "\n" {
		return nil, fmt.Errorf("command %q: encoding %s does not end lines with \\n", cfg.Command, enc.Name())
	}
	name := "command:" + cfg.Command
	return &Command{
		name: name,
		argv: argv,
		enc:  enc,
		proc: newProc(name, cfg.Backoff, cfg.MaxLine, cfg.Clock, cfg.Log),
	}, nil
}

func newProc(name string, b Backoff, maxLine int, c clock.Clock, log *slog.Logger) *proc {
	if maxLine <= 0 {
		maxLine = DefaultMaxProcessLine
	}
	if c == nil {
		c = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &proc{name: name, backoff: b.withDefaults(), maxLine: maxLine, clock: c, log: log}
}

// Name returns the Source of its lines: "command:" and the command line.
func (c *Command) Name() string { return c.name }

// Stats returns what the backend counted so far.
func (c *Command) Stats() ProcessStats { return c.proc.stats.snapshot() }

// Run runs the command and sends its lines to out until ctx is done, then
// kills the command's process group and returns nil. It never closes out.
// A line's trailing "\r" is dropped with its "\n".
func (c *Command) Run(ctx context.Context, out chan<- Line) error {
	handle := func(ctx context.Context, b []byte, _, _ bool) error {
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
		l := Line{Text: c.enc.Decode(string(b)), Source: c.name}
		select {
		case out <- l:
			c.proc.stats.lines.Add(1)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.proc.supervise(ctx, func() []string { return c.argv }, handle, nil)
	return nil
}
