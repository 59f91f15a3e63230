package datedetect

// This file holds straight-line matchers for the three fast shapes
// (syslog, ISO 8601, Apache), which the lane (lane.go) uses. They answer
// the common case, a date that the first alternatives of every element
// already match, and report nothing for everything else.
//
// Why a direct match is the regex engine's match (Python's backtracking
// order, which pyre follows):
//
//   - The engine tries the alternatives of each element in order, depth
//     first, and stops at the first complete path. A direct matcher
//     follows one path: at each element it takes the first option, except
//     where an element is followed by one whose single test (a literal, a
//     separator, a back-reference) already fails at the end of that
//     option; then it takes the first option for which that test passes.
//     Every path through a skipped option fails at the next element, so
//     when the followed path completes, no path before it in the engine's
//     order does: it is the engine's match, with the same captures.
//   - Whenever the path does not complete, the direct matcher reports
//     nothing and the caller runs the engine.
//   - Every byte the engine reads on the way to the match lies in
//     [start-1, end of match + directTailLen): bytes inside the match are
//     ASCII because the direct matcher consumed them as ASCII characters,
//     and the byte before and the tail are checked to be ASCII too, so
//     Unicode \d, \w, \s and case folding cannot matter. Runs of more than
//     three spaces before a zone are left to the engine.
//
// TestDirectEqualsEngine and FuzzDirect compare both on many inputs.

// Indexes of fastShapes entries; directShapeKinds pins their elements.
const (
	shapeSyslog = iota
	shapeISO
	shapeApache
)

// directTailLen bounds how far past the end of a match the dfs reads (the
// longest lookahead is a zone after three spaces: 3+1+6 bytes).
const directTailLen = 16

// directShapeKinds is the element sequence (with the argument of elements
// that have one) each direct matcher is written for. A fast matcher whose
// body differs gets no direct matcher.
var directShapeKinds = [...][]fastElem{
	shapeSyslog: {
		{kind: fkOpen}, {kind: fkDayName}, {kind: fkMonName}, lit(" "), {kind: fkDay}, lit(" "), {kind: fkOptSpace},
		{kind: fkHourK}, lit(":"), {kind: fkMinute}, lit(":"), {kind: fkSecond}, {kind: fkFrac, arg: `\.`},
		{kind: fkYearOpt}, {kind: fkClose},
	},
	shapeISO: {
		{kind: fkOpen}, {kind: fkYear}, {kind: fkSep, arg: "-/."}, {kind: fkMonth}, {kind: fkBackref}, {kind: fkDay},
		{kind: fkISOT}, {kind: fkHour}, lit(":"), {kind: fkMinute}, lit(":"), {kind: fkSecond},
		{kind: fkFrac, arg: `[.,]`}, {kind: fkZone, arg: `\s*`}, {kind: fkClose},
	},
	shapeApache: {
		{kind: fkOpen}, {kind: fkDay}, {kind: fkSep, arg: "-/"}, {kind: fkMonName}, {kind: fkBackref}, {kind: fkYear},
		{kind: fkColonOpt}, {kind: fkHour}, lit(":"), {kind: fkMinute}, lit(":"), {kind: fkSecond},
		{kind: fkFrac, arg: `\.`}, {kind: fkZone, arg: " "}, {kind: fkClose},
	},
}

// directIcase is the case mode each direct matcher is written for.
func directIcase(shape int) bool { return shape != shapeISO }

// hasDirect reports whether f's elements are exactly those its direct
// matcher is written for.
func (f *fastMatcher) hasDirect() bool {
	if f.shape < 0 || f.shape >= len(directShapeKinds) || f.icase != directIcase(f.shape) {
		return false
	}
	want := directShapeKinds[f.shape]
	if len(f.elems) != len(want)+2 {
		return false
	}
	begin, last := f.elems[0].kind, f.elems[len(f.elems)-1].kind
	if (begin != fkLineBegin) != !f.anchored || (begin != fkLineBegin && begin != fkWordBegin) || last != fkWordEnd {
		return false
	}
	for i, w := range want {
		if e := f.elems[i+1]; e.kind != w.kind || e.arg != w.arg {
			return false
		}
	}
	// the matchers write captures at fixed group numbers
	for k, g := range directGroups(f.shape) {
		if f.groups[k] != g {
			return false
		}
	}
	return f.ncap == directNcap(f.shape)
}

// directGroups returns the capture groups the direct matcher of shape
// writes, per element kind.
func directGroups(shape int) map[fastKind]int {
	switch shape {
	case shapeSyslog:
		return map[fastKind]int{fkOpen: 1, fkDayName: 2, fkMonName: 3, fkDay: 4, fkHourK: 5, fkMinute: 6, fkSecond: 7, fkFrac: 8, fkYearOpt: 9}
	case shapeISO:
		return map[fastKind]int{fkOpen: 1, fkYear: 2, fkSep: 3, fkMonth: 4, fkDay: 5, fkHour: 6, fkMinute: 7, fkSecond: 8, fkFrac: 9, fkZone: 10}
	case shapeApache:
		return map[fastKind]int{fkOpen: 1, fkDay: 2, fkSep: 3, fkMonName: 4, fkYear: 5, fkHour: 6, fkMinute: 7, fkSecond: 8, fkFrac: 9, fkZone: 10}
	}
	return nil
}

// directNcap returns the number of capture groups of shape's template.
func directNcap(shape int) int {
	if shape == shapeSyslog {
		return 9
	}
	return 10
}

// byteAt returns s[i] for i < end, or -1.
func byteAt(s string, i, end int) int {
	if i < end {
		return int(s[i])
	}
	return -1
}

// load64 reads the eight bytes at i as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func isDigitInt(c int) bool { return '0' <= c && c <= '9' }

// lowerInt is lowerByte for byteAt results.
func lowerInt(c int) int {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// monthAt returns the index in monthAbbr of the month abbreviation at i,
// matched ignoring ASCII case, or -1.
func monthAt(s string, i, end int) int {
	if i+3 > end {
		return -1
	}
	return monthKey(int(lowerByte(s[i]))<<16 | int(lowerByte(s[i+1]))<<8 | int(lowerByte(s[i+2])))
}

// weekdayAt returns the index in dayAbbr of the weekday abbreviation at
// i, matched ignoring ASCII case, or -1.
func weekdayAt(s string, i, end int) int {
	if i+3 > end {
		return -1
	}
	return dayKey(int(lowerByte(s[i]))<<16 | int(lowerByte(s[i+1]))<<8 | int(lowerByte(s[i+2])))
}

// monthKey maps a packed lower-case month abbreviation to its index in
// monthAbbr, -1 for anything else.
func monthKey(k int) int {
	switch k {
	case 'j'<<16 | 'a'<<8 | 'n':
		return 0
	case 'f'<<16 | 'e'<<8 | 'b':
		return 1
	case 'm'<<16 | 'a'<<8 | 'r':
		return 2
	case 'a'<<16 | 'p'<<8 | 'r':
		return 3
	case 'm'<<16 | 'a'<<8 | 'y':
		return 4
	case 'j'<<16 | 'u'<<8 | 'n':
		return 5
	case 'j'<<16 | 'u'<<8 | 'l':
		return 6
	case 'a'<<16 | 'u'<<8 | 'g':
		return 7
	case 's'<<16 | 'e'<<8 | 'p':
		return 8
	case 'o'<<16 | 'c'<<8 | 't':
		return 9
	case 'n'<<16 | 'o'<<8 | 'v':
		return 10
	case 'd'<<16 | 'e'<<8 | 'c':
		return 11
	}
	return -1
}

// dayKey maps a packed lower-case weekday abbreviation to its index in
// dayAbbr, -1 for anything else.
func dayKey(k int) int {
	switch k {
	case 'm'<<16 | 'o'<<8 | 'n':
		return 0
	case 't'<<16 | 'u'<<8 | 'e':
		return 1
	case 'w'<<16 | 'e'<<8 | 'd':
		return 2
	case 't'<<16 | 'h'<<8 | 'u':
		return 3
	case 'f'<<16 | 'r'<<8 | 'i':
		return 4
	case 's'<<16 | 'a'<<8 | 't':
		return 5
	case 's'<<16 | 'u'<<8 | 'n':
		return 6
	}
	return -1
}

// yearAt reports whether the %ExY regex matches the four bytes at i.
func (f *fastMatcher) yearAt(s string, i, end int) bool {
	if i+4 > end || !isDigitByte(s[i+3]) {
		return false
	}
	for _, y := range f.years {
		if y[0] == s[i] && y[1] == s[i+1] && y[2] == s[i+2] {
			return true
		}
	}
	return false
}

// pickDay returns the end of the first option of
// (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1]) at i after which the byte is next1 or
// next2, or -1.
func pickDay(s string, i, end int, next1, next2 int) int {
	c0, c1, c2 := byteAt(s, i, end), byteAt(s, i+1, end), byteAt(s, i+2, end)
	n2 := c2 == next1 || c2 == next2
	switch {
	case '1' <= c0 && c0 <= '2' && isDigitInt(c1) && n2:
		return i + 2
	case (c0 == '0' || c0 == ' ') && '1' <= c1 && c1 <= '9' && n2:
		return i + 2
	case '1' <= c0 && c0 <= '9' && (c1 == next1 || c1 == next2):
		return i + 1
	case c0 == '3' && '0' <= c1 && c1 <= '1' && n2:
		return i + 2
	}
	return -1
}

// pickNum returns the end of the first option of [0-hi]?\d|alt[0-altHi]
// at i (alt 0: no such alternative) after which the byte is next (next
// 0: the first option whatever follows), or -1.
func pickNum(s string, i, end int, hi, alt, altHi, next int) int {
	c0, c1 := byteAt(s, i, end), byteAt(s, i+1, end)
	if !isDigitInt(c0) {
		return -1
	}
	if c0 <= hi && isDigitInt(c1) && (next == 0 || byteAt(s, i+2, end) == next) {
		return i + 2
	}
	if next == 0 || c1 == next {
		return i + 1
	}
	if alt != 0 && c0 == alt && '0' <= c1 && c1 <= altHi && byteAt(s, i+2, end) == next {
		return i + 2
	}
	return -1
}

// pickMonth returns the end of the first option of (?P<m>0?[1-9]|1[0-2])
// at i after which the byte is next, or -1.
func pickMonth(s string, i, end int, next int) int {
	c0, c1 := byteAt(s, i, end), byteAt(s, i+1, end)
	switch {
	case c0 == '0' && '1' <= c1 && c1 <= '9' && byteAt(s, i+2, end) == next:
		return i + 2
	case '1' <= c0 && c0 <= '9' && c1 == next:
		return i + 1
	case c0 == '1' && '0' <= c1 && c1 <= '2' && byteAt(s, i+2, end) == next:
		return i + 2
	}
	return -1
}

// fracEnd returns the end of the first option of (?:SEP(?P<f>[0-9]{1,6}))?
// at i (i itself for the empty option); comma tells whether SEP accepts a
// comma besides the dot.
func fracEnd(s string, i, end int, comma bool) int {
	c := byteAt(s, i, end)
	if c != '.' && (!comma || c != ',') {
		return i
	}
	k := 0
	for k < 6 && isDigitInt(byteAt(s, i+1+k, end)) {
		k++
	}
	if k == 0 {
		return i
	}
	return i + 1 + k
}

// zoneEnd returns the end of the first option of
// (?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?) at j, or -1.
func zoneEnd(s string, j, end int, icase bool) int {
	c := byteAt(s, j, end)
	if icase {
		c = lowerInt(c)
	}
	switch c {
	case 'Z', 'z':
		if c == 'z' && !icase {
			return -1
		}
		return j + 1
	case 'U', 'u', 'G', 'g':
		if j+3 > end {
			return -1
		}
		w := s[j : j+3]
		if w == "UTC" || w == "GMT" {
			return j + 3
		}
		if icase {
			a, b, d := lowerByte(w[0]), lowerByte(w[1]), lowerByte(w[2])
			if (a == 'u' && b == 't' && d == 'c') || (a == 'g' && b == 'm' && d == 't') {
				return j + 3
			}
		}
		return -1
	case '+', '-':
		if h := byteAt(s, j+1, end); h != '0' && h != '1' || !isDigitInt(byteAt(s, j+2, end)) {
			return -1
		}
		b := j + 3
		if byteAt(s, b, end) == ':' {
			if isDigitInt(byteAt(s, b+1, end)) && isDigitInt(byteAt(s, b+2, end)) {
				return b + 3
			}
		} else if isDigitInt(byteAt(s, b, end)) && isDigitInt(byteAt(s, b+1, end)) {
			return b + 2
		}
		return b
	}
	return -1
}

// directBegin matches the begin element at i and returns the position
// after it, or -1.
func (f *fastMatcher) directBegin(s string, i, end int) int {
	if f.anchored {
		// ^(?:\W{0,2})? with \W greedy; i is 0 (anchored searches start
		// nowhere else)
		if i != 0 {
			return -1
		}
		k := 0
		for k < 2 && k < end && !isWordByte(s[k]) {
			if s[k] >= 0x80 {
				return -1
			}
			k++
		}
		return k
	}
	// (?=^|\b|\W): true unless the characters before and at i are both
	// word characters (the character at i is consumed next, so it is
	// ASCII when the match completes).
	if i > 0 {
		p := s[i-1]
		if p >= 0x80 || (isWordByte(p) && i < end && isWordByte(s[i])) {
			return -1
		}
	}
	return i
}

// directTail evaluates (?=\b|\W|$) at p, the end of a direct match,
// and checks the bytes the dfs may have read past p.
func directTail(s string, p, end int) bool {
	if p < end {
		// the byte before p is a word character
		if c := s[p]; c >= 0x80 || isWordByte(c) {
			return false
		}
	}
	if j := p; j+directTailLen <= end {
		if (load64(s, j)|load64(s, j+8))&0x8080808080808080 != 0 {
			return false
		}
	} else {
		for ; j < end; j++ {
			if s[j] >= 0x80 {
				return false
			}
		}
	}
	return true
}

// matchDirect runs the direct matcher of f at i on s[:end]. On true
// caps holds the dfs's match: the direct matcher sets every capture but
// caps[0], the start, which the caller sets. On false nothing is known
// and caps may be clobbered.
func (f *fastMatcher) matchDirect(s string, i, end int, caps []int) bool {
	switch f.shape {
	case shapeSyslog:
		return f.directSyslog(s, i, end, caps)
	case shapeISO:
		return f.directISO(s, i, end, caps)
	case shapeApache:
		return f.directApache(s, i, end, caps)
	}
	return false
}

// directSyslog: (?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?, ignoring case.
func (f *fastMatcher) directSyslog(s string, i, end int, caps []int) bool {
	c := (*[20]int)(caps)
	p := f.directBegin(s, i, end)
	if p < 0 {
		return false
	}
	c[2] = p
	if weekdayAt(s, p, end) >= 0 && byteAt(s, p+3, end) == ' ' {
		c[4], c[5] = p, p+3
		p += 4
	} else {
		c[4], c[5] = -1, -1
	}
	if monthAt(s, p, end) < 0 || byteAt(s, p+3, end) != ' ' {
		return false
	}
	c[6], c[7] = p, p+3
	p += 4
	e := pickDay(s, p, end, ' ', ' ')
	if e < 0 {
		return false
	}
	c[8], c[9] = p, e
	p = e + 1
	if byteAt(s, p, end) == ' ' {
		p++
	}
	if p = directClock(s, p, end, c[10:18], '2', 0, 0, false); p < 0 {
		return false
	}
	if byteAt(s, p, end) == ' ' && f.yearAt(s, p+1, end) {
		c[18], c[19] = p+1, p+5
		p += 5
	} else {
		c[18], c[19] = -1, -1
	}
	c[3] = p
	if !directTail(s, p, end) {
		return false
	}
	c[1] = p
	return true
}

// directISO: %ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?
func (f *fastMatcher) directISO(s string, i, end int, caps []int) bool {
	c := (*[22]int)(caps)
	p := f.directBegin(s, i, end)
	if p < 0 {
		return false
	}
	c[2] = p
	if !f.yearAt(s, p, end) {
		return false
	}
	c[4], c[5] = p, p+4
	p += 4
	sep := byteAt(s, p, end)
	if sep != '-' && sep != '/' && sep != '.' {
		return false
	}
	c[6], c[7] = p, p+1
	p++
	e := pickMonth(s, p, end, sep)
	if e < 0 {
		return false
	}
	c[8], c[9] = p, e
	p = e + 1
	if e = pickDay(s, p, end, 'T', ' '); e < 0 {
		return false
	}
	c[10], c[11] = p, e
	p = e + 1
	if s[e] == ' ' && byteAt(s, p, end) == ' ' {
		p++
	}
	if p = directClock(s, p, end, c[12:20], '1', '2', '3', true); p < 0 {
		return false
	}
	// (?:\s*(?P<z>...))? with \s* greedy; the dfs gives up on more than
	// three spaces
	k := 0
	for isSpaceInt(byteAt(s, p+k, end)) {
		k++
		if k > 3 {
			return false
		}
	}
	c[20], c[21] = -1, -1
	for ; k >= 0; k-- {
		if e = zoneEnd(s, p+k, end, false); e >= 0 {
			c[20], c[21] = p+k, e
			p = e
			break
		}
	}
	c[3] = p
	if !directTail(s, p, end) {
		return false
	}
	c[1] = p
	return true
}

// directClock reads %H:%M:%S and the optional fraction at p, the hour's
// options being pickNum's hi, alt and altHi, and writes the spans of the
// four groups to c. It returns the end, or -1.
func directClock(s string, p, end int, c []int, hi, alt, altHi int, fracComma bool) int {
	e := pickNum(s, p, end, hi, alt, altHi, ':')
	if e < 0 {
		return -1
	}
	c[0], c[1] = p, e
	p = e + 1
	if e = pickNum(s, p, end, '5', 0, 0, ':'); e < 0 {
		return -1
	}
	c[2], c[3] = p, e
	p = e + 1
	if e = pickNum(s, p, end, '5', '6', '1', 0); e < 0 {
		return -1
	}
	c[4], c[5] = p, e
	p = e
	if e = fracEnd(s, p, end, fracComma); e > p {
		c[6], c[7] = p+1, e
		return e
	}
	c[6], c[7] = -1, -1
	return p
}

func isSpaceInt(c int) bool { return c >= 0 && isSpaceByte(byte(c)) }

// directApache: %d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?, ignoring case.
func (f *fastMatcher) directApache(s string, i, end int, caps []int) bool {
	c := (*[22]int)(caps)
	p := f.directBegin(s, i, end)
	if p < 0 {
		return false
	}
	c[2] = p
	e := pickDay(s, p, end, '-', '/')
	if e < 0 {
		return false
	}
	c[4], c[5] = p, e
	p = e
	sep := s[p]
	c[6], c[7] = p, p+1
	p++
	if monthAt(s, p, end) < 0 || byteAt(s, p+3, end) != int(sep) {
		return false
	}
	c[8], c[9] = p, p+3
	p += 4
	if !f.yearAt(s, p, end) {
		return false
	}
	c[10], c[11] = p, p+4
	p += 4
	if c := byteAt(s, p, end); c == ' ' || c == ':' {
		p++
	}
	if p = directClock(s, p, end, c[12:20], '1', '2', '3', false); p < 0 {
		return false
	}
	c[20], c[21] = -1, -1
	if byteAt(s, p, end) == ' ' {
		if e = zoneEnd(s, p+1, end, true); e >= 0 {
			c[20], c[21] = p+1, e
			p = e
		}
	}
	c[3] = p
	if !directTail(s, p, end) {
		return false
	}
	c[1] = p
	return true
}
