package pyre

// This file removes lookbehinds whose outcome is decided by the pattern
// itself. fail2ban's <HOST> expansion contains (?<=:): after a repeat
// whose every iteration ends in ':'; proving it always true lets the
// whole pattern use RE2.

// prevCtx over-approximates what precedes a position: the characters
// that may be just before it, and whether it may be the start of input.
type prevCtx struct {
	chars charSet
	start bool
}

var unknownCtx = prevCtx{chars: charSet{{0, maxRune}}, start: true}

func (a prevCtx) union(b prevCtx) prevCtx {
	return prevCtx{chars: union(a.chars, b.chars), start: a.start || b.start}
}

// lastInfo returns a superset of the characters n may end with, and
// whether n may match the empty string.
func lastInfo(n *node) (charSet, bool) {
	switch n.op {
	case opChars:
		return n.chars, false
	case opConcat:
		var acc charSet
		for i := len(n.subs) - 1; i >= 0; i-- {
			l, nl := lastInfo(n.subs[i])
			acc = union(acc, l)
			if !nl {
				return acc, false
			}
		}
		return acc, true
	case opAlt:
		var acc charSet
		nullableAny := false
		for _, s := range n.subs {
			l, nl := lastInfo(s)
			acc = union(acc, l)
			nullableAny = nullableAny || nl
		}
		return acc, nullableAny
	case opRepeat:
		l, nl := lastInfo(n.subs[0])
		return l, nl || n.min == 0
	case opGroup, opAtomic:
		return lastInfo(n.subs[0])
	case opBackref, opCond:
		return charSet{{0, maxRune}}, true
	}
	return nil, true // empty, assertions, lookarounds
}

// cloneTree deep-copies n.
func cloneTree(n *node) *node {
	if n == nil {
		return nil
	}
	c := *n
	c.subs = make([]*node, len(n.subs))
	for i, s := range n.subs {
		c.subs[i] = cloneTree(s)
	}
	return &c
}

// elideLookbehinds rewrites, in place, single-character lookbehinds whose
// result is fixed by what precedes them, and returns the context after n.
func elideLookbehinds(n *node, before prevCtx) prevCtx {
	switch n.op {
	case opChars:
		return prevCtx{chars: n.chars}
	case opConcat:
		for _, s := range n.subs {
			before = elideLookbehinds(s, before)
		}
		return before
	case opAlt:
		var after prevCtx
		for _, s := range n.subs {
			after = after.union(elideLookbehinds(s, before))
		}
		return after
	case opRepeat:
		l, nl := lastInfo(n.subs[0])
		bodyBefore := before
		if n.max > 1 {
			bodyBefore = before.union(prevCtx{chars: l})
		}
		elideLookbehinds(n.subs[0], bodyBefore)
		after := prevCtx{chars: l}
		if nl || n.min == 0 {
			after = after.union(before)
		}
		return after
	case opGroup, opAtomic:
		return elideLookbehinds(n.subs[0], before)
	case opLook:
		sub := n.subs[0]
		if !n.behind || sub.op != opChars {
			return before
		}
		always := !before.start && len(intersect(before.chars, negate(sub.chars))) == 0
		never := len(intersect(before.chars, sub.chars)) == 0
		if (always && !n.neg) || (never && n.neg) {
			*n = node{op: opEmpty}
		} else if (never && !n.neg) || (always && n.neg) {
			*n = node{op: opChars} // empty set: never matches
		}
		return before
	case opBackref, opCond:
		return unknownCtx
	}
	return before
}
