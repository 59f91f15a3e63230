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

// firstPath runs the program at start along its first path (see above). ok
// is the result when sure is true; otherwise m must run match.
func (m *sreMachine) firstPath(start int) (ok, sure bool) {
	if m.fpTries++; m.fpTries == firstPathWindow {
		m.fpTries, m.fpBails = m.fpTries/2, m.fpBails/2
	}
	prog := m.prog
	code := prog.exec
	s := m.s
	end := len(s)
	marks := m.marks
	lastmark := -1
	steps := m.steps
	chose := false // a choice was taken: a failure is not final
	pc, ptr := 0, start
	for {
		switch code[pc] {
		case sSuccess:
			m.lastmark, m.sptr, m.steps = lastmark, ptr, steps
			return true, true
		case sByte:
			if ptr >= end || s[ptr] != byte(code[pc+1]) {
				goto fail
			}
			ptr++
			pc += 2
		case sString:
			lit := prog.strs[code[pc+1]]
			if len(s)-ptr < len(lit) || s[ptr:ptr+len(lit)] != lit {
				goto fail
			}
			ptr += len(lit)
			pc += 2
		case sSet, sRune, sAny, sAnyAll:
			if ptr = m.one(pc, ptr); ptr < 0 {
				goto fail
			}
			pc += 2
		case sAt:
			if !m.at(ptr, assertKind(code[pc+1])) {
				goto fail
			}
			pc += 2
		case sMark:
			i := code[pc+1]
			if i > lastmark {
				for j := lastmark + 1; j < i; j++ {
					marks[j] = -1
				}
				lastmark = i
			}
			marks[i] = ptr
			pc += 2
		case sJump:
			pc = code[pc+1]
		case sBranch:
			// the first alternative the guards let through; another
			// one after it is a choice left behind
			h := pc + 1
			for ; code[h] != 0; h = code[h] {
				g := code[h+1]
				if g < 0 || prog.guards[g].ok(s, ptr) && (prog.guards[g].req == nil || m.reqOK(&prog.guards[g], ptr)) {
					break
				}
				m.fpReplay(g, ptr, lastmark)
			}
			if code[h] == 0 {
				goto fail
			}
			if !prog.noStale || !lastAlt(prog, code[h], s, ptr) {
				chose = true
				steps++
			}
			pc = h + 2
		case sRepeatOne, sPossRepeatOne, sPossRepeatOneByte, sPossRepeatOneString:
			lo := code[pc+1]
			if lo > end-ptr {
				goto fail
			}
			q, n := m.runMin(pc, ptr, lo)
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
				if len(s)-q < len(lit) || s[q:q+len(lit)] != lit {
					goto fail
				}
				ptr = q + len(lit)
				pc += 8
				continue
			}
			ptr = q
			if code[pc+6] == sSuccess && ptr == end {
				m.lastmark, m.sptr, m.steps = lastmark, ptr, steps
				return true, true
			}
			if l := m.lead(pc, lastmark); l != nil {
				t := l.texts[0]
				// The longest run after which the tail's text follows:
				// match tries the longer runs first, and the tail fails
				// on each before any choice, leaving no mark that can be
				// seen. Another run the text follows is a choice left.
				k := strings.LastIndex(s[n:min(ptr+len(t), end)], t)
				steps += (ptr - n - max(k, 0)) >> 3
				if k < 0 {
					goto fail
				}
				ptr = n + k
				if strings.LastIndex(s[n:ptr+len(t)-1], t) >= 0 {
					chose = true
					steps++
				}
				pc += 6
				continue
			}
			if g := code[pc+3]; g >= 0 && !prog.guards[g].ok(s, ptr) {
				// the longest run after which the tail can start
				var k int
				ptr, k, ok = m.lastGuard(&prog.guards[g], n, ptr)
				steps += k
				if !ok {
					goto fail // (what match replays then is never read)
				}
			}
			if ptr > n {
				chose = true // shorter runs are left to try
				steps++
			}
			pc += 6
		case sMinRepeatOne:
			lo := code[pc+1]
			if lo > end-ptr {
				goto fail
			}
			n := 0
			if lo > 0 {
				var q int
				if q, n = m.count(pc+4, ptr, lo); n < lo {
					goto fail
				}
				ptr = q
			}
			if code[pc+6] == sSuccess {
				m.lastmark, m.sptr, m.steps = lastmark, ptr, steps
				return true, true
			}
			// the fewest items after which the tail can start
			unbounded := code[pc+2] == sreUnbounded
			for {
				if !unbounded && n > code[pc+2] {
					goto fail
				}
				g := code[pc+3]
				if g < 0 || prog.guards[g].ok(s, ptr) {
					if (unbounded || n < code[pc+2]) && m.one(pc+4, ptr) >= 0 {
						chose = true // more items are left to try
						steps++
					}
					break
				}
				m.fpReplay(g, ptr, lastmark)
				if code[pc+4] == sGuarded && unbounded {
					if q, k := m.temperedSkip(pc+4, &prog.guards[g], ptr); q > ptr {
						ptr = q
						n += k
						steps += k
						continue
					}
				}
				q := m.one(pc+4, ptr)
				if q < 0 {
					goto fail
				}
				ptr = q
				n++
				steps++
			}
			pc += 6
		case sOpt:
			// the body when its guard holds (skipping it is the choice
			// left), else the tail
			g := code[pc+2]
			if g < 0 || prog.guards[g].ok(s, ptr) && (prog.guards[g].req == nil || m.reqOK(&prog.guards[g], ptr)) {
				if l := m.lead(pc, lastmark); l != nil && !l.at(s, ptr) {
					pc = code[pc+1] // the body fails before any choice
					continue
				}
				chose = true
				steps++
				pc += 3
			} else {
				pc = code[pc+1]
			}
		case sOptLazy:
			// the tail first, the body left to try
			chose = true
			steps++
			pc = code[pc+1]
		case sRepeat:
			if code[pc+1] == 0 && code[code[pc+3]] == sMaxUntil {
				if g := code[pc+4]; g >= 0 && !prog.guards[g].ok(s, ptr) {
					pc = code[pc+3] + 1 // as match does: the tail alone
					continue
				}
			}
			goto unsure
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
		case sAssertPlain, sAssertNotPlain:
			q, in := back(s, ptr, code[pc+2])
			if in = in && m.plain(pc+3, q); in != (code[pc] == sAssertPlain) {
				goto fail
			}
			pc = code[pc+1]
		case sFailure:
			goto fail
		default:
			goto unsure
		}
	}
fail:
	if chose {
		goto unsure
	}
	m.steps = steps
	return false, true
unsure:
	m.fpBails++
	return false, false
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

// runMin is countMin for the repeat at pc (REPEAT_ONE or a possessive
// one) with lo items at least, with match's own scan of an ASCII run of a
// set or a byte.
func (m *sreMachine) runMin(pc, ptr, lo int) (q, n int) {
	code := m.prog.exec
	s := m.s
	end := len(s)
	lim := end
	if mx := code[pc+2]; mx < end-ptr {
		lim = ptr + mx
	}
	switch code[pc+4] {
	case sSet:
		set := m.prog.sets[code[pc+5]]
		tbl := [4]uint64{set.ascii[0], set.ascii[1]}
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
		if q-ptr < lo {
			return q, -1
		}
		return q, ptr + lo
	case sByte:
		b := byte(code[pc+5])
		q = ptr
		for q < lim && s[q] == b {
			q++
		}
		if q-ptr < lo {
			return q, -1
		}
		return q, ptr + lo
	}
	return m.countMin(pc+4, ptr, code[pc+2], lo)
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

// lead returns the lead of the op at pc (see computeLeads) when its MARKs
// are all above lastmark, else nil.
func (m *sreMachine) lead(pc, lastmark int) *fpLead {
	p := m.prog
	if p.leadIdx == nil || p.leadIdx[pc] == 0 {
		return nil
	}
	if l := &p.leads[p.leadIdx[pc]-1]; l.minMark > lastmark {
		return l
	}
	return nil
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
