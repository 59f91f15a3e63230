package pyre

import (
	"strconv"
	"strings"
)

// guard lists the input conditions under which an RE2 translation is
// exact. When an input violates a guard, the backtracking engine is used.
type guard uint8

const (
	// guardNoInnerNewline: the input has no "\n" except possibly as its
	// last character (Python's non-MULTILINE "$" is emitted as (?m:$)).
	guardNoInnerNewline guard = 1 << iota
	// guardASCII: the input is ASCII (Go's \b is ASCII-only).
	guardASCII
	// guardNonEmpty: the input is not empty (Python's \b and \B never
	// match in an empty string).
	guardNonEmpty
)

// repeatLimit is Go's maximum explicit repeat count.
const repeatLimit = 1000

// writeRune writes c so that it is a literal in both RE2 and regexp2
// syntax outside a class.
func writeRune(b *strings.Builder, c rune) {
	if c > ' ' && c < 0x7f && !isWordASCII(c) {
		b.WriteByte('\\')
		b.WriteRune(c)
		return
	}
	writeClassRune(b, c)
}

// writeClassRune writes c as a class member. Punctuation is written in
// hex: regexp2 misreads some escaped punctuation in ranges, e.g. [\--\/].
func writeClassRune(b *strings.Builder, c rune) {
	switch {
	case isWordASCII(c):
		b.WriteRune(c)
	default:
		b.WriteString(`\x{`)
		b.WriteString(strconv.FormatInt(int64(c), 16))
		b.WriteByte('}')
	}
}

// writeSet writes a set as a literal or a class. It writes nothing and
// returns false for the empty set.
func writeSet(b *strings.Builder, set charSet) bool {
	set = set.withoutSurrogates()
	if len(set) == 0 {
		return false
	}
	if len(set) == 1 && set[0].lo == set[0].hi {
		writeRune(b, set[0].lo)
		return true
	}
	comp := negate(set).withoutSurrogates()
	b.WriteByte('[')
	if len(comp) > 0 && len(comp) < len(set) {
		b.WriteByte('^')
		set = comp
	}
	for _, r := range set {
		writeClassRune(b, r.lo)
		if r.hi != r.lo {
			if r.hi > r.lo+1 {
				b.WriteByte('-')
			}
			writeClassRune(b, r.hi)
		}
	}
	b.WriteByte(']')
	return true
}

// nullable reports whether n can match the empty string (conservatively:
// lookarounds and backreferences are treated as possibly empty).
func nullable(n *node) bool {
	switch n.op {
	case opChars:
		return false
	case opConcat:
		for _, s := range n.subs {
			if !nullable(s) {
				return false
			}
		}
		return true
	case opAlt:
		for _, s := range n.subs {
			if nullable(s) {
				return true
			}
		}
		return false
	case opRepeat:
		return n.min == 0 || nullable(n.subs[0])
	case opGroup, opAtomic:
		return nullable(n.subs[0])
	}
	return true
}

func hasCapture(n *node) bool {
	if n == nil {
		return false
	}
	if n.op == opGroup {
		return true
	}
	for _, s := range n.subs {
		if hasCapture(s) {
			return true
		}
	}
	return false
}

// re2Emitter translates a tree to Go regexp syntax.
type re2Emitter struct {
	b     strings.Builder
	guard guard
}

// emit returns false if n has no exact RE2 equivalent.
func (e *re2Emitter) emit(n *node) bool {
	b := &e.b
	switch n.op {
	case opEmpty:
		b.WriteString(`(?:)`)
	case opChars:
		if !writeSet(b, n.chars) {
			b.WriteString(`[^\x{0}-\x{10ffff}]`)
		}
	case opAssert:
		switch n.at {
		case atBeginText:
			b.WriteString(`\A`)
		case atBeginLine:
			b.WriteString(`(?m:^)`)
		case atEndText:
			b.WriteString(`\z`)
		case atEndTextOptNL:
			b.WriteString(`(?m:$)`)
			e.guard |= guardNoInnerNewline
		case atEndLine:
			b.WriteString(`(?m:$)`)
		case atBoundary, atNonBoundary:
			b.WriteString(map[bool]string{true: `\b`, false: `\B`}[n.at == atBoundary])
			e.guard |= guardASCII | guardNonEmpty
		case atASCIIBoundary, atASCIINonBoundary:
			b.WriteString(map[bool]string{true: `\b`, false: `\B`}[n.at == atASCIIBoundary])
			e.guard |= guardNonEmpty
		}
	case opConcat:
		b.WriteString(`(?:`)
		for _, s := range n.subs {
			if !e.emit(s) {
				return false
			}
		}
		b.WriteByte(')')
	case opAlt:
		b.WriteString(`(?:`)
		for i, s := range n.subs {
			if i > 0 {
				b.WriteByte('|')
			}
			if !e.emit(s) {
				return false
			}
		}
		b.WriteByte(')')
	case opGroup:
		b.WriteByte('(')
		if !e.emit(n.subs[0]) {
			return false
		}
		b.WriteByte(')')
	case opRepeat:
		body := n.subs[0]
		if n.rep == possessive {
			return false
		}
		if n.min > repeatLimit || (n.max != maxRepeat && n.max > repeatLimit) {
			return false // RE2 rejects counts above 1000
		}
		if nullable(body) && (n.max > 1 || hasCapture(body)) {
			return false // a repeat of a subpattern that can match empty
		}
		b.WriteString(`(?:`)
		if !e.emit(body) {
			return false
		}
		b.WriteByte(')')
		writeQuant(b, n)
	default:
		// atomic groups, lookarounds, backreferences, conditionals
		return false
	}
	return true
}

func writeQuant(b *strings.Builder, n *node) {
	switch {
	case n.min == 0 && n.max == maxRepeat:
		b.WriteByte('*')
	case n.min == 1 && n.max == maxRepeat:
		b.WriteByte('+')
	case n.min == 0 && n.max == 1:
		b.WriteByte('?')
	case n.max == maxRepeat:
		b.WriteString("{" + strconv.FormatInt(n.min, 10) + ",}")
	case n.min == n.max:
		b.WriteString("{" + strconv.FormatInt(n.min, 10) + "}")
	default:
		b.WriteString("{" + strconv.FormatInt(n.min, 10) + "," + strconv.FormatInt(n.max, 10) + "}")
	}
	if n.rep == lazy {
		b.WriteByte('?')
	}
}

// btRepeatLimit bounds explicit counts given to regexp2 (its parser uses
// 32-bit counts); larger bounds are treated as unbounded, which only
// differs on inputs of more than a billion characters.
const btRepeatLimit = 1 << 30

// btEmitter translates a tree to regexp2 (default, .NET-like) syntax. All
// character classes and anchors are spelled out explicitly so that
// regexp2's own class definitions and options never matter.
type btEmitter struct {
	b        strings.Builder
	parser   *parser
	wordUni  string
	wordASCI string
}

func (e *btEmitter) word(ascii bool) string {
	if ascii {
		if e.wordASCI == "" {
			var b strings.Builder
			writeSet(&b, asciiWord)
			e.wordASCI = b.String()
		}
		return e.wordASCI
	}
	if e.wordUni == "" {
		var b strings.Builder
		writeSet(&b, uniWord)
		e.wordUni = b.String()
	}
	return e.wordUni
}

func (e *btEmitter) emit(n *node) {
	b := &e.b
	switch n.op {
	case opEmpty:
		b.WriteString(`(?:)`)
	case opChars:
		if !writeSet(b, n.chars) {
			b.WriteString(`(?!)`)
		}
	case opAssert:
		switch n.at {
		case atBeginText:
			b.WriteString(`\A`)
		case atBeginLine:
			b.WriteString(`(?:\A|(?<=\n))`)
		case atEndText:
			b.WriteString(`\z`)
		case atEndTextOptNL:
			b.WriteString(`(?=\n?\z)`)
		case atEndLine:
			b.WriteString(`(?=\n|\z)`)
		case atBoundary, atASCIIBoundary:
			w := e.word(n.at == atASCIIBoundary)
			b.WriteString(`(?:(?<=` + w + `)(?!` + w + `)|(?<!` + w + `)(?=` + w + `))`)
		case atNonBoundary, atASCIINonBoundary:
			w := e.word(n.at == atASCIINonBoundary)
			b.WriteString(`(?!\A\z)(?:(?<=` + w + `)(?=` + w + `)|(?<!` + w + `)(?!` + w + `))`)
		}
	case opConcat:
		b.WriteString(`(?:`)
		for _, s := range n.subs {
			e.emit(s)
		}
		b.WriteByte(')')
	case opAlt:
		b.WriteString(`(?:`)
		for i, s := range n.subs {
			if i > 0 {
				b.WriteByte('|')
			}
			e.emit(s)
		}
		b.WriteByte(')')
	case opGroup:
		b.WriteByte('(')
		e.emit(n.subs[0])
		b.WriteByte(')')
	case opAtomic:
		b.WriteString(`(?>`)
		e.emit(n.subs[0])
		b.WriteByte(')')
	case opRepeat:
		if n.min > btRepeatLimit {
			b.WriteString(`(?!)`)
			return
		}
		q := *n
		if q.max > btRepeatLimit {
			q.max = maxRepeat
		}
		if n.rep == possessive {
			b.WriteString(`(?>`)
		}
		b.WriteString(`(?:`)
		e.emit(n.subs[0])
		b.WriteByte(')')
		writeQuant(b, &q)
		if n.rep == possessive {
			b.WriteByte(')')
		}
	case opLook:
		sub := n.subs[0]
		if !n.behind {
			b.WriteString(map[bool]string{false: `(?=`, true: `(?!`}[n.neg])
			e.emit(sub)
			b.WriteByte(')')
			return
		}
		w, _ := clampWidth(e.parser.width(sub))
		if w == 0 {
			// Python steps back zero characters and matches forward.
			b.WriteString(map[bool]string{false: `(?=`, true: `(?!`}[n.neg])
			e.emit(sub)
			b.WriteByte(')')
			return
		}
		// Python steps back w characters and matches the fixed-width
		// subpattern forwards from there; do exactly that, so captures
		// and alternation order behave as in Python.
		b.WriteString(map[bool]string{false: `(?<=`, true: `(?<!`}[n.neg])
		b.WriteString(`(?=`)
		e.emit(sub)
		b.WriteString(`)[\s\S]{` + strconv.FormatInt(w, 10) + `})`)
	case opBackref:
		if n.fold {
			b.WriteString(`(?i:\k<` + strconv.Itoa(n.group) + `>)`)
		} else {
			b.WriteString(`\k<` + strconv.Itoa(n.group) + `>`)
		}
	case opCond:
		b.WriteString(`(?(` + strconv.Itoa(n.group) + `)(?:`)
		e.emit(n.subs[0])
		b.WriteString(`)|(?:`)
		if n.subs[1] != nil {
			e.emit(n.subs[1])
		}
		b.WriteString(`))`)
	}
}
