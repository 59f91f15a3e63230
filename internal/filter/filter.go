package filter

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/wardenipd/warden/internal/datedetect"
	"github.com/wardenipd/warden/internal/pyre"
)

// ErrSkipped wraps the reason a line could not be examined (a regex ran out
// of steps on it, see StepLimitError, or its date could not be read); the
// caller counts it.
var ErrSkipped = errors.New("line skipped")

// StepLimitError is the error ProcessLine, ProcessLineNL and ProcessDated
// return for a line on which a regex ran out of steps (a hostile line
// against a backtracking-prone regex; see pyre.DefaultMaxSteps and
// pyre.DefaultStepsPerByte for the budget, which grows with the line's
// length). The line is skipped: errors.Is(err, ErrSkipped) holds, and
// errors.As finds the *StepLimitError to say which regex it was.
type StepLimitError struct {
	Kind  string // "prefregex", "failregex", "ignoreregex" or "date"
	Index int    // 0-based position in the failregex or ignoreregex list (as Failure.Regex), 0 for prefregex and date
	// Regex is the regex after tag expansion (as FailRegex returns it),
	// or for "date" the name of the date template.
	Regex  string
	Budget int   // the step budget the search ran out of
	Err    error // a *pyre.StepLimitError or a *datedetect.StepLimitError
}

func (e *StepLimitError) Error() string {
	if e.Kind == "date" {
		return fmt.Sprintf("%v: date template %q: more than %d steps", ErrSkipped, e.Regex, e.Budget)
	}
	if e.Kind == "prefregex" {
		return fmt.Sprintf("%v: prefregex: more than %d steps", ErrSkipped, e.Budget)
	}
	return fmt.Sprintf("%v: %s %d: more than %d steps", ErrSkipped, e.Kind, e.Index+1, e.Budget) // numbered from 1, as OptionError
}

// Unwrap makes errors.Is see ErrSkipped and the underlying error (which
// wraps pyre.ErrBacktrackLimit for a regex).
func (e *StepLimitError) Unwrap() []error { return []error{ErrSkipped, e.Err} }

// OptionError is a filter option that does not compile.
type OptionError struct {
	Option string // failregex, ignoreregex, prefregex, datepattern, logtimezone, usedns
	Index  int    // 1-based position in a regex list, 0 for single options
	Err    error
}

func (e *OptionError) Error() string {
	if e.Index > 0 {
		return fmt.Sprintf("%s %d: %v", e.Option, e.Index, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Option, e.Err)
}

func (e *OptionError) Unwrap() error { return e.Err }

// Options configure a Filter. The regexes are fail2ban's, after config
// interpolation and before tag expansion.
type Options struct {
	PrefRegex   string
	FailRegex   []string
	IgnoreRegex []string
	MaxLines    int    // lines in the multi-line buffer; 0 or 1: single lines
	DatePattern string // "" for the default templates
	LogTimeZone string
	UseDNS      string // yes, warn, no, raw; "" means warn

	// Location is the zone of dates without one; nil is time.Local.
	Location *time.Location
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// DateStartup is when the program started (it bounds the years %ExY
	// accepts); zero means Now() at New.
	DateStartup time.Time
	// Resolve turns a host name into addresses when UseDNS is yes or
	// warn; nil means no DNS look-ups at all.
	Resolve func(host string) []string

	// CheckAllRegex reports every failregex that matches a line, not only
	// the first (fail2ban-regex's default and the sample tests).
	CheckAllRegex bool
	// ReturnRawHost keeps host names as written instead of resolving them.
	ReturnRawHost bool
	// IgnorePending drops failures that have no address yet.
	IgnorePending bool
	// CheckFindTime enables the daemon's time checks: with InOperation,
	// dates far from now are taken as now; without, lines older than
	// FindTime are dropped. It also decides what becomes of a line
	// without a date (see Failure.NoTime): with CheckFindTime its
	// failures are dated now when InOperation, dropped otherwise (unless
	// the last date stands in for it).
	CheckFindTime bool
	// InOperation is fail2ban's "in operation": the log is being watched
	// for what is appended to it, rather than read from what was written
	// before. fail2ban switches it per log, once it has read the log to
	// its end; SetInOperation does so between lines.
	InOperation bool
	FindTime    float64

	// ReusedLines tells the filter that the caller overwrites the memory
	// of a line once ProcessLine, ProcessLineNL or ProcessDated returns
	// (the line is a view of a read buffer that later reads refill). The
	// filter then copies what it keeps of a line for the lines after it:
	// the date text that stands in for a dateless line's, the lines of
	// a multi-line buffer, and what the connections cache (<F-MLFID>)
	// holds, which the failures of a connection share. What else a call
	// returns (a failure without <F-MLFID>, an ID, Last, PrefGroups,
	// Buffered with a one-line buffer) may still hold parts of the line:
	// the caller uses or copies it before overwriting the line.
	ReusedLines bool
	// TransientFailures tells the filter that the caller is done with
	// what a call returned (its failures, with their fields, lines and
	// users) when it makes its next call. The filter then reuses the
	// memory of the connections its cache (<F-MLFID>) dropped (their
	// fields, lists of lines, users and, with ReusedLines, the copies of
	// their text), of the fields of failures no connection keeps, and
	// of the list of failures, instead of leaving them to the collector.
	TransientFailures bool
}

// Failure is one failure found in a line.
type Failure struct {
	Regex int     // index of the failregex that matched
	ID    string  // the failure id: normalised address, or raw id
	HasID bool    // false for a pending failure (no id yet)
	Time  float64 // Unix seconds; 0 when NoTime
	// NoTime is set when the line has no date and none stands in for it:
	// fail2ban's date None, which fail2ban-regex -o row prints as None.
	// A line without a date of its own is given the date of the last
	// line that had one when that date is less than 60 seconds before
	// now (and then NoTime is false); otherwise, with CheckFindTime and
	// InOperation (fail2ban's daemon watching a log it has read to the
	// end), it is given now; with CheckFindTime alone (the daemon reading
	// what was written before), its failures are dropped; without
	// CheckFindTime (fail2ban-regex), they are returned with NoTime set.
	NoTime bool
	fields *fields // the named groups and fail2ban's extras
}

// NoFail reports whether the match is a <F-NOFAIL> one: it is not a
// failure of its own.
func (f Failure) NoFail() bool { return f.fields != nil && f.fields.truthy(slotNoFail) }

// Matches returns the log lines of the failure.
func (f Failure) Matches() []string {
	if f.fields == nil {
		return nil
	}
	out := make([]string, len(f.fields.matches))
	for i, l := range f.fields.matches {
		out[i] = l.text()
	}
	return out
}

// Users returns the users gathered for the failure, sorted.
func (f Failure) Users() []string {
	if f.fields == nil || f.fields.users == nil {
		return nil
	}
	u := f.fields.users
	if len(u.items) < 2 {
		return u.items[:len(u.items):len(u.items)]
	}
	if u.sorted == nil || u.stale {
		if u.reuse {
			u.sorted = append(u.sorted[:0], u.items...)
		} else {
			u.sorted = append([]string(nil), u.items...)
		}
		u.stale = false
		sort.Strings(u.sorted)
	}
	return u.sorted
}

// Value returns the value under name in the failure's fields, the way
// fail2ban's failure dict holds it: a string (a named group or "ip"), nil
// for a group that did not take part, 1 for "mlfpending", a []any for a
// tuple_ field, or, for "matches", "nofail-matches" and "users",
// internal list types (use Matches and Users instead); ok is false when
// the dict has no such key.
func (f Failure) Value(name string) (v any, ok bool) {
	if f.fields == nil {
		return nil, false
	}
	return f.fields.get(name)
}

// AppendPublic appends the fields that are strings, without internals,
// in name order.
func (f Failure) AppendPublic(dst []Field) []Field {
	if f.fields == nil {
		return dst
	}
	return f.fields.appendPublic(dst)
}

// orderedSet is the set of users of a connection; Users sorts it once
// per change. It holds at most mlfMaxUsers users: later ones are not
// added (see mlfMaxUsers).
type orderedSet struct {
	first  [2]string // the array of items while they are few
	items  []string
	index  map[string]struct{} // built once the set is large
	sorted []string
	stale  bool // sorted is not items sorted any more
	// reuse: sorted is sorted again in its own array (with
	// Options.TransientFailures, a change comes with a new call, and
	// nothing holds what an earlier one returned).
	reuse bool
}

// smallSet is the size up to which a set is searched without an index.
const smallSet = 16

func (s *orderedSet) add(v string) {
	if len(s.items) >= mlfMaxUsers {
		return
	}
	if s.index != nil {
		if _, ok := s.index[v]; ok {
			return
		}
		s.index[v] = struct{}{}
	} else {
		for _, x := range s.items {
			if x == v {
				return
			}
		}
		if len(s.items) >= smallSet {
			s.index = make(map[string]struct{}, 2*smallSet)
			for _, x := range s.items {
				s.index[x] = struct{}{}
			}
			s.index[v] = struct{}{}
		}
	}
	s.items = append(s.items, v)
	s.stale = true
}

// Filter examines the lines of one log for one jail. It keeps state
// between lines (multi-line buffer, last date, connections by <F-MLFID>)
// and must be used from one goroutine.
type Filter struct {
	opt       Options
	pref      *regex
	fail      []*regex
	ignore    []*regex
	dates     *datedetect.Detector
	lay       *layout // slots of the failure fields
	preFields *fields // the prefregex's fields of the current line
	// scratch holds a failregex match's fields until they are kept
	// (see fields.own): a connection seen before merges them into its
	// cached ones, and a refused match drops them.
	scratch *fields
	slab    slabs // what a matching line keeps
	// firstOK[i] is the set of first bytes failregex i can match text
	// starting with, when it only matches at the start (nil otherwise).
	firstOK []*[256]bool
	// mayStart[b] has bit i set when failregex i can match text
	// starting with byte b (mayStartEmpty: the empty text): firstOK
	// for all failregexes at once, when there are at most 64 of them
	// (mayStart is nil otherwise).
	mayStart      *[256]uint64
	mayStartEmpty uint64
	lineNL        string // the line being examined with its "\n", if known
	now           func() time.Time
	bufSize       int
	buffer        []tline
	lastText      string
	lastDate      float64
	// With Options.ReusedLines, the date text of the last dated line is
	// kept in lastBuf, and lastText made of it only when a dateless line
	// asks for it (lastStale): most lines have a date of their own.
	lastBuf   []byte
	lastStale bool
	kept      []tline // scratch for keepText
	arena     textArena
	// With Options.TransientFailures: the fields the connections cache
	// dropped during the current call (a failure it returns may hold
	// them), handed to the slab at the next call; and the list of
	// failures a call returns.
	dropped []*fields
	// droppedLines are lists of lines a connection no longer holds,
	// reused from the next call on as dropped fields are.
	droppedLines [][]tline
	outs         []Failure
	lineMem      string // the line being examined, as given (keepText)
	mlf          *mlfCache
	hit          hit              // the last prefregex or failregex match
	match        datedetect.Match // the date of the current line
	lineT        time.Time        // the time now of the last line
	lineNow      float64          // lineT in Unix seconds, 0 before the first line
	hitI         hit              // the last ignoreregex match
	single       [1]tline         // the buffer when lines are examined one by one
	content      [1]tline         // the buffer holding what the prefregex left

	// Last holds what the last ProcessLine saw, for tools such as warden
	// regex: the prefregex match and the ignoreregex that hit.
	Last LineInfo
}

// LineInfo describes the last line processed.
type LineInfo struct {
	PrefMatched bool
	Ignored     []int  // indexes of ignoreregexes that matched
	Template    string // the date template that matched, if any

	prefContent fval // the prefregex's content group, which the dict loses
}

// LineKey identifies a buffered line (see Buffered).
type LineKey struct{ pre, date, post string }

// Buffered returns the lines held in the multi-line buffer.
func (f *Filter) Buffered() []LineKey {
	out := make([]LineKey, len(f.buffer))
	for i, l := range f.buffer {
		out[i] = LineKey(l)
	}
	return out
}

// Text returns the line as read.
func (k LineKey) Text() string { return k.pre + k.date + k.post }

// MaxLines is the size of the multi-line buffer.
func (f *Filter) MaxLines() int { return f.bufSize }

// PrefRegex returns the prefregex after tag expansion, or "".
func (f *Filter) PrefRegex() string {
	if f.pref == nil {
		return ""
	}
	return f.pref.src
}

// The connections cache (<F-MLFID>). Its number of entries and their
// age are fail2ban's (Utils.Cache(maxCount=100, maxTime=5*60)): when it
// is full, the oldest entries are dropped, the expired ones and then one
// more. What an entry gathers is bounded too, where fail2ban's is not: a
// connection id seen again and again over a long log (process ids
// reused) would otherwise gather every user name and line it ever saw
// (a 200,000-line sshd log gave one failure with 2,597 users, a JSON
// record of 93,644 bytes, and 209 MB of `warden regex --json` output).
// An entry keeps its first mlfMaxUsers users (more than one is all
// fail2ban's logic asks of them; the first ones keep telling that) and
// the last mlfMaxMatches lines of its matches and of its "no failure"
// matches (the latest lines are those of the failure being reported,
// and fail2ban's tickets keep the last maxmatches lines as well). No
// connection of the stock sample logs comes near either cap.
const (
	mlfMaxCount   = 100
	mlfMaxAge     = 5 * 60
	mlfMaxUsers   = 32
	mlfMaxMatches = 50
)

// capLines returns the last mlfMaxMatches lines of m. The lines kept
// stay in m's array: appending to them still extends it past every
// slice of it handed out (see mergeFailure).
func capLines(m []tline) []tline {
	if len(m) > mlfMaxMatches {
		return m[len(m)-mlfMaxMatches:]
	}
	return m
}

// New compiles a filter.
func New(opt Options) (*Filter, error) {
	if opt.UseDNS == "" {
		opt.UseDNS = "warn"
	}
	switch opt.UseDNS {
	case "yes", "warn", "no", "raw":
	default:
		return nil, &OptionError{Option: "usedns", Err: fmt.Errorf("%q: use yes, warn, no or raw", opt.UseDNS)}
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	f := &Filter{opt: opt, now: now, bufSize: max(opt.MaxLines, 1), mlf: newMLFCache()}
	f.slab.transient = opt.TransientFailures
	var err error
	// The regexes share their tags' expansions: their large character
	// sets are built once for all of them.
	shared := &pyre.Shared{}
	if opt.PrefRegex != "" {
		if f.pref, err = compileRegex(opt.PrefRegex, opt.UseDNS, false, shared); err != nil {
			return nil, &OptionError{Option: "prefregex", Err: err}
		}
	}
	for i, s := range opt.FailRegex {
		r, err := compileRegex(s, opt.UseDNS, f.bufSize > 1, shared)
		if err != nil {
			return nil, &OptionError{Option: "failregex", Index: i + 1, Err: err}
		}
		if !hasFailureID(r) && (f.pref == nil || !hasFailureID(f.pref)) {
			return nil, &OptionError{Option: "failregex", Index: i + 1, Err: fmt.Errorf("no failure-id group (<HOST>, <ADDR>, <F-ID>...) in %q", s)}
		}
		f.fail = append(f.fail, r)
	}
	for i, s := range opt.IgnoreRegex {
		r, err := compileRegex(s, opt.UseDNS, false, shared)
		if err != nil {
			return nil, &OptionError{Option: "ignoreregex", Index: i + 1, Err: err}
		}
		f.ignore = append(f.ignore, r)
	}
	f.lay = newLayout()
	if f.pref != nil {
		f.pref.bind(f.lay)
		f.pref.contentGr = f.pref.re.SubexpIndex("content")
	}
	for _, r := range f.fail {
		r.bind(f.lay)
		r.matchSlots = slices.Clone(r.written)
		if f.pref != nil {
			r.matchSlots = addSlots(r.matchSlots, f.pref.written...)
		}
	}
	f.lay.seal()
	f.firstOK = make([]*[256]bool, len(f.fail))
	for i, r := range f.fail {
		if set, ok := r.re.StartBytes(); ok {
			f.firstOK[i] = set
		}
	}
	if len(f.fail) <= 64 {
		f.mayStart = new([256]uint64)
		for i, set := range f.firstOK {
			if set == nil {
				f.mayStartEmpty |= 1 << i
			}
			for b := range f.mayStart {
				if set == nil || set[b] {
					f.mayStart[b] |= 1 << i
				}
			}
		}
	}
	f.dates, err = datedetect.New(datedetect.Options{DatePattern: opt.DatePattern, LogTimeZone: opt.LogTimeZone, Location: opt.Location, Now: now, Startup: opt.DateStartup})
	if err != nil {
		if ze := (*datedetect.ZoneError)(nil); errors.As(err, &ze) {
			return nil, &OptionError{Option: "logtimezone", Err: err}
		}
		return nil, &OptionError{Option: "datepattern", Err: err}
	}
	return f, nil
}

func hasFailureID(r *regex) bool {
	for _, n := range r.names {
		switch n {
		case "fid", "ip4", "ip6", "dns", "mlfid":
			return true
		}
	}
	return false
}

// FailRegex returns the failregexes after tag expansion.
func (f *Filter) FailRegex() []string {
	out := make([]string, len(f.fail))
	for i, r := range f.fail {
		out[i] = r.src
	}
	return out
}

// IgnoreRegex returns the ignoreregexes after tag expansion.
func (f *Filter) IgnoreRegex() []string {
	out := make([]string, len(f.ignore))
	for i, r := range f.ignore {
		out[i] = r.src
	}
	return out
}

func (f *Filter) nowSec() float64 {
	t := f.now()
	return float64(t.UnixNano()) / 1e9
}

// SetInOperation sets Options.InOperation for the lines that follow: a
// daemon sets it once it has read what a log held when watching began
// (fail2ban does so when its first read of the log reaches the end), and
// clears it before reading from a log's backlog again.
func (f *Filter) SetInOperation(on bool) { f.opt.InOperation = on }

// InOperation reports Options.InOperation as last set.
func (f *Filter) InOperation() bool { return f.opt.InOperation }

// ProcessLine examines one log line and returns the failures it holds.
func (f *Filter) ProcessLine(line string) ([]Failure, error) {
	return f.processLine(line, "")
}

// ProcessLineNL is ProcessLine for a line given with its line end: lineNL
// is the line followed by one "\n". It saves a copy of the line.
func (f *Filter) ProcessLineNL(lineNL string) ([]Failure, error) {
	if lineNL == "" || lineNL[len(lineNL)-1] != '\n' {
		return f.processLine(lineNL, "")
	}
	return f.processLine(lineNL[:len(lineNL)-1], lineNL)
}

func (f *Filter) processLine(line, lineNL string) ([]Failure, error) {
	f.recycle()
	f.Last = LineInfo{}
	f.lineNL = lineNL
	f.lineMem = line
	if lineNL != "" {
		f.lineMem = lineNL
	}
	t := f.now() // one clock read for the line
	if t != f.lineT || f.lineNow == 0 {
		// callers' clocks may give the same time to many lines
		f.lineT, f.lineNow = t, float64(t.UnixNano())/1e9
	}
	now := f.lineNow
	var (
		tl     tline
		date   float64
		dated  bool
		noDate bool
	)
	m := &f.match
	found := f.dates.DetectTo(m, line, t)
	if found && m.Err != nil && m.Err != datedetect.ErrInvalidDate {
		if err := dateErr(m.Err); err != nil {
			return nil, err
		}
	}
	if found && m.Start >= 0 {
		f.Last.Template = m.Template
		text := line[m.Start:m.End]
		tl = tline{line[:m.Start], text, line[m.End:]}
		switch {
		case text != "":
			if m.Err == nil {
				date, dated = m.Time, true
				f.setLastText(text)
				f.lastDate = date
			}
		case f.lastDate != 0 && f.lastDate > now-60:
			tl = tline{"", f.lastDateText(), line}
			date, dated = f.lastDate, true
		default:
			date, dated = now, true
		}
	} else {
		tl = tline{"", "", line}
	}
	if !dated {
		noDate = true
		if f.lastDate != 0 && f.lastDate > now-60 {
			tl = tline{"", f.lastDateText(), line}
			date, dated = f.lastDate, true
		} else if f.opt.CheckFindTime && f.opt.InOperation {
			date, dated = now, true
		}
	}
	return f.checkTime(tl, date, dated, noDate, now)
}

// checkTime applies the daemon's time checks, then looks for failures.
func (f *Filter) checkTime(tl tline, date float64, dated, noDate bool, now float64) ([]Failure, error) {
	if f.opt.CheckFindTime && dated {
		if f.opt.InOperation {
			if d := math.Trunc(date - now); d > 60 || d < -60 {
				date = now
				f.lastDate = date
			}
		} else if date < now-f.opt.FindTime {
			return nil, nil
		}
	}
	return f.findFailure(tl, date, dated, noDate, now)
}

// ProcessDated examines a line whose date is already known (a journal
// entry): timeText is shown as its date.
func (f *Filter) ProcessDated(line, timeText string, date float64) ([]Failure, error) {
	f.recycle()
	f.Last = LineInfo{}
	f.lineNL = "" // set by each entry point: the buffer may use it
	f.lineMem = line
	if f.opt.ReusedLines {
		timeText = strings.Clone(timeText) // keepText copies the line alone
	}
	tl := tline{"", timeText, line}
	f.setLastText(timeText)
	f.lastDate = date
	return f.checkTime(tl, date, true, false, f.nowSec())
}

func (f *Filter) ignored(buf string, org []tline, fr *hit) (int, error) {
	if fr != nil && f.bufSize > 1 {
		org = fr.matched
		buf = joinLines(org)
	}
	found := -1
	for i, r := range f.ignore {
		h, err := r.search(buf, org, &f.hitI)
		if err != nil {
			return -1, skipErr(err, "ignoreregex", i, r)
		}
		if h == nil {
			continue
		}
		found = i
		f.Last.Ignored = append(f.Last.Ignored, i)
		if !f.opt.CheckAllRegex || f.bufSize > 1 {
			if fr != nil {
				f.buffer = fr.unmatched
			}
		}
		if !f.opt.CheckAllRegex {
			break
		}
	}
	return found, nil
}

// dateErr is the error of a line whose date detection failed with err,
// nil if the line is still examined.
func dateErr(err error) error {
	var se *datedetect.StepLimitError
	if errors.As(err, &se) {
		return &StepLimitError{Kind: "date", Regex: se.Template, Budget: se.Budget, Err: err}
	}
	if errors.Is(err, datedetect.ErrLineRejected) {
		return fmt.Errorf("%w: %v", ErrSkipped, err)
	}
	return nil
}

// skipErr is the error of a line on which regex r (kind, 0-based index
// i) failed with err: a *StepLimitError when it ran out of steps.
func skipErr(err error, kind string, i int, r *regex) error {
	var se *pyre.StepLimitError
	if errors.As(err, &se) {
		return &StepLimitError{Kind: kind, Index: i, Regex: r.src, Budget: se.Budget, Err: err}
	}
	if errors.Is(err, pyre.ErrBacktrackLimit) {
		return fmt.Errorf("%w: %v", ErrSkipped, err)
	}
	return err
}

func (f *Filter) findFailure(tl tline, date float64, dated, noDate bool, now float64) ([]Failure, error) {
	var out []Failure
	defcidr := cidrUnspec
	if f.opt.UseDNS == "raw" || f.opt.ReturnRawHost {
		defcidr = cidrRaw
	}
	var org []tline
	if f.bufSize > 1 {
		if f.opt.ReusedLines {
			// Every later buffer is made of the copy (joinLines), so
			// nothing of a multi-line match refers to the line itself.
			tl = copyLine(tl)
		}
		f.buffer = append(f.buffer, tl)
		if len(f.buffer) > f.bufSize {
			f.buffer = append([]tline(nil), f.buffer[len(f.buffer)-f.bufSize:]...)
		}
		org = f.buffer
	} else {
		// field by field: a whole tline is copied from the stack with
		// wide loads that stall on the narrow stores that spilled it
		s := &f.single[0]
		s.pre, s.date, s.post = tl.pre, tl.date, tl.post
		f.buffer = f.single[:]
		org = f.buffer
	}
	ignoreFirst := len(f.ignore) > 0 && len(f.ignore) < len(f.fail)-2
	if f.mayStart != nil && f.pref == nil && !ignoreFirst && f.bufSize == 1 {
		// The failregexes see the line without its date first: when
		// none can match text starting with its first byte, the loop
		// below would stop at once; the buffer need not even be made.
		c := byte('\n')
		if tl.pre != "" {
			c = tl.pre[0]
		} else if tl.post != "" {
			c = tl.post[0]
		}
		if f.mayStart[c] == 0 {
			return nil, nil
		}
	}
	var buf string
	if tl.pre == "" && f.bufSize == 1 && len(tl.post) < len(f.lineNL) && f.lineNL[len(f.lineNL)-1-len(tl.post):len(f.lineNL)-1] == tl.post {
		buf = f.lineNL[len(f.lineNL)-1-len(tl.post):] // tl.post + "\n" as read
	} else {
		buf = joinLines(org)
	}
	haveBuf := true
	if ignoreFirst {
		i, err := f.ignored(buf, org, nil)
		if err != nil {
			return nil, err
		}
		if i >= 0 {
			return nil, nil
		}
	}
	var pre *fields
	if f.pref != nil {
		h, err := f.pref.search(buf, org, &f.hit)
		if err != nil {
			return nil, skipErr(err, "prefregex", 0, f.pref)
		}
		if h == nil {
			return nil, nil
		}
		f.Last.PrefMatched = true
		// The prefregex's fields only serve as the base of the
		// failregexes' ones (values are copied), so they reuse one dict.
		if f.preFields == nil {
			f.preFields = newFields(f.lay)
		}
		f.preFields.reset()
		pre = h.fieldsInto(f.preFields, nil, nil)
		f.Last.prefContent = pre.at(slotContent)
		repl, ok := pre.str(slotContent)
		pre.del(slotContent)
		if ok && repl != "" {
			f.content[0] = tline{"", "", repl}
			f.buffer = f.content[:]
			haveBuf = false
			// The content usually runs to the end of the line: then the
			// buffer it makes is the tail of this one.
			if g := f.pref.contentGr; g > 0 && h.loc[2*g+1] == len(buf)-1 && buf[len(buf)-1] == '\n' {
				buf = buf[h.loc[2*g]:]
				haveBuf = true
			}
		}
	}
	may := f.mayStartAt(buf)
	for idx := 0; idx < len(f.fail); idx++ {
		if !haveBuf {
			buf = joinLines(f.buffer)
			haveBuf = true
			may = f.mayStartAt(buf)
		}
		// Failregexes that cannot match text starting with buf's first
		// byte are not run at all (pyre would reject them as quickly, but
		// after a call and the match set-up): with mayStart, idx goes
		// straight to the next one that can.
		if f.mayStart != nil {
			rest := may >> idx << idx
			if rest == 0 {
				break
			}
			idx = bits.TrailingZeros64(rest)
		} else if f.firstOK[idx] != nil && (buf == "" || !f.firstOK[idx][buf[0]]) {
			continue
		}
		fr := f.fail[idx]
		h, err := fr.search(buf, org, &f.hit)
		if err != nil {
			return out, skipErr(err, "failregex", idx, fr)
		}
		if h == nil {
			continue
		}
		if f.scratch == nil {
			f.scratch = newFields(f.lay)
		}
		f.scratch.reset()
		var preSlots []int
		if pre != nil {
			preSlots = f.pref.written
		}
		fail := h.fieldsInto(f.scratch, pre, preSlots)
		if len(f.ignore) > 0 {
			i, err := f.ignored(buf, org, h)
			if err != nil {
				return out, err
			}
			if i >= 0 {
				haveBuf = false
				if !f.opt.CheckAllRegex {
					break
				}
				continue
			}
		}
		if noDate && !dated && f.opt.CheckFindTime {
			continue
		}
		if !f.opt.CheckAllRegex || f.bufSize > 1 {
			f.buffer = h.unmatched
			haveBuf = false
		}
		cidr := defcidr
		raw := defcidr == cidrRaw
		mlfid, hasMLF := fail.str(slotMLFID)
		if hasMLF {
			matched := h.matched
			mh := f.mlf.hash(mlfid)
			prev, mi := f.mlfGet(mlfid, mh, now)
			var fresh *fields
			if f.opt.ReusedLines && f.bufSize == 1 {
				// The cache keeps the connection's fields and lines:
				// their text goes to the connection's fields.
				owner := prev
				if owner == nil {
					fresh = f.slab.fields(f.lay)
					owner = fresh
				}
				matched = f.keepText(owner, fail, fr.matchSlots, matched)
				mlfid, _ = fail.str(slotMLFID)
			}
			fail = f.mergeFailure(mlfid, mh, mi, prev, fresh, fail, matched, now)
			if fail.truthy(slotNoFail) && !f.opt.CheckAllRegex {
				return out, nil
			}
		} else {
			fail = fail.own(&f.slab)
			fail.setMatches(f.slab.appendLines(fail.matches, h.matched))
			f.drop(fail) // only the failure holds it
		}
		fid, hasFid := fail.str(slotFID)
		ip, hasIP := fail.str(slotIP4)
		if hasIP {
			cidr = cidrOf(fail.at(slotCIDR), famIPv4)
			raw = true
		} else if ip, hasIP = fail.str(slotIP6); hasIP {
			cidr = cidrOf(fail.at(slotCIDR), famIPv6)
			raw = true
		} else if ip, hasIP = fail.str(slotDNS); !hasIP {
			if !hasFid && !hasMLF {
				id, ok := failID(h)
				if !ok {
					continue
				}
				fid, hasFid = id, true
			}
			ip, hasIP = fid, hasFid
			raw = true
		}
		var ids []string
		switch {
		case !hasIP:
			fail.set(slotMLFPending, fval{kind: valOne})
			if !f.opt.CheckAllRegex && f.opt.IgnorePending {
				return out, nil
			}
			ids = []string{""}
		case raw:
			if !hasFid || fid == ip {
				fid = normIP(ip, cidr)
			} else {
				fail.setStr(slotIP, normIP(ip, cidr))
				fid = normIP(fid, defcidr)
			}
			ids = []string{fid}
		default:
			ids = f.textToIP(ip)
		}
		if f.opt.CheckAllRegex && hasMLF {
			fail = fail.clone()
		}
		for _, id := range ids {
			if out == nil {
				if f.opt.TransientFailures {
					out = f.outs[:0]
				} else {
					out = f.slab.failure()
				}
			}
			out = append(out, Failure{Regex: idx, ID: id, HasID: hasIP, Time: date, NoTime: !dated, fields: fail})
			if f.opt.TransientFailures {
				f.outs = out[:0]
			}
		}
		if !f.opt.CheckAllRegex {
			break
		}
	}
	return out, nil
}

// mayStartAt returns the set of failregexes that can match buf by its
// first byte (see mayStart); 0 when mayStart is nil.
func (f *Filter) mayStartAt(buf string) uint64 {
	switch {
	case f.mayStart == nil:
		return 0
	case buf == "":
		return f.mayStartEmpty
	}
	return f.mayStart[buf[0]]
}

// failID is the first of fid, ip4, ip6, dns that took part in the match.
func failID(h *hit) (string, bool) {
	for _, n := range []string{"fid", "ip4", "ip6", "dns"} {
		i := h.r.re.SubexpIndex(n)
		if v, ok := h.group(i); ok {
			return v, true
		}
	}
	return "", false
}

func cidrOf(v fval, def int) int {
	if v.kind == valString && v.s != "" {
		if n, err := strconv.Atoi(v.s); err == nil {
			return n
		}
	}
	return def
}

// textToIP returns the addresses for a host: itself if it is an address,
// else (with usedns yes or warn and a resolver) what DNS says.
func (f *Filter) textToIP(host string) []string {
	if ip, ok := plainIP(host); ok {
		return []string{normIP(ip, cidrUnspec)}
	}
	if (f.opt.UseDNS == "yes" || f.opt.UseDNS == "warn") && f.opt.Resolve != nil {
		var out []string
		for _, a := range f.opt.Resolve(host) {
			out = append(out, normIP(a, cidrUnspec))
		}
		return out
	}
	return nil
}

// mlfGet returns the fields of connection id, whose hash is h
// (mlfCache.hash), and their entry in the cache (for mlfRemove, until the
// cache changes), or nil and -1.
func (f *Filter) mlfGet(id string, h uint64, now float64) (*fields, int) {
	i := f.mlf.lookup(id, h)
	if i < 0 {
		return nil, -1
	}
	if e := &f.mlf.ents[i]; e.expires > now {
		return e.fields, i
	}
	f.mlfRemove(i)
	return nil, -1
}

// mlfRemove removes the cache's entry i.
func (f *Filter) mlfRemove(i int) {
	f.drop(f.mlf.ents[i].fields)
	f.mlf.remove(i)
}

// drop notes fields the connections cache no longer holds (or never
// held: a failure's own): with Options.TransientFailures they are reused
// from the next call on.
func (f *Filter) drop(g *fields) {
	if f.opt.TransientFailures {
		f.dropped = append(f.dropped, g)
	}
}

// recycle starts a call: with Options.TransientFailures, the fields
// dropped during the last call are no longer held (the failures that
// call returned are done with) and go to the slab for reuse.
func (f *Filter) recycle() {
	if len(f.dropped) == 0 && len(f.droppedLines) == 0 {
		return
	}
	for _, g := range f.dropped {
		f.slab.freeLines(g.matches)
		if !sameArray(g.nofailMatches, g.matches) {
			f.slab.freeLines(g.nofailMatches)
		}
		g.matches, g.nofailMatches = nil, nil
	}
	for _, m := range f.droppedLines {
		f.slab.freeLines(m)
	}
	clear(f.droppedLines)
	f.droppedLines = f.droppedLines[:0]
	if len(f.slab.freeFields) < mlfMaxCount {
		f.slab.freeFields = append(f.slab.freeFields, f.dropped...)
	}
	clear(f.dropped)
	f.dropped = f.dropped[:0]
}

// dropLines notes a list of lines that the fields holding it replaced:
// with Options.TransientFailures its array is reused from the next call
// on, as dropped fields are. The lists of a connection's fields are theirs
// alone (a failure's copy of them, with CheckAllRegex, lasts one call).
func (f *Filter) dropLines(m []tline) {
	if f.opt.TransientFailures && cap(m) > 0 {
		f.droppedLines = append(f.droppedLines, m)
	}
}

// mlfAdd stores the fields of connection id, whose hash is h, which the
// cache does not hold (mlfGet found none: the filter never stores a
// connection twice). The cache holds at most mlfMaxCount connections:
// when it is full, the oldest are dropped, expired ones and then one
// more, as fail2ban's cache does.
//
// With Options.TransientFailures, id is text of g's (keepText, fields.keep),
// rewritten once g is dropped and reused: the cache holds it as long as g.
func (f *Filter) mlfAdd(id string, h uint64, g *fields, now float64) {
	c := f.mlf
	if c.n >= mlfMaxCount {
		for c.head >= 0 {
			expires := c.ents[c.head].expires
			f.mlfRemove(c.head)
			if expires > now {
				break
			}
		}
	}
	c.insert(id, h, g, now+mlfMaxAge)
}

// mergeFailure correlates the lines of one connection (<F-MLFID>): what a
// connection said earlier (user, pending failures, "no failure" markers)
// is merged into what it says now, as fail2ban's _mergeFailure does. The
// lists of lines (matches) may be extended in place: they only grow, and
// every holder of a shorter slice of the same array still sees its own
// lines. prev is what the cache holds of the connection (mlfGet), nil if
// nothing, in its entry mi; mh is mlfid's hash, to store a new
// connection. fail may be the filter's scratch fields: the fields returned
// are never those; a new connection's are fresh when not nil, else taken
// from the slab.
// Kept out of findFailure, its one caller, which the compiler would
// otherwise inline it into: warden regex then ran about 2% slower on
// bench/regex.sh's log (alternating runs of the two builds; findFailure
// grew to the larger of the two frames, with more spills).
//
//go:noinline
func (f *Filter) mergeFailure(mlfid string, mh uint64, mi int, prev, fresh, fail *fields, matched []tline, now float64) *fields {
	if prev == nil {
		if fresh == nil {
			fresh = f.slab.fields(f.lay)
		}
		fail = fail.copyTo(fresh) // kept by the cache or the failure
	}
	var users *orderedSet
	flags := 0
	if fail.truthy(slotMLFGained) {
		flags |= 8 | 1
		if !fail.truthy(slotNoFail) {
			fail.set(slotNoFail, fail.at(slotMLFGained))
		}
	} else if fail.truthy(slotNoFail) {
		flags |= 1
	}
	forget := fail.truthy(slotMLFForget)
	fail.del(slotMLFForget)
	if forget {
		flags |= 2
	}
	if prev != nil {
		g := prev
		users = g.addUser(fail.at(slotUser), &f.slab)
		if g.truthy(slotNoFail) {
			flags |= 4
		}
		g.del(slotNoFail)
		if g.truthy(slotMLFGained) {
			flags |= 4
		}
		g.del(slotMLFGained)
		if flags&8 != 0 {
			g.del(slotMLFPending)
		}
		if flags&4 == 0 && !g.truthy(slotMLFPending) {
			f.dropLines(g.matches)
			g.delMatches()
		}
		g.overNonNil(fail)
		fail = g
		if flags&2 != 0 {
			f.mlfRemove(mi)
		}
	} else if flags&2 == 0 {
		users = fail.addUser(fail.at(slotUser), &f.slab)
		f.mlfAdd(mlfid, mh, fail, now)
	} else {
		f.drop(fail) // forgotten at once: only the failure holds it
	}
	pending := fail.truthy(slotMLFPending)
	fail.del(slotMLFPending)
	if pending || (users != nil && len(users.items) > 1) {
		fail.del(slotNoFail)
		fail.del(slotMLFGained)
		flags &^= 8 | 1
	}
	switch {
	case flags&1 == 0:
		m := fail.nofailMatches
		fail.nofailMatches = nil
		if old := fail.matches; len(old) > 0 {
			m = f.slab.appendLines(m, old)
			if !sameArray(m, old) {
				f.dropLines(old) // its lines are copied to m
			}
		}
		if flags&8 == 0 {
			m = f.slab.appendLines(m, matched)
		}
		fail.setMatches(capLines(m))
	case flags&3 == 1:
		fail.nofailMatches = capLines(f.slab.appendLines(fail.nofailMatches, matched))
	}
	return fail
}

// setLastText records the date text of a dated line, for the dateless
// lines after it.
func (f *Filter) setLastText(s string) {
	if !f.opt.ReusedLines {
		f.lastText = s
		return
	}
	f.lastBuf = append(f.lastBuf[:0], s...)
	f.lastStale = true
}

// lastDateText returns the date text of the last dated line.
func (f *Filter) lastDateText() string {
	if f.lastStale {
		if f.lastText != string(f.lastBuf) { // compared without a copy
			f.lastText = string(f.lastBuf)
		}
		f.lastStale = false
	}
	return f.lastText
}

// copyLine returns l with its text copied (Options.ReusedLines).
func copyLine(l tline) tline {
	var b strings.Builder
	b.Grow(len(l.pre) + len(l.date) + len(l.post))
	b.WriteString(l.pre)
	b.WriteString(l.date)
	b.WriteString(l.post)
	s := b.String()
	return tline{s[:len(l.pre)], s[len(l.pre) : len(l.pre)+len(l.date)], s[len(l.pre)+len(l.date):]}
}

// keepText makes g's strings and lines' text, where they lie in the
// line being examined, parts of one copy of it, for Options.ReusedLines;
// it returns the lines in f's scratch (appendLines copies them out). g
// holds strings in slots alone (a failregex's matchSlots: g is what
// fieldsInto made).
// With Options.TransientFailures, the copy is owner's text (fields.keep):
// owner is the connection's fields the cache holds or will hold, into
// which g is merged or copied, and its text is reused with it; otherwise
// the copy is cut from f.arena.
// Strings elsewhere are the filter's own (a joined buffer, the last date
// text, an address it formatted): they are never overwritten.
func (f *Filter) keepText(owner, g *fields, slots []int, lines []tline) []tline {
	k := keeper{mem: f.lineMem}
	if k.needed(g, slots, lines) {
		if f.opt.TransientFailures {
			k.kept = owner.keep(k.mem)
		} else {
			k.kept = f.arena.clone(k.mem) // owner is never reused
		}
	}
	for _, i := range slots {
		if g.kinds[i] == valString {
			g.strs[i] = k.keep(g.strs[i])
		}
	}
	f.kept = f.kept[:0]
	for _, l := range lines {
		f.kept = append(f.kept, tline{k.keep(l.pre), k.keep(l.date), k.keep(l.post)})
	}
	if len(g.tuples) == 0 {
		return f.kept // (ranging over no map still starts an iteration)
	}
	for slot, t := range g.tuples {
		c := make([]any, len(t))
		for j, v := range t {
			if x, ok := v.(string); ok {
				v = k.keep(x)
			}
			c[j] = v
		}
		g.tuples[slot] = c
	}
	return f.kept
}

// keeper is keepText's copy of the line (kept, of mem): made once, when
// some string of the failure is part of the line, and read by keep, a
// method the compiler inlines (a closure that made the copy when first
// needed was called at each of the dozen strings of a failure).
type keeper struct{ mem, kept string }

// needed reports whether a string keepText keeps is part of the line.
func (k *keeper) needed(g *fields, slots []int, lines []tline) bool {
	for _, i := range slots {
		if g.kinds[i] == valString && k.in(g.strs[i]) {
			return true
		}
	}
	for _, l := range lines {
		if k.in(l.pre) || k.in(l.date) || k.in(l.post) {
			return true
		}
	}
	for _, t := range g.tuples {
		for _, v := range t {
			if x, ok := v.(string); ok && k.in(x) {
				return true
			}
		}
	}
	return false
}

// in reports whether s is a non-empty part of the line's bytes
// (offsetIn).
func (k *keeper) in(s string) bool {
	_, ok := offsetIn(k.mem, s)
	return ok
}

// keep returns s, or its copy when s is part of the line (needed made
// the copy then).
func (k *keeper) keep(s string) string {
	// As offsetIn: only the addresses are compared, and no pointer is
	// made of the integers; off wraps around below the line. Written out
	// rather than offsetIn and a slice of kept, whose bounds checks cost
	// 6 million instructions more on bench/regex.sh's log (`LOG=sshd
	// bench/instructions.sh 100000`); TestOffsetIn holds it to offsetIn.
	off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.StringData(k.mem)))
	if n := uintptr(len(k.mem)); off >= n || uintptr(len(s)) > n-off || len(s) == 0 {
		return s
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(k.kept)), off)), len(s))
}

// offsetIn returns where s starts in mem when s is a non-empty part of
// mem's bytes (not merely equal to one).
func offsetIn(mem, s string) (int, bool) {
	if s == "" || mem == "" {
		return 0, false
	}
	// Only the addresses are compared: no pointer is made of the
	// integers. TestOffsetIn checks parts, copies and neighbours.
	m := uintptr(unsafe.Pointer(unsafe.StringData(mem)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if p < m || p-m > uintptr(len(mem)-len(s)) || len(s) > len(mem) {
		return 0, false
	}
	return int(p - m), true
}

// textArena copies short strings into shared chunks: one allocation for
// many lines kept (keepText). A chunk stays alive as long as one of its
// strings does: chunks are small for that reason.
type textArena struct{ free []byte }

const (
	arenaChunk = 2 << 10
	arenaMax   = arenaChunk / 8 // longer strings get an allocation of their own
)

// clone returns a copy of s.
func (a *textArena) clone(s string) string {
	if len(s) == 0 || len(s) > arenaMax {
		return strings.Clone(s)
	}
	if cap(a.free)-len(a.free) < len(s) {
		a.free = make([]byte, 0, arenaChunk)
	}
	n := len(a.free)
	a.free = append(a.free, s...)
	// Invariant: the bytes of a chunk are written once, by the append
	// above, before a string is made of them, and never again (a full
	// chunk is left to the strings made of it, not reused), so they are
	// immutable as unsafe.String requires. TestTextArena checks earlier
	// copies after many later ones.
	return unsafe.String(&a.free[n], len(s))
}
