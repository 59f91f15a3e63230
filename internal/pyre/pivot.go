package pyre

// This file gives searches a linear cost on text a pattern cannot match,
// for patterns a search would otherwise try at every position (no
// literal prefix, no start anchor): date templates such as
// (?=^|\b|\W)((?P<b>jan|...) (?P<d>...)  ?(?P<H>[0-2]?\d):(?P<M>...)...).
//
// A pivot is a one-character literal on the pattern's spine (the
// top-level sequence, through groups), a byte that is neither a letter,
// a digit, '_' nor a space, such as the ':' of a time. Every match
// consumes it exactly once, after between minPre and maxPre characters
// of the match (the widths of what precedes it on the spine, maxPre
// finite). When the elements just before and after it on the spine
// cannot be empty, every match also has one of their last (first)
// characters next to it. A search then looks for the pivot byte with
// strings.IndexByte, checks its neighbours, and tries only the start
// positions from which the pivot lies at such a distance: in bytes,
// between minPre and 4*maxPre before it, or maxPre when the maxPre bytes
// before it are ASCII (one character each). The windows of successive
// pivots move right monotonically, so trying them in order tries start
// positions in increasing order, each at most once: the first match
// found is the leftmost, as in the plain search, and positions outside
// every window cannot start a match.

import (
	"strings"
	"unicode/utf8"
)

// maxPivotPrefix bounds maxPre: a wider prefix makes windows too wide to
// pay.
const maxPivotPrefix = 64

type pivot struct {
	b              byte
	minPre, maxPre int
	before, after  *runeSet // nil: not checked
	// first, when not nil, holds every character a match can start
	// with: pivotSearch tries only the positions of the window that
	// hold one.
	first *runeSet
}

// findPivot returns the pivot of tree, or nil.
func findPivot(tree *node, width func(*node) (int64, int64)) *pivot {
	var pv *pivot
	var walk func(n *node, lo, hi int64) bool
	// walk looks for the pivot in n, which starts after lo..hi
	// characters of the match; it reports whether it found one.
	walk = func(n *node, lo, hi int64) bool {
		switch n.op {
		case opGroup, opAtomic:
			return walk(n.subs[0], lo, hi)
		case opConcat:
			for i, s := range n.subs {
				if s.op == opChars && hi <= maxPivotPrefix && pivotByte(s.chars) {
					pv = &pivot{b: byte(s.chars[0].lo), minPre: int(lo), maxPre: int(hi)}
					if i > 0 {
						if cs, null, ok := lastChars(n.subs[i-1]); ok && !null {
							pv.before = newRuneSet(cs)
						}
					}
					if i+1 < len(n.subs) {
						if cs, null, ok := firstChars(n.subs[i+1]); ok && !null {
							pv.after = newRuneSet(cs)
						}
					}
					return true
				}
				if (s.op == opGroup || s.op == opAtomic || s.op == opConcat) && walk(s, lo, hi) {
					return true
				}
				l, h := width(s)
				lo, hi = satAdd(lo, l), satAdd(hi, h)
				if hi > maxPivotPrefix {
					return false
				}
			}
		}
		return false
	}
	walk(tree, 0, 0)
	if pv != nil {
		if cs, null, ok := firstChars(tree); ok && !null {
			pv.first = newRuneSet(cs)
		}
	}
	return pv
}

// pivotByte reports whether cs is one ASCII character that is neither a
// letter, a digit, '_' nor whitespace.
func pivotByte(cs charSet) bool {
	if len(cs) != 1 || cs[0].lo != cs[0].hi {
		return false
	}
	c := cs[0].lo
	return c > ' ' && c < utf8.RuneSelf && !isWordASCII(c)
}

// firstChars returns the characters a match of n can start with, whether
// n can match the empty string, and ok false when the analysis gives up.
func firstChars(n *node) (cs charSet, nullable, ok bool) {
	return edgeChars(n, false)
}

// lastChars is firstChars for the last character.
func lastChars(n *node) (cs charSet, nullable, ok bool) {
	return edgeChars(n, true)
}

func edgeChars(n *node, last bool) (charSet, bool, bool) {
	switch n.op {
	case opEmpty, opAssert, opLook:
		return nil, true, true
	case opChars:
		return n.chars, false, true
	case opGroup, opAtomic:
		return edgeChars(n.subs[0], last)
	case opRepeat:
		cs, null, ok := edgeChars(n.subs[0], last)
		return cs, null || n.min == 0, ok
	case opAlt:
		var acc charSet
		nullable := false
		for _, s := range n.subs {
			cs, null, ok := edgeChars(s, last)
			if !ok {
				return nil, false, false
			}
			acc = union(acc, cs)
			nullable = nullable || null
		}
		return acc, nullable, true
	case opConcat:
		var acc charSet
		for k := range n.subs {
			s := n.subs[k]
			if last {
				s = n.subs[len(n.subs)-1-k]
			}
			cs, null, ok := edgeChars(s, last)
			if !ok {
				return nil, false, false
			}
			acc = union(acc, cs)
			if !null {
				return acc, false, true
			}
		}
		return acc, true, true
	}
	return nil, false, false // backreferences, conditionals
}

// nextBoundary returns the first position at or after p where a forward
// walk over s by runeLen from an earlier boundary stops: p itself unless
// p is inside a valid multi-byte character.
func nextBoundary(s string, p int) int {
	if p <= 0 {
		return 0
	}
	if p >= len(s) || utf8.RuneStart(s[p]) {
		return p
	}
	// A lead byte always starts a character; a continuation byte is
	// inside one only if a valid sequence from the lead before covers it.
	for j := p - 1; j >= 0 && j >= p-3; j-- {
		if utf8.RuneStart(s[j]) {
			if s[j] >= utf8.RuneSelf {
				if _, w := utf8.DecodeRuneInString(s[j:]); w > 1 && j+w > p {
					return j + w
				}
			}
			return p
		}
	}
	return p
}

// near reports whether the pivot occurs, with its neighbours, where a
// match starting at pos would have it: for patterns that match only at
// the start of the text, one bounded look instead of a try.
func (pv *pivot) near(s string, pos int) bool {
	end := pos + utf8.UTFMax*pv.maxPre + 1
	if asciiSpan(s, pos, min(len(s), pos+pv.maxPre)) {
		// maxPre characters from pos are maxPre bytes
		end = pos + pv.maxPre + 1
	}
	for q, end := pos+pv.minPre, min(len(s), end); q < end; {
		i := strings.IndexByte(s[q:end], pv.b)
		if i < 0 {
			return false
		}
		c := q + i
		q = c + 1
		if pv.neighbours(s, c) {
			return true
		}
	}
	return false
}

// neighbours checks the characters around the pivot byte at c.
func (pv *pivot) neighbours(s string, c int) bool {
	if pv.before != nil && (c == 0 || !pv.before.has(decodeLast(s, c))) {
		return false
	}
	return pv.after == nil || (c+1 < len(s) && pv.after.has(decodeAt(s, c+1)))
}

// pivotSearch is search for a program with a pivot: it tries the start
// positions from from on that the pivot allows, in order.
func (m *sreMachine) pivotSearch(from int, try func(int) (bool, error)) (int, bool, error) {
	p := m.prog
	pv := p.pivot
	s := m.s
	var g *sreGuard
	if p.start == startGuard {
		g = &p.guards[p.guard]
	}
	next := from // the first start position not tried yet
	for q := from + pv.minPre; q < len(s); {
		i := strings.IndexByte(s[q:], pv.b)
		if i < 0 {
			break
		}
		m.steps += i >> 3
		c := q + i
		q = c + 1
		if !pv.neighbours(s, c) {
			continue
		}
		lo := c - utf8.UTFMax*pv.maxPre
		if c >= pv.maxPre && asciiSpan(s, c-pv.maxPre, c) {
			// the maxPre characters before c are maxPre bytes
			lo = c - pv.maxPre
		}
		lo, hi := max(next, lo), c-pv.minPre
		for pos := nextBoundary(s, lo); pos <= hi; pos += runeLen(s, pos) {
			if pv.first != nil && (pos >= len(s) || !pv.first.has(decodeAt(s, pos))) {
				continue // no match starts with this character
			}
			if g != nil && !g.ok(s, pos) {
				continue
			}
			if ok, err := try(pos); ok || err != nil {
				return pos, ok, err
			}
		}
		next = max(next, hi+1)
	}
	return 0, false, nil
}

// asciiSpan reports whether s[i:j] holds only ASCII bytes (so as many
// characters as bytes); the pivot's windows are exact then.
func asciiSpan(s string, i, j int) bool {
	for ; i+8 <= j; i += 8 {
		if load64(s, i)&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < j; i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// load64 reads the eight bytes at i as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func decodeLast(s string, p int) rune {
	if s[p-1] < utf8.RuneSelf {
		return rune(s[p-1])
	}
	r, _ := utf8.DecodeLastRuneInString(s[:p])
	return r
}

func decodeAt(s string, p int) rune {
	if s[p] < utf8.RuneSelf {
		return rune(s[p])
	}
	r, _ := utf8.DecodeRuneInString(s[p:])
	return r
}

// leadRun finds a pattern whose first consuming element on the spine is
// a repeat of one character set at least k times, k > 1, with only
// zero-width elements before it (such as the epoch template's
// alternatives of look-behinds before \d{10,11}): it returns the set and
// k, or k 0.
func leadRun(tree *node, width func(*node) (int64, int64)) (charSet, int) {
	n := tree
	for {
		switch n.op {
		case opGroup, opAtomic:
			n = n.subs[0]
			continue
		case opConcat:
			var first *node
			for _, s := range n.subs {
				if _, hi := width(s); hi > 0 {
					first = s
					break
				}
			}
			if first == nil {
				return nil, 0
			}
			n = first
			continue
		case opRepeat:
			if s := n.subs[0]; s.op == opChars && n.min > 1 && n.min <= maxPivotPrefix {
				return s.chars, int(n.min)
			}
		}
		return nil, 0
	}
}
