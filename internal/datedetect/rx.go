package datedetect

// This file holds a small backtracking regular-expression engine that
// follows the matching rules of Python's re module for the subset of the
// syntax that date templates use: ordered alternation, greedy and lazy
// quantifiers, named groups, back-references, look-ahead, fixed-width
// look-behind and group conditionals. Go's regexp (RE2) cannot express
// several of these, and its leftmost-first semantics diverge from a
// backtracking engine once look-arounds steer backtracking, so templates
// run here instead.
//
// A compiled program is immutable and may be shared; all mutable state
// lives in a machine, which callers reuse to avoid allocation.

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// errBudget reports that a search gave up after too many steps.
var errBudget = errors.New("regex step budget exhausted")

// defaultBudget and budgetPerByte bound the work of one search: a search
// through n bytes may take defaultBudget + budgetPerByte*n steps (one
// step is one instruction run). Python has no such limit. The templates'
// linear work takes at most 4 steps a byte (an unanchored search on lines
// of digits, spaces or brackets), so on a line of any length no real
// search comes close, while one that backtracks without end stops after
// a few milliseconds plus about 0.1 ms for each KiB of the line. The
// Detector reports such a search as a *StepLimitError.
const (
	defaultBudget = 1 << 20
	budgetPerByte = 32
)

type opcode uint8

const (
	opRune     opcode = iota // match rune r (folded when icase)
	opClass                  // match one rune in cls
	opAny                    // any rune but '\n'
	opAnyAll                 // any rune
	opSplit                  // try x first, then y
	opJmp                    // continue at x
	opSave                   // caps[x] = position
	opAssert                 // zero-width assertion of kind x
	opLook                   // look-around: sub program, neg, behind (width n)
	opBackref                // match text of group x
	opCond                   // if group x matched continue, else jump to y
	opMark                   // marks[x] = position (loop progress guard)
	opProgress               // if position == marks[x] jump to y, else continue
	opMatch
)

// assertion kinds
const (
	asBOL     = iota // ^ without MULTILINE
	asBOLm           // ^ with MULTILINE
	asEOL            // $ without MULTILINE
	asEOLm           // $ with MULTILINE
	asBegin          // \A
	asEnd            // \Z
	asWord           // \b
	asNotWord        // \B
)

type inst struct {
	op    opcode
	icase bool
	ascii bool // ASCII-only \b semantics
	r     rune
	x, y  int
	n     int // look-behind width in runes
	neg   bool
	cls   *charClass
	sub   *program
}

// program is a compiled regular expression.
type program struct {
	insts     []inst
	ncap      int // number of capture groups, group 0 excluded
	nmark     int
	names     []string // names[i] is the name of group i (index 0 unused)
	anchored  bool     // can only match at absolute position 0
	first     [4]uint64
	firstAny  bool // first rune may be non-ASCII
	firstNone bool // no first-rune prefilter (may match empty)
	// minLen, win and winLen are the prefilters of prefilter.go.
	minLen int
	winLen int
	win    [winMax][2]uint64
}

// machine holds per-search scratch state. Not safe for concurrent use.
type machine struct {
	s     string
	end   int
	caps  []int
	marks []int
	steps int
	limit int
	abort bool

	fastStack []fastOpt // option stack of fastMatcher.search
}

// reset prepares m for a search of p through s[pos:end].
func (m *machine) reset(p *program, s string, pos, end int) {
	n := 2 * (p.ncap + 1)
	if cap(m.caps) < n {
		m.caps = make([]int, n)
	}
	m.caps = m.caps[:n]
	if cap(m.marks) < p.nmark {
		m.marks = make([]int, p.nmark)
	}
	m.marks = m.marks[:p.nmark]
	m.s = s
	m.end = end
	m.steps = 0
	m.abort = false
	m.limit = defaultBudget + budgetPerByte*(end-pos)
}

// search finds the leftmost match of p in s[pos:end] (Python's
// pattern.search(s, pos, endpos)). On success m.caps holds byte offsets
// (-1 for groups that did not take part).
func (m *machine) search(p *program, s string, pos, end int) (bool, error) {
	if end > len(s) {
		end = len(s)
	}
	if pos < 0 {
		pos = 0
	}
	if pos > end {
		return false, nil
	}
	m.reset(p, s, pos, end)
	if p.anchored {
		if pos != 0 || end < p.minLen || !p.windowOK(s, 0, end) {
			return false, nil
		}
		return m.try(p, 0)
	}
	for i := pos; i <= end; {
		if end-i < p.minLen {
			// fewer bytes than the runes a match needs
			break
		}
		if !p.firstNone {
			if i == end {
				break
			}
			c := s[i]
			if c < utf8.RuneSelf {
				if p.first[c>>6]&(1<<(c&63)) == 0 {
					i++
					continue
				}
			} else if !p.firstAny {
				_, w := utf8.DecodeRuneInString(s[i:end])
				i += w
				continue
			}
		}
		if (p.winLen > 1 || p.firstNone) && !p.windowOK(s, i, end) {
			// cannot match here; step as below
			if i == end {
				break
			}
			if s[i] < utf8.RuneSelf {
				i++
			} else {
				_, w := utf8.DecodeRuneInString(s[i:end])
				i += w
			}
			continue
		}
		ok, err := m.try(p, i)
		if ok || err != nil {
			return ok, err
		}
		if i == end {
			break
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRuneInString(s[i:end])
			i += w
		}
	}
	return false, nil
}

func (m *machine) try(p *program, i int) (bool, error) {
	for k := range m.caps {
		m.caps[k] = -1
	}
	for k := range m.marks {
		m.marks[k] = -1
	}
	m.caps[0] = i
	end, ok := m.run(p, 0, i)
	if m.abort {
		return false, errBudget
	}
	if ok {
		m.caps[1] = end
	}
	return ok, nil
}

// decode returns the rune at byte offset i (which must be < m.end) and its
// width. Invalid UTF-8 decodes as one RuneError of width 1.
func (m *machine) decode(i int) (rune, int) {
	c := m.s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(m.s[i:m.end])
}

// run executes p from instruction pc at offset i and returns the end
// offset of a successful match.
func (m *machine) run(p *program, pc, i int) (int, bool) {
	for {
		m.steps++
		if m.steps > m.limit {
			m.abort = true
			return 0, false
		}
		in := &p.insts[pc]
		switch in.op {
		case opMatch:
			return i, true
		case opRune:
			if i >= m.end {
				return 0, false
			}
			r, w := m.decode(i)
			if in.icase {
				r = pyFold(r)
			}
			if r != in.r {
				return 0, false
			}
			i += w
			pc++
		case opClass:
			if i >= m.end {
				return 0, false
			}
			r, w := m.decode(i)
			if !in.cls.matches(r) {
				return 0, false
			}
			i += w
			pc++
		case opAny:
			if i >= m.end || m.s[i] == '\n' {
				return 0, false
			}
			_, w := m.decode(i)
			i += w
			pc++
		case opAnyAll:
			if i >= m.end {
				return 0, false
			}
			_, w := m.decode(i)
			i += w
			pc++
		case opSplit:
			if e, ok := m.run(p, in.x, i); ok || m.abort {
				return e, ok
			}
			pc = in.y
		case opJmp:
			pc = in.x
		case opSave:
			old := m.caps[in.x]
			m.caps[in.x] = i
			if e, ok := m.run(p, pc+1, i); ok || m.abort {
				return e, ok
			}
			m.caps[in.x] = old
			return 0, false
		case opMark:
			old := m.marks[in.x]
			m.marks[in.x] = i
			if e, ok := m.run(p, pc+1, i); ok || m.abort {
				return e, ok
			}
			m.marks[in.x] = old
			return 0, false
		case opProgress:
			if m.marks[in.x] == i {
				pc = in.y
			} else {
				pc++
			}
		case opAssert:
			if !m.assert(in, i) {
				return 0, false
			}
			pc++
		case opLook:
			if m.look(in, i) == in.neg {
				return 0, false
			}
			if m.abort {
				return 0, false
			}
			pc++
		case opBackref:
			s, e := m.caps[2*in.x], m.caps[2*in.x+1]
			if s < 0 || e < 0 {
				return 0, false
			}
			n, ok := m.matchText(m.s[s:e], i, in.icase)
			if !ok {
				return 0, false
			}
			i = n
			pc++
		case opCond:
			if m.caps[2*in.x] >= 0 && m.caps[2*in.x+1] >= 0 {
				pc++
			} else {
				pc = in.y
			}
		default:
			return 0, false
		}
	}
}

func (m *machine) matchText(t string, i int, icase bool) (int, bool) {
	for _, r := range t {
		if i >= m.end {
			return 0, false
		}
		c, w := m.decode(i)
		if c != r && (!icase || pyFold(c) != pyFold(r)) {
			return 0, false
		}
		i += w
	}
	return i, true
}

// look evaluates a look-around at offset i. Captures set by a successful
// positive look-around are kept, as Python does; it is never re-entered.
func (m *machine) look(in *inst, i int) bool {
	start := i
	if in.x != 0 { // look-behind
		for k := 0; k < in.n; k++ {
			if start == 0 {
				return false
			}
			_, w := utf8.DecodeLastRuneInString(m.s[:start])
			start -= w
		}
	}
	saved := m.caps
	var keep []int
	if in.neg && in.y != 0 {
		// Negative look-arounds must not leak captures.
		keep = make([]int, len(m.caps))
		copy(keep, m.caps)
	}
	e, ok := m.run(in.sub, 0, start)
	if m.abort {
		return false
	}
	if ok && in.x != 0 && e != i {
		ok = false
	}
	if keep != nil {
		copy(saved, keep)
	}
	return ok
}

func (m *machine) assert(in *inst, i int) bool {
	switch in.x {
	case asBOL, asBegin:
		return i == 0
	case asBOLm:
		return i == 0 || m.s[i-1] == '\n'
	case asEOL:
		return i == m.end || (i == m.end-1 && m.s[i] == '\n')
	case asEOLm:
		return i == m.end || m.s[i] == '\n'
	case asEnd:
		return i == m.end
	case asWord, asNotWord:
		if m.end == 0 {
			return false
		}
		before, after := false, false
		if i > 0 {
			r, _ := utf8.DecodeLastRuneInString(m.s[:i])
			before = isWord(r, in.ascii)
		}
		if i < m.end {
			r, _ := m.decode(i)
			after = isWord(r, in.ascii)
		}
		return (before != after) == (in.x == asWord)
	}
	return false
}

// isWord reports whether r is a word character for \w, \b in Python's
// Unicode (or ASCII) mode: alphanumeric or underscore.
func isWord(r rune, ascii bool) bool {
	if r < utf8.RuneSelf {
		return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	if ascii {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isDigit is Python's Unicode \d: decimal digits (category Nd).
func isDigit(r rune, ascii bool) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return !ascii && unicode.IsDigit(r)
}

// isSpace is Python's Unicode \s (str.isspace).
func isSpace(r rune, ascii bool) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || ('\t' <= r && r <= '\r') || (0x1c <= r && r <= 0x1f)
	}
	return !ascii && unicode.IsSpace(r)
}

// pyFold maps r to the representative Python's case-insensitive matching
// compares: the simple lower-case mapping, plus the two extra
// equivalences Python applies to ASCII letters (dotless i, long s).
func pyFold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	switch r {
	case 0x131: // ı
		return 'i'
	case 0x17f: // ſ
		return 's'
	}
	return unicode.ToLower(r)
}

// charClass is a [...] set or a class escape.
type charClass struct {
	neg    bool
	icase  bool
	ascii  bool
	bits   [2]uint64 // ASCII members
	ranges []runeRange
	cats   uint8
}

type runeRange struct{ lo, hi rune }

const (
	catDigit uint8 = 1 << iota
	catNotDigit
	catWord
	catNotWord
	catSpace
	catNotSpace
)

func (c *charClass) has(r rune) bool {
	if r < utf8.RuneSelf && r >= 0 {
		if c.bits[r>>6]&(1<<(uint(r)&63)) != 0 {
			return true
		}
	} else {
		for _, rg := range c.ranges {
			if rg.lo <= r && r <= rg.hi {
				return true
			}
		}
	}
	if c.cats != 0 {
		if c.cats&catDigit != 0 && isDigit(r, c.ascii) {
			return true
		}
		if c.cats&catNotDigit != 0 && !isDigit(r, c.ascii) {
			return true
		}
		if c.cats&catWord != 0 && isWord(r, c.ascii) {
			return true
		}
		if c.cats&catNotWord != 0 && !isWord(r, c.ascii) {
			return true
		}
		if c.cats&catSpace != 0 && isSpace(r, c.ascii) {
			return true
		}
		if c.cats&catNotSpace != 0 && !isSpace(r, c.ascii) {
			return true
		}
	}
	return false
}

func (c *charClass) matches(r rune) bool {
	in := c.has(r)
	if !in && c.icase {
		f := pyFold(r)
		in = c.has(f) || c.has(unicode.ToUpper(f))
	}
	return in != c.neg
}

func (c *charClass) add(lo, hi rune) {
	for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
		c.bits[r>>6] |= 1 << (uint(r) & 63)
	}
	if hi >= utf8.RuneSelf {
		if lo < utf8.RuneSelf {
			lo = utf8.RuneSelf
		}
		c.ranges = append(c.ranges, runeRange{lo, hi})
	}
}

// mayMatchASCII reports, for prefilter construction, whether the class
// can match the ASCII byte b.
func (c *charClass) mayMatchASCII(b byte) bool { return c.matches(rune(b)) }

// mayMatchNonASCII is conservative: true unless the class provably only
// matches ASCII.
func (c *charClass) mayMatchNonASCII() bool {
	if c.neg || c.icase || len(c.ranges) > 0 {
		return true
	}
	if c.cats == 0 {
		return false
	}
	return !c.ascii
}
