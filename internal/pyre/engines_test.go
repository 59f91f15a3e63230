package pyre

// This file keeps, for differential tests and benchmarks only, two other
// ways of running a pattern: its translation to Go's regexp (RE2) syntax
// where that is exact (emit_test.go, with the lookbehind elision of
// simplify_test.go), and its translation to github.com/dlclark/regexp2
// syntax (a backtracking engine with a timeout and a stack limit). The
// production engine is the sre port alone.

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// Engine names, for otherOptions.Engine and otherRE.Engine.
const (
	// EngineSRE is pyre's own matcher.
	EngineSRE = "sre"
	// EngineRE2 is Go's regexp, for patterns with an exact translation
	// (inputs that violate its guards use EngineBacktrack).
	EngineRE2 = "re2"
	// EngineBacktrack is github.com/dlclark/regexp2.
	EngineBacktrack = "backtrack"
)

// defaultTimeout bounds one match on regexp2, whose clock ticks about
// every 100ms.
const defaultTimeout = 100 * time.Millisecond

// defaultBacktrackStack is regexp2's default stack limit, in slots.
const defaultBacktrackStack = 1 << 20

// errTimeout is returned when a regexp2 match runs longer than its
// timeout.
var errTimeout = errors.New("pyre: match timeout")

// otherOptions configure compileOther.
type otherOptions struct {
	Flags Flags
	// Timeout bounds each regexp2 match; zero means defaultTimeout, a
	// negative value none.
	Timeout time.Duration
	// BacktrackStack bounds regexp2's stack; zero means
	// defaultBacktrackStack, negative none.
	BacktrackStack int
	// Engine: EngineRE2 uses Go's regexp where its translation is exact
	// and regexp2 otherwise; EngineBacktrack uses regexp2 only; "" or
	// EngineSRE the Regexp itself.
	Engine string
}

// otherRE is a pattern on one of the test engines. The embedded Regexp
// (the sre engine) gives MayMatch, the names and the prefilter, which
// every engine's search checks first, as the Regexp's does.
type otherRE struct {
	*Regexp
	engine      string
	timeout     time.Duration
	stack       int
	foldBackref bool // a case-insensitive backreference (regexp2 folds differently)

	re2Src   string
	re2      *regexp.Regexp
	guard    guard
	re2Match lazyRE2

	btOnce  sync.Once
	btSrc   string
	bt      lazyBT
	btMatch lazyBT
	runes   sync.Pool // *[]rune
}

type lazyRE2 struct {
	once sync.Once
	re   *regexp.Regexp
	err  error
}

type lazyBT struct {
	once sync.Once
	re   *regexp2.Regexp
	err  error
}

// stopTimeoutClock stops regexp2's process-wide timeout clock goroutine.
func stopTimeoutClock() { regexp2.StopTimeoutClock() }

// compileOther compiles pattern for opts.Engine.
func compileOther(pattern string, opts otherOptions) (*otherRE, error) {
	re, err := CompileOptions(pattern, Options{Flags: opts.Flags})
	if err != nil {
		return nil, err
	}
	_, p, err := parse(pattern, opts.Flags)
	if err != nil {
		return nil, err
	}
	o := &otherRE{Regexp: re, engine: opts.Engine, timeout: opts.Timeout, stack: opts.BacktrackStack, foldBackref: p.foldBackref}
	if o.timeout == 0 {
		o.timeout = defaultTimeout
	}
	if o.stack == 0 {
		o.stack = defaultBacktrackStack
	}
	switch o.engine {
	case "":
		o.engine = EngineSRE
	case EngineSRE, EngineRE2, EngineBacktrack:
	default:
		return nil, fmt.Errorf("pyre: unknown engine %q", opts.Engine)
	}
	if o.engine == EngineSRE {
		return o, nil
	}
	tree, p, err := parse(pattern, opts.Flags)
	if err != nil {
		return nil, err
	}
	if o.engine == EngineRE2 {
		if src, g, ok := translateTree(tree); ok {
			if r, err := regexp.Compile(src); err == nil && r.NumSubexp() == re.numSubexp {
				o.re2, o.re2Src, o.guard = r, src, g
			}
		}
	}
	o.btOnce.Do(func() { o.btSrc = btSource(tree, p) })
	if o.re2 == nil {
		// regexp2 is the only engine: compile it now so that errors
		// surface at compile time.
		if _, err := o.backtrack(false); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// sreOf wraps re as an otherRE on the sre engine.
func sreOf(re *Regexp) *otherRE {
	_, p, err := parse(re.pattern, re.optFlags)
	if err != nil {
		panic(err)
	}
	return &otherRE{Regexp: re, engine: EngineSRE, foldBackref: p.foldBackref}
}

// btSource returns the regexp2 translation of tree, parsed by p.
func btSource(tree *node, p *parser) string {
	be := &btEmitter{parser: p}
	be.emit(tree)
	return be.b.String()
}

// Backtrack returns the regexp2 translation, built on the first call.
func (o *otherRE) Backtrack() string {
	o.btOnce.Do(func() {
		tree, p, err := parse(o.pattern, o.optFlags)
		if err != nil {
			panic(fmt.Sprintf("pyre: parse %q again: %v", o.pattern, err))
		}
		o.btSrc = btSource(tree, p)
	})
	return o.btSrc
}

// translateTree returns the RE2 translation of tree (left unchanged) and
// the guard under which it is exact, or false when there is none.
func translateTree(tree *node) (string, guard, bool) {
	t := cloneTree(tree)
	elideLookbehinds(t, unknownCtx)
	e := &re2Emitter{}
	if !e.emit(t) {
		return "", 0, false
	}
	return e.b.String(), e.guard, true
}

// Translate returns the Go regexp (RE2) equivalent of a Python pattern
// compiled with flags 0, ok false when there is no exact one.
func Translate(pattern string) (re2 string, ok bool, err error) {
	tree, _, err := parse(pattern, 0)
	if err != nil {
		return "", false, err
	}
	src, _, ok := translateTree(tree)
	if ok {
		if _, err := regexp.Compile(src); err != nil {
			return "", false, nil
		}
	}
	return src, ok, nil
}

func (o *otherRE) compileBT(src string) (*regexp2.Regexp, error) {
	r, err := regexp2.Compile(src, regexp2.OptionMaxBacktrackingStackSize(o.stack))
	if err != nil {
		return nil, fmt.Errorf("pyre: compile %q for the backtracking engine: %w", o.pattern, err)
	}
	if o.timeout > 0 {
		r.MatchTimeout = o.timeout
	}
	return r, nil
}

func (o *otherRE) backtrack(anchored bool) (*regexp2.Regexp, error) {
	l := &o.bt
	src := o.Backtrack()
	if anchored {
		l = &o.btMatch
		src = `\A(?:` + src + `)`
	}
	l.once.Do(func() { l.re, l.err = o.compileBT(src) })
	return l.re, l.err
}

func (o *otherRE) re2Anchored() *regexp.Regexp {
	l := &o.re2Match
	l.once.Do(func() { l.re, l.err = regexp.Compile(`\A(?:` + o.re2Src + `)`) })
	if l.err != nil {
		return nil
	}
	return l.re
}

// Engine reports which engine matches typical input.
func (o *otherRE) Engine() string {
	if o.engine == EngineSRE {
		return EngineSRE
	}
	if o.re2 != nil {
		return EngineRE2
	}
	return EngineBacktrack
}

// RE2 returns the RE2 translation, "" if there is none.
func (o *otherRE) RE2() string { return o.re2Src }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// guardsHold reports whether the RE2 translation is exact for s.
func (o *otherRE) guardsHold(s string) bool {
	g := o.guard
	if g == 0 {
		return true
	}
	if g&guardNonEmpty != 0 && len(s) == 0 {
		return false
	}
	if g&guardASCII != 0 && !isASCII(s) {
		return false
	}
	if g&guardNoInnerNewline != 0 && len(s) > 1 {
		for i := 0; i < len(s)-1; i++ {
			if s[i] == '\n' {
				return false
			}
		}
	}
	return true
}

// MatchString is the Regexp's, on o's engine.
func (o *otherRE) MatchString(s string) (bool, error) {
	loc, err := o.find(nil, s, false)
	return loc != nil, err
}

// Search is the Regexp's, on o's engine.
func (o *otherRE) Search(s string) ([]int, error) { return o.find(nil, s, false) }

// Match is the Regexp's, on o's engine.
func (o *otherRE) Match(s string) ([]int, error) { return o.find(nil, s, true) }

// AppendSearch is the Regexp's, on o's engine.
func (o *otherRE) AppendSearch(dst []int, s string) ([]int, error) { return o.find(dst, s, false) }

func (o *otherRE) find(dst []int, s string, anchored bool) ([]int, error) {
	if o.engine == EngineSRE {
		return o.Regexp.find(dst, s, anchored)
	}
	if !o.MayMatch(s) {
		return nil, nil
	}
	if o.re2 != nil && o.guardsHold(s) {
		r := o.re2
		if anchored {
			if r = o.re2Anchored(); r == nil {
				return o.btFind(dst, s, anchored)
			}
		}
		loc := r.FindStringSubmatchIndex(s)
		if loc == nil {
			return nil, nil
		}
		if dst == nil {
			return loc, nil
		}
		return append(dst[:0], loc...), nil
	}
	return o.btFind(dst, s, anchored)
}

func (o *otherRE) getRunes(s string) *[]rune {
	bp, _ := o.runes.Get().(*[]rune)
	if bp == nil {
		bp = new([]rune)
	}
	buf := (*bp)[:0]
	for _, c := range s {
		buf = append(buf, c)
	}
	*bp = buf
	return bp
}

func (o *otherRE) btFind(dst []int, s string, anchored bool) ([]int, error) {
	bt, err := o.backtrack(anchored)
	if err != nil {
		return nil, err
	}
	bp := o.getRunes(s)
	defer o.runes.Put(bp)
	runes := *bp
	n := 2 * (o.numSubexp + 1)
	var out []int
	matched := false
	err = bt.FindRunesMatches(runes, 0, func(v regexp2.MatchView) bool {
		matched = true
		if cap(dst) >= n {
			out = dst[:n]
		} else {
			out = make([]int, n)
		}
		for g := 0; g <= o.numSubexp; g++ {
			idx, length, ok := v.GroupRange(g)
			if !ok {
				out[2*g], out[2*g+1] = -1, -1
				continue
			}
			out[2*g], out[2*g+1] = idx, idx+length
		}
		return false
	})
	if err != nil {
		if errors.Is(err, regexp2.ErrBacktrackingStackLimit) {
			return nil, fmt.Errorf("match %q: %w", o.pattern, ErrBacktrackLimit)
		}
		// regexp2 returns an unexported timeout error type.
		return nil, fmt.Errorf("match %q: %w (%v)", o.pattern, errTimeout, err)
	}
	if !matched {
		return nil, nil
	}
	if len(runes) != len(s) {
		runeToByte(out, s)
	}
	return out, nil
}

// runeToByte converts rune offsets in loc to byte offsets in s, in
// one pass over s and without allocating. Converted entries are parked as
// -(byteOffset+2) so they cannot be converted twice.
func runeToByte(loc []int, s string) {
	maxIdx := -1
	for _, v := range loc {
		maxIdx = max(maxIdx, v)
	}
	ri, bi := 0, 0
	for ri <= maxIdx {
		for k, v := range loc {
			if v == ri {
				loc[k] = -(bi + 2)
			}
		}
		if bi >= len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[bi:])
		bi += size
		ri++
	}
	for k, v := range loc {
		if v <= -2 {
			loc[k] = -(v + 2)
		}
	}
}
