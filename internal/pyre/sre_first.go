package pyre

import (
	"strings"
	"unicode/utf8"
)

// This file is the matcher's first path: most searches that match at a
// position do so on the path match tries first, every alternative, optional
// body and repeat taking its first choice. match saves a context at each of
// those choices in case the rest fails; firstPath runs the same opcodes in
// the same order without saving anything.
//
// match returns at its first SUCCESS, and on the way there it writes
// exactly what firstPath writes (the marks, lastmark, the end), so when
// firstPath reaches SUCCESS the result is match's. When it fails before
// any choice, match fails at that position too. In every other case (a
// failure after a choice, or an opcode it does not run: REPEAT and its
// UNTILs, possessive repeats and atomic groups with a body, lookarounds
// with a body of their own), it reports that it is not sure, and match
// runs from the start; firstPath's writes are then hidden, as lastmark
// starts again at -1 and a mark above lastmark is never read.
//
// Where match would try a choice that fails before any choice of its own,
// and leave no mark that can be seen, the first path passes over it as
// match does, by what it knows of the code there (fpLead): the text every
// match of a single-character repeat's tail starts with (so the run ends
// where that text last is, as with " from " after the user name), and the
// texts an optional body starts with.
//
// firstPath takes no loop (only the opcodes above jump back), so its cost
// is linear in the program and the text.

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

// fpOp runs one instruction of the first path at ptr and returns the pc
// of the next one and the new position, or fpFail, fpUnsure or fpDone
// (a SUCCESS at the position returned). The ops are closures made at
// compile time (compileFirstPath), with the instruction's operands
// bound: the first path is the hot part of most searches, and a small
// function per instruction keeps its work in registers, where one loop
// over all of them did not.
type fpOp func(m *sreMachine, ptr int) (int, int)

const (
	fpFail   = -1 // a failure: final unless a choice was taken
	fpUnsure = -2 // an opcode the first path does not run
	fpDone   = -3 // SUCCESS
)

// firstPath runs the program at start along its first path (see above). ok
// is the result when sure is true; otherwise m must run match.
func (m *sreMachine) firstPath(start int) (ok, sure bool) {
	if m.fpTries++; m.fpTries == firstPathWindow {
		m.fpTries, m.fpBails = m.fpTries/2, m.fpBails/2
	}
	ops := m.prog.fpOps
	steps := m.steps
	m.lastmark, m.fpChose = -1, false
	pc, ptr := 0, start
	for pc >= 0 {
		pc, ptr = ops[pc](m, ptr)
	}
	switch {
	case pc == fpDone:
		m.sptr = ptr
		return true, true
	case pc == fpFail && !m.fpChose:
		m.lastmark = -1
		return false, true
	}
	m.steps = steps
	m.fpBails++
	return false, false
}

// choose records that the first path took a choice: a later failure is
// not final.
func (m *sreMachine) choose() {
	m.fpChose = true
	m.steps++
}

// compileFirstPath makes p.fpOps: the op of each instruction the first
// path can reach from pc 0.
func (p *sreProg) compileFirstPath() {
	p.fpOps = make([]fpOp, len(p.exec))
	todo := []int{0}
	for len(todo) > 0 {
		pc := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if p.fpOps[pc] != nil {
			continue
		}
		op, next := p.fpOpAt(pc)
		p.fpOps[pc] = op
		for _, n := range next {
			if p.fpOps[n] == nil {
				todo = append(todo, n)
			}
		}
	}
}

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

// fpOpAt makes the op of the instruction at pc and lists the pcs it can
// go on to.
func (p *sreProg) fpOpAt(pc int) (fpOp, []int) {
	code := p.exec
	switch op := code[pc]; op {
	case sSuccess:
		return func(_ *sreMachine, ptr int) (int, int) { return fpDone, ptr }, nil
	case sByte:
		b, next := byte(code[pc+1]), p.fpNext(pc+2)
		return func(m *sreMachine, ptr int) (int, int) {
			if s := m.s; ptr < len(s) && s[ptr] == b {
				return next, ptr + 1
			}
			return fpFail, ptr
		}, []int{next}
	case sString:
		lit, next := p.strs[code[pc+1]], p.fpNext(pc+2)
		return func(m *sreMachine, ptr int) (int, int) {
			if strings.HasPrefix(m.s[ptr:], lit) {
				return next, ptr + len(lit)
			}
			return fpFail, ptr
		}, []int{next}
	case sSet:
		set, next := p.sets[code[pc+1]], p.fpNext(pc+2)
		return func(m *sreMachine, ptr int) (int, int) {
			s := m.s
			if ptr < len(s) && s[ptr] < utf8.RuneSelf {
				if c := s[ptr]; set.ascii[c>>6]&(1<<(c&63)) != 0 {
					return next, ptr + 1
				}
				return fpFail, ptr
			}
			if q := m.one(pc, ptr); q >= 0 {
				return next, q
			}
			return fpFail, ptr
		}, []int{next}
	case sRune, sAny, sAnyAll:
		next := p.fpNext(pc + 2)
		return func(m *sreMachine, ptr int) (int, int) {
			if q := m.one(pc, ptr); q >= 0 {
				return next, q
			}
			return fpFail, ptr
		}, []int{next}
	case sAt:
		kind, next := assertKind(code[pc+1]), p.fpNext(pc+2)
		if kind == atBeginText {
			return func(_ *sreMachine, ptr int) (int, int) {
				if ptr == 0 {
					return next, ptr
				}
				return fpFail, ptr
			}, []int{next}
		}
		return func(m *sreMachine, ptr int) (int, int) {
			if m.at(ptr, kind) {
				return next, ptr
			}
			return fpFail, ptr
		}, []int{next}
	case sMark:
		i, next := code[pc+1], p.fpNext(pc+2)
		return func(m *sreMachine, ptr int) (int, int) {
			if i > m.lastmark {
				for j := m.lastmark + 1; j < i; j++ {
					m.marks[j] = -1
				}
				m.lastmark = i
			}
			m.marks[i] = ptr
			return next, ptr
		}, []int{next}
	case sJump:
		next := p.fpNext(pc)
		return func(_ *sreMachine, ptr int) (int, int) { return next, ptr }, []int{next}
	case sBranch:
		return p.fpBranch(pc)
	case sRepeatOne, sPossRepeatOne, sPossRepeatOneByte, sPossRepeatOneString:
		return p.fpRepeatOne(pc)
	case sMinRepeatOne:
		return p.fpMinRepeatOne(pc)
	case sOpt:
		// the body when its guard holds (skipping it is the choice
		// left), else the tail
		g, body, tail := code[pc+2], p.fpNext(pc+3), p.fpNext(code[pc+1])
		var guard *sreGuard
		if g >= 0 {
			guard = &p.guards[g]
		}
		lead := p.leadOf(pc)
		return func(m *sreMachine, ptr int) (int, int) {
			if guard == nil || guard.ok(m.s, ptr) && (guard.req == nil || m.reqOK(guard, ptr)) {
				if lead != nil && lead.minMark > m.lastmark && !lead.at(m.s, ptr) {
					return tail, ptr // the body fails before any choice
				}
				m.choose()
				return body, ptr
			}
			return tail, ptr
		}, []int{body, tail}
	case sOptLazy:
		// the tail first, the body left to try
		tail := p.fpNext(code[pc+1])
		return func(m *sreMachine, ptr int) (int, int) {
			m.choose()
			return tail, ptr
		}, []int{tail}
	case sRepeat:
		if code[pc+1] == 0 && code[code[pc+3]] == sMaxUntil && code[pc+4] >= 0 {
			guard, tail := &p.guards[code[pc+4]], p.fpNext(code[pc+3]+1)
			return func(m *sreMachine, ptr int) (int, int) {
				if !guard.ok(m.s, ptr) {
					return tail, ptr // as match does: the tail alone
				}
				return fpUnsure, ptr
			}, []int{tail}
		}
	case sGroupref, sGrouprefASCIIFold, sGrouprefUniFold:
		g, next := code[pc+1], p.fpNext(pc+2)
		return func(m *sreMachine, ptr int) (int, int) {
			marks := m.marks
			if !groupSet(marks, g, m.lastmark) {
				return fpFail, ptr
			}
			q, ok := m.backref(op, ptr, m.s[marks[g]:marks[g+1]])
			if !ok {
				return fpFail, ptr
			}
			return next, q
		}, []int{next}
	case sGrouprefExists:
		g, yes, no := code[pc+1], p.fpNext(pc+3), p.fpNext(code[pc+2])
		return func(m *sreMachine, ptr int) (int, int) {
			if groupSet(m.marks, g, m.lastmark) {
				return yes, ptr
			}
			return no, ptr
		}, []int{yes, no}
	case sAssertPlain, sAssertNotPlain:
		n, next, want := code[pc+2], p.fpNext(code[pc+1]), op == sAssertPlain
		return func(m *sreMachine, ptr int) (int, int) {
			q, in := back(m.s, ptr, n)
			if in && m.plain(pc+3, q) != want || !in && want {
				return fpFail, ptr
			}
			return next, ptr
		}, []int{next}
	case sFailure:
		return func(_ *sreMachine, ptr int) (int, int) { return fpFail, ptr }, nil
	}
	return func(_ *sreMachine, ptr int) (int, int) { return fpUnsure, ptr }, nil
}

// fpAlt is one alternative of a BRANCH for the first path.
type fpAlt struct {
	guard *sreGuard // nil: none
	g     int       // its index
	next  int       // the header of the alternative after it
	body  int
}

// fpBranch makes the op of the BRANCH at pc: the first alternative the
// guards let through; another one after it is a choice left behind.
func (p *sreProg) fpBranch(pc int) (fpOp, []int) {
	code := p.exec
	var alts []fpAlt
	var next []int
	for h := pc + 1; code[h] != 0; h = code[h] {
		a := fpAlt{g: code[h+1], next: code[h], body: p.fpNext(h + 2)}
		if a.g >= 0 {
			a.guard = &p.guards[a.g]
		}
		alts = append(alts, a)
		next = append(next, a.body)
	}
	return func(m *sreMachine, ptr int) (int, int) {
		s := m.s
		for i := range alts {
			a := &alts[i]
			if a.guard == nil || a.guard.ok(s, ptr) && (a.guard.req == nil || m.reqOK(a.guard, ptr)) {
				if !p.noStale || !lastAlt(p, a.next, s, ptr) {
					m.choose()
				}
				return a.body, ptr
			}
			m.fpReplay(a.g, ptr, m.lastmark)
		}
		return fpFail, ptr
	}, next
}

// fpRepeatOne makes the op of the REPEAT_ONE (or possessive one) at pc.
func (p *sreProg) fpRepeatOne(pc int) (fpOp, []int) {
	code := p.exec
	run := p.fpRunAt(pc)
	lo := run.lo
	switch code[pc] {
	case sPossRepeatOne:
		next := p.fpNext(pc + 6)
		return func(m *sreMachine, ptr int) (int, int) {
			if lo > len(m.s)-ptr {
				return fpFail, ptr
			}
			q, n := run.scan(m, ptr)
			m.steps += (q - ptr) >> 3
			if n < 0 {
				return fpFail, ptr
			}
			return next, q
		}, []int{next}
	case sPossRepeatOneByte:
		b, next := byte(code[pc+7]), p.fpNext(pc+8)
		return func(m *sreMachine, ptr int) (int, int) {
			s := m.s
			if lo > len(s)-ptr {
				return fpFail, ptr
			}
			q, n := run.scan(m, ptr)
			m.steps += (q - ptr) >> 3
			if n < 0 || q >= len(s) || s[q] != b {
				return fpFail, ptr
			}
			return next, q + 1
		}, []int{next}
	case sPossRepeatOneString:
		lit, next := p.strs[code[pc+7]], p.fpNext(pc+8)
		return func(m *sreMachine, ptr int) (int, int) {
			if lo > len(m.s)-ptr {
				return fpFail, ptr
			}
			q, n := run.scan(m, ptr)
			m.steps += (q - ptr) >> 3
			if n < 0 || !strings.HasPrefix(m.s[q:], lit) {
				return fpFail, ptr
			}
			return next, q + len(lit)
		}, []int{next}
	}
	tail := p.fpNext(pc + 6)
	toEnd := code[pc+6] == sSuccess
	lead := p.leadOf(pc)
	var guard *sreGuard
	if g := code[pc+3]; g >= 0 {
		guard = &p.guards[g]
	}
	return func(m *sreMachine, ptr int) (int, int) {
		s := m.s
		end := len(s)
		if lo > end-ptr {
			return fpFail, ptr
		}
		q, n := run.scan(m, ptr)
		m.steps += (q - ptr) >> 3
		if n < 0 {
			return fpFail, ptr
		}
		ptr = q
		if toEnd && ptr == end {
			return fpDone, ptr
		}
		if lead != nil && lead.minMark > m.lastmark {
			t := lead.texts[0]
			// The longest run after which the tail's text follows:
			// match tries the longer runs first, and the tail fails on
			// each before any choice, leaving no mark that can be seen.
			// Another run the text follows is a choice left.
			k := strings.LastIndex(s[n:min(ptr+len(t), end)], t)
			m.steps += (ptr - n - max(k, 0)) >> 3
			if k < 0 {
				return fpFail, ptr
			}
			ptr = n + k
			if strings.LastIndex(s[n:ptr+len(t)-1], t) >= 0 {
				m.choose()
			}
			return tail, ptr
		}
		if guard != nil && !guard.ok(s, ptr) {
			// the longest run after which the tail can start
			var k int
			var ok bool
			ptr, k, ok = m.lastGuard(guard, n, ptr)
			m.steps += k
			if !ok {
				return fpFail, ptr // (what match replays then is never read)
			}
		}
		if ptr > n {
			m.choose() // shorter runs are left to try
		}
		return tail, ptr
	}, []int{tail}
}

// fpMinRepeatOne makes the op of the MIN_REPEAT_ONE at pc.
func (p *sreProg) fpMinRepeatOne(pc int) (fpOp, []int) {
	code := p.exec
	lo, mx, tail := code[pc+1], code[pc+2], p.fpNext(pc+6)
	toEnd := code[pc+6] == sSuccess
	unbounded := mx == sreUnbounded
	tempered := code[pc+4] == sGuarded && unbounded
	g := code[pc+3]
	var guard *sreGuard
	if g >= 0 {
		guard = &p.guards[g]
	}
	return func(m *sreMachine, ptr int) (int, int) {
		if lo > len(m.s)-ptr {
			return fpFail, ptr
		}
		n := 0
		if lo > 0 {
			var q int
			if q, n = m.count(pc+4, ptr, lo); n < lo {
				return fpFail, ptr
			}
			ptr = q
		}
		if toEnd {
			return fpDone, ptr
		}
		// the fewest items after which the tail can start
		for {
			if !unbounded && n > mx {
				return fpFail, ptr
			}
			if guard == nil || guard.ok(m.s, ptr) {
				if (unbounded || n < mx) && m.one(pc+4, ptr) >= 0 {
					m.choose() // more items are left to try
				}
				return tail, ptr
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
				return fpFail, ptr
			}
			ptr = q
			n++
			m.steps++
		}
	}, []int{tail}
}

// fpReplay applies, as match does outside a repeat (the first path is
// never inside one), what an attempt skipped by guard g at p would have
// left in the marks (see replayMarks).
func (m *sreMachine) fpReplay(g, p, lastmark int) {
	for _, i := range m.prog.guards[g].marks {
		if i <= lastmark {
			m.marks[i] = p
		}
	}
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

// scan is countMin for the run at ptr, with match's own scan of an ASCII
// run of a set or a byte: the end of the longest run, and where the
// shortest one (lo items) ends, or -1 when there is none.
func (r *fpRun) scan(m *sreMachine, ptr int) (q, n int) {
	s := m.s
	lim := len(s)
	if r.max < lim-ptr {
		lim = ptr + r.max
	}
	switch r.kind {
	case sSet:
		tbl := &r.tbl
		q = ptr
		for q < lim {
			if c := s[q]; tbl[c>>6]&(1<<(c&63)) == 0 {
				break
			}
			q++
		}
		if q < lim && s[q] >= utf8.RuneSelf {
			break // a non-ASCII character: count's case
		}
		if q-ptr < r.lo {
			return q, -1
		}
		return q, ptr + r.lo
	case sByte:
		q = ptr
		for q < lim && s[q] == r.b {
			q++
		}
		if q-ptr < r.lo {
			return q, -1
		}
		return q, ptr + r.lo
	}
	return m.countMin(r.ipc, ptr, r.max, r.lo)
}

// fpLead is what the first path knows of the code at a place before it
// runs it (sreProg.leads): every match of that code from there starts with
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

// computeLeads fills p.leads and p.leadIdx: the lead of the tail of each
// REPEAT_ONE among repOne, when it is one text that starts with an ASCII
// byte (so that each place it is found at is one the repeat's run can end
// at), and of the body of each OPT at opts.
func (p *sreProg) computeLeads(repOne, opts []int) {
	add := func(pc int, l fpLead) {
		if p.leadIdx == nil {
			p.leadIdx = make([]int32, len(p.code))
		}
		p.leads = append(p.leads, l)
		p.leadIdx[pc] = int32(len(p.leads))
	}
	for _, pc := range repOne {
		if p.code[pc] != sRepeatOne {
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
}

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

// leadOf returns the lead of the op at pc (see computeLeads), nil for
// none. The first path uses it only when its MARKs are all above
// lastmark.
func (p *sreProg) leadOf(pc int) *fpLead {
	if p.leadIdx == nil || p.leadIdx[pc] == 0 {
		return nil
	}
	return &p.leads[p.leadIdx[pc]-1]
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
