package datedetect

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxProgram bounds the size of a compiled program (counted repetitions
// are expanded).
const maxProgram = 20000

// flags of the Python regex dialect that this engine honours.
type rxFlags struct {
	icase, dotall, multiline, ascii bool
}

// set sets the inline flag c (i, s, m, a; u is the default and changes
// nothing) to on. It reports false for any other c.
func (fl *rxFlags) set(c rune, on bool) bool {
	switch c {
	case 'i':
		fl.icase = on
	case 's':
		fl.dotall = on
	case 'm':
		fl.multiline = on
	case 'a':
		fl.ascii = on
	case 'u':
	default:
		return false
	}
	return true
}

type nodeKind uint8

const (
	nRune nodeKind = iota
	nClass
	nAny
	nConcat
	nAlt
	nGroup // capturing
	nRepeat
	nAssert
	nLook
	nBackref
	nCond
	nEmpty
)

type node struct {
	kind     nodeKind
	r        rune
	cls      *charClass
	subs     []*node
	group    int
	min, max int // max < 0: unbounded
	greedy   bool
	assert   int
	neg      bool
	behind   bool
	fl       rxFlags
}

type rxParser struct {
	src    string
	pos    int
	ncap   int
	names  map[string]int
	byNum  []string
	global rxFlags
}

// compileRx compiles a Python regular expression.
func compileRx(src string) (*program, error) {
	p := &rxParser{src: src, names: map[string]int{}, byNum: []string{""}}
	fl, err := p.globalFlags()
	if err != nil {
		return nil, err
	}
	p.global = fl
	n, err := p.parseAlt(fl, 0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("unbalanced parenthesis at %d", p.pos)
	}
	c := &rxCompiler{}
	prog, err := c.program(n, p.ncap)
	if err != nil {
		return nil, err
	}
	prog.names = p.byNum
	return prog, nil
}

// globalFlags consumes leading "(?aiLmsux)" groups. Python 3.11 rejects
// global flags anywhere else.
func (p *rxParser) globalFlags() (rxFlags, error) {
	var fl rxFlags
	for strings.HasPrefix(p.src[p.pos:], "(?") {
		j := p.pos + 2
		k := j
		for k < len(p.src) && strings.IndexByte("aiLmsux", p.src[k]) >= 0 {
			k++
		}
		if k == j || k >= len(p.src) || p.src[k] != ')' {
			break
		}
		for _, c := range p.src[j:k] {
			if !fl.set(c, true) {
				return fl, fmt.Errorf("unsupported regex flag %q", c)
			}
		}
		p.pos = k + 1
	}
	return fl, nil
}

func (p *rxParser) more() bool { return p.pos < len(p.src) }
func (p *rxParser) peek() byte { return p.src[p.pos] }

func (p *rxParser) parseAlt(fl rxFlags, depth int) (*node, error) {
	if depth > 200 {
		return nil, fmt.Errorf("regex nested too deeply")
	}
	var alts []*node
	for {
		seq, err := p.parseSeq(fl, depth)
		if err != nil {
			return nil, err
		}
		alts = append(alts, seq)
		if p.more() && p.peek() == '|' {
			p.pos++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return &node{kind: nAlt, subs: alts}, nil
}

func (p *rxParser) parseSeq(fl rxFlags, depth int) (*node, error) {
	var items []*node
	for p.more() {
		c := p.peek()
		if c == '|' || c == ')' {
			break
		}
		atom, err := p.parseAtom(fl, depth)
		if err != nil {
			return nil, err
		}
		if atom == nil {
			continue
		}
		atom, err = p.parseQuant(atom)
		if err != nil {
			return nil, err
		}
		items = append(items, atom)
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return &node{kind: nConcat, subs: items}, nil
}

func (p *rxParser) parseQuant(atom *node) (*node, error) {
	if !p.more() {
		return atom, nil
	}
	min, max := -1, -1
	switch p.peek() {
	case '?':
		min, max = 0, 1
		p.pos++
	case '*':
		min, max = 0, -1
		p.pos++
	case '+':
		min, max = 1, -1
		p.pos++
	case '{':
		lo, hi, n, ok := parseBraces(p.src[p.pos:])
		if !ok {
			return atom, nil
		}
		min, max = lo, hi
		p.pos += n
	default:
		return atom, nil
	}
	if atom.kind == nAssert || atom.kind == nLook || atom.kind == nEmpty {
		return nil, fmt.Errorf("nothing to repeat at %d", p.pos)
	}
	if atom.kind == nRepeat {
		return nil, fmt.Errorf("multiple repeat at %d", p.pos)
	}
	greedy := true
	if p.more() {
		switch p.peek() {
		case '?':
			greedy = false
			p.pos++
		case '+':
			return nil, fmt.Errorf("possessive quantifiers not supported")
		}
	}
	if max >= 0 && min > max {
		return nil, fmt.Errorf("min repeat greater than max repeat")
	}
	if min > 1000 || max > 1000 {
		return nil, fmt.Errorf("repeat count too large")
	}
	return &node{kind: nRepeat, subs: []*node{atom}, min: min, max: max, greedy: greedy}, nil
}

// parseBraces parses "{m}", "{m,}", "{,n}", "{m,n}" as Python does; ok is
// false when the text is a literal brace.
func parseBraces(s string) (lo, hi, n int, ok bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return 0, 0, 0, false
	}
	body := s[1:end]
	a, b, comma := strings.Cut(body, ",")
	for _, part := range []string{a, b} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, 0, 0, false
			}
		}
	}
	if !comma {
		if a == "" {
			return 0, 0, 0, false
		}
		v, err := strconv.Atoi(a)
		if err != nil {
			return 0, 0, 0, false
		}
		return v, v, end + 1, true
	}
	lo, hi = 0, -1
	if a != "" {
		v, err := strconv.Atoi(a)
		if err != nil {
			return 0, 0, 0, false
		}
		lo = v
	}
	if b != "" {
		v, err := strconv.Atoi(b)
		if err != nil {
			return 0, 0, 0, false
		}
		hi = v
	}
	return lo, hi, end + 1, true
}

func (p *rxParser) parseAtom(fl rxFlags, depth int) (*node, error) {
	c := p.peek()
	switch c {
	case '(':
		return p.parseGroup(fl, depth)
	case '[':
		return p.parseClass(fl)
	case '.':
		p.pos++
		return &node{kind: nAny, fl: fl}, nil
	case '^':
		p.pos++
		if fl.multiline {
			return &node{kind: nAssert, assert: asBOLm}, nil
		}
		return &node{kind: nAssert, assert: asBOL}, nil
	case '$':
		p.pos++
		if fl.multiline {
			return &node{kind: nAssert, assert: asEOLm}, nil
		}
		return &node{kind: nAssert, assert: asEOL}, nil
	case '\\':
		return p.parseEscape(fl)
	case '*', '+', '?':
		return nil, fmt.Errorf("nothing to repeat at %d", p.pos)
	case '{':
		if _, _, _, ok := parseBraces(p.src[p.pos:]); ok {
			return nil, fmt.Errorf("nothing to repeat at %d", p.pos)
		}
	}
	r, w := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += w
	return litNode(r, fl), nil
}

func litNode(r rune, fl rxFlags) *node {
	if fl.icase {
		return &node{kind: nRune, r: pyFold(r), fl: fl}
	}
	return &node{kind: nRune, r: r, fl: fl}
}

func (p *rxParser) groupName(end byte) (string, error) {
	k := strings.IndexByte(p.src[p.pos:], end)
	if k <= 0 {
		return "", fmt.Errorf("bad group name at %d", p.pos)
	}
	name := p.src[p.pos : p.pos+k]
	for i, r := range name {
		if !(r == '_' || isWord(r, false)) || (i == 0 && isDigit(r, false)) {
			return "", fmt.Errorf("bad character in group name %q", name)
		}
	}
	p.pos += k + 1
	return name, nil
}

func (p *rxParser) parseGroup(fl rxFlags, depth int) (*node, error) {
	start := p.pos
	p.pos++ // (
	rest := p.src[p.pos:]
	closeGroup := func(n *node) (*node, error) {
		if !p.more() || p.peek() != ')' {
			return nil, fmt.Errorf("missing ), unterminated subpattern at %d", start)
		}
		p.pos++
		return n, nil
	}
	switch {
	case strings.HasPrefix(rest, "?:"):
		p.pos += 2
		body, err := p.parseAlt(fl, depth+1)
		if err != nil {
			return nil, err
		}
		return closeGroup(&node{kind: nConcat, subs: []*node{body}})
	case strings.HasPrefix(rest, "?P<"):
		p.pos += 3
		name, err := p.groupName('>')
		if err != nil {
			return nil, err
		}
		if _, dup := p.names[name]; dup {
			return nil, fmt.Errorf("redefinition of group name %q", name)
		}
		p.ncap++
		g := p.ncap
		p.names[name] = g
		p.byNum = append(p.byNum, name)
		body, err := p.parseAlt(fl, depth+1)
		if err != nil {
			return nil, err
		}
		return closeGroup(&node{kind: nGroup, group: g, subs: []*node{body}})
	case strings.HasPrefix(rest, "?P="):
		p.pos += 3
		name, err := p.groupName(')')
		if err != nil {
			return nil, err
		}
		g, ok := p.names[name]
		if !ok {
			return nil, fmt.Errorf("unknown group name %q", name)
		}
		return &node{kind: nBackref, group: g, fl: fl}, nil
	case strings.HasPrefix(rest, "?="), strings.HasPrefix(rest, "?!"),
		strings.HasPrefix(rest, "?<="), strings.HasPrefix(rest, "?<!"):
		behind := rest[1] == '<'
		neg := strings.HasPrefix(rest, "?!") || strings.HasPrefix(rest, "?<!")
		if behind {
			p.pos += 3
		} else {
			p.pos += 2
		}
		body, err := p.parseAlt(fl, depth+1)
		if err != nil {
			return nil, err
		}
		n := &node{kind: nLook, neg: neg, behind: behind, subs: []*node{body}}
		if behind {
			if _, fixed := width(body); !fixed {
				return nil, fmt.Errorf("look-behind requires fixed-width pattern")
			}
		}
		return closeGroup(n)
	case strings.HasPrefix(rest, "?("):
		p.pos += 2
		k := strings.IndexByte(p.src[p.pos:], ')')
		if k <= 0 {
			return nil, fmt.Errorf("bad conditional at %d", start)
		}
		ref := p.src[p.pos : p.pos+k]
		p.pos += k + 1
		g, ok := p.names[ref]
		if !ok {
			v, err := strconv.Atoi(ref)
			if err != nil || v < 1 || v > p.ncap {
				return nil, fmt.Errorf("unknown group %q in conditional", ref)
			}
			g = v
		}
		yes, err := p.parseSeq(fl, depth+1)
		if err != nil {
			return nil, err
		}
		no := &node{kind: nEmpty}
		if p.more() && p.peek() == '|' {
			p.pos++
			no, err = p.parseSeq(fl, depth+1)
			if err != nil {
				return nil, err
			}
			if p.more() && p.peek() == '|' {
				return nil, fmt.Errorf("conditional backref with more than two branches")
			}
		}
		return closeGroup(&node{kind: nCond, group: g, subs: []*node{yes, no}})
	case strings.HasPrefix(rest, "?#"):
		k := strings.IndexByte(rest, ')')
		if k < 0 {
			return nil, fmt.Errorf("missing ), unterminated comment")
		}
		p.pos += k + 1
		return nil, nil
	case strings.HasPrefix(rest, "?"):
		// scoped flags (?i:...) / (?-i:...); a bare (?i) here is a
		// global flag not at the start, which Python 3.11 rejects.
		p.pos++
		nf := fl
		on := true
		for p.more() && p.peek() != ':' && p.peek() != ')' {
			if c := p.peek(); c == '-' {
				on = false
			} else if !nf.set(rune(c), on) {
				return nil, fmt.Errorf("unknown extension at %d", start)
			}
			p.pos++
		}
		if !p.more() || p.peek() != ':' {
			return nil, fmt.Errorf("global flags not at the start of the expression at %d", start)
		}
		p.pos++
		body, err := p.parseAlt(nf, depth+1)
		if err != nil {
			return nil, err
		}
		return closeGroup(&node{kind: nConcat, subs: []*node{body}})
	}
	p.ncap++
	g := p.ncap
	p.byNum = append(p.byNum, "")
	body, err := p.parseAlt(fl, depth+1)
	if err != nil {
		return nil, err
	}
	return closeGroup(&node{kind: nGroup, group: g, subs: []*node{body}})
}

// width returns the width in runes of n and whether it is fixed.
func width(n *node) (int, bool) {
	switch n.kind {
	case nRune, nClass, nAny:
		return 1, true
	case nAssert, nLook, nEmpty:
		return 0, true
	case nGroup:
		return width(n.subs[0])
	case nConcat:
		t := 0
		for _, s := range n.subs {
			w, ok := width(s)
			if !ok {
				return 0, false
			}
			t += w
		}
		return t, true
	case nAlt, nCond:
		w0 := -1
		for _, s := range n.subs {
			w, ok := width(s)
			if !ok || (w0 >= 0 && w != w0) {
				return 0, false
			}
			w0 = w
		}
		return w0, true
	case nRepeat:
		if n.min != n.max {
			return 0, false
		}
		w, ok := width(n.subs[0])
		return w * n.min, ok
	}
	return 0, false
}

// escapeClass returns the category bit for \d \D \w \W \s \S.
func escapeClass(c byte) uint8 {
	switch c {
	case 'd':
		return catDigit
	case 'D':
		return catNotDigit
	case 'w':
		return catWord
	case 'W':
		return catNotWord
	case 's':
		return catSpace
	case 'S':
		return catNotSpace
	}
	return 0
}

// parseCharEscape decodes an escape that denotes one character; p.pos is
// just after the backslash.
func (p *rxParser) parseCharEscape(inClass bool) (rune, error) {
	if !p.more() {
		return 0, fmt.Errorf("bad escape (end of pattern)")
	}
	c := p.peek()
	p.pos++
	switch c {
	case 'a':
		return 7, nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'b':
		if inClass {
			return 8, nil
		}
	case 'x', 'u', 'U':
		n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
		if p.pos+n > len(p.src) {
			return 0, fmt.Errorf("incomplete escape \\%c", c)
		}
		v, err := strconv.ParseUint(p.src[p.pos:p.pos+n], 16, 32)
		if err != nil || v > utf8.MaxRune {
			return 0, fmt.Errorf("bad escape \\%c", c)
		}
		p.pos += n
		return rune(v), nil
	case '0':
		v := 0
		for k := 0; k < 2 && p.more() && '0' <= p.peek() && p.peek() <= '7'; k++ {
			v = v*8 + int(p.peek()-'0')
			p.pos++
		}
		return rune(v), nil
	}
	if c < utf8.RuneSelf && (('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')) {
		return 0, fmt.Errorf("bad escape \\%c", c)
	}
	p.pos--
	r, w := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += w
	return r, nil
}

func (p *rxParser) parseEscape(fl rxFlags) (*node, error) {
	p.pos++ // backslash
	if !p.more() {
		return nil, fmt.Errorf("bad escape (end of pattern)")
	}
	c := p.peek()
	if cat := escapeClass(c); cat != 0 {
		p.pos++
		return &node{kind: nClass, cls: &charClass{cats: cat, ascii: fl.ascii}}, nil
	}
	switch c {
	case 'b', 'B':
		p.pos++
		kind := asWord
		if c == 'B' {
			kind = asNotWord
		}
		return &node{kind: nAssert, assert: kind, fl: fl}, nil
	case 'A':
		p.pos++
		return &node{kind: nAssert, assert: asBegin}, nil
	case 'Z':
		p.pos++
		return &node{kind: nAssert, assert: asEnd}, nil
	}
	if '1' <= c && c <= '9' {
		j := p.pos
		for j < len(p.src) && j < p.pos+2 && '0' <= p.src[j] && p.src[j] <= '9' {
			j++
		}
		g, _ := strconv.Atoi(p.src[p.pos:j])
		if g > p.ncap {
			return nil, fmt.Errorf("invalid group reference %d", g)
		}
		p.pos = j
		return &node{kind: nBackref, group: g, fl: fl}, nil
	}
	r, err := p.parseCharEscape(false)
	if err != nil {
		return nil, err
	}
	return litNode(r, fl), nil
}

func (p *rxParser) parseClass(fl rxFlags) (*node, error) {
	start := p.pos
	p.pos++ // [
	cls := &charClass{icase: fl.icase, ascii: fl.ascii}
	if p.more() && p.peek() == '^' {
		cls.neg = true
		p.pos++
	}
	first := true
	for {
		if !p.more() {
			return nil, fmt.Errorf("unterminated character set at %d", start)
		}
		c := p.peek()
		if c == ']' && !first {
			p.pos++
			break
		}
		first = false
		var lo rune
		if c == '\\' {
			p.pos++
			if p.more() {
				if cat := escapeClass(p.peek()); cat != 0 {
					cls.cats |= cat
					p.pos++
					continue
				}
			}
			r, err := p.parseCharEscape(true)
			if err != nil {
				return nil, err
			}
			lo = r
		} else {
			r, w := utf8.DecodeRuneInString(p.src[p.pos:])
			p.pos += w
			lo = r
		}
		hi := lo
		if p.pos+1 < len(p.src) && p.peek() == '-' && p.src[p.pos+1] != ']' {
			p.pos++
			if p.peek() == '\\' {
				p.pos++
				if p.more() && escapeClass(p.peek()) != 0 {
					return nil, fmt.Errorf("bad character range at %d", p.pos)
				}
				r, err := p.parseCharEscape(true)
				if err != nil {
					return nil, err
				}
				hi = r
			} else {
				r, w := utf8.DecodeRuneInString(p.src[p.pos:])
				p.pos += w
				hi = r
			}
			if hi < lo {
				return nil, fmt.Errorf("bad character range at %d", p.pos)
			}
		}
		cls.add(lo, hi)
	}
	return &node{kind: nClass, cls: cls}, nil
}

// rxCompiler turns a syntax tree into a program.
type rxCompiler struct {
	insts []inst
	nmark *int
	err   error
}

func (c *rxCompiler) program(n *node, ncap int) (*program, error) {
	nmark := 0
	c.nmark = &nmark
	c.emit(n)
	c.add(inst{op: opMatch})
	if c.err != nil {
		return nil, c.err
	}
	p := &program{insts: c.insts, ncap: ncap, nmark: nmark}
	p.anchored = startsAnchored(n)
	p.computeFirst()
	p.computeWindow()
	return p, nil
}

func (c *rxCompiler) add(in inst) int {
	if len(c.insts) >= maxProgram {
		if c.err == nil {
			c.err = fmt.Errorf("regex too large")
		}
		return len(c.insts) - 1
	}
	c.insts = append(c.insts, in)
	return len(c.insts) - 1
}

func (c *rxCompiler) emit(n *node) {
	if c.err != nil {
		return
	}
	switch n.kind {
	case nEmpty:
	case nRune:
		c.add(inst{op: opRune, r: n.r, icase: n.fl.icase})
	case nClass:
		c.add(inst{op: opClass, cls: n.cls})
	case nAny:
		if n.fl.dotall {
			c.add(inst{op: opAnyAll})
		} else {
			c.add(inst{op: opAny})
		}
	case nConcat:
		for _, s := range n.subs {
			c.emit(s)
		}
	case nAlt:
		var jumps []int
		for k, s := range n.subs {
			if k < len(n.subs)-1 {
				split := c.add(inst{op: opSplit})
				c.insts[split].x = len(c.insts)
				c.emit(s)
				jumps = append(jumps, c.add(inst{op: opJmp}))
				c.insts[split].y = len(c.insts)
			} else {
				c.emit(s)
			}
		}
		for _, j := range jumps {
			c.insts[j].x = len(c.insts)
		}
	case nGroup:
		c.add(inst{op: opSave, x: 2 * n.group})
		c.emit(n.subs[0])
		c.add(inst{op: opSave, x: 2*n.group + 1})
	case nAssert:
		c.add(inst{op: opAssert, x: n.assert, ascii: n.fl.ascii})
	case nBackref:
		c.add(inst{op: opBackref, x: n.group, icase: n.fl.icase})
	case nLook:
		sub := &rxCompiler{nmark: c.nmark}
		sub.emit(n.subs[0])
		sub.add(inst{op: opMatch})
		if sub.err != nil {
			c.err = sub.err
			return
		}
		w, _ := width(n.subs[0])
		in := inst{op: opLook, neg: n.neg, sub: &program{insts: sub.insts}, n: w}
		for _, si := range sub.insts {
			if si.op == opSave {
				in.y = 1 // has captures
			}
		}
		if n.behind {
			in.x = 1
		}
		c.add(in)
	case nCond:
		cond := c.add(inst{op: opCond, x: n.group})
		c.emit(n.subs[0])
		j := c.add(inst{op: opJmp})
		c.insts[cond].y = len(c.insts)
		c.emit(n.subs[1])
		c.insts[j].x = len(c.insts)
	case nRepeat:
		c.emitRepeat(n)
	}
}

func (c *rxCompiler) emitRepeat(n *node) {
	body := n.subs[0]
	for k := 0; k < n.min; k++ {
		c.emit(body)
		if c.err != nil {
			return
		}
	}
	if n.max >= 0 {
		// optional copies: x? x? ... nested so that a failed copy stops
		var ends []int
		for k := n.min; k < n.max; k++ {
			split := c.add(inst{op: opSplit})
			ends = append(ends, split)
			if n.greedy {
				c.insts[split].x = len(c.insts)
			} else {
				c.insts[split].y = len(c.insts)
			}
			c.emit(body)
			if c.err != nil {
				return
			}
		}
		for _, s := range ends {
			if n.greedy {
				c.insts[s].y = len(c.insts)
			} else {
				c.insts[s].x = len(c.insts)
			}
		}
		return
	}
	// unbounded loop
	nullable := minWidth(body) == 0
	loop := c.add(inst{op: opSplit})
	bodyStart := len(c.insts)
	mark := -1
	if nullable {
		mark = *c.nmark
		*c.nmark++
		c.add(inst{op: opMark, x: mark})
	}
	c.emit(body)
	var prog int
	if nullable {
		prog = c.add(inst{op: opProgress, x: mark})
	}
	c.add(inst{op: opJmp, x: loop})
	exit := len(c.insts)
	if n.greedy {
		c.insts[loop].x, c.insts[loop].y = bodyStart, exit
	} else {
		c.insts[loop].x, c.insts[loop].y = exit, bodyStart
	}
	if nullable {
		c.insts[prog].y = exit
	}
}

func minWidth(n *node) int {
	switch n.kind {
	case nRune, nClass, nAny:
		return 1
	case nGroup:
		return minWidth(n.subs[0])
	case nConcat:
		t := 0
		for _, s := range n.subs {
			t += minWidth(s)
		}
		return t
	case nAlt, nCond:
		m := -1
		for _, s := range n.subs {
			if w := minWidth(s); m < 0 || w < m {
				m = w
			}
		}
		if m < 0 {
			return 0
		}
		return m
	case nRepeat:
		return n.min * minWidth(n.subs[0])
	}
	return 0
}

// startsAnchored reports whether every match must begin with ^ (or \A).
// It is conservative: false when unsure.
func startsAnchored(n *node) bool {
	switch n.kind {
	case nAssert:
		return n.assert == asBOL || n.assert == asBegin
	case nConcat:
		return len(n.subs) > 0 && startsAnchored(n.subs[0])
	case nGroup:
		return startsAnchored(n.subs[0])
	case nAlt:
		for _, s := range n.subs {
			if !startsAnchored(s) {
				return false
			}
		}
		return len(n.subs) > 0
	}
	return false
}

// computeFirst derives the set of bytes a match can begin with by walking
// the program from pc 0 through zero-width instructions.
func (p *program) computeFirst() {
	seen := make([]bool, len(p.insts))
	var walk func(pc int) bool // false: may match empty / unknown
	walk = func(pc int) bool {
		for {
			if pc >= len(p.insts) || seen[pc] {
				return true
			}
			seen[pc] = true
			in := &p.insts[pc]
			switch in.op {
			case opRune:
				if in.r < utf8.RuneSelf {
					p.addFirst(byte(in.r))
					if in.icase && 'a' <= in.r && in.r <= 'z' {
						p.addFirst(byte(in.r - 'a' + 'A'))
					}
				}
				if in.r >= utf8.RuneSelf || in.icase {
					p.firstAny = true
				}
				return true
			case opClass:
				for b := 0; b < utf8.RuneSelf; b++ {
					if in.cls.mayMatchASCII(byte(b)) {
						p.addFirst(byte(b))
					}
				}
				if in.cls.mayMatchNonASCII() {
					p.firstAny = true
				}
				return true
			case opAny, opAnyAll:
				for b := 0; b < utf8.RuneSelf; b++ {
					p.addFirst(byte(b))
				}
				p.firstAny = true
				return true
			case opSplit:
				if !walk(in.x) {
					return false
				}
				pc = in.y
			case opJmp:
				pc = in.x
			case opCond:
				if !walk(pc + 1) {
					return false
				}
				pc = in.y
			case opSave, opAssert, opLook, opMark:
				pc++
			case opProgress:
				if !walk(in.y) {
					return false
				}
				pc++
			default: // opMatch, opBackref
				return false
			}
		}
	}
	if !walk(0) {
		p.firstNone = true
	}
}

func (p *program) addFirst(b byte) { p.first[b>>6] |= 1 << (b & 63) }

// group returns the index of the named group, or -1.
func (p *program) group(name string) int {
	for i, n := range p.names {
		if i > 0 && n == name {
			return i
		}
	}
	return -1
}
