package datedetect

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/pyre"
)

// Errors reported in Match.Err.
var (
	// ErrInvalidDate means a template matched but its text is not a valid
	// date (for example February 30). fail2ban then treats the line as
	// having no date, but still cuts the matched text out of it.
	ErrInvalidDate = errors.New("invalid date")
	// ErrLineRejected means fail2ban would raise an unexpected exception
	// for this line (unknown zone abbreviation, empty line matched by an
	// empty template, and similar); the caller should drop the line.
	ErrLineRejected = errors.New("line rejected by date detection")

	errBadZone     = errors.New("unknown or unsupported time zone")
	errUnknownZone = errors.New("unknown time zone abbreviation")
)

// StepLimitError is the Match.Err of a line on which a template's search
// ran out of steps (a hostile line against a backtracking template): the
// date of the line is unknown, and the caller should skip the line.
type StepLimitError struct {
	Template string // the template's name
	Budget   int    // the search's step budget
}

func (e *StepLimitError) Error() string {
	return fmt.Sprintf("date template %q: more than %d steps", e.Template, e.Budget)
}

// Options configures a Detector.
type Options struct {
	// DatePattern is fail2ban's datepattern setting after configuration
	// interpolation ("%%" already reduced to "%"): empty for the default
	// templates, or one or more patterns separated by newlines. Special
	// values: {^LN-BEG}, {DEFAULT}, {NONE}, EPOCH, LEPOCH, TAI64N, and
	// patterns containing {DATE}, {EPOCH} or {LEPOCH}.
	DatePattern string
	// LogTimeZone is fail2ban's logtimezone setting, e.g. "UTC",
	// "UTC+0200", "+0200", "CET". Empty means unset: dates without an
	// explicit zone are read in Location.
	LogTimeZone string
	// Location is the zone of the process, used for dates without zone
	// information and for "today"/"this year". Nil means time.Local.
	Location *time.Location
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Startup fixes the years %ExY accepts (2000 up to the decade three
	// years ahead), which fail2ban computes from the wall clock when it
	// starts, independently of its test clock. Zero means Now() at New.
	Startup time.Time
}

// Match describes the date found in a line.
type Match struct {
	// Time is the date as Unix seconds. Only epoch templates keep a
	// fraction. When the date text is empty (as with {NONE}) Time is
	// the current time. Meaningless when Err is not nil.
	Time float64
	// Start and End delimit the date text in the line, in bytes. Both
	// are -1 if the template's date group did not take part in the match.
	Start, End int
	// Template is the name of the template that matched.
	Template string
	// Err is nil, ErrInvalidDate, ErrLineRejected or a
	// *StepLimitError (then Start and End are -1).
	Err error
}

// Empty reports whether the match has no date text, in which case fail2ban
// uses the last known date (if recent) or the current time.
func (m Match) Empty() bool { return m.Start < 0 || m.Start >= m.End }

// StripDate returns line without the date text of m, which is what
// fail2ban applies its failregex to.
func StripDate(line string, m Match) string {
	if m.Start < 0 || m.End < 0 {
		return line
	}
	if m.Start == m.End {
		return line
	}
	return line[:m.Start] + line[m.End:]
}

// slot is a template with this detector's usage statistics.
type slot struct {
	t        *template
	hits     int     // wins
	found    int     // successful searches (fail2ban counts these per template)
	lastUsed float64 // Unix time of the last win, 0 if never
	distance int
}

func (s *slot) weight() float64 {
	d := s.distance
	if d < 1 {
		d = 1
	}
	return float64(s.hits) * s.t.weight / float64(d)
}

// edge is a position with the characters around it; noChar stands for
// Python's empty string.
type edge struct {
	pos         int
	before, at  rune
	initialized bool
}

const (
	noChar      rune = -1
	farPosition      = 0x7fffffff
	unusedTime       = 300
)

// Detector finds dates in log lines like fail2ban's DateDetector. It
// reorders its templates by use, so results depend on the lines seen
// before: feed each log (jail) its own Detector. A Detector is not safe
// for concurrent use.
type Detector struct {
	loc       *time.Location
	now       func() time.Time
	defaultTZ *int
	slots     []*slot

	lastStart   edge
	lastEnd     edge
	lastIdx     int
	firstUnused int

	// caps holds the spans of the last successful search; zcaps is
	// scratch for zone specs.
	caps  []int
	zcaps []int
	// stepErr is the first search of the current line that ran out of
	// steps, nil for none.
	stepErr *StepLimitError
	scratch []int
	clk     clock // last clock, reused within the same second
	// clkNow is the now clk was last set for (when clkSet), nowF the
	// same as Unix seconds (unixFloat).
	clkNow time.Time
	nowF   float64
	clkSet bool
	// asciiLen leading bytes of the current line are known to be ASCII
	// (byte offsets == code points there); nonASCII: the byte after
	// them is not.
	asciiLen int
	nonASCII bool
	noFast   bool // tests: no shortcut (the lane, direct matchers, needs)
	laneHits int  // tests: lines matchLast or syslogLane answered
	// syslogHits counts the lines syslogLane answered (tests).
	syslogHits int
	zone       zoneSpan
	month      monthCache // monthStart's
	prevMonth  monthCache // lastYear's, for the year before
	facts      lineFacts  // what the current line has, for needs (needs.go)
	// minLine is the fewest bytes a line needs for any template to
	// match, 0 until known (setMinLine).
	minLine int
}

// ZoneError is a logtimezone that cannot be read.
type ZoneError struct {
	Zone string
	Err  error
}

func (e *ZoneError) Error() string { return fmt.Sprintf("parse logtimezone %q: %v", e.Zone, e.Err) }

func (e *ZoneError) Unwrap() error { return e.Err }

// CheckZone reports whether z is a logtimezone New accepts; the error is
// a *ZoneError.
func CheckZone(z string) error {
	var caps []int
	if _, err := zoneOffset(z, &caps); err != nil {
		return &ZoneError{Zone: z, Err: err}
	}
	return nil
}

// New builds a Detector.
func New(opts Options) (*Detector, error) {
	d := &Detector{loc: opts.Location, now: opts.Now}
	if d.loc == nil {
		d.loc = time.Local
	}
	if d.now == nil {
		d.now = time.Now
	}
	if opts.LogTimeZone != "" {
		off, err := zoneOffset(opts.LogTimeZone, &d.zcaps)
		if err != nil {
			return nil, &ZoneError{Zone: opts.LogTimeZone, Err: err}
		}
		d.defaultTZ = &off
	}
	startup := opts.Startup
	if startup.IsZero() {
		startup = d.now()
	}
	b := newBuilder(newCodeTable(startup.In(d.loc)))
	ts, err := b.templatesFor(opts.DatePattern)
	if err != nil {
		return nil, fmt.Errorf("parse datepattern: %w", err)
	}
	for _, t := range ts {
		d.slots = append(d.slots, &slot{t: t, distance: farPosition})
	}
	d.lastStart = edge{pos: 1, before: noChar, at: noChar}
	d.lastEnd = edge{pos: farPosition, before: noChar, at: noChar}
	d.lastIdx = farPosition
	return d, nil
}

// Templates returns the template names in their current order.
func (d *Detector) Templates() []string {
	out := make([]string, len(d.slots))
	for i, s := range d.slots {
		s.t.build()
		out[i] = s.t.name
	}
	return out
}

// NumTemplates returns how many templates d has, without building them.
func (d *Detector) NumTemplates() int { return len(d.slots) }

// TemplateName returns the name of the template at index i of the
// current order (0 <= i < NumTemplates), building only that one.
func (d *Detector) TemplateName(i int) string {
	s := d.slots[i]
	s.t.build()
	return s.t.name
}

// charAt is Python's line[i:i+1] as a rune (noChar when empty).
func charAt(line string, i int) rune {
	if i < 0 || i >= len(line) {
		return noChar
	}
	r, _ := decodeAt(line, i)
	return r
}

// charBefore is Python's line[i-1:i] (noChar when empty).
func charBefore(line string, i int) rune {
	if i <= 0 || i > len(line) {
		return noChar
	}
	r, _ := utf8.DecodeLastRuneInString(line[:i])
	return r
}

func decodeAt(s string, i int) (rune, int) {
	if s[i] < utf8.RuneSelf {
		return rune(s[i]), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// toCP converts a byte offset in line to a code-point index (fail2ban's
// positions are Python string indexes).
func (d *Detector) toCP(line string, b int) int {
	if b <= 0 || d.asciiPrefix(line, b) {
		return b
	}
	if b > len(line) {
		return utf8.RuneCountInString(line) + b - len(line)
	}
	return utf8.RuneCountInString(line[:b])
}

// toByte converts a code-point index to a byte offset in line; indexes
// past the end keep their distance to it.
func (d *Detector) toByte(line string, cp int) int {
	if cp <= 0 || d.asciiPrefix(line, cp) {
		return cp
	}
	n := 0
	for i := range line {
		if n == cp {
			return i
		}
		n++
	}
	return len(line) + cp - n
}

// asciiPrefix reports whether line[:n] is ASCII (all of line when n
// exceeds it), scanning only bytes earlier calls for this line have not.
func (d *Detector) asciiPrefix(line string, n int) bool {
	if n > len(line) {
		n = len(line)
	}
	i := d.asciiLen
	if n <= i {
		return true
	}
	if d.nonASCII {
		return false
	}
	for ; i+8 <= n; i += 8 {
		w := uint64(line[i]) | uint64(line[i+1])<<8 | uint64(line[i+2])<<16 | uint64(line[i+3])<<24 |
			uint64(line[i+4])<<32 | uint64(line[i+5])<<40 | uint64(line[i+6])<<48 | uint64(line[i+7])<<56
		if w&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < n; i++ {
		if line[i] >= utf8.RuneSelf {
			d.nonASCII = true
			break
		}
	}
	d.asciiLen = i
	return n <= i
}

// lastPlace returns the byte offsets of the previous date's place in
// line, and whether the characters around them are the ones that were
// around the date (or are not alphanumeric and at the same side): then
// matchTime searches the last used template only there.
func (d *Detector) lastPlace(line string) (pos, end int, ok bool) {
	pos, end = d.toByte(line, d.lastStart.pos), d.toByte(line, d.lastEnd.pos)
	ok = (charBefore(line, pos) == d.lastStart.before ||
		(charAt(line, pos) == d.lastStart.at && !isAlnum(d.lastStart.at))) &&
		(charAt(line, end) == d.lastEnd.at ||
			(charBefore(line, end) == d.lastEnd.before && !isAlnum(d.lastEnd.before)))
	return pos, end, ok
}

// isAlnum is Python's str.isalnum for one character.
func isAlnum(r rune) bool {
	if r < utf8.RuneSelf {
		return r != noChar && isWordByte(byte(r)) && r != '_'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// search runs slot s's template on line[pos:end] as Python's
// pattern.search(line, pos, end) and records a hit; on true d.caps holds
// the spans.
func (d *Detector) search(s *slot, line string, pos, end int) bool {
	if !d.mayHold(s.t, line) {
		return false // the line lacks what every match has (needs.go)
	}
	s.t.build()
	end = min(end, len(line))
	pos = max(pos, 0)
	if pos > end {
		return false
	}
	if f := s.t.fast; f != nil && f.directOK && f.anchored && f.shape == shapeISO && pos == 0 && !d.noFast && d.asciiPrefix(line, end) {
		// the line-begin ISO template's year follows at most two
		// characters (^(?:\W{0,2})?)
		if p := isoStart(line, 0, end); p < 0 || p > 2 {
			return false
		}
	}
	if f := s.t.fast; f != nil && f.directOK && f.anchored && pos == 0 && end == len(line) && !d.noFast {
		// a line-begin template matches only at 0, where its direct
		// matcher's match, if it finds one, is the engine's
		n := 2 * (f.ncap + 1)
		if cap(d.caps) < n {
			d.caps = make([]int, n)
		}
		d.caps = d.caps[:n]
		d.caps[0] = 0
		if f.matchDirect(line, 0, end, d.caps) {
			s.found++
			return true
		}
	}
	if f := s.t.fast; f != nil && f.directOK && !f.anchored && f.shape == shapeISO && !d.noFast && d.asciiPrefix(line, end) {
		// an ISO date starts where four digits, a separator and a digit
		// do: the search's first try that can match is at the first
		// such place, where the direct matcher's match, if it finds one,
		// is the engine's
		p := isoStart(line, pos, end)
		if p < 0 {
			return false
		}
		if d.directAt(f, line, p, end) {
			s.found++
			return true
		}
	}
	loc, err := s.t.re.AppendSearchAt(d.caps, line[:end], pos)
	if err != nil {
		var se *pyre.StepLimitError
		if d.stepErr == nil && errors.As(err, &se) {
			d.stepErr = &StepLimitError{Template: s.t.name, Budget: se.Budget}
		}
		return false
	}
	if loc == nil {
		return false
	}
	d.caps = loc
	s.found++
	return true
}

// isoStart returns the first offset from pos of four ASCII digits, a
// separator of the ISO template ('-', '/', '.') and a digit that lie
// before end, or -1 for none: on an ASCII line no match of the ISO
// template (%ExY(?P<_sep>[-/.])%m...) starts before it.
func isoStart(line string, pos, end int) int {
	run := 0 // ASCII digits before i
	for i := pos; i+1 < end; i++ {
		c := line[i]
		if isDigitByte(c) {
			run++
			continue
		}
		if run >= 4 && (c == '-' || c == '/' || c == '.') && isDigitByte(line[i+1]) {
			return i - 4
		}
		run = 0
	}
	return -1
}

// matchTime picks the template for line; it mirrors fail2ban's
// DateDetector.matchTime, including its template reordering.
func (d *Detector) matchTime(line string, clk *clock) (int, bool, error) {
	n := len(d.slots)
	if n == 0 || len(line) < d.minLine {
		// no template can match so short a line
		return 0, false, nil
	}
	const none = -1
	found := none
	foundStart := farPosition
	ignore := farPosition
	idx := none
	var s *slot

	i := d.lastIdx
	matched := false
	if i < n {
		s = d.slots[i]
		s.t.build()
		if s.t.anchored() {
			matched = d.search(s, line, 0, len(line))
			ignore = i
		} else {
			if dist, endpos, ok := d.lastPlace(line); ok {
				matched = d.search(s, line, dist, endpos)
			} else {
				matched = d.search(s, line, 0, len(line))
				ignore = i
			}
		}
		if matched {
			dist, endpos := d.toCP(line, d.caps[0]), d.toCP(line, d.caps[1])
			if n == 1 || s.t.anchored() || (dist == d.lastStart.pos && endpos == d.lastEnd.pos) {
				idx = i
			} else {
				found, foundStart = i, dist
				matched = false
			}
		}
	}
	var foundCaps []int
	if found != none {
		foundCaps = append(d.scratch[:0], d.caps...)
	}
	if !matched {
		for j := 0; j < n; j++ {
			if j == ignore {
				continue
			}
			s = d.slots[j]
			if !d.search(s, line, 0, len(line)) {
				continue
			}
			dist := d.toCP(line, d.caps[0])
			if j+1 >= n || s.t.anchored() {
				idx = j
				break
			}
			if dist == 0 && s.hits > 0 && d.slots[j+1].found == 0 {
				idx = j
				break
			}
			if dist > s.distance || dist > d.lastStart.pos {
				if dist < foundStart {
					found, foundStart = j, dist
					foundCaps = append(d.scratch[:0], d.caps...)
				}
				continue
			}
			idx = j
			break
		}
		if idx == none && found != none {
			idx = found
			d.caps = append(d.caps[:0], foundCaps...)
		}
	}
	if d.stepErr != nil {
		// A template that might have matched first could not tell.
		return 0, false, nil
	}
	if idx == none {
		if d.minLine == 0 {
			d.setMinLine()
		}
		return 0, false, nil
	}
	if foundCaps != nil {
		d.scratch = foundCaps
	}
	return d.commit(idx, line, clk)
}

// setMinLine sets d.minLine after a line no template matched: the fewest
// runes (so bytes) a line needs for any template to match, from the
// regexes of the templates built and the needs of the others (unless one
// of these has none).
func (d *Detector) setMinLine() {
	m := farPosition
	for _, s := range d.slots {
		n := 0
		if s.t.lazy == nil {
			n = s.t.re.MinLen()
		} else if n = s.t.need.minLen(); n == 0 {
			return
		}
		m = min(m, n)
	}
	d.minLine = m
}

// commit records the win of slot idx, whose match is in d.caps, as
// fail2ban's matchTime does: statistics, the edges of the date for the
// next line's shortcut, and the template order.
func (d *Detector) commit(idx int, line string, clk *clock) (int, bool, error) {
	s := d.slots[idx]
	bdist, bend := d.caps[0], d.caps[1]
	dist, endpos := d.toCP(line, bdist), d.toCP(line, bend)
	s.hits++
	s.lastUsed = d.nowF
	s.distance = dist
	if d.firstUnused == idx {
		d.firstUnused++
	}
	if bdist >= len(line) {
		// fail2ban indexes line[distance] here and raises
		return idx, true, ErrLineRejected
	}
	var endBefore rune
	if bend == 0 {
		r, _ := utf8.DecodeLastRuneInString(line)
		endBefore = r
	} else {
		endBefore = charBefore(line, bend)
	}
	d.lastStart = edge{pos: dist, before: charBefore(line, bdist), at: charAt(line, bdist)}
	d.lastEnd = edge{pos: endpos, before: endBefore, at: charAt(line, bend)}
	if idx != 0 && idx != d.lastIdx {
		idx = d.reorder(idx)
	}
	d.lastIdx = idx
	return idx, true, nil
}

// reorder moves the template at num towards the front when it has been
// winning, as fail2ban does, and returns its new index.
func (d *Detector) reorder(num int) int {
	if num == 0 {
		return num
	}
	s := d.slots[num]
	untime := s.lastUsed - unusedTime
	w := s.weight()
	pos := num / 2
	if d.firstUnused < num {
		pos = d.firstUnused
	}
	movable := func() bool {
		p := d.slots[pos]
		return w > p.weight() || untime > p.lastUsed
	}
	if !movable() {
		if pos == num-1 {
			return num
		}
		pos = num - 1
		if !movable() {
			return num
		}
	}
	copy(d.slots[pos+1:num+1], d.slots[pos:num])
	d.slots[pos] = s
	for d.firstUnused < len(d.slots) && d.slots[d.firstUnused].hits > 0 {
		d.firstUnused++
	}
	return pos
}

// Detect finds the date in line. It returns false when no template
// matches. A Match with a non-nil Err still carries the span, which
// fail2ban cuts from the line either way (except for ErrLineRejected,
// where the line is dropped).
func (d *Detector) Detect(line string) (Match, bool) {
	return d.DetectAt(line, d.now())
}

// startLine forgets what was learnt of the previous line: how much of it
// is ASCII, and its facts for the templates' needs.
func (d *Detector) startLine() {
	d.asciiLen, d.nonASCII = 0, false
	d.facts.reset()
}

// DetectAt is Detect with the time now given by the caller instead of
// read from Options.Now.
func (d *Detector) DetectAt(line string, now time.Time) (Match, bool) {
	var m Match
	ok := d.DetectTo(&m, line, now)
	return m, ok
}

// DetectTo is DetectAt writing the match to *m (all of it), which spares
// a caller that keeps a Match the copies of one returned.
func (d *Detector) DetectTo(m *Match, line string, now time.Time) bool {
	if now != d.clkNow || !d.clkSet {
		// callers pass the same now for many lines: the clock's fields
		// and its float only change with it
		d.clk.set(now, d.loc)
		d.clkNow, d.nowF, d.clkSet = now, unixFloat(now), true
	}
	clk := &d.clk
	if d.syslogLane(m, line) {
		return true
	}
	d.startLine()
	d.stepErr = nil
	if d.matchLast(line) {
		d.laneHits++
		return d.laneDetect(m, line, clk)
	}
	idx, ok, err := d.matchTime(line, clk)
	if d.stepErr != nil {
		*m = Match{Start: -1, End: -1, Template: d.stepErr.Template, Err: d.stepErr}
		return true
	}
	if !ok {
		*m = Match{Start: -1, End: -1}
		return false
	}
	if t := d.setMatch(m, idx, err); t != nil {
		m.Time, m.Err = d.convert(line, t, d.caps, clk)
	}
	return true
}

// setMatch writes to *m the span in d.caps of the date template idx
// found, and err; it returns the template when the date's time is still
// to be read from the span (no error, a span not empty), else nil with
// m.Time set.
func (d *Detector) setMatch(m *Match, idx int, err error) *template {
	t := d.slots[idx].t
	start, end := d.caps[2], d.caps[3]
	if start < 0 || end < 0 {
		start, end = -1, -1
	}
	// field by field: a Match literal is built on the stack and copied,
	// and the copy's wide loads stall on the narrow stores
	m.Template, m.Start, m.End, m.Err = t.name, start, end, err
	switch {
	case err != nil:
		m.Time = 0
	case start >= end:
		m.Time = d.nowF
	default:
		return t
	}
	return nil
}

func (d *Detector) convert(line string, t *template, caps []int, clk *clock) (float64, error) {
	switch t.kind {
	case kindEpoch:
		g := t.epochGroup
		if 2*g+1 >= len(caps) || caps[2*g] < 0 {
			return 0, ErrLineRejected
		}
		return epochValue(line[caps[2*g]:caps[2*g+1]], t.longEpoch)
	case kindTAI64N:
		return tai64nValue(line[caps[2]:caps[3]])
	}
	return d.strptime(line, t, caps, clk)
}
