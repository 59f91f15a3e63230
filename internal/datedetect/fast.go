package datedetect

// This file holds hand-written matchers for the templates real logs use
// most (syslog, ISO 8601, Apache), which run instead of the regex engine
// when they can give its exact answer.
//
// How exactness is obtained:
//
//   - A fast matcher is a list of elements. Each element kind stands for
//     one fixed regex fragment (fragment below). A template gets a fast
//     matcher only if its final regex is, character for character, the
//     concatenation of the fragments of one of the element lists
//     (newFastMatcher). Any change to the templates therefore silently
//     disables the fast path instead of making it wrong; TestFastAttached
//     notices.
//   - For a given position, each element enumerates the ways its fragment
//     can match there (end position and capture) in exactly the order the
//     backtracking engine tries them (options). dfs walks the elements
//     depth-first in that order and stops at the first complete match,
//     which is the engine's definition of the match, including captures.
//     Unanchored searches try start positions in the engine's order and
//     with its first-byte prefilter.
//   - Elements only reason about ASCII. Whenever one would have to look at
//     a byte >= 0x80 (where Unicode \d, \w, \s or case folding could
//     matter), the matcher gives up ("unsure") and the caller runs the
//     engine.
//   - The engine abandons a search after its budget, at least
//     defaultBudget steps, and the Detector reports a *StepLimitError.
//     The fast matcher gives up after fastWorkLimit units of work (one
//     unit per start position and per element option tried); each unit
//     costs the engine far fewer than defaultBudget/fastWorkLimit steps,
//     so whenever the fast matcher answers the engine finishes within its
//     budget (checked by the tests, see fastStepRatio).
//
// Within these limits a "no match" answer is as certain as a match.
//
// direct.go adds straight-line matchers for the common case of each
// shape, which the search tries before the dfs, and lane.go a shortcut
// of Detect built on them.

import "unicode/utf8"

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

// fastMatcher matches one template without the regex engine.
type fastMatcher struct {
	elems    []fastElem
	icase    bool
	anchored bool
	ncap     int
	sepGroup int
	years    []string // three-digit year prefixes of %ExY
	prog     *program // the template's program, for its prefilter
	// shape is the index of the matched fastShapes entry, which selects
	// the straight-line matcher of direct.go.
	shape int
	// groups holds the capture group of each element kind (0: none).
	groups [numFastKinds]int
	// maxTryWork bounds the work units one dfs from a start position can
	// add before it finds a match: one for the start and at most
	// maxFastOpts per element on the way (elements that fail add none).
	maxTryWork int
	// directOK tells whether the direct matcher of shape applies.
	directOK bool
	// lane tells whether Detect's shortcut (lane.go) may use f.
	lane       bool
	laneGroups laneGroups
}

// fastResult is the answer of a fast search.
type fastResult uint8

const (
	fastUnsure fastResult = iota // run the engine
	fastNoMatch
	fastMatch
)

// fastWorkLimit bounds the work of one fast search; see the file comment.
const fastWorkLimit = 4096

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
	if t.kind != kindPattern || t.prog == nil {
		return nil
	}
	year := ct["ExY"].regex
	years := yearPrefixes(year)
	if years == nil {
		return nil
	}
	for shape, sh := range fastShapes {
		for _, begin := range []fastKind{fkLineBegin, fkWordBegin} {
			elems := make([]fastElem, 0, len(sh.body)+2)
			elems = append(elems, fastElem{kind: begin})
			elems = append(elems, sh.body...)
			elems = append(elems, fastElem{kind: fkWordEnd})
			regex := ""
			if sh.icase {
				regex = "(?iu)"
			}
			for i := range elems {
				regex += elems[i].fragment(year)
			}
			if regex != t.regex {
				continue
			}
			f := bindFast(t.prog, elems, sh.icase, begin == fkLineBegin, years)
			if f != nil {
				f.shape = shape
				f.directOK = f.hasDirect()
				f.lane = f.directOK && laneFieldsMatch(t, f)
				f.laneGroups = newLaneGroups(f)
			}
			return f
		}
	}
	return nil
}

// bindFast numbers the capture groups of elems and checks them against
// the compiled program.
func bindFast(p *program, elems []fastElem, icase, anchored bool, years []string) *fastMatcher {
	f := &fastMatcher{elems: elems, icase: icase, anchored: anchored, ncap: p.ncap, years: years, prog: p,
		maxTryWork: 1 + len(elems)*maxFastOpts}
	n := 0
	for i := range elems {
		e := &elems[i]
		if e.kind != fkOpen && e.name == "" {
			continue
		}
		n++
		if n >= len(p.names) || p.names[n] != e.name {
			return nil
		}
		e.group = n
		f.groups[e.kind] = n
		if e.name == "_sep" {
			f.sepGroup = n
		}
	}
	if n != p.ncap || anchored != p.anchored {
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

// fastRun is the state of one fast search.
type fastRun struct {
	f     *fastMatcher
	s     string
	end   int
	caps  []int
	stack []fastOpt // maxFastOpts options per element
	work  int
	bail  bool
	// useDirect enables the direct matcher (direct.go).
	useDirect bool
}

// maxFastOpts bounds the options of one element (fkZone with up to three
// spaces: 4*2+1).
const maxFastOpts = 10

// fastOpt is one way an element can match: its end and its capture.
type fastOpt struct{ end, gs, ge int32 }

func op(end, gs, ge int) fastOpt { return fastOpt{int32(end), int32(gs), int32(ge)} }

// at returns the byte at i, or ok=false past the end. A non-ASCII byte
// makes the search unsure.
func (r *fastRun) at(i int) (byte, bool) {
	if i >= r.end {
		return 0, false
	}
	c := r.s[i]
	if c >= utf8.RuneSelf {
		r.bail = true
		return 0, false
	}
	return c, true
}

// eq compares the byte at i with c, a lower-case ASCII letter or a
// character that is no letter, folding case when the template ignores it.
func (r *fastRun) eq(i int, c byte) bool {
	b, ok := r.at(i)
	if !ok {
		return false
	}
	if r.f.icase {
		b = lowerByte(b)
	}
	return b == c
}

// name3 matches one of the three-letter lower-case names at i.
func (r *fastRun) name3(i int, names []string) bool {
	a, ok1 := r.at(i)
	b, ok2 := r.at(i + 1)
	c, ok3 := r.at(i + 2)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	if r.f.icase {
		a, b, c = lowerByte(a), lowerByte(b), lowerByte(c)
	}
	for _, n := range names {
		if n[0] == a && n[1] == b && n[2] == c {
			return true
		}
	}
	return false
}

func (r *fastRun) digit(i int) bool {
	c, ok := r.at(i)
	return ok && isDigitByte(c)
}

func (r *fastRun) in(i int, lo, hi byte) bool {
	c, ok := r.at(i)
	return ok && lo <= c && c <= hi
}

func (r *fastRun) year(i int) bool {
	a, ok1 := r.at(i)
	b, ok2 := r.at(i + 1)
	c, ok3 := r.at(i + 2)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	for _, y := range r.f.years {
		if y[0] == a && y[1] == b && y[2] == c {
			return r.digit(i + 3)
		}
	}
	return false
}

// zone appends the options of (?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)
// at j. The alternatives start with different characters, so at most one
// applies.
func (r *fastRun) zone(j int, o []fastOpt) []fastOpt {
	switch {
	case r.upper(j, 'Z'):
		return append(o, op(j+1, j, j+1))
	case r.upper(j, 'U') && r.upper(j+1, 'T') && r.upper(j+2, 'C'),
		r.upper(j, 'G') && r.upper(j+1, 'M') && r.upper(j+2, 'T'):
		return append(o, op(j+3, j, j+3))
	case (r.eq(j, '+') || r.eq(j, '-')) && r.in(j+1, '0', '1') && r.digit(j+2):
		b := j + 3
		// (?::?\d{2})? greedy: with the colon if there is one (a colon
		// is no digit, so leaving it out cannot help), then without the
		// minutes.
		if r.eq(b, ':') {
			if r.digit(b+1) && r.digit(b+2) {
				o = append(o, op(b+3, j, b+3))
			}
		} else if r.digit(b) && r.digit(b+1) {
			o = append(o, op(b+2, j, b+2))
		}
		return append(o, op(b, j, b))
	}
	return o
}

// upper compares the byte at i with the upper-case ASCII letter c as
// the template does: exactly, or ignoring case.
func (r *fastRun) upper(i int, c byte) bool {
	b, ok := r.at(i)
	if !ok {
		return false
	}
	if r.f.icase {
		return lowerByte(b) == lowerByte(c)
	}
	return b == c
}

// options lists the ways element e can match at i, in the engine's order.
func (r *fastRun) options(e *fastElem, i int, o []fastOpt) []fastOpt {
	switch e.kind {
	case fkLineBegin:
		// ^ then \W{0,2} greedy (the optional group adds the empty
		// match again, which changes nothing)
		if i != 0 {
			return o
		}
		k := 0
		for k < 2 {
			c, ok := r.at(i + k)
			if !ok || isWordByte(c) {
				break
			}
			k++
		}
		for ; k >= 0; k-- {
			o = append(o, op(i+k, -1, -1))
		}
	case fkWordBegin:
		if r.wordBegin(i) {
			o = append(o, op(i, -1, -1))
		}
	case fkWordEnd:
		if r.wordEnd(i) {
			o = append(o, op(i, -1, -1))
		}
	case fkOpen, fkClose:
		o = append(o, op(i, -1, -1))
	case fkLit:
		if r.eq(i, e.arg[0]) {
			o = append(o, op(i+1, -1, -1))
		}
	case fkOptSpace:
		if r.eq(i, ' ') {
			o = append(o, op(i+1, -1, -1))
		}
		o = append(o, op(i, -1, -1))
	case fkDayName:
		if r.name3(i, dayAbbr) && r.eq(i+3, ' ') {
			o = append(o, op(i+4, i, i+3))
		}
		o = append(o, op(i, -1, -1))
	case fkMonName:
		if r.name3(i, monthAbbr) {
			o = append(o, op(i+3, i, i+3))
		}
	case fkDay: // [1-2]\d | [0 ]?[1-9] | 3[0-1]
		if r.in(i, '1', '2') && r.digit(i+1) {
			o = append(o, op(i+2, i, i+2))
		}
		if (r.eq(i, '0') || r.eq(i, ' ')) && r.in(i+1, '1', '9') {
			o = append(o, op(i+2, i, i+2))
		}
		if r.in(i, '1', '9') {
			o = append(o, op(i+1, i, i+1))
		}
		if r.eq(i, '3') && r.in(i+1, '0', '1') {
			o = append(o, op(i+2, i, i+2))
		}
	case fkMonth: // 0?[1-9] | 1[0-2]
		if r.eq(i, '0') && r.in(i+1, '1', '9') {
			o = append(o, op(i+2, i, i+2))
		}
		if r.in(i, '1', '9') {
			o = append(o, op(i+1, i, i+1))
		}
		if r.eq(i, '1') && r.in(i+1, '0', '2') {
			o = append(o, op(i+2, i, i+2))
		}
	case fkHourK, fkHour, fkMinute, fkSecond: // [0-X]?\d, then 2[0-3] or 6[0-1]
		hi, alt, altHi := byte('2'), byte(0), byte(0)
		switch e.kind {
		case fkHour:
			hi, alt, altHi = '1', '2', '3'
		case fkMinute:
			hi = '5'
		case fkSecond:
			hi, alt, altHi = '5', '6', '1'
		}
		c0, ok0 := r.at(i)
		if !ok0 || !isDigitByte(c0) {
			break // every option starts with a digit
		}
		c1, ok1 := r.at(i + 1)
		if r.bail {
			break
		}
		if c0 <= hi && ok1 && isDigitByte(c1) {
			o = append(o, op(i+2, i, i+2))
		}
		o = append(o, op(i+1, i, i+1))
		if c0 == alt && ok1 && '0' <= c1 && c1 <= altHi {
			o = append(o, op(i+2, i, i+2))
		}
	case fkFrac: // (?:SEP(?P<f>[0-9]{1,6}))?
		if r.eq(i, '.') || (e.arg != `\.` && r.eq(i, ',')) {
			k := 0
			for k < 6 && r.digit(i+1+k) {
				k++
			}
			for ; k >= 1; k-- {
				o = append(o, op(i+1+k, i+1, i+1+k))
			}
		}
		o = append(o, op(i, -1, -1))
	case fkYear:
		if r.year(i) {
			o = append(o, op(i+4, i, i+4))
		}
	case fkYearOpt:
		if r.eq(i, ' ') && r.year(i+1) {
			o = append(o, op(i+5, i+1, i+5))
		}
		o = append(o, op(i, -1, -1))
	case fkSep:
		if c, ok := r.at(i); ok && (c == '-' || c == '/' || (c == '.' && e.arg == "-/.")) {
			o = append(o, op(i+1, i, i+1))
		}
	case fkBackref:
		gs, ge := r.caps[2*r.f.sepGroup], r.caps[2*r.f.sepGroup+1]
		if gs >= 0 && ge == gs+1 && r.eq(i, r.s[gs]) {
			o = append(o, op(i+1, -1, -1))
		}
	case fkISOT: // T |   ?
		if r.upper(i, 'T') {
			o = append(o, op(i+1, -1, -1))
		}
		if r.eq(i, ' ') {
			if r.eq(i+1, ' ') {
				o = append(o, op(i+2, -1, -1))
			}
			o = append(o, op(i+1, -1, -1))
		}
	case fkColonOpt:
		if r.eq(i, ' ') || r.eq(i, ':') {
			o = append(o, op(i+1, -1, -1))
		}
		o = append(o, op(i, -1, -1))
	case fkZone:
		if e.arg == " " {
			if r.eq(i, ' ') {
				o = r.zone(i+1, o)
			}
		} else { // \s* greedy
			k := 0
			for {
				c, ok := r.at(i + k)
				if !ok || !isSpaceByte(c) {
					break
				}
				k++
				if k > 3 {
					r.bail = true
					return o
				}
			}
			for ; k >= 0; k-- {
				o = r.zone(i+k, o)
			}
		}
		o = append(o, op(i, -1, -1))
	}
	return o
}

// wordBegin evaluates (?=^|\b|\W) at i.
func (r *fastRun) wordBegin(i int) bool {
	if i == 0 {
		return true
	}
	p := r.s[i-1]
	if p >= utf8.RuneSelf {
		r.bail = true
		return false
	}
	c, ok := r.at(i)
	if r.bail {
		return false
	}
	before, after := isWordByte(p), ok && isWordByte(c)
	return before != after || (ok && !after)
}

// wordEnd evaluates (?=\b|\W|$) at i.
func (r *fastRun) wordEnd(i int) bool {
	c, ok := r.at(i)
	if r.bail {
		return false
	}
	if !ok {
		return true // $
	}
	if !isWordByte(c) {
		return true // \W
	}
	// \b: the character at i is a word character
	if i == 0 {
		return true
	}
	p := r.s[i-1]
	if p >= utf8.RuneSelf {
		r.bail = true
		return false
	}
	return !isWordByte(p)
}

// dfs matches elements k.. at i, trying options depth-first. Every
// element writes its capture group on every path (-1 when the option
// captures nothing), so a complete path leaves exactly its own captures
// and failed paths need no undo.
func (r *fastRun) dfs(k, i int) bool {
	for {
		if k == len(r.f.elems) {
			r.caps[1] = i
			return true
		}
		e := &r.f.elems[k]
		opts := r.options(e, i, r.stack[k*maxFastOpts:k*maxFastOpts:(k+1)*maxFastOpts])
		if r.bail || len(opts) == 0 {
			return false
		}
		r.work += len(opts)
		if r.work > fastWorkLimit {
			r.bail = true
			return false
		}
		if len(opts) == 1 {
			r.capture(e, i, opts[0])
			k, i = k+1, int(opts[0].end)
			continue
		}
		for _, o := range opts {
			r.capture(e, i, o)
			if r.dfs(k+1, int(o.end)) {
				return true
			}
			if r.bail {
				return false
			}
		}
		return false
	}
}

func (r *fastRun) capture(e *fastElem, i int, o fastOpt) {
	switch {
	case e.kind == fkOpen:
		r.caps[2] = i
	case e.kind == fkClose:
		r.caps[3] = i
	case e.group > 0:
		r.caps[2*e.group], r.caps[2*e.group+1] = int(o.gs), int(o.ge)
	}
}

// search is machine.search for the template of f: on fastMatch m.caps
// holds what the engine would have produced. work reports the units
// spent (for tests; an upper bound when a direct matcher answered).
func (f *fastMatcher) search(m *machine, s string, pos, end int) (res fastResult, work int) {
	return f.searchWith(m, s, pos, end, f.directOK)
}

// searchWith is search, using the direct matcher of direct.go first
// when useDirect is set.
func (f *fastMatcher) searchWith(m *machine, s string, pos, end int, useDirect bool) (res fastResult, work int) {
	if end > len(s) {
		end = len(s)
	}
	if pos < 0 {
		pos = 0
	}
	if pos > end {
		return fastNoMatch, 0
	}
	if end > 1<<30 {
		return fastUnsure, 0 // positions must fit fastOpt
	}
	n := 2 * (f.ncap + 1)
	if cap(m.caps) < n {
		m.caps = make([]int, n)
	}
	m.caps = m.caps[:n]
	if need := len(f.elems) * maxFastOpts; cap(m.fastStack) < need {
		m.fastStack = make([]fastOpt, need)
	}
	r := fastRun{f: f, s: s, end: end, caps: m.caps, stack: m.fastStack, useDirect: useDirect}
	if f.anchored {
		if pos != 0 || end < f.prog.minLen || !f.prog.windowOK(s, 0, end) {
			return fastNoMatch, 0
		}
		if r.try(0) {
			return fastMatch, r.work
		}
		if r.bail {
			return fastUnsure, r.work
		}
		return fastNoMatch, r.work
	}
	p := f.prog
	for i := pos; i <= end; {
		if i < end && s[i] >= utf8.RuneSelf {
			if p.firstNone || p.firstAny {
				return fastUnsure, r.work
			}
			_, w := utf8.DecodeRuneInString(s[i:end])
			i += w
			continue
		}
		if !p.firstNone {
			if i == end {
				break
			}
			if c := s[i]; p.first[c>>6]&(1<<(c&63)) == 0 {
				i++
				continue
			}
		}
		// the engine's other prefilters (prefilter.go); s[i] is ASCII
		if end-i < p.minLen {
			break
		}
		if !p.windowOK(s, i, end) {
			if i == end {
				break
			}
			i++
			continue
		}
		if r.try(i) {
			return fastMatch, r.work
		}
		if r.bail || r.work > fastWorkLimit {
			return fastUnsure, r.work
		}
		i++
	}
	return fastNoMatch, r.work
}

// try matches the elements at start position i: with the direct matcher
// when it applies and there is room for the work the dfs could spend
// (see direct.go), else, or when it does not answer, with the dfs.
func (r *fastRun) try(i int) bool {
	if r.useDirect && r.work+r.f.maxTryWork <= fastWorkLimit {
		r.resetCaps(i)
		if r.f.matchDirect(r.s, i, r.end, r.caps) {
			r.work += r.f.maxTryWork
			return true
		}
	}
	r.resetCaps(i)
	r.work++
	return r.dfs(0, i)
}

func (r *fastRun) resetCaps(i int) {
	for k := range r.caps {
		r.caps[k] = -1
	}
	r.caps[0] = i
}
