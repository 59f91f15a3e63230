package pyre

import (
	"strings"
	"unicode/utf8"
)

// This file is the matcher's first path: most searches that match at a
// position do so on the path match tries first, every alternative, optional
// body and repeat taking its first choice, or after taking back a few of
// those choices. match saves a context at each choice in case the rest
// fails; firstPath runs the same instructions in the same order, each
// compiled into a closure (fpOp), and keeps a stack of the choices whose
// other way it can take itself (pending choices, fpPending): an
// alternative's later ones, an optional body's tail, a greedy run's
// shorter ends and a lazy one's longer ones, another item of a repeat.
//
// match returns at its first SUCCESS, and on the way there it writes
// exactly what firstPath writes (the marks, lastmark, the end), so when
// firstPath reaches SUCCESS the result is match's. When it fails before
// any choice, match fails at that position too. When it fails after the
// latest pending choice and before any choice it cannot take back, having
// written no mark that can be seen since, match goes back to that choice
// and takes its other way with lastmark restored (the marks above it are
// then hidden): so does the first path, and again for the pending choice
// before it when that way fails too, up to fpBacksMax times. In every
// other case (a failure after a choice it cannot take back, a mark that
// can be seen or a repeat's next item, or an opcode it does not run: a
// lazy REPEAT, a repeat inside a repeat or of more than fpRepeatMax items,
// possessive repeats and atomic groups with a body, lookarounds with a
// body of their own), it reports that it is not sure, and match runs from
// the start; firstPath's writes are then hidden, as lastmark starts again
// at -1 and a mark above lastmark is never read.
//
// Where match would try a choice that fails before any choice of its own,
// and leave no mark that can be seen, the first path passes over it as
// match does, by what it knows of the code there (fpLead): the text every
// match of a single-character repeat's tail starts with (so a greedy run
// ends where that text last is, as with " from " after the user name, and
// a lazy one where it first is), and the texts an optional body starts
// with. A greedy run takes no choice where no shorter one could be
// followed by its tail: when the tail is one character of the run's set
// and then code that fails on any of them (lastItemOnly: the end before
// the run's last character is the only one, as for the DNS name of
// <HOST> before a port and $), or an end anchor that cannot hold at any
// shorter end (shorterEnd: $ after \s*).
//
// The first path only goes forward in the code but for a repeat's items
// (a jump back elsewhere is left to match), and takes at most fpBacksMax
// choices back, so its work is bounded by the program's size times the
// text's length.

// firstPathMinTries, firstPathMaxBails, firstPathRetry and
// firstPathWindow decide when a machine tries the first path: always for
// its first firstPathMinTries attempts, then while at most one in
// firstPathMaxBails left the work to match (a pattern whose matches
// usually backtrack would pay for both), else once every firstPathRetry
// searches; the counts are halved at firstPathWindow, so that what the
// recent lines did decides.
const (
	firstPathMinTries = 16
	firstPathMaxBails = 2
	firstPathRetry    = 256
	firstPathWindow   = 1024
)

// firstPathMode says when a program's searches try the first path.
type firstPathMode uint8

const (
	firstPathAuto   firstPathMode = iota // while it pays (firstPathOn)
	firstPathNever                       // for tests: match alone
	firstPathAlways                      // for tests: whatever it costs
)

// firstPathOn reports whether m tries the first path.
func (m *sreMachine) firstPathOn() bool {
	switch m.prog.firstPath {
	case firstPathNever:
		return false
	case firstPathAlways:
		return true
	}
	if m.fpTries < firstPathMinTries || m.fpBails*firstPathMaxBails <= m.fpTries {
		return true
	}
	m.fpSkips++
	return m.fpSkips%firstPathRetry == 0
}

// fpOp runs one instruction of the first path at ptr and returns the op
// of the next one and the new position, or nil when the path ends, with
// m.fpEnd saying how (fpFail, fpUnsure, or fpDone: a SUCCESS at the
// position returned). The ops are closures made at compile time
// (compileFirstPath), with the instruction's operands and the ops that
// follow bound: the first path is the hot part of most searches, and a
// small function per instruction keeps its work in registers, where one
// loop over all of them did not.
type fpOp func(m *sreMachine, ptr int) (fpOp, int)

// How a first path ends (sreMachine.fpEnd).
const (
	fpFail   int8 = iota // a failure: final unless a choice was taken
	fpUnsure             // an opcode the first path does not run
	fpDone               // SUCCESS
)

// firstPath runs the program at start along its first path (see above). ok
// is the result when sure is true; otherwise m must run match.
func (m *sreMachine) firstPath(start int) (ok, sure bool) {
	if m.fpTries++; m.fpTries == firstPathWindow {
		m.fpTries, m.fpBails = m.fpTries/2, m.fpBails/2
	}
	steps := m.steps
	m.lastmark, m.fpChoices, m.fpRep.rep, m.fpPends, m.fpBacks = -1, 0, nil, 0, 0
	op, ptr := m.prog.fpStart, start
	for {
		for op != nil {
			op, ptr = op(m, ptr)
		}
		if m.fpEnd != fpFail || m.fpPends == 0 {
			break
		}
		if op, ptr = m.takeBack(); op == nil {
			break
		}
	}
	switch {
	case m.fpEnd == fpDone:
		m.sptr = ptr
		return true, true
	case m.fpEnd == fpFail && m.fpChoices == 0:
		m.lastmark = -1
		return false, true
	}
	m.steps = steps
	m.fpBails++
	return false, false
}

// end ends the first path at ptr, how saying how.
func (m *sreMachine) end(how int8, ptr int) (fpOp, int) {
	m.fpEnd = how
	return nil, ptr
}

// choose records that the first path took a choice it cannot take back:
// a later failure is not final, and the pending choices before it can no
// longer be taken back either.
func (m *sreMachine) choose() {
	m.fpChoices++
	m.fpPends = 0
	m.steps++
}

// fpPending is one of the first path's pending choices: a choice it took
// where it can still take the other way itself, as long as what it tried
// fails before any choice it cannot take back (choose, which drops the
// pending choices) and writes no mark that can be seen. op at ptr is the
// other way, with m.fpAux set to aux (what a repeat's op needs to go on:
// where its shortest run ends, or the items it took), lastmark what it
// was.
type fpPending struct {
	op                 fpOp // nil: none
	ptr, lastmark, aux int
}

// The pending choices are a stack, m.fpPend[:m.fpPends], the latest
// last, at most fpPendMax: a choice taken with fpPendMax there makes
// those choices the first path cannot take back. Each choice is one
// store where it goes; the stack is never copied.
// fpBacksMax bounds the pending choices one first path takes back: past
// that, the search is left to match (whose steps count the work), so
// that the first path's work stays within a constant times the
// program's size and the text's length.
const (
	fpPendMax  = 16
	fpBacksMax = 64
)

// pend takes a choice whose other way is op at ptr.
func (m *sreMachine) pend(op fpOp, ptr int) { m.pendAux(op, ptr, 0) }

// pendAux takes a choice whose other way is op at ptr, run with m.fpAux
// set to aux.
func (m *sreMachine) pendAux(op fpOp, ptr, aux int) {
	n := m.fpPends
	if n >= fpPendMax {
		m.fpChoices++
		n = 0
	}
	m.steps++
	m.fpPend[n%fpPendMax] = fpPending{op: op, ptr: ptr, lastmark: m.lastmark, aux: aux}
	m.fpPends = n + 1
}

// takeBack takes the latest pending choice back, after what it tried
// failed before any other choice and wrote no mark that can be seen: as
// match does, it restores lastmark and returns the other way (the repeat
// is as it was: a repeat's UNTIL settles every pending choice). It
// returns a nil op past fpBacksMax, the first path then unsure.
func (m *sreMachine) takeBack() (fpOp, int) {
	if m.fpBacks++; m.fpBacks > fpBacksMax {
		m.fpEnd = fpUnsure // match's, which counts its steps
		return nil, 0
	}
	m.fpPends--
	pd := &m.fpPend[m.fpPends%fpPendMax]
	m.lastmark, m.fpAux = pd.lastmark, pd.aux
	return pd.op, pd.ptr
}

// settle makes the pending choices ones the first path cannot take back.
func (m *sreMachine) settle() {
	if m.fpPends != 0 {
		m.choose()
	}
}

// fpBuilder makes the ops of a program, each after those it goes on to
// (the first path only jumps forward, but for a repeat's items, whose
// UNTIL's op is made before them; another jump back is left to match).
type fpBuilder struct {
	p     *sreProg
	ops   []fpOp
	busy  []bool          // being made: a jump back to it is left to match
	leads map[int]*fpLead // by the pc of the op they are the lead of
}

// compileFirstPath makes p.fpStart: the op at pc 0, and through it those
// of every instruction the first path can reach. repOne and opts are the
// REPEAT_ONE-like opcodes and the OPTs, whose leads the ops may use.
func (p *sreProg) compileFirstPath(repOne, opts []int) {
	b := &fpBuilder{p: p, ops: make([]fpOp, len(p.exec)), busy: make([]bool, len(p.exec)), leads: p.leads(repOne, opts)}
	p.fpStart = b.op(0)
}

// op returns the op of the instruction at pc, made once.
func (b *fpBuilder) op(pc int) fpOp {
	if op := b.ops[pc]; op != nil {
		return op
	}
	if b.busy[pc] {
		return func(m *sreMachine, ptr int) (fpOp, int) { return m.end(fpUnsure, ptr) }
	}
	b.busy[pc] = true
	op := b.p.fpOpAt(b, pc)
	b.ops[pc] = op
	return op
}

// next returns the op the first path goes on to at pc: past the JUMPs
// there.
func (b *fpBuilder) next(pc int) fpOp { return b.op(b.p.fpNext(pc)) }

// fpNext is where the first path goes on to pc: past the JUMPs there.
func (p *sreProg) fpNext(pc int) int {
	for range len(p.exec) {
		if p.exec[pc] != sJump {
			break
		}
		pc = p.exec[pc+1]
	}
	return pc
}

// fpOpAt makes the op of the instruction at pc.
func (p *sreProg) fpOpAt(b *fpBuilder, pc int) fpOp {
	code := p.exec
	switch op := code[pc]; op {
	case sSuccess:
		return func(m *sreMachine, ptr int) (fpOp, int) { return m.end(fpDone, ptr) }
	case sByte:
		c, next := byte(code[pc+1]), b.next(pc+2)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if s := m.s; ptr < len(s) && s[ptr] == c {
				return next, ptr + 1
			}
			return m.end(fpFail, ptr)
		}
	case sString:
		lit, next := p.strs[code[pc+1]], b.next(pc+2)
		short := makeShortLit(lit)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if short.hasPrefixAt(m.s, ptr, lit) {
				return next, ptr + len(lit)
			}
			return m.end(fpFail, ptr)
		}
	case sSet:
		set, next := p.sets[code[pc+1]], b.next(pc+2)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			s := m.s
			if ptr < len(s) && s[ptr] < utf8.RuneSelf {
				if c := s[ptr]; set.ascii[c>>6]&(1<<(c&63)) != 0 {
					return next, ptr + 1
				}
				return m.end(fpFail, ptr)
			}
			if q := m.one(pc, ptr); q >= 0 {
				return next, q
			}
			return m.end(fpFail, ptr)
		}
	case sRune, sAny, sAnyAll:
		next := b.next(pc + 2)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if q := m.one(pc, ptr); q >= 0 {
				return next, q
			}
			return m.end(fpFail, ptr)
		}
	case sAt:
		kind, next := assertKind(code[pc+1]), b.next(pc+2)
		if kind == atBeginText {
			return func(m *sreMachine, ptr int) (fpOp, int) {
				if ptr == 0 {
					return next, ptr
				}
				return m.end(fpFail, ptr)
			}
		}
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if m.at(ptr, kind) {
				return next, ptr
			}
			return m.end(fpFail, ptr)
		}
	case sMark:
		i, next := code[pc+1], b.next(pc+2)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if i > m.lastmark {
				for j := m.lastmark + 1; j < i; j++ {
					m.marks[j] = -1
				}
				m.lastmark = i
			} else if m.fpPends != 0 {
				// a mark that can be seen: match would undo it
				// before it takes a pending choice's other way
				m.settle()
			}
			m.marks[i] = ptr
			return next, ptr
		}
	case sJump:
		next := b.next(pc)
		return func(m *sreMachine, ptr int) (fpOp, int) { return next, ptr }
	case sBranch:
		return p.fpBranch(b, pc)
	case sRepeatOne, sPossRepeatOne, sPossRepeatOneByte, sPossRepeatOneString:
		return p.fpRepeatOne(b, pc)
	case sMinRepeatOne:
		return p.fpMinRepeatOne(b, pc)
	case sOpt:
		// the body when its guard holds (skipping it is the choice
		// left), else the tail
		g, body, tail := code[pc+2], b.next(pc+3), b.next(code[pc+1])
		var guard *sreGuard
		if g >= 0 {
			guard = &p.guards[g]
		}
		lead := b.leads[pc]
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if guard != nil && !guard.ok(m.s, ptr) {
				return tail, ptr
			}
			if lead != nil && lead.minMark > m.lastmark && !lead.at(m.s, ptr) {
				return tail, ptr // the body fails before any choice
			}
			if guard != nil && guard.req != nil && !m.reqOK(guard, ptr) {
				return tail, ptr
			}
			m.pend(tail, ptr)
			return body, ptr
		}
	case sOptLazy:
		// the tail first, the body left to try (when its guard holds)
		tail, body := b.next(code[pc+1]), b.next(pc+3)
		var guard *sreGuard
		if g := code[pc+2]; g >= 0 {
			guard = &p.guards[g]
		}
		other := func(m *sreMachine, ptr int) (fpOp, int) {
			if guard != nil && !guard.ok(m.s, ptr) {
				return m.end(fpFail, ptr)
			}
			return body, ptr
		}
		return func(m *sreMachine, ptr int) (fpOp, int) {
			m.pend(other, ptr)
			return tail, ptr
		}
	case sRepeat:
		if code[code[pc+3]] == sMaxUntil {
			return p.fpRepeat(b, pc)
		}
	case sGroupref, sGrouprefASCIIFold, sGrouprefUniFold:
		g, next := code[pc+1], b.next(pc+2)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			marks := m.marks
			if !groupSet(marks, g, m.lastmark) {
				return m.end(fpFail, ptr)
			}
			q, ok := m.backref(op, ptr, m.s[marks[g]:marks[g+1]])
			if !ok {
				return m.end(fpFail, ptr)
			}
			return next, q
		}
	case sGrouprefExists:
		g, yes, no := code[pc+1], b.next(pc+3), b.next(code[pc+2])
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if groupSet(m.marks, g, m.lastmark) {
				return yes, ptr
			}
			return no, ptr
		}
	case sAssertPlain, sAssertNotPlain:
		n, next, want := code[pc+2], b.next(code[pc+1]), op == sAssertPlain
		return func(m *sreMachine, ptr int) (fpOp, int) {
			q, in := back(m.s, ptr, n)
			if (in && m.plain(pc+3, q)) != want {
				return m.end(fpFail, ptr)
			}
			return next, ptr
		}
	case sFailure:
		return func(m *sreMachine, ptr int) (fpOp, int) { return m.end(fpFail, ptr) }
	}
	return func(m *sreMachine, ptr int) (fpOp, int) { return m.end(fpUnsure, ptr) }
}

// fpAlt is one alternative of a BRANCH for the first path.
type fpAlt struct {
	guard *sreGuard // nil: none
	g     int       // its index
	body  fpOp
	// first holds the bytes the guard lets through, later those of the
	// alternatives after this one: copies, so that the choice reads the
	// alternatives' slice alone.
	first, later fpStarts
	req, replay  bool // the guard has literal text, or marks to replay
}

// fpStarts is the set of the bytes an alternative can start with, a bit
// each, and the end of the text (fpAtEnd), where an alternative with no
// guard alone can start.
type fpStarts [5]uint64

// fpAtEnd is fpStarts' word and bit of the end of the text.
const fpAtEnd = 4

// fpBranch makes the op of the BRANCH at pc: the first alternative the
// guards let through; another one after it is a choice left behind.
func (p *sreProg) fpBranch(b *fpBuilder, pc int) fpOp {
	code := p.exec
	var alts []fpAlt
	for h := pc + 1; code[h] != 0; h = code[h] {
		a := fpAlt{g: code[h+1], body: b.next(h + 2)}
		if a.g >= 0 {
			a.guard = &p.guards[a.g]
			copy(a.first[:], a.guard.bytes[:])
			a.req, a.replay = a.guard.req != nil, len(a.guard.marks) > 0
		} else {
			a.first = fpStarts{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), 1}
		}
		alts = append(alts, a)
	}
	for j := len(alts) - 2; j >= 0; j-- {
		// the bytes some alternative after j can start with (lastAlt)
		for k := range alts[j].later {
			alts[j].later[k] = alts[j+1].first[k] | alts[j+1].later[k]
		}
	}
	// from[i] tries the alternatives from the ith on: from[0] is the
	// BRANCH, from[i+1] the other way of a choice of the ith
	from := make([]fpOp, len(alts)+1)
	from[len(alts)] = func(m *sreMachine, ptr int) (fpOp, int) { return m.end(fpFail, ptr) }
	noStale := p.noStale
	for i := len(alts) - 1; i >= 0; i-- {
		from[i] = func(m *sreMachine, ptr int) (fpOp, int) {
			w, bit := fpAtEnd, uint64(1)
			if s := m.s; ptr < len(s) {
				c := s[ptr]
				w, bit = int(c>>6), uint64(1)<<(c&63)
			}
			for j := i; j < len(alts); j++ {
				a := &alts[j]
				if a.first[w]&bit != 0 && (!a.req || m.reqOK(a.guard, ptr)) {
					// without noStale (or with an alternative after
					// this one that can start here) the others are
					// a choice left (lastAlt)
					if !noStale || a.later[w]&bit != 0 {
						m.pend(from[j+1], ptr)
					}
					return a.body, ptr
				}
				if a.replay {
					m.fpReplay(a.g, ptr, m.lastmark)
				}
			}
			return m.end(fpFail, ptr)
		}
	}
	return from[0]
}

// shortLit is a literal of one to eight bytes as a little-endian word
// and the mask of its bytes, tested against eight bytes of the text at
// once (no call of the runtime's comparison, which costs more than the
// test itself on such literals); the zero shortLit stands for a longer
// or empty literal.
type shortLit struct{ word, mask uint64 }

func makeShortLit(lit string) shortLit {
	if len(lit) == 0 || len(lit) > 8 {
		return shortLit{}
	}
	var l shortLit
	for i := 0; i < len(lit); i++ {
		l.word |= uint64(lit[i]) << (8 * i)
		l.mask |= 0xff << (8 * i)
	}
	return l
}

// hasPrefixAt reports whether s[ptr:] starts with lit, whose shortLit is
// l.
func (l shortLit) hasPrefixAt(s string, ptr int, lit string) bool {
	if l.mask != 0 && ptr >= 0 && ptr+8 <= len(s) {
		return load64(s, ptr)&l.mask == l.word
	}
	return strings.HasPrefix(s[ptr:], lit)
}

// fpRepeatOne makes the op of the REPEAT_ONE (or possessive one) at pc.
func (p *sreProg) fpRepeatOne(b *fpBuilder, pc int) fpOp {
	code := p.exec
	run := p.fpRunAt(pc)
	lo := run.lo
	switch code[pc] {
	case sPossRepeatOne:
		next := b.next(pc + 6)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if lo > len(m.s)-ptr {
				return m.end(fpFail, ptr)
			}
			q, ok := run.setRun(m.s, ptr) // scan, its commonest case inlined
			n := run.shortest(ptr, q)
			if !ok {
				q, n = run.scanMore(m, ptr)
			}
			m.steps += (q - ptr) >> 3
			if n < 0 {
				return m.end(fpFail, ptr)
			}
			return next, q
		}
	case sPossRepeatOneByte:
		c, next := byte(code[pc+7]), b.next(pc+8)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			s := m.s
			if lo > len(s)-ptr {
				return m.end(fpFail, ptr)
			}
			q, ok := run.setRun(m.s, ptr) // scan, its commonest case inlined
			n := run.shortest(ptr, q)
			if !ok {
				q, n = run.scanMore(m, ptr)
			}
			m.steps += (q - ptr) >> 3
			if n < 0 || q >= len(s) || s[q] != c {
				return m.end(fpFail, ptr)
			}
			return next, q + 1
		}
	case sPossRepeatOneString:
		lit, next := p.strs[code[pc+7]], b.next(pc+8)
		short := makeShortLit(lit)
		return func(m *sreMachine, ptr int) (fpOp, int) {
			if lo > len(m.s)-ptr {
				return m.end(fpFail, ptr)
			}
			q, ok := run.setRun(m.s, ptr) // scan, its commonest case inlined
			n := run.shortest(ptr, q)
			if !ok {
				q, n = run.scanMore(m, ptr)
			}
			m.steps += (q - ptr) >> 3
			if n < 0 || !short.hasPrefixAt(m.s, q, lit) {
				return m.end(fpFail, ptr)
			}
			return next, q + len(lit)
		}
	}
	tail := b.next(pc + 6)
	if p.lastOne[pc] && code[pc] == sRepeatOne {
		return fpLastOne(run, tail)
	}
	toEnd := code[pc+6] == sSuccess
	lead := b.leads[pc]
	var guard *sreGuard
	if g := code[pc+3]; g >= 0 {
		guard = &p.guards[g]
	}
	endKind, endOnly := endAnchorAt(code, pc+6)
	endOnly = endOnly && p.noStale
	gr := &fpGreedy{lead: lead, guard: guard, tail: tail, endKind: endKind, endOnly: endOnly}
	gr.shorter = gr.shorterOp
	return func(m *sreMachine, ptr int) (fpOp, int) {
		if lo > len(m.s)-ptr {
			return m.end(fpFail, ptr)
		}
		q, ok := run.setRun(m.s, ptr) // scan, its commonest case inlined
		n := run.shortest(ptr, q)
		if !ok {
			q, n = run.scanMore(m, ptr)
		}
		m.steps += (q - ptr) >> 3
		if n < 0 {
			return m.end(fpFail, ptr)
		}
		if toEnd && q == len(m.s) {
			return m.end(fpDone, q)
		}
		if lead == nil && (guard == nil || guard.ok(m.s, q)) {
			// the tail after the longest run (gr.pick's commonest case)
			if q > n && (!endOnly || shorterEnd(m.s, endKind, n, q)) {
				m.pendAux(gr.shorter, q, n)
			}
			return tail, q
		}
		return gr.pick(m, q, n)
	}
}

// fpGreedy is what the first path needs of a greedy REPEAT_ONE to choose
// its run.
type fpGreedy struct {
	lead    *fpLead   // the tail's, or nil
	guard   *sreGuard // the tail's, or nil
	tail    fpOp
	shorter fpOp // shorterOp
	// endOnly: the tail starts with the end anchor endKind, so that a
	// shorter run is worth a choice only where the anchor could hold
	// (shorterEnd); the tail's writes at the others are never read
	// (noStale).
	endKind assertKind
	endOnly bool
}

// pick goes on to the tail after the longest run, from n to at most hi,
// that match tries the tail after; a shorter one is a choice left
// (shorterOp, with n as its aux).
func (gr *fpGreedy) pick(m *sreMachine, hi, n int) (fpOp, int) {
	s := m.s
	if lead := gr.lead; lead != nil && lead.minMark > m.lastmark {
		t := lead.texts[0]
		// The longest run after which the tail's text follows: match
		// tries the longer runs first, and the tail fails on each
		// before any choice, leaving no mark that can be seen. Another
		// run the text follows is a choice left.
		k, more := lastIndexMore(s[n:min(hi+len(t), len(s))], t)
		m.steps += (hi - n - max(k, 0)) >> 3
		if k < 0 {
			return m.end(fpFail, hi)
		}
		if more {
			m.pendAux(gr.shorter, n+k, n)
		}
		return gr.tail, n + k
	}
	ptr := hi
	if guard := gr.guard; guard != nil && !guard.ok(s, ptr) {
		// the longest run after which the tail can start
		var k int
		var ok bool
		ptr, k, ok = m.lastGuard(guard, n, ptr)
		m.steps += k
		if !ok {
			if len(guard.marks) > 0 {
				// match replays the tail's marks at each run it
				// tries (replayMarks): a pending choice's other way
				// could see them
				m.settle()
			}
			return m.end(fpFail, ptr)
		}
	}
	if ptr > n && (!gr.endOnly || shorterEnd(s, gr.endKind, n, ptr)) {
		m.pendAux(gr.shorter, ptr, n) // shorter runs are left to try
	}
	return gr.tail, ptr
}

// shorterOp is the op of a greedy run's choice left: the runs shorter
// than the one that ends at ptr, the shortest ending at m.fpAux.
func (gr *fpGreedy) shorterOp(m *sreMachine, ptr int) (fpOp, int) {
	n := m.fpAux
	if gr.endOnly && (gr.lead == nil || gr.lead.minMark <= m.lastmark) {
		// the tail fails at once where its end anchor cannot hold (and
		// what it writes there is never read)
		e := endBefore(m.s, gr.endKind, n, ptr)
		if e < 0 {
			return m.end(fpFail, ptr)
		}
		return gr.pick(m, e, n)
	}
	return gr.pick(m, prevRune(m.s, ptr), n)
}

// fpLastOne makes the op of a REPEAT_ONE of run after which only the end
// one item before the run's end can be followed by the tail
// (lastItemOnly): no choice is left.
func fpLastOne(run *fpRun, tail fpOp) fpOp {
	return func(m *sreMachine, ptr int) (fpOp, int) {
		if run.lo > len(m.s)-ptr {
			return m.end(fpFail, ptr)
		}
		q, ok := run.setRun(m.s, ptr) // scan, its commonest case inlined
		n := run.shortest(ptr, q)
		if !ok {
			q, n = run.scanMore(m, ptr)
		}
		m.steps += (q - ptr) >> 3
		if n < 0 || q == n {
			return m.end(fpFail, ptr)
		}
		last := prevRune(m.s, q)
		m.steps += last - n // the ends match tries in vain
		return tail, last
	}
}

// shorterEnd reports whether the end anchor k can hold at a position in
// [lo, hi) of s.
func shorterEnd(s string, k assertKind, lo, hi int) bool { return endBefore(s, k, lo, hi) >= 0 }

// endBefore returns the last position in [lo, hi) of s where the end
// anchor k can hold, or -1.
func endBefore(s string, k assertKind, lo, hi int) int {
	switch k {
	case atEndTextOptNL:
		if last := len(s) - 1; last >= lo && last < hi && s[last] == '\n' {
			return last
		}
	case atEndLine:
		if i := strings.LastIndexByte(s[lo:hi], '\n'); i >= 0 {
			return lo + i
		}
	}
	return -1 // \Z: only at the end, which no shorter run reaches
}

// fpMinRepeatOne makes the op of the MIN_REPEAT_ONE at pc.
func (p *sreProg) fpMinRepeatOne(b *fpBuilder, pc int) fpOp {
	code := p.exec
	lo, mx, tail := code[pc+1], code[pc+2], b.next(pc+6)
	toEnd := code[pc+6] == sSuccess
	unbounded := mx == sreUnbounded
	g := code[pc+3]
	var guard *sreGuard
	if g >= 0 {
		guard = &p.guards[g]
	}
	lead, item := b.leads[pc], code[pc+4]
	lz := &fpLazy{pc: pc, mx: mx, unbounded: unbounded, g: g, guard: guard, lead: lead, item: item, tail: tail}
	lz.more = lz.moreOp
	return func(m *sreMachine, ptr int) (fpOp, int) {
		if lo > len(m.s)-ptr {
			return m.end(fpFail, ptr)
		}
		n := 0
		if lo > 0 {
			var q int
			if q, n = m.count(pc+4, ptr, lo); n < lo {
				return m.end(fpFail, ptr)
			}
			ptr = q
		}
		if toEnd {
			return m.end(fpDone, ptr)
		}
		return lz.fewest(m, ptr, n)
	}
}

// fpLazy is what the first path needs of a MIN_REPEAT_ONE to choose its
// run.
type fpLazy struct {
	pc, mx    int
	unbounded bool
	g         int       // the tail's guard's index (-1: none)
	guard     *sreGuard // and the guard, or nil
	lead      *fpLead   // the tail's, or nil
	item      int       // the item's opcode
	tail      fpOp
	more      fpOp // moreOp
}

// fewest goes on to the tail after the fewest items, from n items ending
// at ptr, that match tries the tail after; more items are a choice left
// (moreOp, with the items as its aux).
func (lz *fpLazy) fewest(m *sreMachine, ptr, n int) (fpOp, int) {
	pc, mx, unbounded := lz.pc, lz.mx, lz.unbounded
	if lead := lz.lead; lead != nil && lead.minMark > m.lastmark {
		// The fewest items after which the tail's text follows: match
		// tries the tail after fewer first, and it fails on each
		// before any choice, leaving no mark that can be seen.
		s := m.s
		k := strings.Index(s[ptr:], lead.texts[0])
		if k < 0 {
			return m.end(fpFail, ptr)
		}
		if k > 0 {
			items := utf8.RuneCountInString(s[ptr : ptr+k])
			if !unbounded && n+items > mx {
				return m.end(fpFail, ptr)
			}
			c := items
			switch lz.item {
			case sAny:
				if i := strings.IndexByte(s[ptr:ptr+k], '\n'); i >= 0 {
					c = -1
				}
			case sSet, sByte, sGuarded:
				_, c = m.count(pc+4, ptr, items)
			}
			m.steps += items
			if c < items {
				return m.end(fpFail, ptr) // an item fails before the text
			}
			ptr, n = ptr+k, n+items
		}
	} else {
		// the fewest items after which the tail can start
		ptr, n = m.fpFewest(pc, lz.g, lz.guard, ptr, n)
		if ptr < 0 {
			return m.end(fpFail, ptr)
		}
	}
	if (unbounded || n < mx) && m.one(pc+4, ptr) >= 0 {
		m.pendAux(lz.more, ptr, n) // more items are left to try
	}
	return lz.tail, ptr
}

// moreOp is the op of a lazy run's choice left: another item after the
// run that ends at ptr, of m.fpAux items, and the fewest after it.
func (lz *fpLazy) moreOp(m *sreMachine, ptr int) (fpOp, int) {
	q := m.one(lz.pc+4, ptr)
	if q < 0 {
		return m.end(fpFail, ptr)
	}
	m.steps++
	return lz.fewest(m, q, m.fpAux+1)
}

// fpFewest is MIN_REPEAT_ONE's loop, for the repeat at pc whose tail's
// guard g is guard (nil: none), from ptr after n items: the position and
// count where the tail can start, or -1.
func (m *sreMachine) fpFewest(pc, g int, guard *sreGuard, ptr, n int) (int, int) {
	code := m.prog.code
	mx := code[pc+2]
	unbounded := mx == sreUnbounded
	tempered := code[pc+4] == sGuarded && unbounded
	for {
		if !unbounded && n > mx {
			return -1, n
		}
		if guard == nil || guard.ok(m.s, ptr) {
			return ptr, n
		}
		m.fpReplay(g, ptr, m.lastmark)
		if tempered {
			if q, k := m.temperedSkip(pc+4, guard, ptr); q > ptr {
				ptr = q
				n += k
				m.steps += k
				continue
			}
		}
		q := m.one(pc+4, ptr)
		if q < 0 {
			return -1, n
		}
		ptr = q
		n++
		m.steps++
	}
}

// fpReplay applies, as match does, what an attempt skipped by guard g at p
// would have left in the marks (see replayMarks); match would undo that
// before it takes a pending choice's other way, so the pending choices
// are settled. Inside a repeat match replays nothing: its choices there
// restore the marks.
func (m *sreMachine) fpReplay(g, p, lastmark int) {
	if m.fpRep.rep != nil {
		return
	}
	for _, i := range m.prog.guards[g].marks {
		if i <= lastmark {
			m.marks[i] = p
			m.settle()
		}
	}
}

// fpRepeatMax bounds the items of a repeat the first path runs, so that
// its work stays within the program's size times a constant, far inside
// any step budget; a longer repeat is left to match, which counts its
// steps.
const fpRepeatMax = 32

// fpRepeat is a greedy REPEAT (its UNTIL a MAX_UNTIL) for the first path.
type fpRepeat struct {
	min, max   int
	guard      *sreGuard // the item's first characters, or nil
	body, tail fpOp
	exit       fpOp // the tail, leaving the repeat: another item's other way
}

// fpRepState is the first path's repeat (the C code's repeat context),
// at most one, outside any other: its items so far and where the last
// one started.
type fpRepState struct {
	rep            *fpRepeat // nil: none
	count, lastPtr int
}

// fpRepeat makes the op of the REPEAT at pc, whose UNTIL is a MAX_UNTIL,
// and that of the UNTIL.
func (p *sreProg) fpRepeat(b *fpBuilder, pc int) fpOp {
	code := p.exec
	until := code[pc+3]
	r := &fpRepeat{min: code[pc+1], max: code[pc+2]}
	if g := code[pc+4]; g >= 0 {
		r.guard = &p.guards[g]
	}
	r.tail = b.next(until + 1)
	r.exit = func(m *sreMachine, ptr int) (fpOp, int) {
		m.fpRep = fpRepState{}
		return r.tail, ptr
	}
	// the item ends in a jump back to the UNTIL: its op comes first
	b.ops[until] = func(m *sreMachine, ptr int) (fpOp, int) { return r.until(m, ptr) }
	r.body = b.next(pc + 5)
	return func(m *sreMachine, ptr int) (fpOp, int) {
		if r.min == 0 && r.guard != nil && !r.guard.ok(m.s, ptr) {
			// What sre does here: REPEAT installs a context and
			// MAX_UNTIL, with count 0, tries an item. The item fails
			// on its first character and is undone, then MAX_UNTIL
			// runs the tail with the outer context: run it here.
			return r.tail, ptr
		}
		if m.fpRep.rep != nil {
			return m.end(fpUnsure, ptr) // a repeat inside a repeat: match's
		}
		m.fpRep = fpRepState{rep: r, count: -1, lastPtr: -1}
		return r.until(m, ptr)
	}
}

// until is MAX_UNTIL: another item while the repeat may take one, the
// tail (outside the repeat) otherwise.
func (r *fpRepeat) until(m *sreMachine, ptr int) (fpOp, int) {
	// A choice still pending (the last item's, or one inside it, or one
	// before the repeat) would take its other way with the repeat as it
	// was then, which this changes: it is settled. So no pending choice
	// outlives a change of the repeat, and none records it.
	m.settle()
	st := &m.fpRep
	count := st.count + 1
	if count >= fpRepeatMax {
		// match's: its steps, and their budget, grow with the items
		return m.end(fpUnsure, ptr)
	}
	if count < r.min {
		st.count = count
		return r.body, ptr
	}
	if (count < r.max || r.max == sreUnbounded) && ptr != st.lastPtr && (r.guard == nil || r.guard.ok(m.s, ptr)) {
		// another item; the tail after the items so far is the other way
		m.pend(r.exit, ptr)
		st.count, st.lastPtr = count, ptr
		return r.body, ptr
	}
	*st = fpRepState{}
	return r.tail, ptr
}

// fpRun is the item of a REPEAT_ONE (or possessive one) for the first
// path: its bounds, and a set or a byte to scan an ASCII run of.
type fpRun struct {
	lo, max int
	ipc     int // the item's pc
	kind    int // sSet, sByte, or another opcode: count's case
	// tbl holds the set's ASCII bytes (none from utf8.RuneSelf up),
	// indexed by byte, for a SET item
	tbl [4]uint64
	b   byte // for a BYTE item
}

// fpRunAt returns the fpRun of the repeat at pc.
func (p *sreProg) fpRunAt(pc int) *fpRun {
	code := p.exec
	r := &fpRun{lo: code[pc+1], max: code[pc+2], ipc: pc + 4, kind: code[pc+4]}
	switch r.kind {
	case sSet:
		set := p.sets[code[pc+5]]
		r.tbl = [4]uint64{set.ascii[0], set.ascii[1]}
	case sByte:
		r.b = byte(code[pc+5])
	}
	return r
}

// A run's scan is countMin for the run at ptr, with match's own scan of
// an ASCII run of a set or a byte: the end of the longest run, and where
// the shortest one (lo items) ends, or -1 when there is none. The ops of
// the runs take a set's ASCII run, the commonest, from setRun, inlined
// into them by the compiler's budget (profile-guided optimisation, which
// follows a profile's lines, missed the whole scan once the code had
// changed since the profile, and the first path lost 2% to the call),
// and the rest from scanMore.

// setRun returns the end of the run from ptr when it is a set's ASCII run
// (ok; else scanMore's case: a byte's run, another item, or a non-ASCII
// character in the run). A table of no byte (not a set) ends it at once.
func (r *fpRun) setRun(s string, ptr int) (q int, ok bool) {
	lim := min(len(s), ptr+r.max)
	q = asciiRun(&r.tbl, s, ptr, lim)
	return q, r.kind == sSet && (q == lim || s[q] < utf8.RuneSelf)
}

// shortest returns where the shortest run from ptr ends when the longest
// ends at q, or -1 when it is shorter than lo items.
func (r *fpRun) shortest(ptr, q int) int {
	if q-ptr < r.lo {
		return -1
	}
	return ptr + r.lo
}

// scanMore is scan for a byte's run or a run with a non-ASCII character.
func (r *fpRun) scanMore(m *sreMachine, ptr int) (q, n int) {
	s := m.s
	lim := min(len(s), ptr+r.max)
	if r.kind == sByte {
		q = ptr
		for q < lim && s[q] == r.b {
			q++
		}
		return q, r.shortest(ptr, q)
	}
	return m.countMin(r.ipc, ptr, r.max, r.lo)
}

// fpLead is what the first path knows of the code at a place before it
// runs it (sreProg.leads, by pc): every match of that code from there starts with
// one of texts, after MARKs the lowest index of which is minMark. Where
// none of texts is, the code fails before any choice; when minMark is
// above lastmark, what it wrote cannot be seen once match is back at the
// choice it came from (which restores lastmark), so the first path may
// pass over it as match passes over it.
type fpLead struct {
	texts   []string
	minMark int
}

// fpLeadMax bounds the texts of one lead, fpLeadOps the instructions
// leadAt reads.
const (
	fpLeadMax = 8
	fpLeadOps = 64
)

// leads returns the leads of the first path's ops, by pc: that of the
// tail of each REPEAT_ONE among repOne, and of each MIN_REPEAT_ONE of a
// plain item, when it is one text that starts with an ASCII byte (so that
// each place it is found at is one the repeat's run can end at), and that
// of the body of each OPT at opts.
func (p *sreProg) leads(repOne, opts []int) map[int]*fpLead {
	leads := map[int]*fpLead{}
	add := func(pc int, l fpLead) { leads[pc] = &l }
	for _, pc := range repOne {
		if op := p.code[pc]; op != sRepeatOne && (op != sMinRepeatOne || !lazyLeadItem(p.code[pc+4])) {
			continue
		}
		if l := p.leadAt(pc+6, 0); len(l.texts) == 1 && l.texts[0][0] < utf8.RuneSelf {
			add(pc, l)
		}
	}
	for _, pc := range opts {
		if p.code[pc] != sOpt {
			continue
		}
		if l := p.leadAt(pc+3, 1); l.texts != nil {
			add(pc, l)
		}
	}
	return leads
}

// plainItem reports whether a repeat of the item op may be given a lead
// (a single character of a set, a byte or any character: count's plain
// cases).
func plainItem(op int) bool {
	return op == sSet || op == sByte || op == sAny || op == sAnyAll
}

// lazyLeadItem reports whether a MIN_REPEAT_ONE of the item op may be
// given a lead: a plain item, or a guarded one (one character after
// lookarounds, as the tempered dot (?:(?! from ).) of the sshd Failed
// failregex's user name), which fpMinRepeatOne counts over the items
// before the lead's text (count runs a tempered dot with one string
// search).
func lazyLeadItem(op int) bool { return plainItem(op) || op == sGuarded }

// leadAt reads the lead of the code at pc: its literal text through MARKs
// and JUMPs, then (depth levels down) the texts of a branch's
// alternatives.
func (p *sreProg) leadAt(pc, depth int) fpLead {
	code := p.code
	minMark := int(^uint(0) >> 1)
	var prefix []byte
walk:
	for range fpLeadOps {
		switch code[pc] {
		case sMark:
			minMark = min(minMark, code[pc+1])
			pc += 2
		case sByte:
			prefix = append(prefix, byte(code[pc+1]))
			pc += 2
		case sString:
			prefix = append(prefix, p.strs[code[pc+1]]...)
			pc += 2
		case sJump:
			pc = code[pc+1]
		case sBranch:
			if depth == 0 {
				break walk
			}
			var texts []string
			for h := pc + 1; code[h] != 0; h = code[h] {
				sub := p.leadAt(h+2, depth-1)
				if sub.texts == nil || len(texts)+len(sub.texts) > fpLeadMax {
					break walk
				}
				for _, t := range sub.texts {
					texts = append(texts, string(prefix)+t)
				}
				minMark = min(minMark, sub.minMark)
			}
			return fpLead{texts: texts, minMark: minMark}
		default:
			break walk
		}
	}
	if len(prefix) == 0 {
		return fpLead{}
	}
	return fpLead{texts: []string{string(prefix)}, minMark: minMark}
}

// at reports whether one of l's texts is at s[ptr:].
func (l *fpLead) at(s string, ptr int) bool {
	for _, t := range l.texts {
		if strings.HasPrefix(s[ptr:], t) {
			return true
		}
	}
	return false
}

// lastIndexMore returns the index of the last occurrence of t in s (-1
// for none) and whether t also occurs before it (overlaps included). It
// searches forward, occurrence after occurrence: strings.Index is many
// times quicker per byte than strings.LastIndex, and a line holds the
// tail's text a few times at most. After lastIndexHops occurrences (a
// line made of the text), strings.LastIndex takes the rest.
func lastIndexMore(s, t string) (last int, more bool) {
	if t == "" {
		return len(s), len(s) > 0
	}
	last = strings.Index(s, t)
	if last < 0 {
		return -1, false
	}
	for range lastIndexHops {
		j := strings.Index(s[last+1:], t)
		if j < 0 {
			return last, more
		}
		last += 1 + j
		more = true
	}
	if j := strings.LastIndex(s[last+1:], t); j >= 0 {
		last += 1 + j
	}
	return last, true
}

// lastIndexHops bounds the forward searches of lastIndexMore.
const lastIndexHops = 8
