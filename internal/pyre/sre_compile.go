package pyre

import (
	"slices"
	"unicode/utf8"
)

// This file compiles the parsed tree into a program for the sre engine
// (sre_match.go), a port of CPython's own matcher (Modules/_sre/sre_lib.h).
// The program mirrors what re._compiler emits for the same tree, opcode
// for opcode, wherever that decides a result: capture marks, the choice
// between REPEAT_ONE (single-character bodies) and REPEAT/MAX_UNTIL, the
// order of branches, lookbehind widths. It differs only where the result
// cannot change:
//
//   - runs of plain literals become one string comparison (sString);
//   - character classes, case-insensitive literals, \d, \w, \s and . are
//     the explicit sets computed by the parser, matched against the
//     decoded rune instead of sre's lower-casing opcodes;
//   - an alternation of single characters is one set, as Python's parser
//     makes it;
//   - "guards" (a byte or a set the next character must match, computed by
//     looking through MARK and JUMP opcodes) let BRANCH skip alternatives
//     and REPEAT_ONE/MIN_REPEAT_ONE skip positions where the continuation
//     would fail on its first character; sre does the same for a literal
//     directly after the repeat. A skipped attempt would still have run
//     the MARKs before that character, and sre does not always undo such
//     writes (they are visible, e.g. to a conditional on an enclosing
//     group), so the matcher replays them where they can be seen.
//
// Positions are byte offsets into the UTF-8 input; every "character" step
// decodes one rune (an invalid byte is U+FFFD), so counts and lookbehind
// widths are in code points as in Python.

// sre opcodes. Layouts are given as [op, args...]; pc always points at
// the opcode and jump targets are absolute.
const (
	sFailure           = iota // [op]
	sSuccess                  // [op]
	sByte                     // [op, b] one ASCII character
	sRune                     // [op, r] one non-ASCII rune (never U+FFFD)
	sString                   // [op, i] the literal strs[i]
	sSet                      // [op, i] one character of sets[i]
	sAny                      // [op, 0] any character but "\n"
	sAnyAll                   // [op, 0] any character
	sAt                       // [op, assertKind]
	sMark                     // [op, i] marks[i] = position
	sJump                     // [op, target]
	sBranch                   // [op] then per alternative [next, guard, body..., sJump end], then [0]
	sRepeatOne                // [op, min, max, guard, item, arg] tail
	sMinRepeatOne             // [op, min, max, guard, item, arg] tail
	sPossRepeatOne            // [op, min, max, guard, item, arg] tail
	sRepeat                   // [op, min, max, until, guard] body... until: [sMaxUntil|sMinUntil] tail
	sMaxUntil                 // [op]
	sMinUntil                 // [op]
	sPossRepeat               // [op, min, max, tail] body... [sSuccess] tail
	sAtomic                   // [op, tail] body... [sSuccess] tail
	sGroupref                 // [op, i] i = 2*(group-1)
	sGrouprefASCIIFold        // [op, i]
	sGrouprefUniFold          // [op, i]
	sGrouprefExists           // [op, i, no] yes... [sJump end] no...
	sAssert                   // [op, tail, back] body... [sSuccess] tail
	sAssertNot                // [op, tail, back] body... [sSuccess] tail
)

// sreUnbounded is the max of an unbounded repeat (Python's MAXREPEAT).
const sreUnbounded = maxRepeat

// runeSet is a charSet prepared for matching: a bitmap for ASCII and
// sorted ranges for the rest.
type runeSet struct {
	ascii [2]uint64
	hi    []rng // ranges at or above utf8.RuneSelf
}

func newRuneSet(cs charSet) *runeSet {
	rs := &runeSet{}
	for _, r := range cs {
		for c := r.lo; c <= r.hi && c < utf8.RuneSelf; c++ {
			rs.ascii[c>>6] |= 1 << (c & 63)
		}
		if r.hi >= utf8.RuneSelf {
			rs.hi = append(rs.hi, rng{max(r.lo, utf8.RuneSelf), r.hi})
		}
	}
	return rs
}

func (rs *runeSet) hasByte(c byte) bool { return rs.ascii[c>>6]&(1<<(c&63)) != 0 }

func (rs *runeSet) has(c rune) bool {
	if c < utf8.RuneSelf {
		return c >= 0 && rs.ascii[c>>6]&(1<<(c&63)) != 0
	}
	h := rs.hi
	if len(h) <= 8 {
		for _, r := range h {
			if c < r.lo {
				return false
			}
			if c <= r.hi {
				return true
			}
		}
		return false
	}
	lo, hi := 0, len(h)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if h[m].hi < c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(h) && h[lo].lo <= c
}

// sreGuard is a necessary condition on the character at a position: it
// equals b (a byte guard), or it is in set.
type sreGuard struct {
	set   *runeSet // nil for a byte guard
	b     byte
	marks []int // MARK indices the code runs before the character
}

// ok reports whether the guard holds at s[p:].
func (g *sreGuard) ok(s string, p int) bool {
	if p >= len(s) {
		return false
	}
	if g.set == nil {
		return s[p] == g.b
	}
	c := s[p]
	if c < utf8.RuneSelf {
		return g.set.hasByte(c)
	}
	r, _ := utf8.DecodeRuneInString(s[p:])
	return g.set.has(r)
}

// startKind says where a search tries the program.
type startKind uint8

const (
	startAnywhere startKind = iota // every position
	startText                      // only at 0 (\A, or ^ without MULTILINE)
	startLine                      // 0 and after every "\n"
	startGuard                     // where the start guard holds
	startString                    // where prefix occurs
)

// sreProg is a compiled program.
type sreProg struct {
	code    []int
	strs    []string
	sets    []*runeSet
	guards  []sreGuard
	ngroups int
	start   startKind
	guard   int    // startGuard: index into guards
	prefix  string // startString
}

type sreCompiler struct {
	prog    *sreProg
	width   func(*node) (int64, int64)
	setIdx  map[string]int
	branchH []int // alternative headers, for guards
	repOne  []int // REPEAT_ONE-like opcodes, for guards
	repeats []int // REPEAT opcodes, for guards
}

// compileSRE compiles tree; width is the parser's width function.
func compileSRE(tree *node, ngroups int, width func(*node) (int64, int64)) *sreProg {
	c := &sreCompiler{prog: &sreProg{ngroups: ngroups}, width: width, setIdx: map[string]int{}}
	c.emit(tree)
	c.op(sSuccess)
	p := c.prog
	for _, h := range c.branchH {
		p.code[h+1] = c.guardAt(h + 2)
	}
	for _, pc := range c.repOne {
		p.code[pc+3] = c.guardAt(pc + 6)
	}
	for _, pc := range c.repeats {
		p.code[pc+4] = c.guardAt(pc + 5)
	}
	p.start = startAnywhere
	pc := 0
	for p.code[pc] == sMark {
		pc += 2
	}
	switch {
	case p.code[pc] == sAt && assertKind(p.code[pc+1]) == atBeginText:
		p.start = startText
	case p.code[pc] == sAt && assertKind(p.code[pc+1]) == atBeginLine:
		p.start = startLine
	case p.code[pc] == sString:
		p.start, p.prefix = startString, p.strs[p.code[pc+1]]
	default:
		if g := c.guardAt(pc); g >= 0 {
			p.start, p.guard = startGuard, g
		}
	}
	return p
}

func (c *sreCompiler) op(args ...int) int {
	pc := len(c.prog.code)
	c.prog.code = append(c.prog.code, args...)
	return pc
}

func (c *sreCompiler) set(cs charSet) int {
	key := make([]byte, 0, len(cs)*8)
	for _, r := range cs {
		key = utf8.AppendRune(key, r.lo)
		key = append(key, '-')
		key = utf8.AppendRune(key, r.hi)
	}
	if i, ok := c.setIdx[string(key)]; ok {
		return i
	}
	i := len(c.prog.sets)
	c.prog.sets = append(c.prog.sets, newRuneSet(cs))
	c.setIdx[string(key)] = i
	return i
}

// plainRune returns the rune of a one-character set that can be matched
// by comparing bytes.
func plainRune(cs charSet) (rune, bool) {
	if len(cs) != 1 || cs[0].lo != cs[0].hi {
		return 0, false
	}
	r := cs[0].lo
	if r == utf8.RuneError || !utf8.ValidRune(r) {
		return 0, false
	}
	return r, true
}

// charOp returns the opcode and argument matching one character of cs.
func (c *sreCompiler) charOp(cs charSet) (int, int) {
	if r, ok := plainRune(cs); ok {
		if r < utf8.RuneSelf {
			return sByte, int(r)
		}
		return sRune, int(r)
	}
	if len(cs) == 1 && cs[0].lo == 0 && cs[0].hi == maxRune {
		return sAnyAll, 0
	}
	if len(cs) == 2 && cs[0] == (rng{0, '\n' - 1}) && cs[1] == (rng{'\n' + 1, maxRune}) {
		return sAny, 0
	}
	return sSet, c.set(cs)
}

// singleChar returns the set of one character matched by n when n is a
// character, a one-item sequence of one, or an alternation of them (which
// Python's parser turns into a set).
func singleChar(n *node) (charSet, bool) {
	switch n.op {
	case opChars:
		return n.chars, true
	case opConcat:
		if len(n.subs) == 1 {
			return singleChar(n.subs[0])
		}
	case opAlt:
		var acc charSet
		for _, s := range n.subs {
			cs, ok := singleChar(s)
			if !ok {
				return nil, false
			}
			acc = union(acc, cs)
		}
		return acc, true
	}
	return nil, false
}

func (c *sreCompiler) emit(n *node) {
	switch n.op {
	case opEmpty:
	case opChars:
		c.op(c.charOp(n.chars))
	case opAssert:
		c.op(sAt, int(n.at))
	case opConcat:
		c.emitSeq(n.subs)
	case opAlt:
		if cs, ok := singleChar(n); ok {
			c.op(c.charOp(cs))
			return
		}
		c.op(sBranch)
		var ends []int
		for _, sub := range n.subs {
			h := c.op(0, -1)
			c.branchH = append(c.branchH, h)
			c.emit(sub)
			ends = append(ends, c.op(sJump, 0)+1)
			c.prog.code[h] = len(c.prog.code)
		}
		c.op(0)
		for _, e := range ends {
			c.prog.code[e] = len(c.prog.code)
		}
	case opGroup:
		c.op(sMark, 2*(n.group-1))
		c.emit(n.subs[0])
		c.op(sMark, 2*(n.group-1)+1)
	case opRepeat:
		c.emitRepeat(n)
	case opAtomic:
		pc := c.op(sAtomic, 0)
		c.emit(n.subs[0])
		c.op(sSuccess)
		c.prog.code[pc+1] = len(c.prog.code)
	case opLook:
		back := int64(0)
		if n.behind {
			back, _ = clampWidth(c.width(n.subs[0]))
		}
		kind := sAssert
		if n.neg {
			kind = sAssertNot
		}
		pc := c.op(kind, 0, int(back))
		c.emit(n.subs[0])
		c.op(sSuccess)
		c.prog.code[pc+1] = len(c.prog.code)
	case opBackref:
		kind := sGroupref
		if n.fold {
			kind = sGrouprefUniFold
			if n.ascii {
				kind = sGrouprefASCIIFold
			}
		}
		c.op(kind, 2*(n.group-1))
	case opCond:
		pc := c.op(sGrouprefExists, 2*(n.group-1), 0)
		c.emit(n.subs[0])
		if n.subs[1] != nil {
			j := c.op(sJump, 0)
			c.prog.code[pc+2] = len(c.prog.code)
			c.emit(n.subs[1])
			c.prog.code[j+1] = len(c.prog.code)
		} else {
			c.prog.code[pc+2] = len(c.prog.code)
		}
	}
}

// emitSeq emits a sequence, joining runs of plain literals into strings.
func (c *sreCompiler) emitSeq(subs []*node) {
	var flat []*node
	var flatten func([]*node)
	flatten = func(ns []*node) {
		for _, n := range ns {
			switch n.op {
			case opConcat:
				flatten(n.subs)
			case opEmpty:
			default:
				flat = append(flat, n)
			}
		}
	}
	flatten(subs)
	for i := 0; i < len(flat); {
		var lit []byte
		j := i
		for ; j < len(flat) && flat[j].op == opChars; j++ {
			r, ok := plainRune(flat[j].chars)
			if !ok {
				break
			}
			lit = utf8.AppendRune(lit, r)
		}
		if j-i >= 2 {
			c.op(sString, len(c.prog.strs))
			c.prog.strs = append(c.prog.strs, string(lit))
			i = j
			continue
		}
		c.emit(flat[i])
		i++
	}
}

func (c *sreCompiler) emitRepeat(n *node) {
	lo, hi := int(n.min), int(n.max)
	if cs, ok := singleChar(n.subs[0]); ok {
		kind := map[repeatKind]int{greedy: sRepeatOne, lazy: sMinRepeatOne, possessive: sPossRepeatOne}[n.rep]
		item, arg := c.charOp(cs)
		pc := c.op(kind, lo, hi, -1, item, arg)
		c.repOne = append(c.repOne, pc)
		return
	}
	if n.rep == possessive {
		pc := c.op(sPossRepeat, lo, hi, 0)
		c.emit(n.subs[0])
		c.op(sSuccess)
		c.prog.code[pc+3] = len(c.prog.code)
		return
	}
	pc := c.op(sRepeat, lo, hi, 0, -1)
	c.repeats = append(c.repeats, pc)
	c.emit(n.subs[0])
	c.prog.code[pc+3] = len(c.prog.code)
	if n.rep == lazy {
		c.op(sMinUntil)
	} else {
		c.op(sMaxUntil)
	}
}

// guardAt returns the index of a guard for the code at pc (a necessary
// condition for it to match), or -1. It looks through MARK and JUMP.
func (c *sreCompiler) guardAt(pc int) int {
	code := c.prog.code
	var marks []int
	for steps := 0; steps < 64; steps++ {
		switch code[pc] {
		case sMark:
			marks = append(marks, code[pc+1])
			pc += 2
			continue
		case sJump:
			pc = code[pc+1]
			continue
		case sByte:
			return c.addGuard(sreGuard{b: byte(code[pc+1]), marks: marks})
		case sRune:
			var buf [utf8.UTFMax]byte
			utf8.EncodeRune(buf[:], rune(code[pc+1]))
			return c.addGuard(sreGuard{b: buf[0], marks: marks})
		case sString:
			return c.addGuard(sreGuard{b: c.prog.strs[code[pc+1]][0], marks: marks})
		case sSet:
			return c.addGuard(sreGuard{set: c.prog.sets[code[pc+1]], marks: marks})
		case sRepeatOne, sMinRepeatOne, sPossRepeatOne:
			if code[pc+1] == 0 {
				return -1
			}
			switch code[pc+4] {
			case sByte:
				return c.addGuard(sreGuard{b: byte(code[pc+5]), marks: marks})
			case sSet:
				return c.addGuard(sreGuard{set: c.prog.sets[code[pc+5]], marks: marks})
			}
		}
		return -1
	}
	return -1
}

func (c *sreCompiler) addGuard(g sreGuard) int {
	for i, o := range c.prog.guards {
		if o.set == g.set && o.b == g.b && slices.Equal(o.marks, g.marks) {
			return i
		}
	}
	c.prog.guards = append(c.prog.guards, g)
	return len(c.prog.guards) - 1
}
