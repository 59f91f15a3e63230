package pyre

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// DefaultTimeout bounds one match on the regexp2 engine. regexp2
// checks its deadline against a clock that ticks about every 100ms, so
// smaller values are not meaningfully more precise.
const DefaultTimeout = 100 * time.Millisecond

// DefaultBacktrackStack is the default backtracking stack limit, in
// regexp2 stack slots.
const DefaultBacktrackStack = 1 << 20

// Engine names, for Options.Engine and Regexp.Engine.
const (
	// EngineSRE is pyre's own backtracking matcher, a port of CPython's
	// sre engine (see sre_match.go); the default for every pattern.
	EngineSRE = "sre"
	// EngineRE2 is Go's regexp package, for patterns with an exact
	// translation (inputs that violate its guards use EngineBacktrack).
	EngineRE2 = "re2"
	// EngineBacktrack is github.com/dlclark/regexp2.
	EngineBacktrack = "backtrack"
)

var (
	// ErrTimeout is returned when a backtracking match runs longer than
	// the Regexp's timeout. The result for that input is unknown; callers
	// should skip (and count) the input.
	ErrTimeout = errors.New("pyre: match timeout")
	// ErrBacktrackLimit is returned when a match exceeds its step budget
	// (Options.MaxSteps and StepsPerByte, sre engine, wrapped in a
	// *StepLimitError) or its stack limit (regexp2). As with ErrTimeout
	// the result is unknown.
	ErrBacktrackLimit = errors.New("pyre: backtracking stack limit exceeded")
)

// Options configure CompileOptions.
type Options struct {
	// Flags are Python re flags, as passed to re.compile.
	Flags Flags
	// Timeout bounds each regexp2 match (EngineRE2, EngineBacktrack).
	// Zero means DefaultTimeout; a negative value disables the bound.
	Timeout time.Duration
	// BacktrackStack bounds the backtracking stack (regexp2 slots). Zero
	// means DefaultBacktrackStack; negative means unbounded.
	BacktrackStack int
	// Engine selects the matching engine: "" means EngineSRE. EngineRE2
	// uses Go's regexp where its translation is exact and regexp2
	// otherwise; EngineBacktrack uses regexp2 only. The other engines
	// are kept for differential tests and benchmarks.
	Engine string
	// MaxSteps and StepsPerByte bound each search on the sre engine: a
	// search of n bytes may take MaxSteps + StepsPerByte*n steps (see
	// DefaultMaxSteps). Zero means the default; a negative MaxSteps
	// disables the bound, a negative StepsPerByte makes it MaxSteps
	// whatever the length.
	MaxSteps     int
	StepsPerByte int
	// ForceBacktrack is Engine: EngineBacktrack.
	ForceBacktrack bool
	// NoPrefilter disables the literal prefilter and the first-byte test
	// (see MayMatch), for tests and benchmarks.
	NoPrefilter bool
}

// Regexp is a compiled Python regular expression. It is safe for
// concurrent use.
type Regexp struct {
	pattern   string
	names     []string
	index     map[string]int
	numSubexp int
	timeout   time.Duration
	stack     int
	engine    string // EngineSRE, EngineRE2 or EngineBacktrack
	maxSteps  int
	perByte   int // steps each byte of the text adds to maxSteps
	// foldBackref: a case-insensitive backreference, whose folding
	// differs from Python's for a few non-ASCII characters.
	foldBackref bool

	// pf is the literal prefilter, nil if the pattern has none.
	pf *prefilter

	// RE2 path: nil if the pattern has no exact RE2 translation.
	re2Src   string
	re2      *regexp.Regexp
	guard    guard
	re2Match lazyRE2 // \A-anchored variant for Match

	// Backtracking path; compiled lazily when the RE2 path exists. On
	// the sre engine btSrc itself is built lazily (for Backtrack), from
	// the pattern parsed again with optFlags.
	optFlags Flags
	btOnce   sync.Once
	btSrc    string
	bt       lazyBT
	btMatch  lazyBT

	runes sync.Pool // *[]rune buffers for regexp2

	// sre engine.
	sre *sreProg
	// machine caches one idle machine, taken and returned with an atomic
	// swap; machines holds the others (concurrent searches).
	machine  atomic.Pointer[sreMachine]
	machines sync.Pool // *sreMachine

	// startOK: every match Search can find starts at offset 0 with a
	// byte in start (see StartBytes); with startTest (no NoPrefilter)
	// find tests it first.
	startOK   bool
	startTest bool
	start     [4]uint64
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

// StopTimeoutClock stops the backtracking engine's timeout clock and
// waits for its goroutine to exit. The clock is one goroutine per process,
// started by the first bounded backtracking match (never by Compile) and
// exiting by itself about a second after the last such match ends; tests
// that check for leaked goroutines (go.uber.org/goleak) call this first.
// It must not be called while matches are running: their time bound would
// stop advancing.
func StopTimeoutClock() { regexp2.StopTimeoutClock() }

// Compile parses a Python re pattern (a str pattern, flags 0).
func Compile(pattern string) (*Regexp, error) {
	return CompileOptions(pattern, Options{})
}

// CompileFlags is like Python's re.compile(pattern, flags).
func CompileFlags(pattern string, flags Flags) (*Regexp, error) {
	return CompileOptions(pattern, Options{Flags: flags})
}

// MustCompile is like Compile but panics on error.
func MustCompile(pattern string) *Regexp {
	re, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return re
}

// CompileOptions compiles pattern with opts.
func CompileOptions(pattern string, opts Options) (*Regexp, error) {
	tree, p, err := parse(pattern, opts.Flags)
	if err != nil {
		return nil, err
	}
	re := &Regexp{
		pattern:     pattern,
		optFlags:    opts.Flags,
		names:       p.names,
		index:       p.groupNames,
		numSubexp:   p.numGroups() - 1,
		timeout:     opts.Timeout,
		stack:       opts.BacktrackStack,
		foldBackref: p.foldBackref,
	}
	if re.timeout == 0 {
		re.timeout = DefaultTimeout
	}
	if re.stack == 0 {
		re.stack = DefaultBacktrackStack
	}
	re.maxSteps = opts.MaxSteps
	if re.maxSteps == 0 {
		re.maxSteps = DefaultMaxSteps
	}
	switch re.perByte = opts.StepsPerByte; {
	case re.perByte == 0:
		re.perByte = DefaultStepsPerByte
	case re.perByte < 0:
		re.perByte = 0
	}
	re.engine = opts.Engine
	if opts.ForceBacktrack {
		re.engine = EngineBacktrack
	}
	switch re.engine {
	case "":
		re.engine = EngineSRE
	case EngineSRE, EngineRE2, EngineBacktrack:
	default:
		return nil, fmt.Errorf("pyre: unknown engine %q", opts.Engine)
	}
	if !opts.NoPrefilter {
		re.pf = newPrefilter(tree)
	}
	re.sre = compileSRE(tree, re.numSubexp, p.width)
	re.startOK, re.start = re.startBits()
	re.startTest = re.startOK && !opts.NoPrefilter
	if re.engine == EngineRE2 {
		if src, g, ok := translateTree(tree); ok {
			if r, err := regexp.Compile(src); err == nil && r.NumSubexp() == re.numSubexp {
				re.re2, re.re2Src, re.guard = r, src, g
			}
		}
	}
	if re.engine == EngineSRE {
		// Backtrack builds the translation when asked.
		return re, nil
	}
	re.btOnce.Do(func() { re.btSrc = btSource(tree, p) })
	if re.re2 == nil {
		// regexp2 is the only engine: compile it now so that errors
		// surface at Compile time.
		if _, err := re.backtrack(false); err != nil {
			return nil, err
		}
	}
	return re, nil
}

// btSource returns the regexp2 translation of tree, parsed by p.
func btSource(tree *node, p *parser) string {
	be := &btEmitter{parser: p}
	be.emit(tree)
	return be.b.String()
}

// backtrackSrc returns btSrc, building it on first use.
func (re *Regexp) backtrackSrc() string {
	re.btOnce.Do(func() {
		// The pattern parsed before with these flags; parsing is
		// deterministic.
		tree, p, err := parse(re.pattern, re.optFlags)
		if err != nil {
			panic(fmt.Sprintf("pyre: parse %q again: %v", re.pattern, err))
		}
		re.btSrc = btSource(tree, p)
	})
	return re.btSrc
}

// translateTree returns the RE2 translation of tree (left unchanged) and
// the guard under which it is exact, or false when there is none. It is
// shared by Translate and CompileOptions.
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
// compiled with flags 0. ok is false when the pattern has no RE2
// equivalent that is exact for every input; the returned string is then
// empty. Some translations are only exact for single-line ASCII input
// (see Regexp.Engine); Translate still reports them as ok.
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

func (re *Regexp) compileBT(src string) (*regexp2.Regexp, error) {
	r, err := regexp2.Compile(src, regexp2.OptionMaxBacktrackingStackSize(re.stack))
	if err != nil {
		return nil, fmt.Errorf("pyre: compile %q for the backtracking engine: %w", re.pattern, err)
	}
	if re.timeout > 0 {
		r.MatchTimeout = re.timeout
	}
	return r, nil
}

func (re *Regexp) backtrack(anchored bool) (*regexp2.Regexp, error) {
	l := &re.bt
	src := re.backtrackSrc()
	if anchored {
		l = &re.btMatch
		src = `\A(?:` + src + `)`
	}
	l.once.Do(func() { l.re, l.err = re.compileBT(src) })
	return l.re, l.err
}

func (re *Regexp) re2Anchored() *regexp.Regexp {
	l := &re.re2Match
	l.once.Do(func() { l.re, l.err = regexp.Compile(`\A(?:` + re.re2Src + `)`) })
	if l.err != nil {
		return nil
	}
	return l.re
}

// String returns the source pattern.
func (re *Regexp) String() string { return re.pattern }

// NumSubexp returns the number of capturing groups.
func (re *Regexp) NumSubexp() int { return re.numSubexp }

// SubexpNames returns the group names, indexed by group number; unnamed
// groups (and group 0) have "". The slice must not be modified.
func (re *Regexp) SubexpNames() []string { return re.names }

// SubexpIndex returns the number of the group with the given name, or -1.
func (re *Regexp) SubexpIndex(name string) int {
	if i, ok := re.index[name]; ok {
		return i
	}
	return -1
}

// Engine reports which engine matches typical input: EngineSRE by
// default. With Options.Engine EngineRE2 it is EngineRE2 when an exact
// RE2 translation exists (inputs that violate its guards, such as
// non-ASCII input for a pattern using \b, or an inner newline for one
// using $, still go to regexp2), else EngineBacktrack.
func (re *Regexp) Engine() string {
	if re.engine == EngineSRE {
		return EngineSRE
	}
	if re.re2 != nil {
		return EngineRE2
	}
	return EngineBacktrack
}

// RE2 returns the RE2 translation, or "" if there is none or the Regexp
// was not compiled with Options.Engine EngineRE2.
func (re *Regexp) RE2() string { return re.re2Src }

// Backtrack returns the regexp2 translation. On the sre engine it is
// built on the first call.
func (re *Regexp) Backtrack() string { return re.backtrackSrc() }

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// guardsHold reports whether the RE2 translation is exact for s.
func (re *Regexp) guardsHold(s string) bool {
	g := re.guard
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

// MayMatch reports whether s may contain a match. It returns false only
// when no match can exist: s lacks literal text that every match of the
// pattern contains (in order, and at the start for a pattern anchored
// with \A or ^ without MULTILINE), or its first byte is not in
// StartBytes' set. It costs a few string searches, never
// runs a regexp engine and never fails; Search, Match and MatchString
// call it first.
func (re *Regexp) MayMatch(s string) bool {
	if re.startTest && (len(s) == 0 || re.start[s[0]>>6]&(1<<(s[0]&63)) == 0) {
		return false
	}
	return re.pf == nil || re.pf.mayMatch(s)
}

// StartBytes returns the possible first bytes of the input for a pattern
// anchored at the start of the text (\A, or ^ without MULTILINE, before
// anything that consumes a character), so that a caller can skip whole
// patterns on the first byte of a line. When ok is true and s is empty
// or s[0] is not in set, Search(s), AppendSearch(dst, s), MatchString(s)
// and Match(s) find no match. set holds the first byte of the UTF-8
// encoding of every character a match can start with (with IGNORECASE,
// every case variant, non-ASCII ones included; every byte from 0x80 up
// when U+FFFD can start a match, as an invalid byte decodes to it).
//
// ok is false when a match need not start at offset 0, when the pattern
// can match the empty string there, or when the compile-time analysis
// gives up; set is then nil. Each call returns a new array, which the
// caller may keep and modify. AppendSearchAt with pos > 0 is not
// covered.
func (re *Regexp) StartBytes() (set *[256]bool, ok bool) {
	if !re.startOK {
		return nil, false
	}
	set = new([256]bool)
	for b := range set {
		set[b] = re.start[b>>6]&(1<<(b&63)) != 0
	}
	return set, true
}

// startBits computes StartBytes' set: the sre compiler's first-character
// analysis, narrowed by the prefilter's first-byte test when it has one
// (either is a necessary condition for a match).
func (re *Regexp) startBits() (bool, [4]uint64) {
	switch {
	case re.sre.firstOK:
		bits := re.sre.first
		if pf := re.pf; pf != nil && pf.anchored {
			for i := range bits {
				bits[i] &= pf.first[i]
			}
		}
		return true, bits
	case re.pf != nil && re.pf.anchored:
		return true, re.pf.first
	}
	return false, [4]uint64{}
}

// MatchString reports whether s contains a match (Python re.search).
func (re *Regexp) MatchString(s string) (bool, error) {
	if !re.MayMatch(s) {
		return false, nil
	}
	if re.engine == EngineSRE {
		loc, err := re.sreFind(nil, s, false, false)
		return loc != nil, err
	}
	if re.re2 != nil && re.guardsHold(s) {
		return re.re2.MatchString(s), nil
	}
	loc, err := re.btFind(nil, s, false)
	return loc != nil, err
}

// Search is Python's re.search: it returns the spans of the leftmost
// match as byte offsets, 2*(NumSubexp()+1) ints with -1 for groups that
// did not participate, or nil if there is no match.
func (re *Regexp) Search(s string) ([]int, error) { return re.find(nil, s, false) }

// Match is Python's re.match: like Search but the match must start at
// the beginning of s.
func (re *Regexp) Match(s string) ([]int, error) { return re.find(nil, s, true) }

// AppendSearch is Search appending the spans to dst[:0]; it returns nil
// when there is no match. With a large enough dst (2*(NumSubexp()+1)) the
// sre and regexp2 engines do not allocate; the RE2 path allocates one
// slice per match.
func (re *Regexp) AppendSearch(dst []int, s string) ([]int, error) { return re.find(dst, s, false) }

func (re *Regexp) find(dst []int, s string, anchored bool) ([]int, error) {
	if !re.MayMatch(s) {
		return nil, nil
	}
	if re.engine == EngineSRE {
		return re.sreFind(dst, s, anchored, true)
	}
	if re.re2 != nil && re.guardsHold(s) {
		r := re.re2
		if anchored {
			if r = re.re2Anchored(); r == nil {
				return re.btFind(dst, s, anchored)
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
	return re.btFind(dst, s, anchored)
}

func (re *Regexp) getRunes(s string) *[]rune {
	bp, _ := re.runes.Get().(*[]rune)
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

func (re *Regexp) btFind(dst []int, s string, anchored bool) ([]int, error) {
	bt, err := re.backtrack(anchored)
	if err != nil {
		return nil, err
	}
	bp := re.getRunes(s)
	defer re.runes.Put(bp)
	runes := *bp
	n := 2 * (re.numSubexp + 1)
	var out []int
	matched := false
	err = bt.FindRunesMatches(runes, 0, func(v regexp2.MatchView) bool {
		matched = true
		if cap(dst) >= n {
			out = dst[:n]
		} else {
			out = make([]int, n)
		}
		for g := 0; g <= re.numSubexp; g++ {
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
		switch {
		case errors.Is(err, regexp2.ErrBacktrackingStackLimit):
			return nil, fmt.Errorf("match %q: %w", re.pattern, ErrBacktrackLimit)
		default:
			// regexp2 returns an unexported timeout error type.
			return nil, fmt.Errorf("match %q: %w (%v)", re.pattern, ErrTimeout, err)
		}
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

// sreFind runs the sre engine. With spans false it only reports a match
// (a non-nil, empty result).
func (re *Regexp) sreFind(dst []int, s string, anchored, spans bool) ([]int, error) {
	return re.sreFindFrom(dst, s, 0, anchored, spans)
}

// AppendSearchAt is Python's pattern.search(s, pos): the leftmost match
// starting at or after byte offset pos (a character boundary), where
// look-behinds, \b and ^ still see the text before pos. It appends the
// spans to dst[:0] and returns nil when there is no match. It needs the
// sre engine (the default).
func (re *Regexp) AppendSearchAt(dst []int, s string, pos int) ([]int, error) {
	if re.engine != EngineSRE {
		return nil, fmt.Errorf("search at an offset: engine %q cannot, only %q", re.engine, EngineSRE)
	}
	if pos < 0 || pos > len(s) {
		return nil, nil
	}
	if re.pf != nil {
		if re.pf.anchored && pos > 0 {
			return nil, nil
		}
		if !re.pf.mayMatch(s[pos:]) {
			return nil, nil
		}
	}
	return re.sreFindFrom(dst, s, pos, false, true)
}

func (re *Regexp) sreFindFrom(dst []int, s string, from int, anchored, spans bool) ([]int, error) {
	m := re.machine.Swap(nil)
	if m == nil {
		m, _ = re.machines.Get().(*sreMachine)
		if m == nil {
			m = newSREMachine(re.sre)
		}
	}
	out, err := re.sreRun(m, dst, s, from, anchored, spans)
	if !re.machine.CompareAndSwap(nil, m) {
		re.machines.Put(m)
	}
	return out, err
}

// sreRun searches s from byte offset from with machine m.
func (re *Regexp) sreRun(m *sreMachine, dst []int, s string, from int, anchored, spans bool) ([]int, error) {
	m.s, m.steps, m.limit = s, 0, re.StepBudget(len(s)-from)
	m.reqBudget = reqScans*len(s) + reqSlack
	if m.reqGen++; m.reqGen == 0 { // wrapped: forget every old scan
		clear(m.reqMemo)
		m.reqGen = 1
	}
	start, ok, err := m.search(anchored, from)
	var out []int
	switch {
	case err != nil:
		err = &StepLimitError{Pattern: re.pattern, Budget: m.limit}
	case ok && spans:
		out = m.spans(dst, start)
	case ok:
		out = dst[:0:0]
		if out == nil {
			out = []int{}
		}
	}
	m.release()
	return out, err
}

// StepBudget returns the step budget of a search through n bytes of text
// on the sre engine (Options.MaxSteps, Options.StepsPerByte), -1 for
// none.
func (re *Regexp) StepBudget(n int) int {
	if re.maxSteps < 0 {
		return -1
	}
	return re.maxSteps + re.perByte*n
}

// StepLimitError is the error of a search on the sre engine that ran out
// of steps; it wraps ErrBacktrackLimit. As with ErrTimeout the result is
// unknown: callers should skip (and count) the input.
type StepLimitError struct {
	Pattern string
	Budget  int // the search's step budget (Regexp.StepBudget)
}

func (e *StepLimitError) Error() string {
	return fmt.Sprintf("match %q: more than %d steps: %v", e.Pattern, e.Budget, ErrBacktrackLimit)
}

func (e *StepLimitError) Unwrap() error { return ErrBacktrackLimit }

// A Matcher searches with one Regexp using matching state of its own,
// which saves the hand-over of a shared machine on every search. Unlike
// a Regexp, a Matcher is for one goroutine at a time.
type Matcher struct {
	re *Regexp
	m  *sreMachine
}

// Matcher returns a new Matcher for re.
func (re *Regexp) Matcher() *Matcher { return &Matcher{re: re} }

// AppendSearch is the Regexp's AppendSearch.
func (mt *Matcher) AppendSearch(dst []int, s string) ([]int, error) {
	re := mt.re
	if re.engine != EngineSRE {
		return re.find(dst, s, false)
	}
	if !re.MayMatch(s) {
		return nil, nil
	}
	if mt.m == nil {
		mt.m = newSREMachine(re.sre)
	}
	return re.sreRun(mt.m, dst, s, 0, false, true)
}
