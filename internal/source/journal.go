package source

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/logenc"
)

// fail2ban's journalflags (sd_journal_open's flags).
const (
	JournalLocalOnly   = 1
	JournalRuntimeOnly = 2
	JournalSystem      = 4
	JournalCurrentUser = 8
	JournalOSRoot      = 16
)

const (
	// DefaultMaxJournalEntry caps a line of journalctl's JSON output; a
	// longer entry is dropped (its MESSAGE is then cut to MaxLine anyway).
	DefaultMaxJournalEntry = 4 << 20
	// journalSaveEvery: under a stream of entries, the cursor is saved
	// after this many; otherwise whenever journalctl has nothing more.
	journalSaveEvery = 100
)

// JournalConfig configures the systemd backend (backend = systemd).
type JournalConfig struct {
	// Matches are the lines of journalmatch, each split as shlex.split
	// splits it (config's JournalMatch): FIELD=VALUE terms, "+" between
	// alternatives. Terms of the same field are alternatives, terms of
	// different fields must all hold (journalctl's rules); the lines are
	// alternatives too. None: every entry.
	Matches [][]string
	// Lookback is the jail's findtime. As fail2ban, reading starts at now
	// minus Lookback when no position is saved, and entries older than
	// that are skipped after a saved one too.
	Lookback time.Duration
	// Flags is fail2ban's journalflags; nil is fail2ban's default,
	// JournalSystem (--system), unless Directory or Files is set. The
	// journalctl options: JournalSystem --system, JournalCurrentUser
	// --user; JournalLocalOnly is journalctl's default; JournalRuntimeOnly
	// and JournalOSRoot have none and are refused.
	Flags     *int
	Directory string   // journalpath: --directory
	Files     []string // journalfiles: --file, each a glob pattern
	Namespace string   // namespace: --namespace
	// Encoding decodes field values that are not UTF-8 (logencoding);
	// nil is UTF-8.
	Encoding   *logenc.Encoding
	Journalctl string // the program; "" is journalctl, looked up in PATH
	MaxLine    int    // bytes of a line's text kept; 0 is DefaultMaxProcessLine
	Backoff    Backoff
	// Positions keeps the last entry read, under Key(); nil: none kept.
	Positions Positions
	Clock     clock.Clock  // nil is clock.Real{}
	Log       *slog.Logger // nil discards
}

// Journal reads the systemd journal by running journalctl --follow
// --output=json, one Line for each entry, formatted as fail2ban formats
// journal entries, with the entry's time. The cursor of the last entry is
// saved in Positions (as the fingerprint; the position is its time in µs)
// so that a restart resumes right after it. journalctl is restarted with
// a back-off when it ends.
type Journal struct {
	key      string
	opts     []string // journalctl options, without the start and the matches
	matches  []string
	lookback time.Duration
	enc      *logenc.Encoding
	maxLine  int
	pos      Positions
	proc     *proc
}

// NewJournal checks cfg and returns the backend; nothing runs before Run.
func NewJournal(cfg JournalConfig) (*Journal, error) {
	var terms, lines []string
	for _, line := range cfg.Matches {
		if len(line) == 0 {
			continue
		}
		for _, t := range line {
			if t != "+" && !validMatch(t) {
				return nil, fmt.Errorf("journalmatch %q: %q is not FIELD=VALUE", strings.Join(line, " "), t)
			}
		}
		if len(terms) > 0 {
			terms = append(terms, "+")
		}
		terms = append(terms, line...)
		lines = append(lines, strings.Join(line, " "))
	}
	key := "journal:" + strings.Join(lines, " + ")
	opts := []string{"--follow", "--output=json", "--all", "--no-pager", "--no-tail"}
	flags := JournalSystem
	if cfg.Flags != nil {
		flags = *cfg.Flags
	} else if cfg.Directory != "" || len(cfg.Files) > 0 {
		flags = 0
	}
	if flags&^(JournalLocalOnly|JournalSystem|JournalCurrentUser) != 0 {
		return nil, fmt.Errorf("journalflags %d: only %d (local), %d (system) and %d (user) are supported by journalctl",
			flags, JournalLocalOnly, JournalSystem, JournalCurrentUser)
	}
	if flags&JournalSystem != 0 {
		opts = append(opts, "--system")
	}
	if flags&JournalCurrentUser != 0 {
		opts = append(opts, "--user")
	}
	if cfg.Directory != "" {
		d, err := filepath.Abs(cfg.Directory)
		if err != nil {
			return nil, fmt.Errorf("journalpath: %w", err)
		}
		opts = append(opts, "--directory="+d)
		key += " directory=" + d
	}
	for _, f := range cfg.Files {
		// journalctl --follow needs the files' directories: absolute paths.
		a, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("journalfiles: %w", err)
		}
		opts = append(opts, "--file="+a)
		key += " file=" + a
	}
	if cfg.Namespace != "" {
		opts = append(opts, "--namespace="+cfg.Namespace)
		key += " namespace=" + cfg.Namespace
	}
	enc := cfg.Encoding
	if enc == nil {
		var err error
		if enc, err = logenc.Lookup("utf-8"); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	prog := cfg.Journalctl
	if prog == "" {
		prog = "journalctl"
	}
	p := newProc("journal", cfg.Backoff, DefaultMaxJournalEntry, cfg.Clock, cfg.Log)
	maxLine := cfg.MaxLine
	if maxLine <= 0 {
		maxLine = DefaultMaxProcessLine
	}
	return &Journal{
		key:      key,
		opts:     append([]string{prog}, opts...),
		matches:  terms,
		lookback: max(cfg.Lookback, 0),
		enc:      enc,
		maxLine:  maxLine,
		pos:      cfg.Positions,
		proc:     p,
	}, nil
}

// validMatch reports whether t is a journal match: FIELD=VALUE, the field
// of capital letters, digits and underscores, not starting with a digit.
func validMatch(t string) bool {
	field, _, ok := strings.Cut(t, "=")
	if !ok || field == "" || field[0] >= '0' && field[0] <= '9' {
		return false
	}
	for i := 0; i < len(field); i++ {
		if c := field[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validCursor reports whether c looks like a journal cursor
// ("s=...;i=...;b=...;m=...;t=...;x=..."), which journalctl accepts.
func validCursor(c string) bool {
	if c == "" {
		return false
	}
	for item := range strings.SplitSeq(c, ";") {
		k, v, ok := strings.Cut(item, "=")
		if !ok || len(k) != 1 || !strings.Contains("sibmtx", k) || v == "" || strings.Trim(v, "0123456789abcdef") != "" {
			return false
		}
	}
	return true
}

// Key returns the key of its position in Positions: "journal:" and the
// matches (the lines' terms joined by blanks, the lines by " + "), then
// " directory=D", " file=F" (absolute) and " namespace=N" when set.
func (j *Journal) Key() string { return j.key }

// Stats returns what the backend counted so far.
func (j *Journal) Stats() ProcessStats { return j.proc.stats.snapshot() }

// args returns journalctl's command line, starting after cursor or, with
// none, at since.
func (j *Journal) args(cursor string, since time.Time) []string {
	a := append([]string(nil), j.opts...)
	if cursor != "" {
		a = append(a, "--after-cursor="+cursor)
	} else {
		a = append(a, "--since=@"+strconv.FormatInt(since.Unix(), 10))
	}
	a = append(a, "--")
	return append(a, j.matches...)
}

// Run reads the journal and sends its entries to out until ctx is done,
// then stops journalctl, saves the position and returns nil. It never
// closes out.
func (j *Journal) Run(ctx context.Context, out chan<- Line) error {
	log, clk := j.proc.log, j.proc.clock
	if len(j.matches) == 0 {
		log.Warn("journal read without journalmatch: the jail's regexes see every entry, which is slow", "key", j.key)
	}
	floor := clk.Now().Add(-j.lookback)
	cursor, saved := "", ""
	if j.pos != nil {
		_, fp, ok, err := j.pos.Position(j.key)
		switch {
		case err != nil:
			log.Error("journal position not read; starting from findtime", "key", j.key, "err", err)
		case ok && validCursor(fp):
			cursor, saved = fp, fp
		case ok:
			log.Error("journal position is not a cursor; starting from findtime", "key", j.key, "cursor", fp)
		}
	}
	var last int64 // the time of the entry at cursor
	pending := 0
	save := func() {
		if j.pos == nil || cursor == saved {
			return
		}
		if err := j.pos.SetPosition(j.key, last, cursor); err != nil {
			log.Error("journal position not saved", "key", j.key, "err", err)
			return
		}
		saved, pending = cursor, 0
	}
	handle := func(ctx context.Context, b []byte, trunc, idle bool) error {
		if trunc {
			j.proc.stats.dropped.Add(1)
			log.Error("journal entry dropped: too long", "bytes", DefaultMaxJournalEntry)
			return nil
		}
		e, err := parseJournalEntry(b, j.enc)
		if err != nil {
			j.proc.stats.dropped.Add(1)
			log.Error("journal entry dropped", "err", err)
			return nil
		}
		if !e.time.Before(floor) {
			l := Line{Text: cut(e.text, j.maxLine), Source: "journal", Time: e.time}
			if len(l.Text) < len(e.text) {
				j.proc.stats.truncated.Add(1)
			}
			select {
			case out <- l:
				j.proc.stats.lines.Add(1)
			case <-ctx.Done():
				return ctx.Err() // not sent: the cursor stays before it
			}
		}
		cursor, last = e.cursor, e.realtime
		pending++
		if idle || pending >= journalSaveEvery {
			save()
		}
		return nil
	}
	ended := func(int64, error) { save() }
	j.proc.supervise(ctx, func() []string { return j.args(cursor, floor) }, handle, ended)
	save()
	return nil
}

// cut cuts s to at most n bytes, at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
