package datedetect

// This file is Detect's shortcut for the usual line of a log, the one
// fast path of the package: the template that found the date of the
// previous line is one of the fast shapes (the default templates for
// syslog, ISO 8601 and Apache dates, recognised by their exact regex
// text), and its direct matcher (lane_direct.go) matches at the place
// matchTime's "last template first" step looks at. The shortcut then does
// exactly what matchTime and strptime would do, with less work: one
// straight-line match instead of a regex search, and field values read
// straight from text the direct matcher has already checked. Whenever it
// is not sure of that, it changes nothing and Detect takes the general
// path, where pyre runs the templates. TestLaneEqualsGeneral,
// TestDirectEqualsEngine, FuzzDirect and FuzzFastDetector compare both.
// Within the lane, syslogLane reads the commonest line of all (a syslog
// date at the line start, as the default templates' first syslog one
// matches it) in one pass; TestSyslogLane and FuzzSyslogLane compare it
// with the general path too.
//
// How a template is recognised: a fast shape is a list of elements, each
// standing for one fixed regex fragment (fragment below). A template
// gets a fastMatcher only if its final regex is, character for
// character, the concatenation of the fragments of one shape
// (newFastMatcher). Any change to the templates therefore silently
// disables the shortcut instead of making it wrong; TestFastAttached
// notices.

import (
	"strings"

	"github.com/wardenipd/warden/internal/pyre"
)

type fastKind uint8

const (
	fkLineBegin fastKind = iota // ^(?:\W{0,2})?
	fkWordBegin                 // (?=^|\b|\W)
	fkWordEnd                   // (?=\b|\W|$)
	fkOpen                      // ( of group 1
	fkClose                     // ) of group 1
	fkLit                       // one ASCII character that is neither a letter nor a regex metacharacter
	fkOptSpace                  // " ?"
	fkDayName                   // (?:(?P<a>mon|...|sun) )?
	fkMonName                   // (?P<b>jan|...|dec)
	fkDay                       // (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])
	fkMonth                     // (?P<m>0?[1-9]|1[0-2])
	fkHourK                     // (?P<H>[0-2]?\d)
	fkHour                      // (?P<H>[0-1]?\d|2[0-3])
	fkMinute                    // (?P<M>[0-5]?\d)
	fkSecond                    // (?P<S>[0-5]?\d|6[0-1])
	fkFrac                      // (?:[SEP](?P<f>[0-9]{1,6}))?  SEP is arg: "\." or "[.,]"
	fkYear                      // the %ExY regex: (?P<Y>(?:200|201|...)\d)
	fkYearOpt                   // (?: %ExY)?
	fkSep                       // (?P<_sep>[arg])
	fkBackref                   // (?P=_sep)
	fkISOT                      // (?:T|  ?)
	fkColonOpt                  // [ :]?
	fkZone                      // (?:LEAD(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?  LEAD is arg: `\s*` or " "

	numFastKinds
)

// fastElem is one element of a fast matcher.
type fastElem struct {
	kind  fastKind
	arg   string // fkLit: the character; fkFrac, fkSep, fkZone: variant
	name  string // capture group name, "" for none (group 1 for fkOpen)
	group int    // capture group number, resolved by newFastMatcher
}

// fastMatcher describes a template whose regex is one of the fast
// shapes: its elements and capture groups, for the direct matcher.
type fastMatcher struct {
	elems    []fastElem
	icase    bool
	anchored bool
	ncap     int
	sepGroup int
	years    []string // three-digit year prefixes of %ExY
	// shape is the index of the matched fastShapes entry, which selects
	// the straight-line matcher of direct.go.
	shape int
	// groups holds the capture group of each element kind (0: none).
	groups [numFastKinds]int
	// directOK tells whether the direct matcher of shape applies.
	directOK bool
	// lane tells whether Detect's shortcut (lane.go) may use f.
	lane       bool
	laneGroups laneGroups
	// syslog tells whether the lane of f's template may take
	// syslogLane's shortcut (the line-begin syslog template).
	syslog bool
}

const zoneFrag = `Z|UTC|GMT|[+-][01]\d(?::?\d{2})?`

// fragment is the regex text element e stands for.
func (e *fastElem) fragment(year string) string {
	switch e.kind {
	case fkLineBegin:
		return lineBeginRegex
	case fkWordBegin:
		return wordBeginRegex
	case fkWordEnd:
		return wordEndRegex
	case fkOpen:
		return "("
	case fkClose:
		return ")"
	case fkLit:
		return e.arg
	case fkOptSpace:
		return " ?"
	case fkDayName:
		return `(?:(?P<a>mon|tue|wed|thu|fri|sat|sun) )?`
	case fkMonName:
		return `(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)`
	case fkDay:
		return `(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])`
	case fkMonth:
		return `(?P<m>0?[1-9]|1[0-2])`
	case fkHourK:
		return `(?P<H>[0-2]?\d)`
	case fkHour:
		return `(?P<H>[0-1]?\d|2[0-3])`
	case fkMinute:
		return `(?P<M>[0-5]?\d)`
	case fkSecond:
		return `(?P<S>[0-5]?\d|6[0-1])`
	case fkFrac:
		return `(?:` + e.arg + `(?P<f>[0-9]{1,6}))?`
	case fkYear:
		return year
	case fkYearOpt:
		return `(?: ` + year + `)?`
	case fkSep:
		return `(?P<_sep>[` + e.arg + `])`
	case fkBackref:
		return `(?P=_sep)`
	case fkISOT:
		return `(?:T|  ?)`
	case fkColonOpt:
		return `[ :]?`
	case fkZone:
		return `(?:` + e.arg + `(?P<z>` + zoneFrag + `))?`
	}
	panic("datedetect: unknown fast element")
}

func lit(c string) fastElem { return fastElem{kind: fkLit, arg: c} }

// fastShapes lists the template bodies with a fast matcher: the default
// templates for syslog, ISO 8601 and Apache dates. Each is used both with
// a word-begin and a line-begin prefix. The order is that of shapeSyslog,
// shapeISO and shapeApache (direct.go).
var fastShapes = []struct {
	icase bool
	body  []fastElem
}{
	{ // (?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?
		icase: true,
		body: []fastElem{
			{kind: fkOpen}, {kind: fkDayName, name: "a"}, {kind: fkMonName, name: "b"}, lit(" "),
			{kind: fkDay, name: "d"}, lit(" "), {kind: fkOptSpace}, {kind: fkHourK, name: "H"}, lit(":"),
			{kind: fkMinute, name: "M"}, lit(":"), {kind: fkSecond, name: "S"},
			{kind: fkFrac, arg: `\.`, name: "f"}, {kind: fkYearOpt, name: "Y"}, {kind: fkClose},
		},
	},
	{ // %ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?
		body: []fastElem{
			{kind: fkOpen}, {kind: fkYear, name: "Y"}, {kind: fkSep, arg: "-/.", name: "_sep"},
			{kind: fkMonth, name: "m"}, {kind: fkBackref}, {kind: fkDay, name: "d"}, {kind: fkISOT},
			{kind: fkHour, name: "H"}, lit(":"), {kind: fkMinute, name: "M"}, lit(":"), {kind: fkSecond, name: "S"},
			{kind: fkFrac, arg: `[.,]`, name: "f"}, {kind: fkZone, arg: `\s*`, name: "z"}, {kind: fkClose},
		},
	},
	{ // %d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?
		icase: true,
		body: []fastElem{
			{kind: fkOpen}, {kind: fkDay, name: "d"}, {kind: fkSep, arg: "-/", name: "_sep"},
			{kind: fkMonName, name: "b"}, {kind: fkBackref}, {kind: fkYear, name: "Y"}, {kind: fkColonOpt},
			{kind: fkHour, name: "H"}, lit(":"), {kind: fkMinute, name: "M"}, lit(":"), {kind: fkSecond, name: "S"},
			{kind: fkFrac, arg: `\.`, name: "f"}, {kind: fkZone, arg: " ", name: "z"}, {kind: fkClose},
		},
	},
}

// newFastMatcher returns the fast matcher for t, or nil if t's regex is
// not exactly one of the fast shapes.
func newFastMatcher(ct codeTable, t *template) *fastMatcher {
	if t.kind != kindPattern || t.re == nil {
		return nil
	}
	year := ct["ExY"].regex
	years := yearPrefixes(year)
	if years == nil {
		return nil
	}
	for shape, sh := range fastShapes {
		for _, begin := range []fastKind{fkLineBegin, fkWordBegin} {
			// t.regex must be the concatenation of the fragments: cut
			// them off one by one rather than build it.
			rest, ok := t.regex, true
			if sh.icase {
				rest, ok = strings.CutPrefix(rest, "(?iu)")
			}
			first, last := fastElem{kind: begin}, fastElem{kind: fkWordEnd}
			if ok {
				rest, ok = strings.CutPrefix(rest, first.fragment(year))
			}
			for i := 0; ok && i < len(sh.body); i++ {
				rest, ok = strings.CutPrefix(rest, sh.body[i].fragment(year))
			}
			if ok {
				rest, ok = strings.CutPrefix(rest, last.fragment(year))
			}
			if !ok || rest != "" {
				continue
			}
			elems := make([]fastElem, 0, len(sh.body)+2)
			elems = append(elems, first)
			elems = append(elems, sh.body...)
			elems = append(elems, last)
			f := bindFast(t.re, elems, sh.icase, begin == fkLineBegin, years)
			if f != nil {
				f.shape = shape
				f.directOK = f.hasDirect()
				f.lane = f.directOK && laneFieldsMatch(t, f)
				f.laneGroups = newLaneGroups(f)
				f.syslog = f.lane && shape == shapeSyslog && f.anchored && t.anchored()
			}
			return f
		}
	}
	return nil
}

// bindFast numbers the capture groups of elems and checks them against
// the compiled regex.
func bindFast(re *pyre.Regexp, elems []fastElem, icase, anchored bool, years []string) *fastMatcher {
	names := re.SubexpNames()
	f := &fastMatcher{elems: elems, icase: icase, anchored: anchored, ncap: re.NumSubexp(), years: years}
	n := 0
	for i := range elems {
		e := &elems[i]
		if e.kind != fkOpen && e.name == "" {
			continue
		}
		n++
		if n >= len(names) || names[n] != e.name {
			return nil
		}
		e.group = n
		f.groups[e.kind] = n
		if e.name == "_sep" {
			f.sepGroup = n
		}
	}
	if n != f.ncap {
		return nil
	}
	return f
}

// yearPrefixes extracts the alternatives of the %ExY regex; nil unless
// they are all three ASCII digits.
func yearPrefixes(year string) []string {
	const pre, post = `(?P<Y>(?:`, `)\d)`
	if len(year) < len(pre)+len(post) || year[:len(pre)] != pre || year[len(year)-len(post):] != post {
		return nil
	}
	var out []string
	body := year[len(pre) : len(year)-len(post)]
	for len(body) > 0 {
		if len(body) < 3 || !isDigitByte(body[0]) || !isDigitByte(body[1]) || !isDigitByte(body[2]) {
			return nil
		}
		out = append(out, body[:3])
		body = body[3:]
		if len(body) > 0 {
			if body[0] != '|' {
				return nil
			}
			body = body[1:]
		}
	}
	return out
}

func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }

func isWordByte(c byte) bool {
	return c == '_' || isDigitByte(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isSpaceByte(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r') || (0x1c <= c && c <= 0x1f)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// fieldKinds returns the element kinds that capture strptime field
// letter key, nil for a letter no fast matcher captures.
func fieldKinds(key byte) []fastKind {
	switch key {
	case 'a':
		return []fastKind{fkDayName}
	case 'b':
		return []fastKind{fkMonName}
	case 'd':
		return []fastKind{fkDay}
	case 'H':
		return []fastKind{fkHourK, fkHour}
	case 'M':
		return []fastKind{fkMinute}
	case 'S':
		return []fastKind{fkSecond}
	case 'f':
		return []fastKind{fkFrac}
	case 'Y':
		return []fastKind{fkYear, fkYearOpt}
	case 'm':
		return []fastKind{fkMonth}
	case 'z':
		return []fastKind{fkZone}
	}
	return nil
}

// laneFieldsMatch reports whether the strptime fields of t are exactly
// the captures of f's elements that laneFields reads.
func laneFieldsMatch(t *template, f *fastMatcher) bool {
	seen := 0
	for _, fl := range t.fields {
		ok := false
		for _, k := range fieldKinds(fl.key) {
			if f.groups[k] == fl.group {
				ok = true
			}
		}
		if !ok {
			return false
		}
		seen++
	}
	named := 0
	for _, e := range f.elems {
		if len(e.name) == 1 {
			if fieldKinds(e.name[0]) == nil {
				return false
			}
			named++
		}
	}
	return seen == named
}

// matchLast is the first step of matchTime (search the last used
// template, at the date's previous place unless it is anchored) for the
// case that the direct matcher answers it and matchTime would take the
// match without looking at other templates. On true d.caps holds the
// match and the search has been counted; on false nothing has changed.
func (d *Detector) matchLast(line string) bool {
	i := d.lastIdx
	if i >= len(d.slots) || d.noFast {
		return false
	}
	s := d.slots[i]
	f := s.t.fast
	if f == nil || !f.lane {
		return false
	}
	pos, end := 0, len(line)
	anchored := s.t.anchored()
	if anchored != f.anchored {
		return false
	}
	if !anchored {
		// matchTime's test for searching only where the date was
		var ok bool
		if pos, end, ok = d.lastPlace(line); !ok {
			return false
		}
		if end > len(line) {
			end = len(line)
		}
		if pos < 0 {
			pos = 0
		}
		// a search from pos whose first try, at pos, matches: the
		// leftmost match
		if pos >= end || line[pos] >= 0x80 {
			return false
		}
	}
	if !d.directAt(f, line, pos, end) {
		return false
	}
	if !anchored && len(d.slots) > 1 &&
		(d.toCP(line, d.caps[0]) != d.lastStart.pos || d.toCP(line, d.caps[1]) != d.lastEnd.pos) {
		return false
	}
	s.found++
	return true
}

// laneGroups are the capture groups laneFields reads (0: absent).
type laneGroups struct {
	year, month, day, hour, minute, second, weekday, zone int
	monthName                                             bool
}

func newLaneGroups(f *fastMatcher) laneGroups {
	g := &f.groups
	return laneGroups{
		year:      g[fkYear] + g[fkYearOpt], // at most one is set
		month:     g[fkMonName] + g[fkMonth],
		monthName: g[fkMonName] > 0,
		day:       g[fkDay],
		hour:      g[fkHourK] + g[fkHour],
		minute:    g[fkMinute],
		second:    g[fkSecond],
		weekday:   g[fkDayName],
		zone:      g[fkZone],
	}
}

// laneFields is parseFields for a match of a direct matcher: it reads
// the values from the texts the matcher has checked. ok is false when a
// zone needs zoneOffset's general parsing.
func laneFields(line string, lg *laneGroups, caps []int, v *dateFields) bool {
	if s, e, ok := laneSpan(caps, lg.year); ok {
		v.year, v.haveYear = digitsValue(line[s:e]), true
	}
	if s, e, ok := laneSpan(caps, lg.month); ok {
		if lg.monthName {
			v.month = monthAt(line, s, s+3) + 1
		} else {
			v.month = digitsValue(line[s:e])
		}
		v.haveMonth = true
	}
	if s, e, ok := laneSpan(caps, lg.day); ok {
		v.day, v.haveDay = digitsValue(line[s:e]), true
	}
	if s, e, ok := laneSpan(caps, lg.hour); ok {
		v.hour = digitsValue(line[s:e])
	}
	if s, e, ok := laneSpan(caps, lg.minute); ok {
		v.minute = digitsValue(line[s:e])
	}
	if s, e, ok := laneSpan(caps, lg.second); ok {
		v.second = digitsValue(line[s:e])
	}
	if s, _, ok := laneSpan(caps, lg.weekday); ok {
		v.weekday, v.haveWeekday = weekdayAt(line, s, s+3), true
	}
	if s, e, ok := laneSpan(caps, lg.zone); ok {
		z := line[s:e]
		if z == "Z" || z == "UTC" || z == "GMT" {
			v.tzoff = 0
		} else if off, ok := numericZone(z); ok {
			v.tzoff = off
		} else {
			return false
		}
		v.haveTZ = true
	}
	return true
}

// laneSpan returns the span of group g (0: the matcher has none) and
// whether it took part in the match.
func laneSpan(caps []int, g int) (s, e int, ok bool) {
	if g <= 0 || caps[2*g] < 0 {
		return 0, 0, false
	}
	return caps[2*g], caps[2*g+1], true
}

// digitsValue is the value of ASCII digits after at most one space.
func digitsValue(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' {
			v = v*10 + int(c-'0')
		}
	}
	return v
}

// laneDetect is DetectTo for a line whose match matchLast found.
func (d *Detector) laneDetect(m *Match, line string, clk *clock) bool {
	idx, _, err := d.commit(d.lastIdx, line, clk)
	if t := d.setMatch(m, idx, err); t != nil {
		m.Time, m.Err = d.laneConvert(line, t, d.caps, clk)
	}
	return true
}

// laneConvert is convert for a match found by matchLast.
func (d *Detector) laneConvert(line string, t *template, caps []int, clk *clock) (float64, error) {
	var v dateFields
	if !laneFields(line, &t.fast.laneGroups, caps, &v) {
		return d.convert(line, t, caps, clk)
	}
	return d.resolve(&v, clk)
}

// syslogLane is DetectTo for the most common line of all, taken before
// matchLast: the last template is the line-begin syslog one, and the line
// starts with its date in the form "Mmm dd hh:mm:ss" (day " d" or "0d"
// too) followed by a byte that is neither a word character, a dot nor
// the space before a year, with at least 16 ASCII bytes from there on.
// Of the direct matcher's options that is the path where every element
// takes its first option and none is absent but the weekday, fraction
// and year: directSyslog's match, read in one pass. With the day and hour
// in range, the time is computed here as resolve would; otherwise
// resolve computes it (or the error) from the same fields. On false
// nothing has changed.
func (d *Detector) syslogLane(m *Match, line string) bool {
	if d.lastIdx >= len(d.slots) || len(line) < 15+directTailLen || d.noFast {
		return false
	}
	s := d.slots[d.lastIdx]
	f := s.t.fast
	if f == nil || !f.syslog {
		return false
	}
	l := line[:15+directTailLen]
	// the bytes of the date and the 16 after it: ASCII
	if (load64(l, 0)|load64(l, 8)|load64(l, 15)|load64(l, 23))&0x8080808080808080 != 0 {
		return false
	}
	// a month name first: ^(?:\W{0,2})? matches nothing before its word
	// character, and (?:%a )? nothing as no month is a weekday
	mon := monthAt(l, 0, 3)
	if mon < 0 || l[3] != ' ' || l[6] != ' ' {
		return false
	}
	// (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1]) followed by a space, where the
	// second character is a digit (pickDay's first, second and fourth
	// options)
	c0, c1 := l[4], l[5]
	var day int
	switch {
	case '1' <= c0 && c0 <= '2' && isDigitByte(c1):
		day = int(c0-'0')*10 + int(c1-'0')
	case (c0 == '0' || c0 == ' ') && '1' <= c1 && c1 <= '9':
		day = int(c1 - '0')
	case c0 == '3' && (c1 == '0' || c1 == '1'):
		day = 30 + int(c1-'0')
	default:
		return false
	}
	// " ?" takes nothing before a digit; then the two-digit options of
	// hour ([0-2]?\d), minute and second ([0-5]?\d), whose next
	// elements (":", ":", the fraction) accept what follows
	h0, h1, m0, m1, s0, s1 := l[7], l[8], l[10], l[11], l[13], l[14]
	if !isDigitByte(h0) || h0 > '2' || !isDigitByte(h1) || l[9] != ':' ||
		!isDigitByte(m0) || m0 > '5' || !isDigitByte(m1) || l[12] != ':' ||
		!isDigitByte(s0) || s0 > '5' || !isDigitByte(s1) {
		return false
	}
	// the fraction and year options take nothing ((?:\.%f)? needs a dot,
	// (?: %ExY)? a space and a year); (?=\b|\W|$) needs no word
	// character at 15
	if c := l[15]; c == '.' || isWordByte(c) || (c == ' ' && f.yearAt(l, 16, len(l))) {
		return false
	}
	// directSyslog would match [0, 15): commit it as DetectTo would
	s.found++
	d.laneHits++
	d.syslogHits++
	s.hits++
	s.lastUsed = d.nowF
	s.distance = 0
	if d.firstUnused == d.lastIdx {
		d.firstUnused++
	}
	d.lastStart = edge{pos: 0, before: noChar, at: rune(l[0])}
	d.lastEnd = edge{pos: 15, before: rune(l[14]), at: rune(l[15])}
	m.Template, m.Start, m.End, m.Err = s.t.name, 0, 15, nil
	month := mon + 1
	hour, minute, second := int(h0-'0')*10+int(h1-'0'), int(m0-'0')*10+int(m1-'0'), int(s0-'0')*10+int(s1-'0')
	clk := &d.clk
	// resolve's path for a valid date (minute and second are in range by
	// their form)
	if year := clk.year; hour <= 23 && day <= daysIn(year, month) && 1 <= year && year <= 9999 {
		secs := d.monthStart(year, month) + int64((day-1)*86400+hour*3600+minute*60+second)
		ok := true
		if d.defaultTZ != nil {
			secs -= int64(*d.defaultTZ) * 60
			ok = inCivilRange(secs)
		}
		if ok && secs > clk.naive+86400 {
			secs, ok = d.lastYear(secs, year, month, day)
		}
		if ok {
			if d.defaultTZ == nil {
				secs = d.localUnix(secs)
			}
			m.Time = float64(secs)
			return true
		}
	}
	v := dateFields{month: month, day: day, hour: hour, minute: minute, second: second, haveMonth: true, haveDay: true}
	m.Time, m.Err = d.resolve(&v, clk)
	return true
}

// directAt runs f's direct matcher at pos, with d.caps (sized for f's
// groups) taking its match.
func (d *Detector) directAt(f *fastMatcher, line string, pos, end int) bool {
	n := 2 * (f.ncap + 1)
	if cap(d.caps) < n {
		d.caps = make([]int, n)
	}
	d.caps = d.caps[:n]
	d.caps[0] = pos
	return f.matchDirect(line, pos, end, d.caps)
}
