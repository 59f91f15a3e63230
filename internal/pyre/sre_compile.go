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
//     group), so the matcher replays them where they can be seen;
//   - when those leftover writes can be seen nowhere (noStale, see
//     staleMarks), guards are first-character sets looked up through
//     optional items, branches and repeats, (?:X)? and (?:X)?? are OPT
//     and OPT_LAZY (see emitRepeat), small greedy repeats of a body
//     without groups are unrolled (unroll), and a repeat of lookarounds
//     plus one character is a REPEAT_ONE (guardedChar);
//   - lookarounds with a plain body are tested in place (plainBody);
//   - with noStale, a single-character repeat whose continuation cannot
//     start with a character the repeat takes, or starts with an end
//     anchor when the repeat takes no "\n", runs as a possessive one
//     (possessify);
//   - with noStale, an alternative or optional body whose remaining
//     match needs literal text that the rest of the input lacks is not
//     tried (see reqLits): the guard also carries that text.
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
	sOpt                      // [op, tail, guard] body... tail: (?:body)? (see emitRepeat)
	sOptLazy                  // [op, tail, guard] body... tail: (?:body)??
	sAssertPlain              // [op, tail, back] body... [sSuccess] tail, see plainBody
	sAssertNotPlain           // [op, tail, back] body... [sSuccess] tail
	sGuarded                  // [op, pc]: a REPEAT_ONE item, see guardedChar

	// Fused instructions (see fuse): a POSSESSIVE_REPEAT_ONE and the
	// BYTE or STRING instruction after it, run as one.
	sPossRepeatOneByte   // [op, min, max, guard, item, arg] [sByte, b]
	sPossRepeatOneString // [op, min, max, guard, item, arg] [sString, i]
)

// sreUnbounded is the max of an unbounded repeat (Python's MAXREPEAT).
const sreUnbounded = maxRepeat

// runeSet is a charSet prepared for matching: a bitmap for ASCII and
// sorted ranges for the rest.
type runeSet struct {
	ascii [2]uint64
	hi    []rng // ranges at or above utf8.RuneSelf
	// lead is guardBytes(rs), computed with the set.
	lead [4]uint64
}

func newRuneSet(cs charSet) *runeSet {
	rs := &runeSet{}
	k := len(cs)
	for k > 0 && cs[k-1].hi >= utf8.RuneSelf {
		k--
	}
	if k < len(cs) {
		rs.hi = make([]rng, 0, len(cs)-k+1)
	}
	for _, r := range cs {
		for c := r.lo; c <= r.hi && c < utf8.RuneSelf; c++ {
			rs.ascii[c>>6] |= 1 << (c & 63)
		}
		if r.hi >= utf8.RuneSelf {
			rs.hi = append(rs.hi, rng{max(r.lo, utf8.RuneSelf), r.hi})
		}
	}
	rs.lead = leadBytes(rs)
	return rs
}

// sharedRuneSet returns the runeSet of cs: for the sets of the class
// escapes (categorySet), one built once and shared (a runeSet is
// read-only), since the Unicode ones are large and in most patterns.
// A set that differs from one of them only below utf8.RuneSelf, as
// [\w.-] does, shares its ranges above (hi).
func sharedRuneSet(cs charSet) *runeSet {
	for i, t := range uniCategories {
		if len(t) == len(cs) && len(cs) > 0 && &t[0] == &cs[0] {
			return uniCategoryRuneSets[i]
		}
	}
	k := len(cs)
	for k > 0 && cs[k-1].hi >= utf8.RuneSelf {
		k--
	}
	if len(cs)-k < 64 {
		return newRuneSet(cs)
	}
	for _, shared := range uniCategoryRuneSets {
		if sameHi(cs[k:], shared.hi) {
			rs := &runeSet{hi: shared.hi}
			for _, r := range cs[:k+1] {
				for c := r.lo; c <= r.hi && c < utf8.RuneSelf; c++ {
					rs.ascii[c>>6] |= 1 << (c & 63)
				}
			}
			// leadBytes: the ASCII bits, then those of the lead bytes
			// of hi, which are shared's
			rs.lead = [4]uint64{rs.ascii[0], rs.ascii[1], shared.lead[2], shared.lead[3]}
			return rs
		}
	}
	return newRuneSet(cs)
}

// sameHi reports whether newRuneSet(cs).hi would equal hi, for cs the
// ranges of a set that reach utf8.RuneSelf or above.
func sameHi(cs charSet, hi []rng) bool {
	if len(cs) != len(hi) {
		return false
	}
	for i, r := range cs {
		if max(r.lo, utf8.RuneSelf) != hi[i].lo || r.hi != hi[i].hi {
			return false
		}
	}
	return true
}

// uniCategoryRuneSets are in tables_derived.go.

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
// equals b (a byte guard), or it is in set. It is checked on the first
// byte of the character, in bytes: for a set, a byte at or above 0x80
// passes when it can start a character of the set (an invalid byte is
// U+FFFD), which is weaker than the set but still necessary.
type sreGuard struct {
	bytes [4]uint64 // the first bytes that pass
	set   *runeSet  // nil for a byte guard
	marks []int     // MARK indices the code runs before the character
	// req is literal text any match of the guarded code needs from the
	// position on, in order, the first at the position itself when
	// reqAnchored; nil for none (see reqLits).
	req         []string
	reqIDs      []int // of each piece, in sreProg.reqText
	b           byte  // (with reqAnchored, last: a guard takes 120 bytes)
	reqAnchored bool
}

// ok reports whether the guard holds at s[p:].
func (g *sreGuard) ok(s string, p int) bool {
	return p < len(s) && g.bytes[s[p]>>6]&(1<<(s[p]&63)) != 0
}

// guardBytes returns the first bytes of the UTF-8 encodings of the
// characters of rs, with every byte from 0x80 up when rs holds U+FFFD.
func guardBytes(rs *runeSet) [4]uint64 { return rs.lead }

// leadBytes computes guardBytes(rs) for newRuneSet.
func leadBytes(rs *runeSet) [4]uint64 {
	bs := [4]uint64{rs.ascii[0], rs.ascii[1]}
	set := func(b byte) { bs[b>>6] |= 1 << (b & 63) }
	for _, r := range rs.hi {
		if r.lo <= utf8.RuneError && utf8.RuneError <= r.hi {
			for b := 0x80; b <= 0xFF; b++ {
				set(byte(b))
			}
			return bs
		}
		// the input holds no surrogates (they cannot be encoded)
		l, h := r.lo, min(r.hi, maxRune)
		if surrogateLo <= l && l <= surrogateHi {
			l = surrogateHi + 1
		}
		if surrogateLo <= h && h <= surrogateHi {
			h = surrogateLo - 1
		}
		if l > h {
			continue
		}
		for b := int(leadByte(l)); b <= int(leadByte(h)); b++ {
			set(byte(b))
		}
	}
	return bs
}

// leadByte returns the first byte of the UTF-8 encoding of r, a valid
// code point (not a surrogate).
func leadByte(r rune) byte {
	switch {
	case r < 0x80:
		return byte(r)
	case r < 0x800:
		return 0xC0 | byte(r>>6)
	case r < 0x10000:
		return 0xE0 | byte(r>>12)
	}
	return 0xF0 | byte(r>>18)
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
	code []int
	// exec is the code the matcher runs: code, or a copy of it with
	// fused instructions (see fuse).
	exec    []int
	strs    []string
	sets    []*runeSet
	guards  []sreGuard
	ngroups int
	start   startKind
	guard   int    // startGuard: index into guards
	prefix  string // startString
	// noStale: marks left behind by failed attempts are never read;
	// see staleMarks in sre_compile.go.
	noStale bool
	// firstOK: every match starts at offset 0 with a character whose
	// first byte is in first (see Regexp.StartBytes).
	firstOK bool
	first   [4]uint64
	// pivot, when not nil, bounds the start positions a search tries
	// (pivot.go).
	pivot *pivot
	// startSet, when not nil, holds every character a match can start
	// with, for a program that has no other start condition.
	startSet *runeSet
	// startRun > 1: a match starts with startRun characters of
	// startSet.
	startRun int
	// startBytes holds the first bytes of the characters of startSet
	// (guardBytes).
	startBytes [4]uint64
	// startFFFD: startSet holds U+FFFD (what an invalid byte reads as).
	startFFFD bool
	// reqText lists the distinct pieces of the guards' literal text.
	reqText []string
	// lastOne holds the greedy REPEAT_ONEs (by pc) after which only the
	// end one item before the longest run's can be followed by the tail
	// (see lastItemOnly); nil for none.
	lastOne map[int]bool
	// firstPath says when searches try the first path (sre_first.go).
	firstPath firstPathMode
	// fpStart is the first path's op at pc 0 (compileFirstPath).
	fpStart fpOp
}

type sreCompiler struct {
	prog  *sreProg
	width func(*node) (int64, int64)
	// setIdx maps a hash to the last set with it, setNext each set to
	// the one before it with the same hash, or -1 (see set).
	setIdx  map[uint64]int
	setNext []int
	csets   []charSet // the charSet of each prog.sets entry
	shared  *Shared   // nil: none
	flat    []*node   // emitSeq's items, a stack of the nested calls
	// noStale: marks a failed attempt leaves behind are never read (see
	// staleMarks).
	noStale bool
	branchH []int // alternative headers, for guards
	repOne  []int // REPEAT_ONE-like opcodes, for guards
	repeats []int // REPEAT opcodes, for guards
	opts    []int // OPT opcodes, for guards
	// items are guardedChar bodies to emit after the program, with the
	// code index that takes their start.
	items []guardedItem
	// condEnd maps each GROUPREF_EXISTS to the end of its no branch.
	condEnd map[int]int
	// endNL: firstChars takes an end anchor for a "\n" (see
	// lastItemOnly).
	endNL bool
}

type guardedItem struct {
	subs []*node
	at   int
}

// compileSRE compiles tree; width is the parser's width function.
// codeHint is the room to make for the code at first: the programs of
// the usual patterns take less than two ints per byte of the pattern.
//
// With noFuse the program keeps every instruction apart (see fuse), for
// the tests that compare the two. shared, when not nil, is the Shared of
// the patterns compiled together.
func compileSRE(tree *node, ngroups int, width func(*node) (int64, int64), codeHint int, noFuse bool, shared *Shared) *sreProg {
	prog := &sreProg{ngroups: ngroups, code: make([]int, 0, codeHint)}
	c := &sreCompiler{prog: prog, width: width, setIdx: map[uint64]int{}, condEnd: map[int]int{}, shared: shared}
	c.noStale = !staleVisible(tree, nil)
	c.emit(tree)
	c.op(sSuccess)
	for _, it := range c.items {
		c.prog.code[it.at] = len(c.prog.code)
		c.emitSeq(it.subs)
		c.op(sSuccess)
	}
	p := c.prog
	p.noStale = c.noStale
	if c.noStale {
		for _, pc := range c.repOne {
			c.possessify(pc)
		}
		for _, pc := range c.repOne {
			if c.lastItemOnly(pc) {
				if p.lastOne == nil {
					p.lastOne = make(map[int]bool)
				}
				p.lastOne[pc] = true
			}
		}
	}
	// Each guard and withReq call below adds at most one guard: room
	// for all of them at once costs less than growing the slice.
	p.guards = slices.Grow(p.guards, 2*len(c.branchH)+len(c.repOne)+len(c.repeats)+2*len(c.opts)+1)
	for _, h := range c.branchH {
		p.code[h+1] = c.guard(h+2, c.noStale)
		if c.noStale {
			p.code[h+1] = c.withReq(p.code[h+1], h+2)
		}
	}
	for _, pc := range c.repOne {
		p.code[pc+3] = c.guard(pc+6, c.noStale)
	}
	for _, pc := range c.repeats {
		// MAX_UNTIL undoes a failed item completely (MARK_POP), so a
		// first-character guard needs no replay.
		p.code[pc+4] = c.guard(pc+5, true)
	}
	for _, pc := range c.opts {
		// OPT exists only with noStale
		p.code[pc+2] = c.withReq(c.guard(pc+3, true), pc+3)
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
		// Every attempt starts afresh (RESET_CAPTURE_GROUP), so a
		// skipped one leaves nothing behind.
		if g := c.guard(pc, true); g >= 0 {
			p.start, p.guard = startGuard, g
		}
	}
	// StartBytes: the characters a match at 0 can start with.
	if p.start == startText || startsAtBeginning(tree) {
		budget := 1024
		if cs, ok := c.firstChars(0, nil, &budget); ok {
			p.firstOK, p.first = true, guardBytes(c.shared.runeSet(cs))
		}
	}
	p.exec = p.code
	if !noFuse {
		c.fuse()
	}
	p.compileFirstPath(c.repOne, c.opts)
	return p
}

// fuse gives the matcher, in prog.exec, a copy of the code in which the
// first instruction of a pair that runs often in sequence is a fused
// one, which does what the two do in one dispatch of the matcher's loop:
// a POSSESSIVE_REPEAT_ONE followed by a BYTE or a STRING (the class runs
// of \d{1,3}\. in an IPv4 address, \S+ before a literal). Only the
// opcode changes: the operands and the second instruction stay in
// place, so a jump to the second instruction still finds it. prog.code,
// which the analyses and the tests read, keeps the plain opcodes.
func (c *sreCompiler) fuse() {
	code := c.prog.code
	var exec []int
	for _, pc := range c.repOne {
		if code[pc] != sPossRepeatOne {
			continue
		}
		op := 0
		switch code[pc+6] {
		case sByte:
			op = sPossRepeatOneByte
		case sString:
			op = sPossRepeatOneString
		default:
			continue
		}
		if exec == nil {
			exec = slices.Clone(code)
		}
		exec[pc] = op
	}
	if exec != nil {
		c.prog.exec = exec
	}
}

func (c *sreCompiler) op(args ...int) int {
	pc := len(c.prog.code)
	c.prog.code = append(c.prog.code, args...)
	return pc
}

func (c *sreCompiler) set(cs charSet) int {
	// FNV-1a over the length and the first and last ranges (a Unicode
	// class has hundreds); equal sets are found by comparing them.
	h := (uint64(14695981039346656037) ^ uint64(len(cs))) * 1099511628211
	ends := [2]charSet{cs, nil}
	if len(cs) > 8 {
		ends = [2]charSet{cs[:4], cs[len(cs)-4:]}
	}
	for _, part := range ends {
		for _, r := range part {
			h = (h ^ uint64(uint32(r.lo))) * 1099511628211
			h = (h ^ uint64(uint32(r.hi))) * 1099511628211
		}
	}
	last, ok := c.setIdx[h]
	if !ok {
		last = -1
	}
	for i := last; i >= 0; i = c.setNext[i] {
		if o := c.csets[i]; len(o) == len(cs) && (len(cs) == 0 || &o[0] == &cs[0] || slices.Equal(o, cs)) {
			return i
		}
	}
	i := len(c.prog.sets)
	c.prog.sets = append(c.prog.sets, c.shared.runeSet(cs))
	c.csets = append(c.csets, cs)
	c.setNext = append(c.setNext, last)
	c.setIdx[h] = i
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
		if c.plainBody(pc + 3) {
			c.prog.code[pc] += sAssertPlain - sAssert
		}
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
		c.condEnd[pc] = len(c.prog.code)
	}
}

// Limits of unroll.
const (
	maxUnrollCopies = 8  // copies of the body
	maxUnrollNodes  = 64 // nodes in the body
)

// unroll emits a greedy X{m,M} (noStale, X more than one character) as
// m copies of X followed by X{0,M-m}, and X{0,k} for a small k, when X
// cannot match the empty string, as k nested OPTs: (?:X(?:X)?)? for
// k = 2. It reports false, emitting nothing, when the repeat is not of
// that kind or too large.
//
// In sre, the first m iterations go through MAX_UNTIL's "not enough
// matches" path, which only counts (and restores the count on failure):
// no marks are saved, last_ptr stays NULL, so a copy of X in sequence
// does the same. The iteration after them meets the zero-width check
// with last_ptr NULL, as a fresh REPEAT's first iteration does; from
// there both count alike. In X{0,k} each further iteration saves the
// marks and restores them all when it fails (MARK_POP), as OPT does,
// tries the tail after it fails, and the zero-width check cannot stop an
// iteration of an X that consumes a character, so the nested OPTs try the
// same things in the same order. As for OPT (see emitRepeat), sre runs
// the copies with state->repeat set, which with noStale changes nothing.
// That needs the copies to write no marks: a group in them would have
// its MARKs again later in the program, where staleMarks assumes each
// group's code comes once, in order (with (?:(a)b|a){0,2}(?(1)c|d) on
// "abac" the second copy's failed (a) would leave group 1 at (2, 3)
// where sre, inside its REPEAT, restores (0, 1)).
//
// A body holding a repeat of more than one character is not unrolled:
// that repeat could be unrolled in turn, and nested unrolling makes the
// program grow exponentially with the depth ((?:(?:ab){8}){8}...).
func (c *sreCompiler) unroll(n *node) bool {
	lo, hi := n.min, n.max
	x := n.subs[0]
	if _, ok := singleChar(x); ok || hasGroup(x) || hasBodyRepeat(x) || nodeCount(x, maxUnrollNodes+1) > maxUnrollNodes {
		return false
	}
	switch {
	case lo > 0 && lo <= maxUnrollCopies:
		for range lo {
			c.emit(x)
		}
		if hi == maxRepeat || hi > lo {
			rest := max(hi-lo, 0)
			if hi == maxRepeat {
				rest = maxRepeat
			}
			c.emitRepeat(&node{op: opRepeat, min: 0, max: rest, rep: greedy, subs: []*node{x}})
		}
		return true
	case lo == 0 && hi >= 2 && hi <= maxUnrollCopies && hi != maxRepeat:
		if w, _ := c.width(x); w == 0 {
			return false
		}
		var pcs []int
		for range hi {
			pc := c.op(sOpt, 0, -1)
			c.opts = append(c.opts, pc)
			pcs = append(pcs, pc)
			c.emit(x)
		}
		for _, pc := range pcs {
			c.prog.code[pc+1] = len(c.prog.code)
		}
		return true
	}
	return false
}

// anyNode reports whether pred holds for n or for a node inside it.
func anyNode(n *node, pred func(*node) bool) bool {
	if n == nil {
		return false
	}
	if pred(n) {
		return true
	}
	for _, s := range n.subs {
		if anyNode(s, pred) {
			return true
		}
	}
	return false
}

// hasGroup reports whether n contains a capturing group.
func hasGroup(n *node) bool {
	return anyNode(n, func(n *node) bool { return n.op == opGroup })
}

// hasBodyRepeat reports whether n contains a repeat whose item is more
// than one character.
func hasBodyRepeat(n *node) bool {
	return anyNode(n, func(n *node) bool {
		if n.op != opRepeat {
			return false
		}
		_, single := singleChar(n.subs[0])
		return !single
	})
}

// nodeCount counts the nodes of n, stopping past limit.
func nodeCount(n *node, limit int) int {
	if n == nil {
		return 0
	}
	k := 1
	for _, s := range n.subs {
		if k > limit {
			break
		}
		k += nodeCount(s, limit-k)
	}
	return k
}

// guardedChar returns the items of n when it is one or more lookarounds
// with plain bodies (see plainNode) followed by one character, as in the
// "tempered dot" (?:(?! from ).). Such a body writes no mark, has no
// choice and consumes exactly one character, so with noStale a greedy or
// lazy repeat of it is compiled as REPEAT_ONE or MIN_REPEAT_ONE with the
// body as its item (sGuarded), where sre uses REPEAT and MAX_UNTIL or
// MIN_UNTIL. Both try the tail after the same counts, longest (shortest)
// first, and as the body cannot match the empty string the zero-width
// check never stops an iteration. What differs is what is restored
// between the tail's attempts: MAX_UNTIL restores the marks always,
// MIN_UNTIL and the REPEAT_ONE forms only inside an outer repeat, and sre
// runs the body with state->repeat set. With noStale the marks in
// question are never read (see staleMarks).
func guardedChar(n *node) ([]*node, bool) {
	var flat []*node
	var flatten func(*node)
	flatten = func(n *node) {
		if n.op == opConcat {
			for _, s := range n.subs {
				flatten(s)
			}
		} else if n.op != opEmpty {
			flat = append(flat, n)
		}
	}
	flatten(n)
	if len(flat) < 2 {
		return nil, false
	}
	for _, l := range flat[:len(flat)-1] {
		if l.op != opLook || !plainNode(l.subs[0]) {
			return nil, false
		}
	}
	if _, ok := singleChar(flat[len(flat)-1]); !ok {
		return nil, false
	}
	return flat, true
}

// plainNode reports whether n compiles to plain code (see plainBody).
func plainNode(n *node) bool {
	switch n.op {
	case opEmpty, opChars, opAssert:
		return true
	case opConcat:
		for _, s := range n.subs {
			if !plainNode(s) {
				return false
			}
		}
		return true
	case opAlt:
		_, ok := singleChar(n)
		return ok
	}
	return false
}

// plainBody reports whether the code at pc, up to a SUCCESS, is a
// straight sequence of characters, strings and anchors. A lookaround
// with such a body writes no mark and has no choice, so its outcome is
// all there is to it: sAssertPlain and sAssertNotPlain test it in place,
// without the context sre enters (whose saves and restores of lastmark
// and the marks then change nothing).
func (c *sreCompiler) plainBody(pc int) bool {
	code := c.prog.code
	for {
		switch code[pc] {
		case sSuccess:
			return true
		case sByte, sRune, sString, sSet, sAny, sAnyAll, sAt:
			pc += 2
		default:
			return false
		}
	}
}

// emitSeq emits a sequence, joining runs of plain literals into strings.
func (c *sreCompiler) emitSeq(subs []*node) {
	// flat is taken from the end of c.flat, which the nested calls of
	// emit grow beyond it and give back.
	base := len(c.flat)
	c.flat = flattenSeq(c.flat, subs)
	defer func() { c.flat = c.flat[:base] }()
	var lit []byte
	for i := base; i < len(c.flat); {
		flat := c.flat
		lit = lit[:0]
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

// flattenSeq appends the items of a sequence to dst, nested sequences
// opened and empty items left out.
func flattenSeq(dst, subs []*node) []*node {
	for _, n := range subs {
		switch n.op {
		case opConcat:
			dst = flattenSeq(dst, n.subs)
		case opEmpty:
		default:
			dst = append(dst, n)
		}
	}
	return dst
}

// emitRepeat emits a repeat as sre does (REPEAT_ONE for one character,
// else REPEAT ... MAX_UNTIL or MIN_UNTIL), except that (?:X)? and (?:X)??
// become OPT and OPT_LAZY when noStale holds (see staleMarks). They run
// like an alternation, X|(empty) or (empty)|X, where the empty
// alternative is a tail call, and need one frame where sre's REPEAT,
// MAX_UNTIL and MAX_UNTIL_3 need three (four for the lazy form). What
// sre does for {0,1}, and why the result is the same:
//
//   - REPEAT installs a context (count -1, last_ptr NULL). MAX_UNTIL sees
//     count 0: below max, and ptr differs from last_ptr, so it saves
//     lastmark and the marks (MARK_PUSH) and runs X. When X reaches
//     MAX_UNTIL again the count is 1, the max, so the zero-width check
//     is never made (an empty X is fine) and the tail runs, with the
//     outer context; a failure of the tail goes back into X. When X
//     fails, MARK_POP and LASTMARK_RESTORE undo everything after the
//     save and the tail runs at the start; its failure passes through
//     MAX_UNTIL_3 and REPEAT without any restore. OPT saves lastmark and
//     the trail length, runs X, which runs on into the tail, and when X
//     fails restores both, unconditionally as MARK_POP does, and jumps
//     to the tail.
//   - MIN_UNTIL (lazy) with count 0 runs the tail first, restoring
//     lastmark after a failure (and the marks if the outer context is
//     set, as OPT_LAZY does); then X with last_ptr set, then the tail
//     again under MIN_UNTIL, which restores lastmark (and the marks with
//     an outer context) when the tail fails, before X backtracks; at the
//     max it fails. OPT_LAZY runs X and then the tail without those
//     frames: X's own choice points restore lastmark on every way back,
//     and with an outer context the marks too (an undo trail restores
//     to the oldest save, so the extra restore changes nothing).
//   - The one other difference: inside X sre's state->repeat is X's own
//     context, where OPT leaves the outer one. That only decides whether
//     BRANCH, REPEAT_ONE, MIN_REPEAT_ONE, ASSERT_NOT and the tails of
//     lazy repeats inside X restore the marks after a failure (with no
//     outer context they then do not), and nested repeats restore
//     whichever context was outer. With noStale the marks such a
//     failure leaves are never read, so no result changes; without it
//     the repeat is compiled as sre does.
//
// Captures inside X are ordinary MARKs either way. The guard that skips
// X needs no replay: sre undoes a failed greedy X (MARK_POP), and what a
// failed lazy X leaves (MIN_UNTIL_3 restores nothing) is never read with
// noStale. sre_test.go's sreOptPatterns check these forms against
// Python.
func (c *sreCompiler) emitRepeat(n *node) {
	lo, hi := int(n.min), int(n.max)
	if cs, ok := singleChar(n.subs[0]); ok {
		kind := map[repeatKind]int{greedy: sRepeatOne, lazy: sMinRepeatOne, possessive: sPossRepeatOne}[n.rep]
		item, arg := c.charOp(cs)
		pc := c.op(kind, lo, hi, -1, item, arg)
		c.repOne = append(c.repOne, pc)
		return
	}
	if subs, ok := guardedChar(n.subs[0]); ok && n.rep != possessive && c.noStale {
		kind := sRepeatOne
		if n.rep == lazy {
			kind = sMinRepeatOne
		}
		pc := c.op(kind, lo, hi, -1, sGuarded, 0)
		c.repOne = append(c.repOne, pc)
		c.items = append(c.items, guardedItem{subs: subs, at: pc + 5})
		return
	}
	if c.noStale && n.rep == greedy && c.unroll(n) {
		return
	}
	if lo == 0 && hi == 1 && n.rep != possessive && c.noStale {
		kind := sOpt
		if n.rep == lazy {
			kind = sOptLazy
		}
		pc := c.op(kind, 0, -1)
		c.opts = append(c.opts, pc)
		c.emit(n.subs[0])
		c.prog.code[pc+1] = len(c.prog.code)
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

// addGuard returns the index of guard g in the program, added unless an
// equal one is there.
func (c *sreCompiler) addGuard(g sreGuard) int {
	switch {
	case g.set != nil:
		g.bytes = guardBytes(g.set)
	case g.bytes != [4]uint64{}:
		// set by the caller
	default:
		g.bytes[g.b>>6] = 1 << (g.b & 63)
	}
	for i := range c.prog.guards {
		if o := &c.prog.guards[i]; o.set == g.set && o.b == g.b && o.bytes == g.bytes &&
			o.reqAnchored == g.reqAnchored && slices.Equal(o.marks, g.marks) && slices.Equal(o.req, g.req) {
			return i
		}
	}
	c.prog.guards = append(c.prog.guards, g)
	return len(c.prog.guards) - 1
}

// staleMarks: where sre leaves marks behind, and when nobody can see them.
//
// A failed attempt can leave marks written: CPython's BRANCH, REPEAT_ONE,
// MIN_REPEAT_ONE and ASSERT_NOT save and restore the marks (MARK_PUSH,
// MARK_POP) only inside a repeat (state->repeat set); outside one they
// only restore lastmark, which hides the marks above it but keeps the
// values written to the marks at or below it. The guards replay such
// writes (replayMarks). They are only visible in two cases: inside a
// possessive repeat, which in 3.11 loops without setting state->repeat
// (in (?:(a)|b)++ on "ab" the failed (a) of the second iteration leaves
// group 1 at (1, 1)), and through a conditional inside the group it
// tests. Without either:
//
//   - lastmark at a choice point C outside any repeat is the highest mark
//     written on the path to C, so the marks at or below it belong to
//     groups that open before C in the pattern (groups are numbered in
//     the order they open, and the program is in pattern order).
//   - Going forward from C, outside any repeat (and with no possessive
//     repeat around C), the program never runs code before C again, so
//     the only such marks written after C are the end marks of the
//     groups that enclose C.
//   - A group's end mark is written again whenever the match leaves the
//     group, before anything after the group can read it; inside the
//     group a backreference to it is an error ("cannot refer to an open
//     group"), and no conditional tests it.
//   - Inside a repeat the choice points restore the marks themselves, and
//     a failure that reaches a choice point outside every repeat is the
//     case above. Every choice point that continues forward after a
//     failure restores lastmark, so a lastmark left high by a failure is
//     never seen either.
//
// So then (noStale) the compiler may skip attempts that fail, or leave
// out restores that only undo such writes, without replaying them.

// staleVisible reports whether marks left by a failed attempt may be
// read (see staleMarks): n has a possessive repeat of more than one
// character, or a conditional that tests a group around it; open lists
// the groups around n.
func staleVisible(n *node, open []int) bool {
	if n == nil {
		return false
	}
	switch n.op {
	case opCond:
		if slices.Contains(open, n.group) {
			return true
		}
	case opGroup:
		open = append(open[:len(open):len(open)], n.group)
	case opRepeat:
		if _, ok := singleChar(n.subs[0]); !ok && n.rep == possessive {
			return true
		}
	}
	for _, s := range n.subs {
		if staleVisible(s, open) {
			return true
		}
	}
	return false
}

// guard returns the guard for the code at pc: with first set, the
// characters firstChars computes (no marks to replay), else guardAt's.
func (c *sreCompiler) guard(pc int, first bool) int {
	if !first {
		return c.guardAt(pc)
	}
	budget := 256
	cs, ok := c.firstChars(pc, nil, &budget)
	if !ok {
		return -1
	}
	if len(cs) == 0 {
		// Nothing can match here: the empty set rejects everything.
		return c.addGuard(sreGuard{set: c.prog.sets[c.set(charSet{})]})
	}
	if r, ok := plainRune(cs); ok {
		var buf [utf8.UTFMax]byte
		utf8.EncodeRune(buf[:], r)
		return c.addGuard(sreGuard{b: buf[0]})
	}
	if len(cs) == 1 && cs[0].lo == 0 && cs[0].hi == maxRune {
		return -1
	}
	return c.addGuard(sreGuard{set: c.prog.sets[c.set(cs)]})
}

// firstChars returns a superset of the characters the code at pc can
// match first: ok is false when it may succeed without consuming one (or
// the analysis gives up). Zero-width items (marks, anchors, lookarounds)
// only restrict a match and are looked through. open lists the UNTIL
// opcodes of the repeats entered on the way, whose tails follow.
func (c *sreCompiler) firstChars(pc int, open []int, budget *int) (charSet, bool) {
	code := c.prog.code
	var acc charSet
	for {
		if *budget--; *budget < 0 {
			return nil, false
		}
		switch code[pc] {
		case sFailure:
			return acc, true
		case sMark:
			pc += 2
			continue
		case sAt:
			if c.endNL && isEndAnchor(assertKind(code[pc+1])) {
				return c.unionAcc(acc, single('\n')), true
			}
			pc += 2
			continue
		case sJump:
			pc = code[pc+1]
			continue
		case sAssert, sAssertNot, sAssertPlain, sAssertNotPlain:
			pc = code[pc+1]
			continue
		case sByte, sRune, sSet, sAny:
			cs, _ := c.itemChars(pc)
			return c.unionAcc(acc, cs), true
		case sString:
			r, _ := utf8.DecodeRuneInString(c.prog.strs[code[pc+1]])
			return c.unionAcc(acc, single(r)), true
		case sAnyAll:
			return nil, false
		case sRepeatOne, sMinRepeatOne, sPossRepeatOne:
			item, ok := c.itemChars(pc + 4)
			if !ok && code[pc+4] == sGuarded {
				item, ok = c.firstChars(code[pc+5], nil, budget)
			}
			if !ok {
				return nil, false
			}
			acc = c.unionAcc(acc, item)
			if code[pc+1] > 0 {
				return acc, true
			}
			pc += 6
			continue
		case sBranch:
			for h := pc + 1; code[h] != 0; h = code[h] {
				cs, ok := c.firstChars(h+2, open, budget)
				if !ok {
					return nil, false
				}
				acc = c.unionAcc(acc, cs)
			}
			return acc, true
		case sRepeat:
			until := code[pc+3]
			cs, ok := c.firstChars(pc+5, append(open[:len(open):len(open)], until), budget)
			if !ok {
				return nil, false
			}
			acc = c.unionAcc(acc, cs)
			if code[pc+1] > 0 {
				return acc, true
			}
			pc = until + 1
			continue
		case sMaxUntil, sMinUntil:
			if !slices.Contains(open, pc) {
				return nil, false
			}
			pc++
			continue
		case sOpt, sOptLazy:
			// the body runs on into the tail
			cs, ok := c.firstChars(pc+3, open, budget)
			if !ok {
				return nil, false
			}
			acc = c.unionAcc(acc, cs)
			pc = code[pc+1]
			continue
		case sGrouprefExists:
			cs, ok := c.firstChars(pc+3, open, budget)
			if !ok {
				return nil, false
			}
			acc = c.unionAcc(acc, cs)
			pc = code[pc+2]
			continue
		}
		// SUCCESS, backreferences, atomic groups, possessive repeats
		return nil, false
	}
}

// unionAcc is union for firstChars' accumulator, which returns b itself
// when acc is empty (no set there is modified); large sets' unions are
// looked up in the Shared.
func (c *sreCompiler) unionAcc(acc, b charSet) charSet {
	if len(acc) == 0 {
		return b
	}
	return c.shared.union(acc, b)
}

// withReq returns guard g (an index, or -1 for none) for the code at pc,
// extended with the literal text reqLits finds there when that text can
// save work: a piece of two or more characters that the code reaches only
// after a repeat, branch or optional item (a failed attempt could have
// gone a long way before missing it). Only for noStale programs: such an
// attempt may leave marks that nothing replays.
func (c *sreCompiler) withReq(g, pc int) int {
	budget := 4096
	req, anchored, far := c.reqLits(pc, &budget)
	if !far {
		return g
	}
	ng := sreGuard{req: req, reqAnchored: anchored}
	for _, lit := range req {
		id := slices.Index(c.prog.reqText, lit)
		if id < 0 {
			id = len(c.prog.reqText)
			c.prog.reqText = append(c.prog.reqText, lit)
		}
		ng.reqIDs = append(ng.reqIDs, id)
	}
	if g >= 0 {
		old := c.prog.guards[g]
		ng.set, ng.b, ng.bytes = old.set, old.b, old.bytes
		ng.marks = old.marks
	} else {
		// Any character: a match needs one at least, for the text.
		ng.bytes = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	}
	return c.addGuard(ng)
}

// reqLits returns literal text that every way the code at pc can reach
// its SUCCESS (the end of the match, or of the lookaround, atomic group
// or repeat item the code is in) or the UNTIL of a repeat it is in passes
// over, in order and without overlap; anchored is true when the first
// piece starts where the code starts. The walk follows the code straight
// through: it reads the literals of the path every attempt takes, steps
// over branches, repeats, optional items and lookarounds (which break a
// run of literal text), and takes the yes branch of a conditional on a
// group that the walk itself has closed (a group matched on the path is
// still matched there: later failures restore marks only to what they
// were after it). budget bounds the work; a walk that runs out keeps
// what it found. far reports a piece of two or more characters that
// comes after a repeat, branch or optional item.
func (c *sreCompiler) reqLits(pc int, budget *int) (req []string, anchored, far bool) {
	code := c.prog.code
	var curBuf [64]byte // room for the usual run, off the heap
	cur := curBuf[:0]
	started := false // consumed something or broke a run before cur
	long := false    // passed a repeat, branch or optional item
	curLong := false // long when cur began
	curOne := ""     // cur as a string, while one add made it
	add := func(b string) {
		if len(cur) == 0 {
			curLong = long
			curOne = b
		} else {
			curOne = ""
		}
		cur = append(cur, b...)
	}
	flush := func() {
		if len(cur) > 0 {
			if len(req) == 0 && !started {
				anchored = true
			}
			if req == nil {
				req = make([]string, 0, 4)
			}
			if len(curOne) == len(cur) {
				req = append(req, curOne) // no copy
			} else {
				req = append(req, string(cur))
			}
			far = far || (curLong && len(cur) >= 2)
			cur = cur[:0]
		}
		started = true
	}
	closed := map[int]bool{} // mark indices passed on the walk
	for *budget > 0 {
		*budget--
		switch code[pc] {
		case sMark:
			closed[code[pc+1]] = true
			pc += 2
		case sByte, sRune:
			if r := code[pc+1]; 0 <= r && r < utf8.RuneSelf {
				add(asciiChars[r : r+1])
			} else {
				add(string(rune(r)))
			}
			pc += 2
		case sString:
			add(c.prog.strs[code[pc+1]])
			pc += 2
		case sSet, sAny, sAnyAll, sAt:
			flush()
			pc += 2
		case sGroupref, sGrouprefASCIIFold, sGrouprefUniFold:
			flush()
			long = true
			pc += 2
		case sJump:
			if code[pc+1] <= pc {
				flush()
				return req, anchored, far
			}
			pc = code[pc+1]
		case sBranch:
			flush()
			long = true
			h := pc + 1
			pc = code[code[h]-1] // the first alternative's jump to the end
		case sRepeatOne, sMinRepeatOne, sPossRepeatOne:
			flush()
			long = long || code[pc+2] > 1
			pc += 6
		case sRepeat:
			flush()
			long = true
			pc = code[pc+3] + 1
		case sPossRepeat:
			flush()
			long = true
			pc = code[pc+3]
		case sAssert, sAssertNot, sAssertPlain, sAssertNotPlain:
			flush()
			pc = code[pc+1]
		case sAtomic, sOpt, sOptLazy:
			flush()
			long = true
			pc = code[pc+1]
		case sGrouprefExists:
			if i := code[pc+1]; closed[i] && closed[i+1] {
				pc += 3
				continue
			}
			flush()
			long = true
			pc = c.condEnd[pc]
		default: // SUCCESS, FAILURE, UNTIL, GUARDED
			flush()
			return req, anchored, far
		}
	}
	flush()
	return req, anchored, far
}

// possessify makes the REPEAT_ONE or MIN_REPEAT_ONE at pc a
// POSSESSIVE_REPEAT_ONE when no character it matches can start its tail.
// Then, of the ends the repeat may try, only the one after its longest run
// can be followed by the tail: at any other end the next character is one
// the repeat matched, and the tail fails on it at once (a lazy repeat
// stops at the first end where the tail matches, which is the same one).
// The same holds for a tail that starts with an end anchor ($, \Z, or $
// with MULTILINE) when the repeat never takes a "\n": at any other end the
// next character is neither "\n" nor the end of the input, so the anchor
// fails there at once (in (?:(?!x).)*$ the tempered item is "." behind a
// lookahead).
// Only for noStale programs: those failed attempts of the tail leave marks
// that no longer get written.
func (c *sreCompiler) possessify(pc int) {
	code := c.prog.code
	if code[pc] != sRepeatOne && code[pc] != sMinRepeatOne {
		return
	}
	budget := 256
	end := c.endTail(pc + 6)
	item, ok := c.itemChars(pc + 4)
	if !ok && end && code[pc+4] == sGuarded {
		// lookarounds then one character: firstChars is a superset of
		// the characters the item takes
		item, ok = c.firstChars(code[pc+5], nil, &budget)
	}
	if !ok {
		return
	}
	if end && !item.contains('\n') {
		code[pc] = sPossRepeatOne
		return
	}
	if code[pc+4] == sGuarded {
		return
	}
	first, ok := c.firstChars(pc+6, nil, &budget)
	if !ok || overlaps(item, first) {
		return
	}
	code[pc] = sPossRepeatOne
}

// lastItemOnly reports whether, of the ends the greedy, unbounded
// REPEAT_ONE at pc may try, only the one a single item before its longest
// run's end can be followed by its tail: the tail is one character of a
// set within the repeat's items (C), then code that fails at once on any
// character of theirs (its first characters, an end anchor taken for a
// "\n", are none of them). At the longest run's end C fails (the next
// character is not the repeat's); at a shorter one, the character after
// C's is the repeat's, and the rest fails on it. This is the DNS name of
// <HOST>, [\w\-.^_]*\w, before a suffix and $. Only for noStale programs,
// as possessify.
func (c *sreCompiler) lastItemOnly(pc int) bool {
	code := c.prog.code
	if code[pc] != sRepeatOne || code[pc+2] != sreUnbounded {
		return false
	}
	item, ok := c.itemChars(pc + 4)
	if !ok {
		return false
	}
	last, ok := c.itemChars(pc + 6) // a one-character instruction: two ints
	if !ok || !normal(last) || !normal(item) || !subset(last, item) {
		return false
	}
	budget := 256
	c.endNL = true
	first, ok := c.firstChars(pc+8, nil, &budget)
	c.endNL = false
	return ok && !overlaps(item, first)
}

// isEndAnchor reports whether an anchor only holds at the end of the
// input or before a "\n": $, \Z or $ with MULTILINE.
func isEndAnchor(k assertKind) bool {
	return k == atEndText || k == atEndTextOptNL || k == atEndLine
}

// endTail reports whether the code at pc starts, after MARKs and forward
// JUMPs, with an end anchor (isEndAnchor).
func (c *sreCompiler) endTail(pc int) bool {
	_, ok := endAnchorAt(c.prog.code, pc)
	return ok
}

// endAnchorAt returns the end anchor (isEndAnchor) the code at pc starts
// with after MARKs and forward JUMPs; false for none.
func endAnchorAt(code []int, pc int) (assertKind, bool) {
	for steps := 0; steps < 64; steps++ {
		switch code[pc] {
		case sMark:
			pc += 2
			continue
		case sJump:
			if code[pc+1] <= pc {
				return 0, false
			}
			pc = code[pc+1]
			continue
		case sAt:
			if k := assertKind(code[pc+1]); isEndAnchor(k) {
				return k, true
			}
		}
		return 0, false
	}
	return 0, false
}

// itemChars returns the characters the single-character instruction at
// ipc (a literal, a set or ".", alone or as a repeat's item) matches;
// false for another kind.
func (c *sreCompiler) itemChars(ipc int) (charSet, bool) {
	code := c.prog.code
	switch code[ipc] {
	case sByte, sRune:
		return single(rune(code[ipc+1])), true
	case sSet:
		return c.csets[code[ipc+1]], true
	case sAny:
		return charSet{{0, '\n' - 1}, {'\n' + 1, maxRune}}, true
	}
	return nil, false
}
