package pyre

import (
	"strings"
	"unicode/utf8"
)

// This file is the sre engine's matcher: a port of SRE(match) and
// SRE(search) from CPython's Modules/_sre/sre_lib.h. The control flow,
// the capture marks (marks, lastmark) and where they are saved and
// restored follow the C code step by step, so that captures after
// backtracking, inside repeats and around lookarounds are Python's. The C
// code's recursion through "contexts" is kept as an explicit stack of
// frames; a child frame's jump kind says where its parent resumes.

// DefaultMaxSteps is the default base step budget of one search on the
// sre engine, and DefaultStepsPerByte what each byte of the searched text
// adds to it: a search through n bytes may take DefaultMaxSteps +
// DefaultStepsPerByte*n steps (Regexp.StepBudget). A step is one
// backtracking point (a context pushed), about eight characters scanned by
// a repeat or a search for a start position, or a share of the cost of a
// growing frame stack (growthSteps). Linear work takes a few steps a byte
// (up to about 16 for a group repeated once per character, mostly for its
// frames), so with 32 a byte it completes on a line of any length, while
// a hostile line against a backtracking-prone (quadratic or exponential)
// pattern runs out of steps. A step takes 5 to 85 ns on this project's
// machine, so that costs 0.2 to 3 ms for each KiB of the line on top of
// 1 to 20 ms for the base. Memory follows the budget: a search holds at
// most one frame (64 bytes) for every 5 steps, which is what a linear
// pattern that keeps a frame per character needs.
const (
	DefaultMaxSteps     = 1 << 18
	DefaultStepsPerByte = 32
)

// growthSteps is the step charge per frame when the frame stack grows
// (about doubling): a deep stack costs memory and copying, not only
// steps.
const growthSteps = 4

// maxPooledFrames bounds the frame and trail capacity a pooled machine
// keeps.
const maxPooledFrames = 1 << 12

// jump kinds: where a parent frame resumes when its child returns.
const (
	jumpNone uint8 = iota
	jumpMaxUntil1
	jumpMaxUntil2
	jumpMaxUntil3
	jumpMinUntil1
	jumpMinUntil2
	jumpMinUntil3
	jumpRepeat
	jumpRepeatOne
	jumpMinRepeatOne
	jumpBranch
	jumpAssert // jumpAssert to jumpAtomic: see scoped in match
	jumpAssertNot
	jumpPossRepeat1
	jumpPossRepeat2
	jumpAtomic
	jumpOpt
	jumpOptLazy
)

// sreFrame is one SRE(match_context).
type sreFrame struct {
	pc, ptr  int
	count    int // ctx->count; REPEAT_ONE: the position after min items
	aux      int // ctx->u.rep (a repeat index), the current alternative, a lazy repeat's next end, ...
	lastmark int // LASTMARK_SAVE
	mt       int // trail length at MARK_PUSH
	lp       int // the repeat's saved last_ptr
	jump     uint8
}

// sreRepeat is one SRE_REPEAT.
type sreRepeat struct {
	count   int
	pc      int // the REPEAT opcode
	prev    int
	lastPtr int
}

// sreMachine is the matching state of one search; Regexp pools them.
type sreMachine struct {
	prog     *sreProg
	s        string
	marks    []int
	lastmark int
	repeat   int // innermost active repeat, -1 for none
	reps     []sreRepeat
	frames   []sreFrame
	trail    []int // (mark index, old value) pairs, see match
	sptr     int   // state->ptr
	steps    int
	limit    int
	// reqBudget is what the guards' text scans (reqOK) may still read.
	reqBudget int
	// reqMemo remembers, per piece of guard text (sreProg.reqText), the
	// last scan of this search: see reqFind.
	reqMemo []reqScan
	reqGen  uint32 // the search the reqMemo entries of which are valid
	// fpTries and fpBails count the first path's attempts and those it
	// left to match, fpSkips the searches without it (see firstPathOn).
	fpTries, fpBails, fpSkips int
	// fpChoices counts the choices the first path has taken, fpEnd says
	// how it ended, fpRep is its repeat and fpPend its pending choices
	// (see firstPath).
	fpChoices int
	fpEnd     int8
	fpRep     fpRepState
	fpPend    [fpPendMax]fpPending // fpPends of them, the latest last
	fpPends   uint
	fpBacks   int // the pending choices taken back
	fpAux     int // the aux of the pending choice taken back
}

// reqScan is one scan for a piece of guard text: its leftmost occurrence
// at or after from is at at (-1 for none), in the search gen.
type reqScan struct {
	from, at int
	gen      uint32
}

func newSREMachine(p *sreProg) *sreMachine {
	return &sreMachine{
		prog:    p,
		reqMemo: make([]reqScan, len(p.reqText)),
		marks:   make([]int, 2*p.ngroups),
		frames:  make([]sreFrame, 32),
		trail:   make([]int, 0, 32),
	}
}

// The text scans of the guards (reqOK) of one search read at most
// reqScans times the input plus reqSlack bytes; past that every guard's
// text passes. A guard only saves work, so giving it up changes no result,
// while an unbounded one could rescan a long line at each of its
// positions.
const (
	reqScans = 4
	reqSlack = 1024
)

// reqOK reports whether s[p:] holds guard g's literal text (see
// reqLits), or the search's scan budget is spent.
func (m *sreMachine) reqOK(g *sreGuard, p int) bool {
	if g.req == nil || m.reqBudget <= 0 {
		return true
	}
	for i, lit := range g.req {
		if i == 0 && g.reqAnchored {
			if !strings.HasPrefix(m.s[p:], lit) {
				return false
			}
			p += len(lit)
			continue
		}
		k := m.reqFind(g.reqIDs[i], lit, p)
		if k < 0 {
			return false
		}
		p = k + len(lit)
	}
	return true
}

// reqFind returns the leftmost occurrence of lit, the guard text piece
// id, at or after p, or -1. Guards often look for the same piece from
// nearby positions: a scan answers every query from a position between
// its start and what it found, and a query from before its start only
// needs to look up to there. Queries going one way then cost one pass
// over the input, whichever way they go.
func (m *sreMachine) reqFind(id int, lit string, p int) int {
	e := &m.reqMemo[id]
	if e.gen == m.reqGen {
		if p >= e.from && (e.at < 0 || p <= e.at) {
			return e.at
		}
		if p < e.from {
			// Before e.from, or else where the last scan found it.
			hi := min(e.from+len(lit)-1, len(m.s))
			k := strings.Index(m.s[p:hi], lit)
			at := e.at
			if k >= 0 {
				at = p + k
				hi = at + len(lit)
			}
			m.reqBudget -= hi - p
			*e = reqScan{from: p, at: at, gen: m.reqGen}
			return at
		}
	}
	k := strings.Index(m.s[p:], lit)
	if k < 0 {
		m.reqBudget -= len(m.s) - p
		*e = reqScan{from: p, at: -1, gen: m.reqGen}
		return -1
	}
	m.reqBudget -= k + len(lit)
	*e = reqScan{from: p, at: p + k, gen: m.reqGen}
	return p + k
}

// runeLen returns the length of the rune at s[p:], p < len(s).
func runeLen(s string, p int) int {
	if s[p] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[p:])
	return n
}

// prevRune returns the start of the rune before p, p > 0.
func prevRune(s string, p int) int {
	if s[p-1] < utf8.RuneSelf {
		return p - 1
	}
	_, n := utf8.DecodeLastRuneInString(s[:p])
	return p - n
}

// back steps n runes back from p; ok is false at the start of s.
func back(s string, p, n int) (int, bool) {
	for ; n > 0; n-- {
		if p == 0 {
			return 0, false
		}
		p = prevRune(s, p)
	}
	return p, true
}

// forward steps n runes forward from p; the caller knows they exist.
func forward(s string, p, n int) int {
	for ; n > 0; n-- {
		p += runeLen(s, p)
	}
	return p
}

func isUniWord(r rune) bool { return charSet(uniWord).contains(r) }

func isASCIIWordRune(r rune) bool { return r < utf8.RuneSelf && isWordASCII(r) }

// at mirrors SRE(at).
func (m *sreMachine) at(ptr int, kind assertKind) bool {
	s := m.s
	end := len(s)
	switch kind {
	case atBeginText:
		return ptr == 0
	case atBeginLine:
		return ptr == 0 || s[ptr-1] == '\n'
	case atEndTextOptNL:
		return ptr == end || (ptr == end-1 && s[ptr] == '\n')
	case atEndLine:
		return ptr == end || s[ptr] == '\n'
	case atEndText:
		return ptr == end
	}
	if end == 0 {
		return false
	}
	word := isUniWord
	if kind == atASCIIBoundary || kind == atASCIINonBoundary {
		word = isASCIIWordRune
	}
	var that, this bool
	if ptr > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:ptr])
		if c := s[ptr-1]; c < utf8.RuneSelf {
			that = isWordASCII(rune(c))
		} else {
			that = word(r)
		}
	}
	if ptr < end {
		if c := s[ptr]; c < utf8.RuneSelf {
			this = isWordASCII(rune(c))
		} else {
			r, _ := utf8.DecodeRuneInString(s[ptr:])
			this = word(r)
		}
	}
	if kind == atBoundary || kind == atASCIIBoundary {
		return this != that
	}
	return this == that
}

// one matches the single-character item at code[ipc:] at ptr and returns
// the position after it, or -1.
func (m *sreMachine) one(ipc, ptr int) int {
	s := m.s
	if ptr >= len(s) {
		return -1
	}
	code := m.prog.code
	c := s[ptr]
	switch code[ipc] {
	case sByte:
		if c == byte(code[ipc+1]) {
			return ptr + 1
		}
	case sRune:
		if r, n := utf8.DecodeRuneInString(s[ptr:]); r == rune(code[ipc+1]) {
			return ptr + n
		}
	case sSet:
		set := m.prog.sets[code[ipc+1]]
		if c < utf8.RuneSelf {
			if set.hasByte(c) {
				return ptr + 1
			}
			return -1
		}
		if r, n := utf8.DecodeRuneInString(s[ptr:]); set.has(r) {
			return ptr + n
		}
	case sAny:
		if c != '\n' {
			return ptr + runeLen(s, ptr)
		}
	case sAnyAll:
		return ptr + runeLen(s, ptr)
	case sGuarded:
		// lookarounds with plain bodies, then one character
		pc := code[ipc+1]
		for code[pc] == sAssertPlain || code[pc] == sAssertNotPlain {
			q, ok := back(s, ptr, code[pc+2])
			if ok = ok && m.plain(pc+3, q); ok != (code[pc] == sAssertPlain) {
				return -1
			}
			pc = code[pc+1]
		}
		return m.one(pc, ptr)
	}
	return -1
}

// count mirrors SRE(count): it matches the item at code[ipc:] up to
// maxcount times from ptr and returns the end position and the count.
func (m *sreMachine) count(ipc, ptr, maxcount int) (int, int) {
	s := m.s
	code := m.prog.code
	p, n := ptr, 0
	switch code[ipc] {
	case sByte:
		b := byte(code[ipc+1])
		lim := len(s)
		if maxcount < lim-p {
			lim = p + maxcount
		}
		for p < lim && s[p] == b {
			p++
		}
		n = p - ptr
	case sAny, sAnyAll:
		lim := len(s)
		if code[ipc] == sAny {
			if i := strings.IndexByte(s[p:], '\n'); i >= 0 {
				lim = p + i
			}
		}
		if maxcount >= lim-p {
			n = utf8.RuneCountInString(s[p:lim])
			p = lim
			break
		}
		for p < lim && n < maxcount {
			p += runeLen(s, p)
			n++
		}
	case sSet:
		set := m.prog.sets[code[ipc+1]]
		// tbl has no byte from 0x80 up: the ASCII run stops there.
		tbl := [4]uint64{set.ascii[0], set.ascii[1]}
		for {
			lim := len(s)
			if rem := maxcount - n; rem < lim-p {
				lim = p + rem
			}
			q := asciiRun(&tbl, s, p, lim)
			n += q - p
			p = q
			if p >= lim || s[p] < utf8.RuneSelf {
				break
			}
			r, size := utf8.DecodeRuneInString(s[p:])
			if !set.has(r) {
				break
			}
			p += size
			n++
		}
	case sGuarded:
		if q, k, ok := m.temperedRun(ipc, p, maxcount); ok {
			p, n = q, k
			break
		}
		p, n = m.countOne(ipc, p, maxcount)
	default:
		p, n = m.countOne(ipc, p, maxcount)
	}
	return p, n
}

// countOne is count item by item, with one.
func (m *sreMachine) countOne(ipc, p, maxcount int) (int, int) {
	n := 0
	for n < maxcount {
		q := m.one(ipc, p)
		if q < 0 {
			break
		}
		p = q
		n++
	}
	return p, n
}

// temperedLit reports whether the guarded item (sGuarded) at ipc is a
// "tempered dot" (?:(?!LIT).): one negative lookahead of one literal that
// starts with an ASCII byte, followed by . or (dotAll) any character.
func (m *sreMachine) temperedLit(ipc int) (lit string, dotAll, ok bool) {
	code := m.prog.code
	pc := code[ipc+1]
	if code[pc] != sAssertNotPlain || code[pc+2] != 0 || code[pc+5] != sSuccess {
		return "", false, false // not one lookahead of one literal
	}
	switch code[pc+3] {
	case sString:
		lit = m.prog.strs[code[pc+4]]
	case sByte:
		lit = asciiByteStr[code[pc+4]&0x7f : code[pc+4]&0x7f+1]
	default:
		return "", false, false
	}
	item := code[pc+1]
	if lit == "" || lit[0] >= utf8.RuneSelf || (code[item] != sAny && code[item] != sAnyAll) {
		return "", false, false
	}
	return lit, code[item] == sAnyAll, true
}

// temperedRun is count for a tempered dot (see temperedLit): from ptr it
// takes every character up to the first occurrence of the literal or, for
// ., the first "\n" (both found with a string search instead of an item
// at a time), or the end. ok is false when the item has another shape, or
// when the run may hold more than maxcount characters; count then goes
// item by item.
//
// The literal starts with an ASCII byte, so every place where it occurs
// is the start of a character for one (which decodes an ASCII byte as a
// character of its own even after an invalid sequence): the first
// occurrence at or after ptr is the first character the lookahead
// rejects.
func (m *sreMachine) temperedRun(ipc, ptr, maxcount int) (end, n int, ok bool) {
	lit, dotAll, ok := m.temperedLit(ipc)
	if !ok {
		return 0, 0, false
	}
	s := m.s
	lim := len(s)
	if !dotAll {
		if i := strings.IndexByte(s[ptr:], '\n'); i >= 0 {
			lim = ptr + i
		}
	}
	// an occurrence that starts before lim may end after it
	if i := strings.Index(s[ptr:min(len(s), lim+len(lit)-1)], lit); i >= 0 {
		lim = ptr + i
	}
	if lim-ptr > maxcount {
		return 0, 0, false // more bytes than maxcount: count the characters
	}
	return lim, utf8.RuneCountInString(s[ptr:lim]), true
}

// temperedSkip serves the loop of a lazy unbounded repeat of a tempered
// dot at ipc (MIN_REPEAT_ONE) whose tail guard g failed at ptr: at each
// position up to the next one where g may hold, or where the item fails,
// the loop would only test g and take an item. It returns that position
// and the characters before it (ptr and 0 when it cannot tell): a byte
// loop looking for the guard's first bytes, "\n" and the literal's first
// byte, all ASCII, so that it stops only at the start of a character.
// It needs a guard without marks to replay (see replayMarks) and whose
// first bytes are ASCII.
func (m *sreMachine) temperedSkip(ipc int, g *sreGuard, ptr int) (int, int) {
	if len(g.marks) > 0 || g.bytes[2]|g.bytes[3] != 0 {
		return ptr, 0
	}
	lit, dotAll, ok := m.temperedLit(ipc)
	if !ok {
		return ptr, 0
	}
	s := m.s
	q := ptr
	for ; q < len(s); q++ {
		c := s[q]
		if g.bytes[c>>6]&(1<<(c&63)) != 0 || (c == '\n' && !dotAll) || (c == lit[0] && strings.HasPrefix(s[q:], lit)) {
			break
		}
	}
	return q, utf8.RuneCountInString(s[ptr:q])
}

// asciiByteStr holds every ASCII byte at its own index, so that a
// one-byte literal is a substring of it.
const asciiByteStr = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f" +
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f"

// countMin is count for REPEAT_ONE: it returns the end position and the
// position after the first lo items, or -1 when there are fewer. It
// does not count the characters of a "." repeat that takes the rest of
// the line.
func (m *sreMachine) countMin(ipc, ptr, maxcount, lo int) (int, int) {
	s := m.s
	if op := m.prog.code[ipc]; op == sAny || op == sAnyAll {
		lim := len(s)
		if op == sAny {
			if i := strings.IndexByte(s[ptr:], '\n'); i >= 0 {
				lim = ptr + i
			}
		}
		if maxcount >= lim-ptr {
			p := ptr
			for range lo {
				if p >= lim {
					return lim, -1
				}
				p += runeLen(s, p)
			}
			return lim, p
		}
	}
	q, n := m.count(ipc, ptr, maxcount)
	switch {
	case n < lo:
		return q, -1
	case lo == 0:
		return q, ptr
	case q-ptr == n:
		return q, ptr + lo
	}
	return q, forward(s, ptr, lo)
}

// lastGuard returns the largest position q in [lo, hi], reachable from hi
// by stepping back whole runes, at which guard g holds, and the steps the
// scan cost.
func (m *sreMachine) lastGuard(g *sreGuard, lo, hi int) (int, int, bool) {
	s := m.s
	if g.set == nil {
		top := min(hi+1, len(s))
		if top <= lo {
			return 0, 0, false
		}
		i := strings.LastIndexByte(s[lo:top], g.b)
		steps := (top - lo - max(i, 0)) >> 3
		if i < 0 {
			return 0, steps, false
		}
		return lo + i, steps, true
	}
	for q, steps := hi, 0; ; steps++ {
		if g.ok(s, q) {
			return q, steps, true
		}
		if q <= lo {
			return 0, steps, false
		}
		q = prevRune(s, q)
	}
}

// match mirrors SRE(match) from position start; it returns whether the
// program matches there, with the end in m.sptr and captures in marks.
//
// Where the C code saves marks with MARK_PUSH and restores them with
// MARK_POP, this port keeps an undo trail instead: a MARK that overwrites
// a visible mark (index <= lastmark) records the old value, and a restore
// unwinds the trail to its length at the save. Both restore every mark up
// to the saved lastmark; marks above it may differ, but every restore
// also resets lastmark, and a mark above lastmark is never read (MARK
// clears the gap when lastmark grows). The repeat's last_ptr, which the C
// code pushes on its data stack, is kept in the frame.
func (m *sreMachine) match(start int) (bool, error) {
	prog := m.prog
	code := prog.exec
	s := m.s
	end := len(s)
	marks := m.marks
	frames := m.frames[:cap(m.frames)]
	reps := m.reps[:0]
	trail := m.trail[:0]
	var (
		pc, ptr, fi, r, q, n int
		ret                  bool
		ok                   bool
		kind                 uint8
		scoped               int // frames of kind jumpAssert..jumpAtomic
		f                    *sreFrame
		rep                  *sreRepeat
		err                  error
	)
	lastmark, repeat := -1, -1
	steps, limit := m.steps, m.limit
	if limit < 0 {
		limit = int(^uint(0) >> 1)
	}
	if len(frames) == 0 {
		frames = make([]sreFrame, 32)
	}
	frames[0].jump = jumpNone
	sptr := start

entrance:
	ptr = sptr
dispatch:
	for {
		switch code[pc] {
		case sFailure:
			goto fail
		case sSuccess:
			sptr = ptr
			goto succeed
		case sByte:
			if ptr >= end || s[ptr] != byte(code[pc+1]) {
				goto fail
			}
			ptr++
			pc += 2
		case sString:
			lit := prog.strs[code[pc+1]]
			if len(s)-ptr < len(lit) || s[ptr] != lit[0] || s[ptr:ptr+len(lit)] != lit {
				goto fail
			}
			ptr += len(lit)
			pc += 2
		case sSet:
			if ptr >= end {
				goto fail
			}
			if c := s[ptr]; c < 0x80 {
				if prog.sets[code[pc+1]].ascii[c>>6]&(1<<(c&63)) == 0 {
					goto fail
				}
				ptr++
			} else if ptr = m.one(pc, ptr); ptr < 0 {
				goto fail
			}
			pc += 2
		case sRune, sAny, sAnyAll:
			if ptr = m.one(pc, ptr); ptr < 0 {
				goto fail
			}
			pc += 2
		case sAt:
			// the anchors of nearly every pattern, tested in place
			switch k := assertKind(code[pc+1]); k {
			case atBeginText:
				if ptr != 0 {
					goto fail
				}
			case atEndTextOptNL:
				if ptr != end && (ptr != end-1 || s[ptr] != '\n') {
					goto fail
				}
			default:
				if !m.at(ptr, k) {
					goto fail
				}
			}
			pc += 2
		case sMark:
			i := code[pc+1]
			if i > lastmark {
				for j := lastmark + 1; j < i; j++ {
					marks[j] = -1
				}
				lastmark = i
			} else {
				trail = append(trail, i, marks[i])
			}
			marks[i] = ptr
			pc += 2
		case sJump:
			pc = code[pc+1]
		case sBranch:
			f = &frames[fi]
			f.lastmark, f.mt = lastmark, len(trail)
			f.aux = pc + 1
			goto branchTry
		case sRepeatOne, sPossRepeatOne, sPossRepeatOneByte, sPossRepeatOneString:
			// <REPEAT_ONE> min max guard item tail
			lo := code[pc+1]
			if lo > end-ptr {
				goto fail
			}
			// countMin (n < 0: fewer than lo; a "." run's characters
			// are not counted), an ASCII run of a set or a byte here
			// without the calls
			switch code[pc+4] {
			case sSet:
				set := prog.sets[code[pc+5]]
				// tbl has no byte from 0x80 up: the ASCII run stops there.
				tbl := [4]uint64{set.ascii[0], set.ascii[1]}
				lim := end
				if mx := code[pc+2]; mx < end-ptr {
					lim = ptr + mx
				}
				q = asciiRun(&tbl, s, ptr, lim)
				n = ptr + lo
				if q < lim && s[q] >= utf8.RuneSelf {
					// count takes the rest of the run from there
					var k int
					a := q - ptr // ASCII characters, one byte each
					q, k = m.count(pc+4, q, code[pc+2]-a)
					switch {
					case a+k < lo:
						n = -1
					case a < lo:
						n = forward(s, ptr, lo)
					}
				} else if q-ptr < lo {
					n = -1
				}
			case sByte:
				b := byte(code[pc+5])
				lim := end
				if mx := code[pc+2]; mx < end-ptr {
					lim = ptr + mx
				}
				q = ptr
				for q < lim && s[q] == b {
					q++
				}
				if n = ptr + lo; q-ptr < lo {
					n = -1
				}
			default:
				q, n = m.countMin(pc+4, ptr, code[pc+2], lo)
			}
			steps += (q - ptr) >> 3
			if n < 0 {
				goto fail
			}
			switch code[pc] {
			case sPossRepeatOne:
				ptr = q
				pc += 6
				continue
			case sPossRepeatOneByte:
				if q >= end || s[q] != byte(code[pc+7]) {
					goto fail
				}
				ptr = q + 1
				pc += 8
				continue
			case sPossRepeatOneString:
				lit := prog.strs[code[pc+7]]
				if len(s)-q < len(lit) || s[q] != lit[0] || s[q:q+len(lit)] != lit {
					goto fail
				}
				ptr = q + len(lit)
				pc += 8
				continue
			}
			f = &frames[fi]
			f.count = n
			ptr = q
			if code[pc+6] == sSuccess && ptr == end {
				sptr = ptr
				goto succeed
			}
			f.lastmark, f.mt = lastmark, len(trail)
			goto repeatOneTry
		case sMinRepeatOne:
			lo := code[pc+1]
			if lo > end-ptr {
				goto fail
			}
			n = 0
			if lo > 0 {
				q, n = m.count(pc+4, ptr, lo)
				if n < lo {
					goto fail
				}
				ptr = q
			}
			if code[pc+6] == sSuccess {
				sptr = ptr
				goto succeed
			}
			f = &frames[fi]
			f.count = n
			f.lastmark, f.mt = lastmark, len(trail)
			goto minRepeatOneTry
		case sRepeat:
			if code[pc+1] == 0 && code[code[pc+3]] == sMaxUntil {
				if g := code[pc+4]; g >= 0 && !prog.guards[g].ok(s, ptr) {
					// What sre does here: REPEAT installs a context
					// and MAX_UNTIL, with count 0, tries an item. The
					// item fails on its first character and is undone
					// (MARK_POP, LASTMARK_RESTORE, count, last_ptr;
					// see MAX_UNTIL below), then MAX_UNTIL runs the
					// tail with the outer context. A failure of the
					// tail passes through MAX_UNTIL_3 and REPEAT
					// without any restore, so the result and every
					// side effect are the tail's: run it here, without
					// the context.
					pc = code[pc+3] + 1
					continue
				}
			}
			// install a new repeat context
			reps = append(reps, sreRepeat{count: -1, pc: pc, prev: repeat, lastPtr: -1})
			repeat = len(reps) - 1
			frames[fi].aux = repeat
			sptr = ptr
			kind, r = jumpRepeat, code[pc+3]
			goto push
		case sMaxUntil:
			if repeat < 0 {
				goto fail // cannot happen: UNTIL only runs inside its REPEAT
			}
			f = &frames[fi]
			f.aux = repeat
			sptr = ptr
			rep = &reps[repeat]
			f.count = rep.count + 1
			if f.count < code[rep.pc+1] {
				// not enough matches
				rep.count = f.count
				kind, r = jumpMaxUntil1, rep.pc+5
				goto push
			}
			if (f.count < code[rep.pc+2] || code[rep.pc+2] == sreUnbounded) && sptr != rep.lastPtr {
				// we may have enough matches, but if we can match
				// another item, do so
				if g := code[rep.pc+4]; g >= 0 && !prog.guards[g].ok(s, sptr) {
					// The item would fail on its first character,
					// after which everything below is restored
					// (MARK_POP, LASTMARK_RESTORE, count, last_ptr).
					goto maxUntilTail
				}
				rep.count = f.count
				f.lastmark, f.mt = lastmark, len(trail)
				f.lp = rep.lastPtr // zero-width match protection
				rep.lastPtr = sptr
				kind, r = jumpMaxUntil2, rep.pc+5
				goto push
			}
			goto maxUntilTail
		case sMinUntil:
			if repeat < 0 {
				goto fail
			}
			f = &frames[fi]
			f.aux = repeat
			sptr = ptr
			rep = &reps[repeat]
			f.count = rep.count + 1
			if f.count < code[rep.pc+1] {
				rep.count = f.count
				kind, r = jumpMinUntil1, rep.pc+5
				goto push
			}
			// see if the tail matches
			repeat = rep.prev
			f.lastmark, f.mt = lastmark, len(trail)
			kind, r = jumpMinUntil2, pc+1
			goto push
		case sPossRepeat:
			sptr = ptr
			frames[fi].count = 0
			goto possRepeatMin
		case sAtomic:
			sptr = ptr
			kind, r = jumpAtomic, pc+2
			goto push
		case sOpt:
			// (?:X)?, see emitRepeat: X, else the tail (here, while
			// the tail is an OPT the guard of which fails too).
			for {
				g := code[pc+2]
				if g < 0 || prog.guards[g].ok(s, ptr) && (prog.guards[g].req == nil || m.reqOK(&prog.guards[g], ptr)) {
					break
				}
				if pc = code[pc+1]; code[pc] != sOpt {
					continue dispatch
				}
			}
			f = &frames[fi]
			f.lastmark, f.mt = lastmark, len(trail)
			sptr = ptr
			kind, r = jumpOpt, pc+3
			goto push
		case sOptLazy:
			// (?:X)??: the tail, else X (which runs on into the tail).
			f = &frames[fi]
			f.lastmark, f.mt = lastmark, len(trail)
			sptr = ptr
			kind, r = jumpOptLazy, code[pc+1]
			goto push
		case sGroupref, sGrouprefASCIIFold, sGrouprefUniFold:
			g := code[pc+1]
			if !groupSet(marks, g, lastmark) {
				goto fail
			}
			if ptr, ok = m.backref(code[pc], ptr, s[marks[g]:marks[g+1]]); !ok {
				goto fail
			}
			pc += 2
		case sGrouprefExists:
			if groupSet(marks, code[pc+1], lastmark) {
				pc += 3
			} else {
				pc = code[pc+2]
			}
		case sAssert:
			if q, ok = back(s, ptr, code[pc+2]); !ok {
				goto fail
			}
			sptr = q
			kind, r = jumpAssert, pc+3
			goto push
		case sAssertPlain, sAssertNotPlain:
			// a lookaround with a plain body, see plainBody
			q, ok = back(s, ptr, code[pc+2])
			if ok = ok && m.plain(pc+3, q); ok != (code[pc] == sAssertPlain) {
				goto fail
			}
			pc = code[pc+1]
		case sAssertNot:
			if q, ok = back(s, ptr, code[pc+2]); !ok {
				pc = code[pc+1]
				continue
			}
			sptr = q
			f = &frames[fi]
			f.lastmark, f.mt = lastmark, len(trail)
			kind, r = jumpAssertNot, pc+3
			goto push
		default:
			goto fail
		}
	}

push:
	// DO_JUMP: save this context and enter a child at r.
	f = &frames[fi]
	f.pc, f.ptr = pc, ptr
	fi++
	if fi == len(frames) {
		// A deep stack costs memory and copying: charge for it, so
		// the budget also bounds the depth.
		steps += len(frames) * growthSteps
		frames = append(frames, sreFrame{})
		frames = frames[:cap(frames)]
	}
	frames[fi].jump = kind
	if kind-jumpAssert <= jumpAtomic-jumpAssert {
		scoped++
	}
	pc = r
	steps++
	if steps > limit {
		err = ErrBacktrackLimit
		ret = false
		goto out
	}
	goto entrance

fail:
	ret = false
	goto exit
succeed:
	ret = true
	if scoped == 0 {
		// Every frame on the stack passes a success up unchanged
		// (apart from repeat bookkeeping that ends with the match):
		// only lookarounds, atomic groups and possessive repeats go
		// on matching after their body succeeds.
		goto out
	}
exit:
	kind = frames[fi].jump
	if kind-jumpAssert <= jumpAtomic-jumpAssert {
		scoped--
	}
	fi--
	if fi < 0 {
		goto out
	}
	f = &frames[fi]
	pc, ptr = f.pc, f.ptr
	switch kind {
	case jumpBranch:
		goto branchResume
	case jumpRepeatOne:
		goto repeatOneResume
	case jumpMinRepeatOne:
		goto minRepeatOneResume
	case jumpRepeat:
		repeat = reps[f.aux].prev
		reps = reps[:f.aux]
		goto exit
	case jumpMaxUntil1, jumpMinUntil1:
		if ret {
			goto exit
		}
		reps[f.aux].count = f.count - 1
		sptr = ptr
		goto fail
	case jumpMaxUntil2:
		rep = &reps[f.aux]
		rep.lastPtr = f.lp
		if ret {
			goto exit
		}
		trail = unwind(marks, trail, f.mt)
		lastmark = f.lastmark
		rep.count = f.count - 1
		sptr = ptr
		goto maxUntilTail
	case jumpMaxUntil3:
		repeat = f.aux
		if ret {
			goto exit
		}
		sptr = ptr
		goto fail
	case jumpMinUntil2:
		repeat = f.aux
		if ret {
			goto exit
		}
		if reps[f.aux].prev >= 0 {
			trail = unwind(marks, trail, f.mt)
		}
		lastmark = f.lastmark
		sptr = ptr
		rep = &reps[f.aux]
		if (f.count >= code[rep.pc+2] && code[rep.pc+2] != sreUnbounded) || sptr == rep.lastPtr {
			goto fail
		}
		rep.count = f.count
		f.lp = rep.lastPtr
		rep.lastPtr = sptr
		kind, r = jumpMinUntil3, rep.pc+5
		goto push
	case jumpMinUntil3:
		rep = &reps[f.aux]
		rep.lastPtr = f.lp
		if ret {
			goto exit
		}
		rep.count = f.count - 1
		sptr = ptr
		goto fail
	case jumpPossRepeat1:
		if !ret {
			sptr = ptr
			goto fail
		}
		f.count++
		goto possRepeatMin
	case jumpPossRepeat2:
		if ret {
			f.count++
			goto possRepeatMore
		}
		trail = unwind(marks, trail, f.mt)
		lastmark = f.lastmark
		sptr = f.aux
		goto possRepeatTail
	case jumpAtomic:
		if !ret {
			sptr = ptr
			goto fail
		}
		pc = code[pc+1]
		ptr = sptr
		goto entrance2
	case jumpOpt:
		if ret {
			goto exit
		}
		trail = unwind(marks, trail, f.mt)
		lastmark = f.lastmark
		pc = code[pc+1]
		goto entrance2
	case jumpOptLazy:
		if ret {
			goto exit
		}
		if repeat >= 0 {
			trail = unwind(marks, trail, f.mt)
		}
		lastmark = f.lastmark
		if g := code[pc+2]; g >= 0 && !prog.guards[g].ok(s, ptr) {
			goto fail
		}
		pc += 3
		goto entrance2
	case jumpAssert:
		if !ret {
			goto fail
		}
		pc = code[pc+1]
		goto entrance2
	case jumpAssertNot:
		if ret {
			goto fail
		}
		if repeat >= 0 {
			trail = unwind(marks, trail, f.mt)
		}
		lastmark = f.lastmark
		pc = code[pc+1]
		goto entrance2
	}
	panic("pyre: bad jump kind")

entrance2:
	// continue dispatching in this context at pc, ptr
	sptr = ptr
	goto entrance

branchTry:
	f = &frames[fi]
	for h := f.aux; code[h] != 0; h = code[h] {
		if g := code[h+1]; g >= 0 && (!prog.guards[g].ok(s, ptr) || prog.guards[g].req != nil && !m.reqOK(&prog.guards[g], ptr)) {
			if repeat < 0 {
				trail = replayMarks(&prog.guards[g], ptr, marks, trail, lastmark)
			}
			continue
		}
		sptr = ptr
		if prog.noStale && lastAlt(prog, code[h], s, ptr) {
			// No other alternative can follow: run this one in place
			// of the branch (see lastAlt).
			pc = h + 2
			goto entrance
		}
		f.aux = h
		kind, r = jumpBranch, h+2
		goto push
	}
	goto fail
branchResume:
	if ret {
		goto exit
	}
	if repeat >= 0 {
		trail = unwind(marks, trail, f.mt)
	}
	lastmark = f.lastmark
	f.aux = code[f.aux]
	goto branchTry

repeatOneTry:
	// ptr is the next candidate end of the repeat, f.count the lowest.
	if g := code[pc+3]; g >= 0 && !prog.guards[g].ok(s, ptr) {
		// (where the guard holds at ptr, lastGuard returns ptr)
		f = &frames[fi]
		if ptr, n, ok = m.lastGuard(&prog.guards[g], f.count, ptr); !ok {
			steps += n
			if repeat < 0 {
				// sre's last attempt was at the lowest position
				trail = replayMarks(&prog.guards[g], f.count, marks, trail, lastmark)
			}
			goto fail
		}
		steps += n
	}
	sptr = ptr
	if ptr == frames[fi].count && prog.noStale {
		// the last end to try: the tail runs in the repeat's context
		// (see lastAlt)
		pc += 6
		goto entrance
	}
	kind, r = jumpRepeatOne, pc+6
	goto push
repeatOneResume:
	if ret {
		goto exit
	}
	if repeat >= 0 {
		trail = unwind(marks, trail, f.mt)
	}
	lastmark = f.lastmark
	if ptr <= f.count {
		goto fail
	}
	ptr = prevRune(s, ptr)
	goto repeatOneTry

minRepeatOneTry:
	f = &frames[fi]
	for code[pc+2] == sreUnbounded || f.count <= code[pc+2] {
		if g := code[pc+3]; g < 0 || prog.guards[g].ok(s, ptr) {
			sptr = ptr
			// where the repeat goes on if the tail fails: after one
			// more item, or -1 (kept in f.aux for the resume)
			q = -1
			if code[pc+2] == sreUnbounded || f.count < code[pc+2] {
				q = m.one(pc+4, ptr)
			}
			if q < 0 && prog.noStale {
				// the repeat cannot take another item: the last
				// try, in the repeat's context (see lastAlt)
				pc += 6
				goto entrance
			}
			f.aux = q
			kind, r = jumpMinRepeatOne, pc+6
			goto push
		} else if repeat < 0 {
			trail = replayMarks(&prog.guards[g], ptr, marks, trail, lastmark)
		}
		if code[pc+4] == sGuarded && code[pc+2] == sreUnbounded {
			// the guard failed at ptr: a tempered dot may skip to
			// where it can hold (see temperedSkip)
			if q, n = m.temperedSkip(pc+4, &prog.guards[code[pc+3]], ptr); q > ptr {
				ptr = q
				f.count += n
				steps += n
				continue
			}
		}
		if q = m.one(pc+4, ptr); q < 0 {
			break
		}
		ptr = q
		f.count++
		steps++
	}
	goto fail
minRepeatOneResume:
	if ret {
		goto exit
	}
	if repeat >= 0 {
		trail = unwind(marks, trail, f.mt)
	}
	lastmark = f.lastmark
	if q = f.aux; q >= 0 {
		ptr = q
		f.count++
		goto minRepeatOneTry
	}
	goto fail

maxUntilTail:
	// cannot match more repeated items here; make sure the tail matches
	repeat = reps[frames[fi].aux].prev
	kind, r = jumpMaxUntil3, pc+1
	goto push

possRepeatMin:
	// pc is the POSSESSIVE_REPEAT opcode; f.count the iterations so far.
	f = &frames[fi]
	if f.count < code[pc+1] {
		kind, r = jumpPossRepeat1, pc+4
		goto push
	}
	f.aux = -1 // the C code's "ptr = NULL"
possRepeatMore:
	f = &frames[fi]
	if (f.count < code[pc+2] || code[pc+2] == sreUnbounded) && sptr != f.aux {
		f.lastmark, f.mt = lastmark, len(trail)
		f.aux = sptr
		kind, r = jumpPossRepeat2, pc+4
		goto push
	}
possRepeatTail:
	pc = code[pc+3]
	ptr = sptr
	goto entrance2

out:
	m.frames, m.reps, m.trail = frames, reps, trail
	m.lastmark, m.sptr, m.steps = lastmark, sptr, steps
	return ret, err
}

// plain matches the plain code (see plainBody) at pc from ptr.
func (m *sreMachine) plain(pc, ptr int) bool {
	s := m.s
	code := m.prog.code
	for {
		switch code[pc] {
		case sSuccess:
			return true
		case sByte:
			if ptr >= len(s) || s[ptr] != byte(code[pc+1]) {
				return false
			}
			ptr++
		case sString:
			lit := m.prog.strs[code[pc+1]]
			if len(s)-ptr < len(lit) || s[ptr:ptr+len(lit)] != lit {
				return false
			}
			ptr += len(lit)
		case sAt:
			if !m.at(ptr, assertKind(code[pc+1])) {
				return false
			}
		default:
			if ptr = m.one(pc, ptr); ptr < 0 {
				return false
			}
		}
		pc += 2
	}
}

// unwind restores the marks recorded on trail beyond length n, newest
// first, and returns the trail cut back to n.
func unwind(marks, trail []int, n int) []int {
	for len(trail) > n {
		marks[trail[len(trail)-2]] = trail[len(trail)-1]
		trail = trail[:len(trail)-2]
	}
	return trail
}

// lastAlt reports whether no alternative from header h on can start at
// ptr (by its guard). Then the one before it is the branch's last try,
// and with noStale (guards replay no marks) it may run in the branch's
// context instead of a child's: if it fails, the branch would fail in
// turn, and the context that receives that failure restores lastmark and
// the marks (inside a repeat) to what they were before the branch, as
// the branch itself would have.
func lastAlt(prog *sreProg, h int, s string, ptr int) bool {
	code := prog.code
	for ; code[h] != 0; h = code[h] {
		if g := code[h+1]; g < 0 || prog.guards[g].ok(s, ptr) {
			return false
		}
	}
	return true
}

// replayMarks applies what an attempt skipped by guard g would have left
// in the marks: its leading MARKs at position p, followed by the failure's
// LASTMARK_RESTORE, which hides every index above lastmark.
func replayMarks(g *sreGuard, p int, marks, trail []int, lastmark int) []int {
	for _, i := range g.marks {
		if i <= lastmark {
			trail = append(trail, i, marks[i])
			marks[i] = p
		}
	}
	return trail
}

// groupSet reports whether the group of marks g and g+1 holds a match
// (GROUPREF's and GROUPREF_EXISTS's test).
func groupSet(marks []int, g, lastmark int) bool {
	return g < lastmark && marks[g] >= 0 && marks[g+1] >= marks[g]
}

// backref matches the text of a group at ptr, comparing code points (as
// lowercase for the folding opcodes).
func (m *sreMachine) backref(op, ptr int, ref string) (int, bool) {
	s := m.s[ptr:]
	if op == sGroupref && strings.HasPrefix(s, ref) {
		return ptr + len(ref), true
	}
	fold := caseMode{ascii: op == sGrouprefASCIIFold}
	i := 0
	for _, a := range ref {
		if i >= len(s) {
			return 0, false
		}
		b, n := utf8.DecodeRuneInString(s[i:])
		if a != b && (op == sGroupref || fold.lower(a) != fold.lower(b)) {
			return 0, false
		}
		i += n
	}
	return ptr + i, true
}

// asciiRun returns the end of the run of bytes in tbl that starts at p in
// s, no further than lim. tbl holds no byte from utf8.RuneSelf up, so the
// run stops at a non-ASCII character.
func asciiRun(tbl *[4]uint64, s string, p, lim int) int {
	for ; p < lim; p++ {
		if c := s[p]; tbl[c>>6]&(1<<(c&63)) == 0 {
			break
		}
	}
	return p
}

// begin prepares m for a search of s with a step budget of limit (-1:
// none): no steps taken, the guards' scan budget and memo fresh.
func (m *sreMachine) begin(s string, limit int) {
	m.s, m.steps, m.limit = s, 0, limit
	m.reqBudget = reqScans*len(s) + reqSlack
	if m.reqGen++; m.reqGen == 0 { // wrapped: forget every old scan
		clear(m.reqMemo)
		m.reqGen = 1
	}
}

// reset prepares m for an attempt at a new start position
// (RESET_CAPTURE_GROUP plus emptied stacks).
func (m *sreMachine) reset() {
	m.lastmark = -1
	m.repeat = -1
}

// search mirrors SRE(search) (anchored: pattern_match), skipping start
// positions where the program cannot match.
func (m *sreMachine) search(anchored bool, from int) (int, bool, error) {
	p := m.prog
	s := m.s
	try := func(pos int) (bool, error) {
		m.reset()
		m.steps++
		if m.steps > m.limit && m.limit >= 0 {
			return false, ErrBacktrackLimit
		}
		if m.firstPathOn() {
			if ok, sure := m.firstPath(pos); sure {
				return ok, nil
			}
			m.reset()
		}
		return m.match(pos)
	}
	if anchored {
		ok, err := try(from)
		return from, ok, err
	}
	if p.start == startText {
		if from > 0 {
			return 0, false, nil // the pattern matches only at the start of s
		}
		if p.pivot != nil && !p.pivot.near(s, 0) {
			return 0, false, nil
		}
		ok, err := try(0)
		return 0, ok, err
	}
	if p.pivot != nil && (p.start == startAnywhere || p.start == startGuard) {
		return m.pivotSearch(from, try)
	}
	if set := p.startSet; set != nil && (p.start == startAnywhere || p.start == startGuard) {
		// every match consumes a first character, from set (and the
		// start guard holds there)
		var g *sreGuard
		if p.start == startGuard {
			g = &p.guards[p.guard]
		}
		k := p.startRun
		lead := &p.startBytes
		for pos := from; pos < len(s); {
			c := s[pos]
			if lead[c>>6]&(1<<(c&63)) == 0 {
				if c < utf8.RuneSelf {
					pos++
				} else {
					pos += runeLen(s, pos)
				}
				continue
			}
			if c >= utf8.RuneSelf {
				r, w := utf8.DecodeRuneInString(s[pos:])
				if (r == utf8.RuneError && !p.startFFFD) || (r != utf8.RuneError && !set.has(r)) {
					pos += w
					continue
				}
			}
			if k > 1 {
				// a match starts with k characters of the set: skip
				// a shorter run whole
				n, q := 1, pos+runeLen(s, pos)
				for ; n < k && q < len(s); n++ {
					if c := s[q]; c < utf8.RuneSelf {
						if !set.hasByte(c) {
							break
						}
						q++
					} else if set.has(decodeAt(s, q)) {
						q += runeLen(s, q)
					} else {
						break
					}
				}
				if n < k {
					m.steps += (q - pos) >> 3
					pos = q // not in the set, or the end
					continue
				}
			}
			if g == nil || g.ok(s, pos) {
				if ok, err := try(pos); ok || err != nil {
					return pos, ok, err
				}
			}
			pos += runeLen(s, pos)
		}
		return 0, false, nil
	}
	switch p.start {
	case startLine:
		pos := from
		if pos > 0 && s[pos-1] != '\n' {
			i := strings.IndexByte(s[pos:], '\n')
			if i < 0 {
				return 0, false, nil
			}
			pos += i + 1
		}
		for {
			if ok, err := try(pos); ok || err != nil {
				return pos, ok, err
			}
			i := strings.IndexByte(s[pos:], '\n')
			if i < 0 {
				return 0, false, nil
			}
			m.steps += i >> 3
			pos += i + 1
		}
	case startString:
		for pos := from; ; {
			i := strings.Index(s[pos:], p.prefix)
			if i < 0 {
				return 0, false, nil
			}
			m.steps += i >> 3
			pos += i
			if ok, err := try(pos); ok || err != nil {
				return pos, ok, err
			}
			pos++
		}
	case startGuard:
		g := &p.guards[p.guard]
		if g.set == nil {
			for pos := from; ; {
				i := strings.IndexByte(s[pos:], g.b)
				if i < 0 {
					return 0, false, nil
				}
				m.steps += i >> 3
				pos += i
				if ok, err := try(pos); ok || err != nil {
					return pos, ok, err
				}
				pos++
			}
		}
		for pos := from; pos < len(s); pos += runeLen(s, pos) {
			if !g.ok(s, pos) {
				continue
			}
			if ok, err := try(pos); ok || err != nil {
				return pos, ok, err
			}
		}
		return 0, false, nil
	}
	for pos := from; ; pos += runeLen(s, pos) {
		if ok, err := try(pos); ok || err != nil {
			return pos, ok, err
		}
		if pos >= len(s) {
			return 0, false, nil
		}
	}
}

// release drops the input and any deep stacks before m goes back to the
// pool.
func (m *sreMachine) release() {
	m.s = ""
	if cap(m.frames) > maxPooledFrames {
		m.frames = nil
	}
	if cap(m.trail) > maxPooledFrames {
		m.trail = nil
	}
	if cap(m.reps) > maxPooledFrames {
		m.reps = nil
	}
}

// spans appends the match spans to dst[:0], as Python's match object
// reads them from the marks.
func (m *sreMachine) spans(dst []int, start int) []int {
	n := 2 * (m.prog.ngroups + 1)
	if cap(dst) < n {
		dst = make([]int, n)
	}
	dst = dst[:n]
	dst[0], dst[1] = start, m.sptr
	// a group whose marks lastmark covers, set both; the others unset
	out, marks := dst[2:], m.marks
	seen := min(max(m.lastmark+1, 0)&^1, len(out), len(marks))
	for j := 0; j < seen; j += 2 {
		if a, b := marks[j], marks[j+1]; a >= 0 && b >= 0 {
			out[j], out[j+1] = a, b
		} else {
			out[j], out[j+1] = -1, -1
		}
	}
	for j := seen; j < len(out); j++ {
		out[j] = -1
	}
	return dst
}
