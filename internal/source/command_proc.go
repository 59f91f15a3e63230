package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// Defaults of the process backends (command and journal).
const (
	DefaultMinBackoff     = time.Second     // the first wait before a restart
	DefaultMaxBackoff     = time.Minute     // the longest wait before a restart
	DefaultResetAfter     = time.Minute     // a process that ran this long restarts after DefaultMinBackoff again
	DefaultMaxProcessLine = 64 << 10        // bytes of a line kept; the rest is cut
	maxStderrLines        = 10              // stderr lines logged per process run
	maxStderrLine         = 512             // bytes of a stderr line logged
	waitDelay             = 2 * time.Second // bounds Wait once the process group is killed
	readBufSize           = 64 << 10        // stdout read buffer
)

// Backoff says how a process backend restarts its process when it ends:
// after Min, then twice as long each time up to Max; a process that ran
// for ResetAfter or longer restarts after Min again. Zero fields take the
// Default values.
type Backoff struct {
	Min, Max, ResetAfter time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Min <= 0 {
		b.Min = DefaultMinBackoff
	}
	if b.Max <= 0 {
		b.Max = DefaultMaxBackoff
	}
	b.Max = max(b.Max, b.Min)
	if b.ResetAfter <= 0 {
		b.ResetAfter = DefaultResetAfter
	}
	return b
}

// ProcessStats counts what a process backend did since it was made.
type ProcessStats struct {
	Starts    int64 // processes started
	Restarts  int64 // ends of a process (or failures to start it), each followed by a back-off
	Lines     int64 // lines sent
	Truncated int64 // lines longer than the cap, cut to it
	Dropped   int64 // output lines that gave no line (journal: unreadable or too long entries)
	Stderr    int64 // lines the process wrote on its standard error
}

type procStats struct {
	starts, restarts, lines, truncated, dropped, stderr atomic.Int64
}

func (s *procStats) snapshot() ProcessStats {
	return ProcessStats{
		Starts: s.starts.Load(), Restarts: s.restarts.Load(), Lines: s.lines.Load(),
		Truncated: s.truncated.Load(), Dropped: s.dropped.Load(), Stderr: s.stderr.Load(),
	}
}

// lineFunc handles one line of a process's output (without its "\n",
// cut to the cap when trunc). idle is set when no more output is waiting
// to be read. The line's bytes are only valid during the call.
type lineFunc func(ctx context.Context, line []byte, trunc, idle bool) error

// proc runs a process again and again, reading its standard output.
type proc struct {
	name    string // the source's name, in logs
	backoff Backoff
	maxLine int
	clock   clock.Clock
	log     *slog.Logger
	stats   procStats
}

// supervise runs argv() and hands each line of its output to handle until
// ctx is done; when the process ends (or cannot start), ended is called
// with the number of lines read and why, then it waits its back-off on
// the clock and starts it again.
func (p *proc) supervise(ctx context.Context, argv func() []string, handle lineFunc, ended func(read int64, err error)) {
	delay := p.backoff.Min
	for {
		start := p.clock.Now()
		read, err := p.runOnce(ctx, argv(), handle)
		if ctx.Err() != nil {
			return
		}
		if ended != nil {
			ended(read, err)
		}
		if p.clock.Now().Sub(start) >= p.backoff.ResetAfter {
			delay = p.backoff.Min
		}
		if err == nil {
			err = errors.New("exited")
		}
		p.stats.restarts.Add(1)
		p.log.Error("log source process ended; restarting after back-off",
			"source", p.name, "err", err, "lines", read, "backoff", delay)
		t := p.clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		delay = min(delay*2, p.backoff.Max)
	}
}

// runOnce starts argv in its own process group, reads its output to the
// end, kills what remains of the group and waits for it.
func (p *proc) runOnce(ctx context.Context, argv []string, handle lineFunc) (read int64, err error) {
	if len(argv) == 0 {
		return 0, errors.New("no command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay
	stderr := &stderrLog{name: p.name, log: p.log, stats: &p.stats}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("pipe %s: %w", argv[0], err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p.stats.starts.Add(1)
	lr := newLineReader(stdout, p.maxLine)
	var rerr error
	for {
		line, trunc, err := lr.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				rerr = fmt.Errorf("read %s: %w", argv[0], err)
			}
			break
		}
		read++
		if trunc {
			p.stats.truncated.Add(1)
		}
		if err := handle(ctx, line, trunc, lr.idle()); err != nil {
			rerr = err
			break
		}
	}
	// The group leader is not reaped yet, so its group id is still ours.
	_ = killGroup(cmd.Process.Pid)
	werr := cmd.Wait()
	stderr.flush()
	if rerr != nil {
		return read, rerr
	}
	if werr != nil {
		return read, fmt.Errorf("%s: %w", argv[0], werr)
	}
	return read, nil
}

// killGroup kills the process group led by pid.
func killGroup(pid int) error {
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pid, err)
	}
	return nil
}

// lineReader cuts a stream into lines at "\n", each cut to max bytes.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

func newLineReader(r io.Reader, maxLine int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, readBufSize), max: maxLine}
}

// next returns the next line without its "\n" (a last line without one
// too), cut to the cap (trunc), or io.EOF at the end.
func (r *lineReader) next() (line []byte, trunc bool, err error) {
	r.buf = r.buf[:0]
	got := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		got = got || len(chunk) > 0
		end := err == nil
		if end {
			chunk = chunk[:len(chunk)-1]
		}
		if room := r.max - len(r.buf); len(chunk) > room {
			chunk, trunc = chunk[:room], true
		}
		r.buf = append(r.buf, chunk...)
		switch {
		case end:
			return r.buf, trunc, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && got:
			return r.buf, trunc, nil
		default:
			return nil, false, err
		}
	}
}

// idle reports whether no read output is waiting.
func (r *lineReader) idle() bool { return r.br.Buffered() == 0 }

// stderrLog logs the first lines a process writes on its standard error,
// each cut short, and counts the others.
type stderrLog struct {
	name   string
	log    *slog.Logger
	stats  *procStats
	mu     sync.Mutex
	part   []byte // the line being written, at most maxStderrLine bytes
	cut    bool
	logged int
	quiet  int // lines not logged
}

func (w *stderrLog) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		if room := maxStderrLine - len(w.part); len(chunk) > room {
			chunk, w.cut = chunk[:room], true
		}
		w.part = append(w.part, chunk...)
		if i < 0 {
			break
		}
		w.line()
		b = b[i+1:]
	}
	return n, nil
}

func (w *stderrLog) line() {
	w.stats.stderr.Add(1)
	if w.logged < maxStderrLines {
		w.logged++
		text := strings.ToValidUTF8(string(w.part), "\uFFFD")
		if w.cut {
			text += "…"
		}
		w.log.Warn("log source process stderr", "source", w.name, "line", text)
	} else {
		w.quiet++
	}
	w.part, w.cut = w.part[:0], false
}

// flush logs a last unterminated line and how many lines were not logged.
func (w *stderrLog) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.part) > 0 || w.cut {
		w.line()
	}
	if w.quiet > 0 {
		w.log.Warn("log source process stderr lines not logged", "source", w.name, "count", w.quiet)
		w.quiet = 0
	}
}
