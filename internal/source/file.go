package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/logenc"
)

// Mode is how Files learns that its files changed.
type Mode int

const (
	// ModeInotify watches the files' directories through inotify, and
	// polls when inotify is unavailable (fail2ban's auto and pyinotify
	// backends). It still looks at every file once per poll interval, in
	// case an event was lost.
	ModeInotify Mode = iota
	// ModePolling looks at every file once per poll interval (fail2ban's
	// polling backend).
	ModePolling
)

// ParseMode returns the Mode of a jail's backend: "auto" and "pyinotify"
// are ModeInotify, "polling" ModePolling. Other backends ("systemd",
// "command:...") are not files: ok is false.
func ParseMode(backend string) (m Mode, ok bool) {
	switch backend {
	case "auto", "pyinotify":
		return ModeInotify, true
	case "polling":
		return ModePolling, true
	}
	return 0, false
}

func (m Mode) String() string {
	switch m {
	case ModeInotify:
		return "inotify"
	case ModePolling:
		return "polling"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Start is where reading begins in a file met when Files starts and not
// known to its Positions: fail2ban's "tail" or "head" after a logpath.
type Start int

const (
	// StartTail starts after the file's last whole line: only lines
	// written from now on are read.
	StartTail Start = iota
	// StartHead reads the file from its start.
	StartHead
)

// FilePath is one logpath entry of a jail.
type FilePath struct {
	Pattern string // a file name or a glob (filepath.Match syntax)
	Start   Start
}

// Defaults of FileConfig.
const (
	DefaultPollInterval = time.Second
	DefaultSaveInterval = 10 * time.Second
	DefaultMaxLine      = 1 << 20
)

// FileConfig configures Files. Only Paths is required.
type FileConfig struct {
	Paths []FilePath
	// Encoding is the logencoding; nil is UTF-8.
	Encoding *logenc.Encoding
	// Positions keeps the read positions across restarts; nil keeps none.
	Positions Positions
	// Clock drives polling and the saving of positions; nil is the real
	// clock.
	Clock clock.Clock
	// PollInterval is how often every file is looked at (fail2ban's
	// sleeptime); 0 is DefaultPollInterval.
	PollInterval time.Duration
	// SaveInterval is how often changed positions are saved (and on
	// stop); 0 is DefaultSaveInterval.
	SaveInterval time.Duration
	Mode         Mode
	// MaxLine caps a line's length in bytes, its line end excluded; 0 is
	// DefaultMaxLine. A longer line is dropped (counted in
	// FileStats.Skipped and logged) and reading goes on after it.
	MaxLine int
	// Logger gets rotations, skipped lines and errors; nil discards them.
	Logger *slog.Logger
}

// FileStats counts what Files did.
type FileStats struct {
	Lines     int64 // lines sent
	Skipped   int64 // lines longer than MaxLine, dropped
	Rotations int64 // files replaced, truncated or removed under their name
}

// Files follows the log files of a jail.
//
// Files are read in blocks from an open descriptor, and cut into lines in
// their raw bytes by the encoding's line end; each line is decoded on its
// own (what cannot be decoded becomes U+FFFD) and loses its trailing
// "\r", as fail2ban strips "\r\n".
//
// Rotation: a file renamed or removed under its name is read to its end,
// then read again at each poll for a while (2 poll intervals, at least 5
// s) for the lines its writer adds before reopening its log, and closed;
// a last line it left without line end is then sent. The file that takes
// its name is read from its start. A file that shrinks below what was
// read, or whose first line changed, was truncated in place
// (copytruncate) and is read from its start. A renamed file whose new
// name matches a logpath too is followed on under that name; a new file
// whose first line is that of another followed file is taken for
// copytruncate's copy and only its new lines are read.
//
// The fingerprint kept with a position is the first 16 bytes of the
// SHA-256 of the file's first line (its line end included; its first 4
// KiB when the line is longer), in hex; "" while the file holds no whole
// line.
type Files struct {
	cfg     FileConfig
	enc     *logenc.Encoding
	running atomic.Bool

	lines, skipped, rotations atomic.Int64

	mu    sync.Mutex
	paths []string
}

// NewFiles checks cfg and returns Files that Run follows.
func NewFiles(cfg FileConfig) (*Files, error) {
	if len(cfg.Paths) == 0 {
		return nil, errors.New("new files source: no logpath")
	}
	cfg.Paths = slices.Clone(cfg.Paths)
	for i, p := range cfg.Paths {
		if p.Pattern == "" {
			return nil, errors.New("new files source: empty logpath")
		}
		if _, err := filepath.Match(p.Pattern, ""); err != nil {
			return nil, fmt.Errorf("new files source: logpath %q: %w", p.Pattern, err)
		}
		if p.Start != StartTail && p.Start != StartHead {
			return nil, fmt.Errorf("new files source: logpath %q: unknown start %d", p.Pattern, p.Start)
		}
		cfg.Paths[i].Pattern = filepath.Clean(p.Pattern)
	}
	if cfg.Mode != ModeInotify && cfg.Mode != ModePolling {
		return nil, fmt.Errorf("new files source: unknown mode %d", cfg.Mode)
	}
	enc := cfg.Encoding
	if enc == nil {
		var err error
		if enc, err = logenc.Lookup("utf-8"); err != nil {
			return nil, fmt.Errorf("new files source: %w", err)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.SaveInterval <= 0 {
		cfg.SaveInterval = DefaultSaveInterval
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Files{cfg: cfg, enc: enc}, nil
}

// Paths returns the files being followed, sorted: fail2ban's "File list".
func (f *Files) Paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.paths)
}

// Stats returns the counts so far.
func (f *Files) Stats() FileStats {
	return FileStats{Lines: f.lines.Load(), Skipped: f.skipped.Load(), Rotations: f.rotations.Load()}
}

func (f *Files) setPaths(p []string) {
	f.mu.Lock()
	f.paths = p
	f.mu.Unlock()
}

// Run follows the files and sends their lines to out until ctx is done;
// then it saves the positions and returns nil. It never closes out. Files
// that cannot be read are logged and tried again at each poll.
//
// At start, each file matching a logpath resumes at its saved position
// when Positions knows it and its fingerprint (a hash of its first line)
// still matches, whatever its Start (fail2ban ignores the saved position
// of a tail logpath, losing what was written while it was stopped); a
// file whose fingerprint differs was replaced while Warden was stopped
// and is read from its start; an unknown file starts as its logpath's
// Start says. A file appearing later is read from its start. A line is
// sent once it is complete: a last line without its line end waits for
// it.
func (f *Files) Run(ctx context.Context, out chan<- Line) error {
	if !f.running.CompareAndSwap(false, true) {
		return errors.New("run files source: already running")
	}
	defer f.running.Store(false)
	r := newRunner(f, out)
	defer r.close()

	var events <-chan fsnotify.Event
	var errs <-chan error
	if f.cfg.Mode == ModeInotify {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			f.cfg.Logger.Warn("inotify unavailable, polling instead", "err", err)
		} else {
			r.watcher = w
			events, errs = w.Events, w.Errors
		}
	}
	if err := r.scan(ctx, true); err != nil {
		return r.stop()
	}
	tick := f.cfg.Clock.NewTimer(f.cfg.PollInterval)
	defer tick.Stop()
	lastSave := f.cfg.Clock.Now()
	for {
		var err error
		select {
		case <-ctx.Done():
			return r.stop()
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			err = r.handleEvents(ctx, ev, events)
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// An overflow lost events: look at everything.
			f.cfg.Logger.Warn("inotify error", "err", e)
			err = r.scan(ctx, false)
		case <-tick.C():
			err = r.scan(ctx, false)
			if now := f.cfg.Clock.Now(); now.Sub(lastSave) >= f.cfg.SaveInterval {
				r.save()
				lastSave = now
			}
			tick.Reset(f.cfg.PollInterval)
		}
		if err != nil { // ctx is done
			return r.stop()
		}
	}
}
