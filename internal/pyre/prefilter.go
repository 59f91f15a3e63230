package pyre

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file computes, at compile time, a necessary condition for a
// pattern to match: literal strings that every match must contain, in
// order. MayMatch checks it with strings.Index before any engine runs, so
// that lines a failregex cannot match are rejected in a few nanoseconds.
//
// The condition is derived from the parsed tree, in which flags are
// already resolved (IGNORECASE to explicit character sets, ^ and $ to
// their MULTILINE or non-MULTILINE kinds). For every node we compute a
// shape: a list of elements whose concatenation over-approximates the
// text the node can consume. An element is either a gap (any text) or a
// set of literals (the text there is one of them). Every consumed text t
// of the node splits as t = t1 t2 ... tk with ti in element i, so the
// literal elements of the whole pattern occur in the input in order and
// without overlapping, whichever match the engine finds. Zero-width items
// (anchors, lookarounds) consume "" and so do not break a literal;
// backreferences and large classes are gaps.
//
// Literals are compared byte-wise against the UTF-8 input. A decoded code
// point of the input corresponds to its own encoding in the bytes, except
// U+FFFD, which also stands for an invalid byte; literals therefore never
// contain U+FFFD (or surrogates). A literal may be marked fold: it then
// matches ASCII letters in either case, which only widens what it accepts,
// so a literal with some case-insensitive letters is folded as a whole.

const (
	// maxAlts bounds the alternatives in one literal set.
	maxAlts = 16
	// maxClassLits is the largest class turned into single-character
	// alternatives.
	maxClassLits = 4
	// maxUnroll bounds how many iterations of a repeat are unrolled.
	maxUnroll = 8
)

// lit is one literal: its UTF-8 bytes, lowercased for ASCII letters when
// fold is set.
type lit struct {
	s    string
	fold bool
}

// elem is one element of a shape: a gap (alts == nil) or a set of
// literals.
type elem struct {
	alts []lit
}

func (e elem) gap() bool { return e.alts == nil }

// minLen is the length of the shortest alternative (0 for a gap).
func (e elem) minLen() int {
	if e.gap() {
		return 0
	}
	m := len(e.alts[0].s)
	for _, l := range e.alts[1:] {
		m = min(m, len(l.s))
	}
	return m
}

// shape over-approximates the texts a node consumes; see the file
// comment. An empty shape means the node consumes only "".
type shape []elem

var gapShape = shape{{}}

// exactLits returns the literal set when s consumes exactly one of a
// finite set of strings ("" for an empty shape).
func (s shape) exactLits() ([]lit, bool) {
	switch {
	case len(s) == 0:
		return []lit{{}}, true
	case len(s) == 1 && !s[0].gap():
		return s[0].alts, true
	}
	return nil, false
}

// concat returns a followed by b, merging adjacent literal sets when the
// product stays small.
func concat(a, b shape) shape {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make(shape, 0, len(a)+len(b))
	out = append(out, a...)
	last, first := out[len(out)-1], b[0]
	switch {
	case last.gap() && first.gap():
		b = b[1:]
	case !last.gap() && !first.gap() && len(last.alts)*len(first.alts) <= maxAlts:
		out[len(out)-1] = elem{alts: product(last.alts, first.alts)}
		b = b[1:]
	}
	return append(out, b...)
}

func product(a, b []lit) []lit {
	out := make([]lit, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = addLit(out, joinLit(x, y))
		}
	}
	return out
}

func joinLit(x, y lit) lit {
	switch {
	case x.fold == y.fold:
		return lit{x.s + y.s, x.fold}
	case x.fold:
		return lit{x.s + asciiLower(y.s), true}
	default:
		return lit{asciiLower(x.s) + y.s, true}
	}
}

func addLit(set []lit, l lit) []lit {
	for _, x := range set {
		if x == l {
			return set
		}
	}
	return append(set, l)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// shapeOf computes the shape of n.
func shapeOf(n *node) shape { return shapeRuns(n, true) }

// shapeRuns computes the shape of n; with runs, the shape of a run of
// plain characters in a concatenation is taken in one step, as one
// literal. That gives the same shape as concatenating the characters one
// by one (the shape of a plain character is the literal of that one
// character): concat then merges each character into the literal set
// before it, whose alternatives (at most maxAlts) each get the character
// appended, and appending the same text to distinct literals leaves them
// distinct. TestShapeRuns and FuzzShapeRuns check it.
func shapeRuns(n *node, runs bool) shape {
	switch n.op {
	case opEmpty, opAssert, opLook:
		return nil
	case opChars:
		if alts := charLits(n.chars); alts != nil {
			return shape{{alts: alts}}
		}
		return gapShape
	case opConcat:
		var s shape
		for i := 0; i < len(n.subs); i++ {
			if j := plainRun(n.subs, i); runs && j > i+1 {
				var b strings.Builder
				for _, sub := range n.subs[i:j] {
					b.WriteRune(sub.chars[0].lo)
				}
				s = concat(s, shape{{alts: []lit{{s: b.String()}}}})
				i = j - 1
				continue
			}
			s = concat(s, shapeRuns(n.subs[i], runs))
		}
		return s
	case opAlt:
		subs := make([]shape, len(n.subs))
		for i, sub := range n.subs {
			subs[i] = shapeRuns(sub, runs)
		}
		return altShape(subs)
	case opCond:
		no := shape(nil)
		if n.subs[1] != nil {
			no = shapeRuns(n.subs[1], runs)
		}
		return altShape([]shape{shapeRuns(n.subs[0], runs), no})
	case opRepeat:
		return repeatShape(shapeRuns(n.subs[0], runs), n.min, n.max)
	case opGroup, opAtomic:
		return shapeRuns(n.subs[0], runs)
	}
	return gapShape // backreferences
}

// plainRun returns the end of the run of plain characters in subs from
// i: nodes of one character, whose shape is the literal of that
// character alone (charLits).
func plainRun(subs []*node, i int) int {
	for ; i < len(subs); i++ {
		n := subs[i]
		if n.op != opChars || len(n.chars) != 1 || n.chars[0].lo != n.chars[0].hi {
			break
		}
		if c := n.chars[0].lo; c == utf8.RuneError || !utf8.ValidRune(c) {
			break
		}
	}
	return i
}

// charLits returns the characters of a small set as literals, or nil.
func charLits(cs charSet) []lit {
	count := 0
	for _, r := range cs {
		count += int(r.hi-r.lo) + 1
		if count > maxClassLits {
			return nil
		}
	}
	if count == 0 {
		return nil // matches nothing; a gap is still a valid over-approximation
	}
	out := make([]lit, 0, count)
	for _, r := range cs {
		for c := r.lo; c <= r.hi; c++ {
			if c == utf8.RuneError || !utf8.ValidRune(c) {
				return nil
			}
			if c < utf8.RuneSelf {
				out = append(out, lit{s: asciiChars[c : c+1]})
			} else {
				out = append(out, lit{s: string(c)})
			}
		}
	}
	if len(out) == 2 && len(out[0].s) == 1 && len(out[1].s) == 1 {
		if u, l := out[0].s[0], out[1].s[0]; u >= 'A' && u <= 'Z' && l == u+('a'-'A') {
			return []lit{{s: out[1].s, fold: true}}
		}
	}
	return out
}

// asciiChars holds the ASCII characters in order: asciiChars[c:c+1] is
// the string of c, without an allocation.
const asciiChars = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f" +
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f"

// repeatShape is the shape of min..max iterations of a body of shape s:
// the first iterations are unrolled, anything more is a gap.
func repeatShape(s shape, lo, hi int64) shape {
	if hi == 0 || len(s) == 0 {
		return nil
	}
	if lo == 0 {
		if exact, ok := s.exactLits(); ok && hi == 1 && len(exact) < maxAlts {
			return shape{{alts: addLit(append([]lit(nil), exact...), lit{})}}
		}
		return gapShape
	}
	var out shape
	n := min(lo, maxUnroll)
	for range n {
		out = concat(out, s)
	}
	if hi > n {
		out = concat(out, gapShape)
	}
	return out
}

// altShape is the shape of an alternation: the union when every branch is
// a small literal set, else the best of what all branches share at their
// start, at their end, or anywhere.
func altShape(subs []shape) shape {
	var union []lit
	exact := true
	for _, s := range subs {
		e, ok := s.exactLits()
		if !ok {
			exact = false
			break
		}
		for _, l := range e {
			union = addLit(union, l)
		}
	}
	if exact && len(union) <= maxAlts {
		return shape{{alts: union}}
	}
	// Every branch must contribute an element for a set to be required.
	pick := func(f func(shape) (elem, bool)) (elem, bool) {
		var alts []lit
		for _, s := range subs {
			e, ok := f(s)
			if !ok || e.gap() {
				return elem{}, false
			}
			for _, l := range e.alts {
				alts = addLit(alts, l)
			}
			if len(alts) > maxAlts {
				return elem{}, false
			}
		}
		return elem{alts: alts}, true
	}
	first := func(s shape) (elem, bool) {
		if len(s) == 0 {
			return elem{}, false
		}
		return s[0], true
	}
	last := func(s shape) (elem, bool) {
		if len(s) == 0 {
			return elem{}, false
		}
		return s[len(s)-1], true
	}
	best := func(s shape) (elem, bool) {
		var b elem
		for _, e := range s {
			if e.minLen() > b.minLen() {
				b = e
			}
		}
		return b, len(s) > 0
	}
	// first and last are distinct elements only when every branch has at
	// least two.
	distinct := true
	for _, s := range subs {
		distinct = distinct && len(s) >= 2
	}
	fe, fok := pick(first)
	le, lok := pick(last)
	be, bok := pick(best)
	cands := []shape{gapShape}
	if fok && lok && distinct {
		cands = append(cands, shape{fe, {}, le})
	}
	if fok {
		cands = append(cands, shape{fe, {}})
	}
	if lok {
		cands = append(cands, shape{{}, le})
	}
	if bok {
		cands = append(cands, shape{{}, be, {}})
	}
	out, score := cands[0], -1
	for _, c := range cands {
		sc := 0
		for _, e := range c {
			sc += e.minLen()
		}
		if sc > score {
			out, score = c, sc
		}
	}
	return out
}

// startsAtBeginning reports whether every match of n starts at offset 0.
func startsAtBeginning(n *node) bool {
	switch n.op {
	case opAssert:
		return n.at == atBeginText
	case opConcat:
		for _, sub := range n.subs {
			if startsAtBeginning(sub) {
				return true
			}
			if sub.op != opAssert && sub.op != opLook && sub.op != opEmpty {
				return false
			}
		}
		return false
	case opAlt:
		for _, sub := range n.subs {
			if !startsAtBeginning(sub) {
				return false
			}
		}
		return len(n.subs) > 0
	case opGroup, opAtomic:
		return startsAtBeginning(n.subs[0])
	}
	return false
}

// prefilter is the compiled necessary condition.
type prefilter struct {
	// anchored: steps[0] must occur at offset 0.
	anchored bool
	// first holds the possible first bytes of s when anchored.
	first [4]uint64
	// steps must occur in order, without overlapping; each is a set of
	// alternatives.
	steps [][]lit
}

// minStepLen is the shortest literal worth searching for, unless it is
// anchored.
const minStepLen = 2

// newPrefilter returns the prefilter of tree, or nil if it has none.
func newPrefilter(tree *node) *prefilter {
	s := shapeOf(tree)
	pf := &prefilter{}
	for i, e := range s {
		m := e.minLen()
		if i == 0 && m > 0 && startsAtBeginning(tree) {
			pf.anchored = true
			pf.steps = append(pf.steps, e.alts)
			for _, l := range e.alts {
				c := l.s[0]
				pf.first[c>>6] |= 1 << (c & 63)
				if l.fold && c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
					pf.first[c>>6] |= 1 << (c & 63)
				}
			}
			continue
		}
		if m >= minStepLen {
			pf.steps = append(pf.steps, e.alts)
		}
	}
	if len(pf.steps) == 0 {
		return nil
	}
	return pf
}

// mayMatch reports false only when no match can exist in s.
func (pf *prefilter) mayMatch(s string) bool {
	if pf.anchored && (len(s) == 0 || pf.first[s[0]>>6]&(1<<(s[0]&63)) == 0) {
		return false
	}
	pos := 0
	for i, alts := range pf.steps {
		end := -1
		if i == 0 && pf.anchored {
			for _, l := range alts {
				if hasPrefixLit(s, l) && (end < 0 || len(l.s) < end) {
					end = len(l.s)
				}
			}
		} else {
			// The occurrence ending first leaves the most room for the
			// following steps.
			for _, l := range alts {
				limit := len(s)
				if end >= 0 {
					limit = min(limit, end-1) // only an earlier end helps
				}
				if j := indexLit(s[pos:limit], l); j >= 0 {
					end = pos + j + len(l.s)
				}
			}
		}
		if end < 0 {
			return false
		}
		pos = end
	}
	return true
}

// mayStart reports false only when s starts with none of the anchored
// first step's texts.
func (pf *prefilter) mayStart(s string) bool {
	if len(s) == 0 || pf.first[s[0]>>6]&(1<<(s[0]&63)) == 0 {
		return false
	}
	for _, l := range pf.steps[0] {
		if hasPrefixLit(s, l) {
			return true
		}
	}
	return false
}

func hasPrefixLit(s string, l lit) bool {
	if !l.fold {
		return strings.HasPrefix(s, l.s)
	}
	return len(s) >= len(l.s) && equalFoldLit(s[:len(l.s)], l.s)
}

func indexLit(s string, l lit) int {
	if !l.fold {
		return strings.Index(s, l.s)
	}
	return indexFold(s, l.s)
}

// equalFoldLit reports whether s equals the ASCII-lowercased literal l
// ignoring ASCII case; len(s) == len(l).
func equalFoldLit(s, l string) bool {
	for i := 0; i < len(l); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != l[i] {
			return false
		}
	}
	return true
}

// indexFold is strings.Index ignoring ASCII case, for a lowercased l.
func indexFold(s, l string) int {
	n := len(l)
	if n == 0 {
		return 0
	}
	// Anchor the scan on the first byte that is not a letter, found with
	// IndexByte, when there is one.
	k := 0
	for k < n && l[k] >= 'a' && l[k] <= 'z' {
		k++
	}
	if k < n {
		c := l[k]
		for i := k; i+n-k <= len(s); {
			j := strings.IndexByte(s[i:len(s)-(n-k)+1], c)
			if j < 0 {
				return -1
			}
			i += j
			if equalFoldLit(s[i-k:i-k+n], l) {
				return i - k
			}
			i++
		}
		return -1
	}
	// Every byte of l is a letter: the candidates are where its first
	// letter occurs in either case, each found with IndexByte.
	lo, up := l[0], l[0]-('a'-'A')
	last := len(s) - n // the last place a match can start
	nextLo, nextUp := -1, -1
	for i := 0; i <= last; {
		// nextLo and nextUp: the next lo and up at or after i, or
		// len(s) for none (which is past last)
		if nextLo < i {
			nextLo = len(s)
			if j := strings.IndexByte(s[i:last+1], lo); j >= 0 {
				nextLo = i + j
			}
		}
		if nextUp < i {
			nextUp = len(s)
			if j := strings.IndexByte(s[i:last+1], up); j >= 0 {
				nextUp = i + j
			}
		}
		c := min(nextLo, nextUp)
		if c > last {
			return -1
		}
		if equalFoldLit(s[c:c+n], l) {
			return c
		}
		i = c + 1
	}
	return -1
}

// String describes the prefilter, for tests and debugging: steps in
// order, "|" between alternatives, "(?i)" on folded literals and a leading
// "^" when the first step is anchored.
func (pf *prefilter) String() string {
	if pf == nil {
		return ""
	}
	var b strings.Builder
	if pf.anchored {
		b.WriteByte('^')
	}
	for i, alts := range pf.steps {
		if i > 0 {
			b.WriteString(" .. ")
		}
		for j, l := range alts {
			if j > 0 {
				b.WriteByte('|')
			}
			if l.fold {
				b.WriteString("(?i)")
			}
			b.WriteString(strconv.QuoteToASCII(l.s))
		}
	}
	return b.String()
}
