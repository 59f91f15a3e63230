package datedetect

// This file derives two necessary conditions for a match of a program,
// which machine.search checks before it runs the program at a position:
//
//   - minLen: the fewest runes any match consumes. Fewer bytes than that
//     left (a rune is at least one byte) means no match here or later.
//   - win: for the first winLen runes of a match, the ASCII bytes each can
//     be. A byte outside its set means no match at that position, as long
//     as the bytes before it are ASCII (so that byte k is rune k); the
//     check stops at the first byte >= 0x80.
//
// Both come from the instruction graph, not the syntax: a path of the
// engine from pc 0 to opMatch follows the edges below, so the sets the
// analysis collects over all paths include the runes of every real
// match. Assertions and look-arounds are taken as passing, and a
// back-reference (whose width is unknown) ends the window. Skipping
// positions where the program cannot match changes no result: the
// search still returns its leftmost match, and only spends fewer steps.

// winMax is the longest window of byte sets.
const winMax = 8

// computeWindow sets p.minLen, p.win and p.winLen.
func (p *program) computeWindow() {
	n := len(p.insts)
	// minLen: 0-1 breadth-first search over the graph (consuming edges
	// weigh one).
	dist := make([]int, n)
	for i := range dist {
		dist[i] = -1
	}
	p.minLen = 0
	cur := []int{0}
	for k := 0; len(cur) > 0; k++ {
		var next []int
		// closure over zero-width edges at distance k
		for len(cur) > 0 {
			pc := cur[len(cur)-1]
			cur = cur[:len(cur)-1]
			if pc >= n || dist[pc] >= 0 {
				continue
			}
			dist[pc] = k
			in := &p.insts[pc]
			switch in.op {
			case opMatch:
				p.minLen = k
				goto window
			case opRune, opClass, opAny, opAnyAll:
				next = append(next, pc+1)
			default: // a back-reference may consume nothing
				cur = zeroWidthNext(cur, in, pc)
			}
		}
		cur = next
	}
	// opMatch unreachable: the program never matches
	p.minLen = 1 << 30
window:
	// win: the set of consuming instructions reachable after k runes
	front := []int{0}
	seen := make([]int, n) // k+1 when pc was added for step k
	for k := 0; k < winMax && len(front) > 0; k++ {
		var set [2]uint64
		var next []int
		stack := front
		for len(stack) > 0 {
			pc := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if pc >= n || seen[pc] == k+1 {
				continue
			}
			seen[pc] = k + 1
			in := &p.insts[pc]
			switch in.op {
			case opMatch, opBackref:
				// the match may end here, or the width is unknown
				p.winLen = k
				return
			case opRune, opClass, opAny, opAnyAll:
				for b := 0; b < 0x80; b++ {
					if asciiMatches(in, rune(b)) {
						set[b>>6] |= 1 << (b & 63)
					}
				}
				next = append(next, pc+1)
			default:
				stack = zeroWidthNext(stack, in, pc)
			}
		}
		if set[0] == ^uint64(0) && set[1] == ^uint64(0) {
			// every ASCII byte: no use checking this one or the next
			p.winLen = k
			return
		}
		p.win[k] = set
		p.winLen = k + 1
		front = next
	}
}

// zeroWidthNext appends to stack the successors of instruction in at pc,
// taken as consuming nothing: the edges of opSplit, opJmp, opCond and
// opProgress, else pc+1 (opSave, opMark, opAssert, opLook, opBackref).
func zeroWidthNext(stack []int, in *inst, pc int) []int {
	switch in.op {
	case opSplit:
		return append(stack, in.y, in.x)
	case opJmp:
		return append(stack, in.x)
	case opCond, opProgress:
		return append(stack, in.y, pc+1)
	}
	return append(stack, pc+1)
}

// asciiMatches reports whether the consuming instruction in matches the
// ASCII rune r, exactly as machine.run decides it.
func asciiMatches(in *inst, r rune) bool {
	switch in.op {
	case opRune:
		if in.icase {
			r = pyFold(r)
		}
		return r == in.r
	case opClass:
		return in.cls.matches(r)
	case opAny:
		return r != '\n'
	case opAnyAll:
		return true
	}
	return false
}

// windowOK reports whether a match of p may start at s[i] (end bounds
// the search); false is certain.
func (p *program) windowOK(s string, i, end int) bool {
	for k := 0; k < p.winLen; k++ {
		j := i + k
		if j >= end {
			// the match needs more runes than are left
			return false
		}
		c := s[j]
		if c >= 0x80 {
			return true
		}
		if p.win[k][c>>6]&(1<<(c&63)) == 0 {
			return false
		}
	}
	return true
}
