package pyre

import (
	"fmt"
	"slices"
	"strconv"
	"unicode"
)

const (
	// maxRepeat mirrors _sre.MAXREPEAT: a repeat bound equal to it means
	// "unbounded".
	maxRepeat = 4294967295
	// maxGroups mirrors _sre.MAXGROUPS.
	maxGroups = 1073741823
)

// Flags are the Python re flags that can be passed to CompileFlags. They
// have the same meaning as re.IGNORECASE, re.MULTILINE, and so on.
type Flags uint16

// The flag values equal Python's re constants.
const (
	IgnoreCase Flags = 2   // re.I
	Multiline  Flags = 8   // re.M
	DotAll     Flags = 16  // re.S
	Unicode    Flags = 32  // re.U (the default for str patterns)
	Verbose    Flags = 64  // re.X
	ASCII      Flags = 256 // re.A

	localeFlag  Flags = 4 // re.L, rejected for str patterns
	typeFlags         = ASCII | Unicode | localeFlag
	globalFlags       = 0 // Python 3.11 has no global-only inline flags left besides DEBUG/TEMPLATE.
)

// Error is a pattern compilation error, like Python's re.error.
type Error struct {
	Msg     string // Python's message, e.g. "nothing to repeat"
	Pattern string
	Pos     int // rune offset into Pattern, -1 if unknown
}

func (e *Error) Error() string {
	if e.Pos >= 0 {
		return fmt.Sprintf("pyre: %s at position %d", e.Msg, e.Pos)
	}
	return "pyre: " + e.Msg
}

type op uint8

const (
	opEmpty   op = iota
	opChars      // one character of set
	opAssert     // zero-width anchor, see assertKind
	opConcat     // subs in sequence
	opAlt        // leftmost-first alternation of subs
	opRepeat     // subs[0] repeated min..max times
	opGroup      // capturing group number group
	opAtomic     // (?>...)
	opLook       // lookaround
	opBackref    // \N or (?P=name)
	opCond       // (?(N)yes|no), subs[1] may be nil
)

type assertKind uint8

const (
	atBeginText        assertKind = iota // \A, ^ without MULTILINE
	atBeginLine                          // ^ with MULTILINE
	atEndText                            // \Z
	atEndTextOptNL                       // $ without MULTILINE
	atEndLine                            // $ with MULTILINE
	atBoundary                           // \b
	atNonBoundary                        // \B
	atASCIIBoundary                      // \b with ASCII
	atASCIINonBoundary                   // \B with ASCII
)

type repeatKind uint8

const (
	greedy repeatKind = iota
	lazy
	possessive
)

// The fields are ordered by size, the small ones last, to keep the node
// at 80 bytes (the parse of a filter makes thousands).
type node struct {
	chars    charSet // opChars
	subs     []*node
	min, max int64 // opRepeat; max == maxRepeat means unbounded
	group    int   // opGroup, opBackref, opCond
	op       op
	at       assertKind
	rep      repeatKind
	behind   bool // opLook
	neg      bool // opLook
	fold     bool // opBackref: IGNORECASE
	ascii    bool // opBackref: ASCII (fold compares ASCII lowercase only)
}

// width returns the (min, max) width of n as computed by Python's
// SubPattern.getwidth, before clamping.
func (p *parser) width(n *node) (lo, hi int64) {
	switch n.op {
	case opChars:
		return 1, 1
	case opConcat:
		for _, s := range n.subs {
			l, h := p.width(s)
			lo, hi = satAdd(lo, l), satAdd(hi, h)
		}
		return lo, hi
	case opAlt:
		lo, hi = maxRepeat-1, 0
		for _, s := range n.subs {
			l, h := p.width(s)
			lo, hi = min(lo, l), max(hi, h)
		}
		return lo, hi
	case opRepeat:
		l, h := p.width(n.subs[0])
		return satMul(l, n.min), satMul(h, n.max)
	case opGroup, opAtomic:
		return p.width(n.subs[0])
	case opBackref:
		w := p.groupWidths[n.group]
		return w[0], w[1]
	case opCond:
		lo, hi = p.width(n.subs[0])
		if n.subs[1] != nil {
			l, h := p.width(n.subs[1])
			lo, hi = min(lo, l), max(hi, h)
		} else {
			lo = 0
		}
		return lo, hi
	}
	return 0, 0
}

func clampWidth(lo, hi int64) (int64, int64) { return min(lo, maxRepeat-1), min(hi, maxRepeat) }

const satLimit = int64(1) << 62

func satAdd(a, b int64) int64 {
	// (a+b itself overflows when both are satLimit)
	if a > satLimit-b {
		return satLimit
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > satLimit/b {
		return satLimit
	}
	return a * b
}

// token is one unit of Python's re tokenizer: a character or a
// backslash escape of one character.
type token struct {
	c   rune
	esc bool
	ok  bool // false at end of pattern
}

type parser struct {
	pattern string
	src     []rune
	pos     int // index of the next token in src
	next    token

	flags       Flags
	groupNames  map[string]int
	names       []string   // by group number, "" for unnamed
	groupWidths [][2]int64 // by group number; closed[i] says whether known
	closed      []bool
	lookbehind  int // lookbehindgroups, -1 if not in a lookbehind
	grouprefpos map[int]int
	foldBackref bool // an IGNORECASE backreference exists

	// nodes and ptrs are chunks the tree's nodes and one-item lists are
	// cut from: a few allocations per pattern instead of one per node.
	nodes []node
	ptrs  []*node

	shared *Shared // the classes' sets across patterns; nil: none
}

// newNode returns a pointer to a copy of n, cut from the current chunk.
func (p *parser) newNode(n node) *node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]node, 0, 32)
	}
	p.nodes = append(p.nodes, n)
	return &p.nodes[len(p.nodes)-1]
}

// one returns the list of one node n, cut from the current chunk (its
// capacity is one: an append copies it).
func (p *parser) one(n *node) []*node {
	if len(p.ptrs) == cap(p.ptrs) {
		p.ptrs = make([]*node, 0, 32)
	}
	p.ptrs = append(p.ptrs, n)
	k := len(p.ptrs)
	return p.ptrs[k-1 : k : k]
}

func (p *parser) errorf(off int, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Pattern: p.pattern, Pos: p.tell() - off}
}

// tell mirrors Tokenizer.tell: the position of the next token.
func (p *parser) tell() int {
	if !p.next.ok {
		return len(p.src)
	}
	if p.next.esc {
		return p.pos - 2
	}
	return p.pos - 1
}

func (p *parser) advance() error {
	if p.pos >= len(p.src) {
		p.next = token{}
		return nil
	}
	c := p.src[p.pos]
	p.pos++
	if c == '\\' {
		if p.pos >= len(p.src) {
			p.next = token{}
			return &Error{Msg: "bad escape (end of pattern)", Pattern: p.pattern, Pos: len(p.src) - 1}
		}
		p.next = token{c: p.src[p.pos], esc: true, ok: true}
		p.pos++
		return nil
	}
	p.next = token{c: c, ok: true}
	return nil
}

func (p *parser) get() (token, error) {
	t := p.next
	return t, p.advance()
}

// match consumes the next token if it is the unescaped character c.
func (p *parser) match(c rune) (bool, error) {
	if p.next.ok && !p.next.esc && p.next.c == c {
		return true, p.advance()
	}
	return false, nil
}

func (p *parser) nextIs(c rune) bool { return p.next.ok && !p.next.esc && p.next.c == c }

func (p *parser) seek(i int) error {
	p.pos = i
	return p.advance()
}

// getwhile consumes up to n unescaped characters satisfying pred.
func (p *parser) getwhile(n int, pred func(rune) bool) (string, error) {
	var buf [16]rune // room for the usual text, off the heap
	out := buf[:0]
	for range n {
		if !p.next.ok || p.next.esc || !pred(p.next.c) {
			break
		}
		out = append(out, p.next.c)
		if err := p.advance(); err != nil {
			return "", err
		}
	}
	return string(out), nil
}

func (p *parser) getuntil(term rune, name string) (string, error) {
	var buf [16]rune // room for the usual name, off the heap
	out := buf[:0]
	for {
		t := p.next
		if err := p.advance(); err != nil {
			return "", err
		}
		if !t.ok {
			if len(out) == 0 {
				return "", p.errorf(0, "missing %s", name)
			}
			return "", p.errorf(len(out), "missing %c, unterminated name", term)
		}
		if !t.esc && t.c == term {
			if len(out) == 0 {
				return "", p.errorf(1, "missing %s", name)
			}
			return string(out), nil
		}
		if t.esc {
			out = append(out, '\\')
		}
		out = append(out, t.c)
	}
}

func isDigit(c rune) bool    { return c >= '0' && c <= '9' }
func isOctDigit(c rune) bool { return c >= '0' && c <= '7' }
func isHexDigit(c rune) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
func isASCIILetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isIdentifier approximates Python's str.isidentifier.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || unicode.IsLetter(c) || unicode.Is(unicode.Nl, c):
		case i > 0 && (unicode.IsDigit(c) || unicode.In(c, unicode.Mn, unicode.Mc, unicode.Pc, unicode.Nd)):
		default:
			return false
		}
	}
	return true
}

func (p *parser) checkGroupName(name string, off int) error {
	if !isIdentifier(name) {
		return p.errorf(len([]rune(name))+off, "bad character in group name %s", pyRepr(name))
	}
	return nil
}

func pyRepr(s string) string { return "'" + s + "'" }

func (p *parser) numGroups() int { return len(p.groupWidths) }

func (p *parser) checkGroup(gid int) bool { return gid < p.numGroups() && p.closed[gid] }

func (p *parser) checkLookbehindGroup(gid int) error {
	if p.lookbehind >= 0 {
		if !p.checkGroup(gid) {
			return p.errorf(0, "cannot refer to an open group")
		}
		if gid >= p.lookbehind {
			return p.errorf(0, "cannot refer to group defined in the same lookbehind subpattern")
		}
	}
	return nil
}

// parse parses pattern with the initial flags into the resolved tree.
func parse(pattern string, flags Flags) (*node, *parser, error) {
	return parseShared(pattern, flags, nil)
}

// parseShared is parse, the sets of classes that hold a category looked
// up in shared (nil: none).
func parseShared(pattern string, flags Flags, shared *Shared) (*node, *parser, error) {
	p := &parser{
		shared:      shared,
		pattern:     pattern,
		src:         []rune(pattern),
		flags:       flags,
		groupNames:  map[string]int{},
		names:       []string{""},
		groupWidths: [][2]int64{{0, 0}},
		closed:      []bool{false},
		lookbehind:  -1,
		grouprefpos: map[int]int{},
	}
	if flags&localeFlag != 0 {
		return nil, nil, &Error{Msg: "cannot use LOCALE flag with a str pattern", Pattern: pattern, Pos: -1}
	}
	if flags&ASCII != 0 && flags&Unicode != 0 {
		return nil, nil, &Error{Msg: "ASCII and UNICODE flags are incompatible", Pattern: pattern, Pos: -1}
	}
	if err := p.advance(); err != nil {
		return nil, nil, err
	}
	// Global inline flags may change the flags seen by the first items,
	// so parse once to learn them and, if they changed, parse again
	// with the final flags (Python resolves flags at compile time).
	n, err := p.parseSub(p.flags, p.flags&Verbose != 0, 0)
	if err != nil {
		return nil, nil, err
	}
	if p.next.ok {
		return nil, nil, p.errorf(0, "unbalanced parenthesis")
	}
	for g, pos := range p.grouprefpos {
		if g >= p.numGroups() {
			return nil, nil, &Error{Msg: fmt.Sprintf("invalid group reference %d", g), Pattern: pattern, Pos: pos}
		}
	}
	return n, p, nil
}

func (p *parser) parseSub(fl Flags, verbose bool, nested int) (*node, error) {
	var buf [8]*node // room off the heap; an alternation gets a copy
	items := buf[:0]
	for {
		n, err := p.parseSeq(fl, verbose, nested+1, nested == 0 && len(items) == 0)
		if err != nil {
			return nil, err
		}
		if nested == 0 && len(items) == 0 {
			// Global flags seen at the start apply to the rest.
			fl = p.flags
			verbose = fl&Verbose != 0
		}
		items = append(items, n)
		ok, err := p.match('|')
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return p.newNode(node{op: opAlt, subs: slices.Clone(items)}), nil
}

// parseSeq mirrors re._parser._parse.
func (p *parser) parseSeq(fl Flags, verbose bool, nested int, first bool) (*node, error) {
	// seq and infos start in room off the heap; a concatenation gets a
	// copy of seq of its exact length.
	var seqBuf [32]*node
	seq := seqBuf[:0]
	// lastRepeatable tracks what the previous item was for "nothing to
	// repeat" and "multiple repeat" checks.
	type itemInfo struct {
		isAt, isRepeat bool
	}
	var infoBuf [32]itemInfo
	infos := infoBuf[:0]
	push := func(n *node, info itemInfo) {
		seq = append(seq, n)
		infos = append(infos, info)
	}
	for {
		if !p.next.ok {
			break
		}
		if !p.next.esc && (p.next.c == '|' || p.next.c == ')') {
			break
		}
		this, err := p.get()
		if err != nil {
			return nil, err
		}
		if verbose && !this.esc {
			if containsRune(pyWhitespace, this.c) {
				continue
			}
			if this.c == '#' {
				for {
					t, err := p.get()
					if err != nil {
						return nil, err
					}
					if !t.ok || (!t.esc && t.c == '\n') {
						break
					}
				}
				continue
			}
		}
		if this.esc {
			n, err := p.escape(this.c, fl)
			if err != nil {
				return nil, err
			}
			push(n, itemInfo{isAt: n.op == opAssert})
			continue
		}
		switch c := this.c; c {
		case '[':
			n, err := p.parseClass(fl)
			if err != nil {
				return nil, err
			}
			push(n, itemInfo{})
		case '*', '+', '?', '{':
			here := p.tell()
			var lo, hi int64
			switch c {
			case '?':
				lo, hi = 0, 1
			case '*':
				lo, hi = 0, maxRepeat
			case '+':
				lo, hi = 1, maxRepeat
			case '{':
				if p.nextIs('}') {
					push(&node{op: opChars, chars: literalSet('{', fl)}, itemInfo{})
					continue
				}
				lo, hi = 0, maxRepeat
				los, err := p.getwhile(len(p.src), isDigit)
				if err != nil {
					return nil, err
				}
				his := los
				comma, err := p.match(',')
				if err != nil {
					return nil, err
				}
				if comma {
					if his, err = p.getwhile(len(p.src), isDigit); err != nil {
						return nil, err
					}
				}
				closeOK, err := p.match('}')
				if err != nil {
					return nil, err
				}
				if !closeOK {
					push(&node{op: opChars, chars: literalSet('{', fl)}, itemInfo{})
					if err := p.seek(here); err != nil {
						return nil, err
					}
					continue
				}
				if los != "" {
					v, err := strconv.ParseInt(los, 10, 64)
					if err != nil || v >= maxRepeat {
						return nil, &Error{Msg: "the repetition number is too large", Pattern: p.pattern, Pos: here}
					}
					lo = v
				}
				if his != "" {
					v, err := strconv.ParseInt(his, 10, 64)
					if err != nil || v >= maxRepeat {
						return nil, &Error{Msg: "the repetition number is too large", Pattern: p.pattern, Pos: here}
					}
					hi = v
					if hi < lo {
						return nil, p.errorf(p.tell()-here, "min repeat greater than max repeat")
					}
				}
			}
			if len(seq) == 0 || infos[len(infos)-1].isAt {
				return nil, p.errorf(p.tell()-here+1, "nothing to repeat")
			}
			if infos[len(infos)-1].isRepeat {
				return nil, p.errorf(p.tell()-here+1, "multiple repeat")
			}
			rep := greedy
			if ok, err := p.match('?'); err != nil {
				return nil, err
			} else if ok {
				rep = lazy
			} else if ok, err := p.match('+'); err != nil {
				return nil, err
			} else if ok {
				rep = possessive
			}
			item := seq[len(seq)-1]
			seq[len(seq)-1] = p.newNode(node{op: opRepeat, min: lo, max: hi, rep: rep, subs: p.one(item)})
			infos[len(infos)-1] = itemInfo{isRepeat: true}
		case '.':
			set := charSet{{0, maxRune}}
			if fl&DotAll == 0 {
				set = charSet{{0, '\n' - 1}, {'\n' + 1, maxRune}}
			}
			push(p.newNode(node{op: opChars, chars: set}), itemInfo{})
		case '(':
			n, isFlags, err := p.parseGroup(fl, verbose, nested, first && len(seq) == 0)
			if err != nil {
				return nil, err
			}
			if isFlags {
				// Global flags: they apply from here on (they are only
				// allowed at the very start).
				fl = p.flags
				verbose = fl&Verbose != 0
				continue
			}
			if n == nil { // comment
				continue
			}
			push(n, itemInfo{})
		case '^':
			at := atBeginText
			if fl&Multiline != 0 {
				at = atBeginLine
			}
			push(p.newNode(node{op: opAssert, at: at}), itemInfo{isAt: true})
		case '$':
			at := atEndTextOptNL
			if fl&Multiline != 0 {
				at = atEndLine
			}
			push(p.newNode(node{op: opAssert, at: at}), itemInfo{isAt: true})
		default:
			push(p.newNode(node{op: opChars, chars: literalSet(c, fl)}), itemInfo{})
		}
	}
	switch len(seq) {
	case 0:
		return &node{op: opEmpty}, nil
	case 1:
		return seq[0], nil
	}
	return p.newNode(node{op: opConcat, subs: slices.Clone(seq)}), nil
}

func containsRune(s string, c rune) bool {
	for _, r := range s {
		if r == c {
			return true
		}
	}
	return false
}

// escape mirrors re._parser._escape (outside classes).
func (p *parser) escape(c rune, fl Flags) (*node, error) {
	ascii := fl&ASCII != 0
	catNode := func(cat category) *node {
		return &node{op: opChars, chars: classSet([]classItem{{kind: itemCategory, cat: cat}}, false, fl)}
	}
	switch c {
	case 'A':
		return &node{op: opAssert, at: atBeginText}, nil
	case 'Z':
		return &node{op: opAssert, at: atEndText}, nil
	case 'b':
		if ascii {
			return &node{op: opAssert, at: atASCIIBoundary}, nil
		}
		return &node{op: opAssert, at: atBoundary}, nil
	case 'B':
		if ascii {
			return &node{op: opAssert, at: atASCIINonBoundary}, nil
		}
		return &node{op: opAssert, at: atNonBoundary}, nil
	case 'd':
		return catNode(catDigit), nil
	case 'D':
		return catNode(catNotDigit), nil
	case 's':
		return catNode(catSpace), nil
	case 'S':
		return catNode(catNotSpace), nil
	case 'w':
		return catNode(catWord), nil
	case 'W':
		return catNode(catNotWord), nil
	}
	if r, ok := simpleEscape(c); ok {
		return &node{op: opChars, chars: literalSet(r, fl)}, nil
	}
	lit := func(r rune) (*node, error) { return p.newNode(node{op: opChars, chars: literalSet(r, fl)}), nil }
	switch {
	case c == 'x' || c == 'u' || c == 'U':
		r, err := p.hexEscape(c)
		if err != nil {
			return nil, err
		}
		return lit(r)
	case c == 'N':
		return nil, p.errorf(2, "unsupported escape \\N{...} (named characters)")
	case c == '0':
		digits, err := p.getwhile(2, isOctDigit)
		if err != nil {
			return nil, err
		}
		v, _ := strconv.ParseInt("0"+digits, 8, 32)
		return lit(rune(v))
	case isDigit(c):
		esc := string(c)
		if p.next.ok && !p.next.esc && isDigit(p.next.c) {
			t, err := p.get()
			if err != nil {
				return nil, err
			}
			esc += string(t.c)
			if isOctDigit(rune(esc[0])) && isOctDigit(rune(esc[1])) && p.next.ok && !p.next.esc && isOctDigit(p.next.c) {
				t, err := p.get()
				if err != nil {
					return nil, err
				}
				esc += string(t.c)
				v, _ := strconv.ParseInt(esc, 8, 32)
				if v > 0o377 {
					return nil, p.errorf(len(esc)+1, "octal escape value \\%s outside of range 0-0o377", esc)
				}
				return lit(rune(v))
			}
		}
		group, _ := strconv.Atoi(esc)
		if group < p.numGroups() {
			if !p.checkGroup(group) {
				return nil, p.errorf(len(esc)+1, "cannot refer to an open group")
			}
			if err := p.checkLookbehindGroup(group); err != nil {
				return nil, err
			}
			p.foldBackref = p.foldBackref || fl&IgnoreCase != 0
			return &node{op: opBackref, group: group, fold: fl&IgnoreCase != 0, ascii: fl&ASCII != 0}, nil
		}
		return nil, p.errorf(len(esc), "invalid group reference %d", group)
	case isASCIILetter(c):
		return nil, p.errorf(2, "bad escape \\%c", c)
	}
	return lit(c)
}

func simpleEscape(c rune) (rune, bool) {
	switch c {
	case 'a':
		return '\a', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'v':
		return '\v', true
	case '\\':
		return '\\', true
	}
	return 0, false
}

func (p *parser) hexEscape(c rune) (rune, error) {
	n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[c]
	digits, err := p.getwhile(n, isHexDigit)
	if err != nil {
		return 0, err
	}
	if len(digits) != n {
		return 0, p.errorf(len(digits)+2, "incomplete escape \\%c%s", c, digits)
	}
	v, _ := strconv.ParseUint(digits, 16, 32)
	if v > maxRune {
		return 0, p.errorf(len(digits)+2, "bad escape \\%c%s", c, digits)
	}
	return rune(v), nil
}

// classAtom is the class item of a token read inside [...]: a literal, or
// what its escape stands for.
func (p *parser) classAtom(t token) (classItem, error) {
	if t.esc {
		return p.classEscape(t.c)
	}
	return classItem{kind: itemLiteral, lo: t.c}, nil
}

// classEscape mirrors re._parser._class_escape.
func (p *parser) classEscape(c rune) (classItem, error) {
	if c == 'b' {
		return classItem{kind: itemLiteral, lo: '\b'}, nil
	}
	if r, ok := simpleEscape(c); ok {
		return classItem{kind: itemLiteral, lo: r}, nil
	}
	switch c {
	case 'd':
		return classItem{kind: itemCategory, cat: catDigit}, nil
	case 'D':
		return classItem{kind: itemCategory, cat: catNotDigit}, nil
	case 's':
		return classItem{kind: itemCategory, cat: catSpace}, nil
	case 'S':
		return classItem{kind: itemCategory, cat: catNotSpace}, nil
	case 'w':
		return classItem{kind: itemCategory, cat: catWord}, nil
	case 'W':
		return classItem{kind: itemCategory, cat: catNotWord}, nil
	}
	switch {
	case c == 'x' || c == 'u' || c == 'U':
		r, err := p.hexEscape(c)
		if err != nil {
			return classItem{}, err
		}
		return classItem{kind: itemLiteral, lo: r}, nil
	case c == 'N':
		return classItem{}, p.errorf(2, "unsupported escape \\N{...} (named characters)")
	case isOctDigit(c):
		digits, err := p.getwhile(2, isOctDigit)
		if err != nil {
			return classItem{}, err
		}
		v, _ := strconv.ParseInt(string(c)+digits, 8, 32)
		if v > 0o377 {
			return classItem{}, p.errorf(len(digits)+2, "octal escape value \\%c%s outside of range 0-0o377", c, digits)
		}
		return classItem{kind: itemLiteral, lo: rune(v)}, nil
	case isDigit(c), isASCIILetter(c):
		return classItem{}, p.errorf(2, "bad escape \\%c", c)
	}
	return classItem{kind: itemLiteral, lo: c}, nil
}

func (p *parser) parseClass(fl Flags) (*node, error) {
	here := p.tell() - 1
	var items []classItem
	neg, err := p.match('^')
	if err != nil {
		return nil, err
	}
	for {
		this, err := p.get()
		if err != nil {
			return nil, err
		}
		if !this.ok {
			return nil, p.errorf(p.tell()-here, "unterminated character set")
		}
		if !this.esc && this.c == ']' && len(items) > 0 {
			break
		}
		code1, err := p.classAtom(this)
		if err != nil {
			return nil, err
		}
		dash, err := p.match('-')
		if err != nil {
			return nil, err
		}
		if !dash {
			items = append(items, code1)
			continue
		}
		that, err := p.get()
		if err != nil {
			return nil, err
		}
		if !that.ok {
			return nil, p.errorf(p.tell()-here, "unterminated character set")
		}
		if !that.esc && that.c == ']' {
			items = append(items, code1, classItem{kind: itemLiteral, lo: '-'})
			break
		}
		code2, err := p.classAtom(that)
		if err != nil {
			return nil, err
		}
		if code1.kind != itemLiteral || code2.kind != itemLiteral || code2.lo < code1.lo {
			return nil, p.errorf(0, "bad character range")
		}
		items = append(items, classItem{kind: itemRange, lo: code1.lo, hi: code2.lo})
	}
	items = uniqItems(items)
	if len(items) == 1 && items[0].kind == itemLiteral {
		// Python turns these into LITERAL / NOT_LITERAL.
		set := literalSet(items[0].lo, fl)
		if neg {
			set = negate(set)
		}
		return &node{op: opChars, chars: set}, nil
	}
	if p.shared != nil && slices.ContainsFunc(items, func(it classItem) bool { return it.kind == itemCategory }) {
		// a category makes a large set, the same in every pattern
		// with this class
		build := func() charSet { return classSet(items, neg, fl) }
		return &node{op: opChars, chars: p.shared.class(string(p.src[here:p.tell()]), fl, build)}, nil
	}
	return &node{op: opChars, chars: classSet(items, neg, fl)}, nil
}

func uniqItems(items []classItem) []classItem {
	out := items[:0:0]
	for _, it := range items {
		dup := false
		for _, o := range out {
			if o == it {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, it)
		}
	}
	return out
}

// parseGroup parses after "(". It returns isFlags for global flags and a
// nil node for comments.
func (p *parser) parseGroup(fl Flags, verbose bool, nested int, first bool) (*node, bool, error) {
	start := p.tell() - 1
	capture := true
	atomic := false
	name := ""
	var addFlags, delFlags Flags
	q, err := p.match('?')
	if err != nil {
		return nil, false, err
	}
	if q {
		ch, err := p.get()
		if err != nil {
			return nil, false, err
		}
		if !ch.ok {
			return nil, false, p.errorf(0, "unexpected end of pattern")
		}
		c := ch.c
		if ch.esc {
			return nil, false, p.errorf(3, "unknown extension ?\\%c", c)
		}
		switch {
		case c == 'P':
			if ok, err := p.match('<'); err != nil {
				return nil, false, err
			} else if ok {
				if name, err = p.getuntil('>', "group name"); err != nil {
					return nil, false, err
				}
				if err := p.checkGroupName(name, 1); err != nil {
					return nil, false, err
				}
			} else if ok, err := p.match('='); err != nil {
				return nil, false, err
			} else if ok {
				ref, err := p.getuntil(')', "group name")
				if err != nil {
					return nil, false, err
				}
				if err := p.checkGroupName(ref, 1); err != nil {
					return nil, false, err
				}
				gid, ok := p.groupNames[ref]
				if !ok {
					return nil, false, p.errorf(len([]rune(ref))+1, "unknown group name %s", pyRepr(ref))
				}
				if !p.checkGroup(gid) {
					return nil, false, p.errorf(len([]rune(ref))+1, "cannot refer to an open group")
				}
				if err := p.checkLookbehindGroup(gid); err != nil {
					return nil, false, err
				}
				p.foldBackref = p.foldBackref || fl&IgnoreCase != 0
				return &node{op: opBackref, group: gid, fold: fl&IgnoreCase != 0, ascii: fl&ASCII != 0}, false, nil
			} else {
				t, err := p.get()
				if err != nil {
					return nil, false, err
				}
				if !t.ok {
					return nil, false, p.errorf(0, "unexpected end of pattern")
				}
				return nil, false, p.errorf(3, "unknown extension ?P%c", t.c)
			}
		case c == ':':
			capture = false
		case c == '#':
			for {
				if !p.next.ok {
					return nil, false, p.errorf(p.tell()-start, "missing ), unterminated comment")
				}
				t, err := p.get()
				if err != nil {
					return nil, false, err
				}
				if !t.esc && t.c == ')' {
					break
				}
			}
			return nil, false, nil
		case c == '=' || c == '!' || c == '<':
			behind := false
			saved := p.lookbehind
			if c == '<' {
				t, err := p.get()
				if err != nil {
					return nil, false, err
				}
				if !t.ok {
					return nil, false, p.errorf(0, "unexpected end of pattern")
				}
				if t.esc || (t.c != '=' && t.c != '!') {
					return nil, false, p.errorf(3, "unknown extension ?<%c", t.c)
				}
				c = t.c
				behind = true
				if p.lookbehind < 0 {
					p.lookbehind = p.numGroups()
				}
			}
			sub, err := p.parseSub(fl, verbose, nested+1)
			if err != nil {
				return nil, false, err
			}
			if behind {
				p.lookbehind = saved
			}
			if ok, err := p.match(')'); err != nil {
				return nil, false, err
			} else if !ok {
				return nil, false, p.errorf(p.tell()-start, "missing ), unterminated subpattern")
			}
			if behind {
				lo, hi := clampWidth(p.width(sub))
				if lo != hi {
					return nil, false, &Error{Msg: "look-behind requires fixed-width pattern", Pattern: p.pattern, Pos: -1}
				}
			}
			return &node{op: opLook, behind: behind, neg: c == '!', subs: []*node{sub}}, false, nil
		case c == '(':
			n, err := p.parseCond(fl, verbose, nested, start)
			return n, false, err
		case c == '>':
			capture = false
			atomic = true
		case containsRune("aiLmsux", c) || c == '-':
			add, del, global, err := p.parseFlags(c)
			if err != nil {
				return nil, false, err
			}
			if global {
				if !first {
					return nil, false, p.errorf(p.tell()-start, "global flags not at the start of the expression")
				}
				p.flags |= add
				if p.flags&ASCII != 0 && p.flags&Unicode != 0 {
					return nil, false, &Error{Msg: "ASCII and UNICODE flags are incompatible", Pattern: p.pattern, Pos: -1}
				}
				return nil, true, nil
			}
			addFlags, delFlags = add, del
			capture = false
		default:
			return nil, false, p.errorf(2, "unknown extension ?%c", c)
		}
	}
	group := 0
	if capture {
		group = p.numGroups()
		if group >= maxGroups {
			return nil, false, p.errorf(0, "too many groups")
		}
		if name != "" {
			if og, ok := p.groupNames[name]; ok {
				return nil, false, p.errorf(len([]rune(name))+1, "redefinition of group name %s as group %d; was group %d", pyRepr(name), group, og)
			}
			p.groupNames[name] = group
		}
		p.names = append(p.names, name)
		p.groupWidths = append(p.groupWidths, [2]int64{})
		p.closed = append(p.closed, false)
	}
	subFl := (fl | addFlags) &^ delFlags
	if addFlags&typeFlags != 0 {
		subFl = (subFl &^ typeFlags) | addFlags&typeFlags
	}
	subVerbose := (verbose || addFlags&Verbose != 0) && delFlags&Verbose == 0
	sub, err := p.parseSub(subFl, subVerbose, nested+1)
	if err != nil {
		return nil, false, err
	}
	if ok, err := p.match(')'); err != nil {
		return nil, false, err
	} else if !ok {
		return nil, false, p.errorf(p.tell()-start, "missing ), unterminated subpattern")
	}
	if capture {
		lo, hi := clampWidth(p.width(sub))
		p.groupWidths[group] = [2]int64{lo, hi}
		p.closed[group] = true
		return p.newNode(node{op: opGroup, group: group, subs: p.one(sub)}), false, nil
	}
	if atomic {
		return &node{op: opAtomic, subs: []*node{sub}}, false, nil
	}
	// A non-capturing group: keep it as a concat wrapper so that a
	// following quantifier applies to all of it.
	if sub.op == opConcat || sub.op == opAlt {
		return p.newNode(node{op: opConcat, subs: p.one(sub)}), false, nil
	}
	return sub, false, nil
}

func (p *parser) parseCond(fl Flags, verbose bool, nested, start int) (*node, error) {
	condname, err := p.getuntil(')', "group name")
	if err != nil {
		return nil, err
	}
	var cond int
	if isIdentifier(condname) {
		g, ok := p.groupNames[condname]
		if !ok {
			return nil, p.errorf(len([]rune(condname))+1, "unknown group name %s", pyRepr(condname))
		}
		cond = g
	} else {
		v, err := strconv.Atoi(condname)
		if err != nil || v < 0 || condname[0] == '+' {
			return nil, p.errorf(len([]rune(condname))+1, "bad character in group name %s", pyRepr(condname))
		}
		if v == 0 {
			return nil, p.errorf(len([]rune(condname))+1, "bad group number")
		}
		if v >= maxGroups {
			return nil, p.errorf(len([]rune(condname))+1, "invalid group reference %d", v)
		}
		if _, ok := p.grouprefpos[v]; !ok {
			p.grouprefpos[v] = p.tell() - len([]rune(condname)) - 1
		}
		cond = v
	}
	if err := p.checkLookbehindGroup(cond); err != nil {
		return nil, err
	}
	yes, err := p.parseSeq(fl, verbose, nested+1, false)
	if err != nil {
		return nil, err
	}
	var no *node
	if ok, err := p.match('|'); err != nil {
		return nil, err
	} else if ok {
		if no, err = p.parseSeq(fl, verbose, nested+1, false); err != nil {
			return nil, err
		}
		if p.nextIs('|') {
			return nil, p.errorf(0, "conditional backref with more than two branches")
		}
	}
	if ok, err := p.match(')'); err != nil {
		return nil, err
	} else if !ok {
		return nil, p.errorf(p.tell()-start, "missing ), unterminated subpattern")
	}
	return &node{op: opCond, group: cond, subs: []*node{yes, no}}, nil
}

var flagByChar = map[rune]Flags{
	'a': ASCII, 'i': IgnoreCase, 'L': localeFlag, 'm': Multiline,
	's': DotAll, 'u': Unicode, 'x': Verbose,
}

// parseFlags mirrors re._parser._parse_flags; c is the first character.
func (p *parser) parseFlags(c rune) (add, del Flags, global bool, err error) {
	next := func() (rune, bool, error) {
		t, err := p.get()
		if err != nil {
			return 0, false, err
		}
		if !t.ok {
			return 0, false, nil
		}
		if t.esc {
			return '\\', true, nil
		}
		return t.c, true, nil
	}
	if c != '-' {
		for {
			f := flagByChar[c]
			if c == 'L' {
				return 0, 0, false, p.errorf(0, "bad inline flags: cannot use 'L' flag with a str pattern")
			}
			add |= f
			if f&typeFlags != 0 && add&typeFlags != f {
				return 0, 0, false, p.errorf(0, "bad inline flags: flags 'a', 'u' and 'L' are incompatible")
			}
			var ok bool
			if c, ok, err = next(); err != nil {
				return 0, 0, false, err
			} else if !ok {
				return 0, 0, false, p.errorf(0, "missing -, : or )")
			}
			if c == ')' || c == '-' || c == ':' {
				break
			}
			if _, known := flagByChar[c]; !known {
				if unicode.IsLetter(c) {
					return 0, 0, false, p.errorf(1, "unknown flag")
				}
				return 0, 0, false, p.errorf(1, "missing -, : or )")
			}
		}
	}
	if c == ')' {
		return add, 0, true, nil
	}
	if c == '-' {
		var ok bool
		if c, ok, err = next(); err != nil {
			return 0, 0, false, err
		} else if !ok {
			return 0, 0, false, p.errorf(0, "missing flag")
		}
		if _, known := flagByChar[c]; !known {
			if unicode.IsLetter(c) {
				return 0, 0, false, p.errorf(1, "unknown flag")
			}
			return 0, 0, false, p.errorf(1, "missing flag")
		}
		for {
			f := flagByChar[c]
			if f&typeFlags != 0 {
				return 0, 0, false, p.errorf(0, "bad inline flags: cannot turn off flags 'a', 'u' and 'L'")
			}
			del |= f
			if c, ok, err = next(); err != nil {
				return 0, 0, false, err
			} else if !ok {
				return 0, 0, false, p.errorf(0, "missing :")
			}
			if c == ':' {
				break
			}
			if _, known := flagByChar[c]; !known {
				if unicode.IsLetter(c) {
					return 0, 0, false, p.errorf(1, "unknown flag")
				}
				return 0, 0, false, p.errorf(1, "missing :")
			}
		}
	}
	if add&del != 0 {
		return 0, 0, false, p.errorf(1, "bad inline flags: flag turned on and off")
	}
	return add, del, false, nil
}
