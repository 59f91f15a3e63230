package pyre

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// ErrBacktrackLimit is wrapped by the error of a search that exceeds its
// step budget (Options.MaxSteps and StepsPerByte, a *StepLimitError). The
// result for that input is unknown; callers should skip (and count) the
// input.
var ErrBacktrackLimit = errors.New("pyre: backtracking stack limit exceeded")

// Options configure CompileOptions.
type Options struct {
	// Flags are Python re flags, as passed to re.compile.
	Flags Flags
	// MaxSteps and StepsPerByte bound each search on the sre engine: a
	// search of n bytes may take MaxSteps + StepsPerByte*n steps (see
	// DefaultMaxSteps). Zero means the default; a negative MaxSteps
	// disables the bound, a negative StepsPerByte makes it MaxSteps
	// whatever the length.
	MaxSteps     int
	StepsPerByte int
	// NoPrefilter disables the literal prefilter, the first-byte test
	// (see MayMatch) and the skipping of start positions (pivot.go), for
	// tests and benchmarks.
	NoPrefilter bool
	// Shared, when set, is used and filled by the compilation: patterns
	// compiled in turn with one Shared build their common large
	// character sets once (see Shared). Not with Lazy, whose program is
	// compiled at its first search, from any goroutine: only its parse
	// uses Shared then.
	Shared *Shared
	// Lazy defers the compilation of the matching program to the first
	// search (or MayMatch, StartBytes): CompileOptions only parses the
	// pattern, which is what NumSubexp, SubexpNames, SubexpIndex and
	// MinLen need. For a pattern that may never be searched.
	Lazy bool

	// noFuse keeps the program's instructions apart (see fuse), for the
	// tests.
	noFuse bool
	// firstPath overrides when searches try the first path (see
	// sre_first.go), for the tests that compare it with match.
	firstPath firstPathMode
}

// Regexp is a compiled Python regular expression. It is safe for
// concurrent use.
type Regexp struct {
	pattern   string
	names     []string
	index     map[string]int
	numSubexp int
	maxSteps  int
	perByte   int // steps each byte of the text adds to maxSteps
	// pf is the literal prefilter, nil if the pattern has none.
	pf *prefilter

	// minLen is the fewest characters a match consumes, maxLen the most
	// (-1: unbounded or more than maxWindowLen).
	minLen, maxLen int
	// optFlags are the flags the pattern was compiled with.
	optFlags Flags

	// sre is the compiled program.
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

	// compiled is set once sre, pf and the start test are ready; until
	// then (Options.Lazy) lazy holds what compiles them, under mu.
	compiled atomic.Bool
	mu       sync.Mutex
	lazy     *lazyProgram
}

// lazyProgram is what a Regexp compiled with Options.Lazy keeps to
// compile its program on first use.
type lazyProgram struct {
	tree        *node
	width       func(*node) (int64, int64)
	noPrefilter bool
	noFuse      bool
	firstPath   firstPathMode
	shared      *Shared // nil: none, and always for a lazy program
}

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
	tree, p, err := parseShared(pattern, opts.Flags, opts.Shared)
	if err != nil {
		return nil, err
	}
	re := &Regexp{
		pattern:   pattern,
		optFlags:  opts.Flags,
		names:     p.names,
		index:     p.groupNames,
		numSubexp: p.numGroups() - 1,
	}
	re.maxLen = -1
	if lo, hi := p.width(tree); lo < maxRepeat {
		re.minLen = int(lo)
		if hi <= maxWindowLen {
			re.maxLen = int(hi)
		}
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
	l := &lazyProgram{tree: tree, width: p.width, noPrefilter: opts.NoPrefilter, noFuse: opts.noFuse, firstPath: opts.firstPath}
	if opts.Lazy {
		re.lazy = l
	} else {
		l.shared = opts.Shared
		re.compileProgram(l)
	}
	return re, nil
}

// ready makes sure re's program is compiled.
func (re *Regexp) ready() {
	if !re.compiled.Load() {
		re.compileLazy()
	}
}

// compileLazy compiles the program of a Regexp compiled with
// Options.Lazy, once.
func (re *Regexp) compileLazy() {
	re.mu.Lock()
	defer re.mu.Unlock()
	if !re.compiled.Load() {
		l := re.lazy
		re.lazy = nil
		re.compileProgram(l)
	}
}

// compileProgram compiles the matching program, the prefilter and the
// start test from the parsed pattern, and marks re compiled.
func (re *Regexp) compileProgram(l *lazyProgram) {
	if !l.noPrefilter {
		re.pf = newPrefilter(l.tree)
	}
	re.sre = compileSRE(l.tree, re.numSubexp, l.width, 2*len(re.pattern)+8, l.noFuse, l.shared)
	re.sre.firstPath = l.firstPath
	if !l.noPrefilter {
		re.skipPositions(l.tree, l.width)
	}
	re.startOK, re.start = re.startBits()
	re.startTest = re.startOK && !l.noPrefilter
	re.compiled.Store(true)
}

// skipPositions sets up what lets a search skip start positions or whole
// texts without running the matcher (pivot.go): a pivot, else a set of
// first characters (and a leading run); it drops the literal prefilter
// where these do its work for less.
func (re *Regexp) skipPositions(tree *node, width func(*node) (int64, int64)) {
	p := re.sre
	switch p.start {
	case startText:
		p.pivot = findPivot(tree, width)
	case startAnywhere, startGuard:
		if p.pivot = findPivot(tree, width); p.pivot != nil {
			// the pivot's scan does the prefilter's work, with less
			re.pf = nil
		} else if cs, null, ok := firstChars(tree); ok && !null {
			p.startSet = newRuneSet(cs)
			if rs, k := leadRun(tree, width); k > 1 {
				p.startSet, p.startRun = newRuneSet(rs), k
			}
			p.startBytes = guardBytes(p.startSet)
			p.startFFFD = p.startSet.has(utf8.RuneError)
		}
	}
}

// String returns the source pattern.
func (re *Regexp) String() string { return re.pattern }

// NumSubexp returns the number of capturing groups.
func (re *Regexp) NumSubexp() int { return re.numSubexp }

// SubexpNames returns the group names, indexed by group number; unnamed
// groups (and group 0) have "". The slice must not be modified.
func (re *Regexp) SubexpNames() []string { return re.names }

// MinLen returns the fewest characters (so bytes) any match consumes: a
// text with fewer bytes after the start of a search has no match.
func (re *Regexp) MinLen() int { return re.minLen }

// SubexpIndex returns the number of the group with the given name, or -1.
func (re *Regexp) SubexpIndex(name string) int {
	if i, ok := re.index[name]; ok {
		return i
	}
	return -1
}

// MayMatch reports whether s may contain a match. It returns false only
// when no match can exist: s lacks literal text that every match of the
// pattern contains (in order, and at the start for a pattern anchored
// with \A or ^ without MULTILINE), its first byte is not in StartBytes'
// set, or, for a pattern anchored at the start, its pivot character is
// missing from where a match would have it (pivot.go). It costs a few
// string searches, never runs a regexp engine and never fails. Search,
// Match and MatchString check the same with maySearch first.
func (re *Regexp) MayMatch(s string) bool { return re.mayMatch(s, false) }

// maySearch is MayMatch as the searches use it: for a pattern anchored at
// the start of the text whose prefilter's first step is there too, that
// step alone (a match starts with one of its texts). The texts after it
// are left to the matcher, which meets them in order where they are:
// searching for them first cost more than it saved on the lines that
// start with the first (the sshd failregexes: 2% of
// bench/instructions.sh's count).
func (re *Regexp) maySearch(s string) bool { return re.mayMatch(s, true) }

// mayMatch is MayMatch, or maySearch with firstStep.
func (re *Regexp) mayMatch(s string, firstStep bool) bool {
	re.ready()
	if re.startTest && (len(s) == 0 || re.start[s[0]>>6]&(1<<(s[0]&63)) == 0) {
		return false
	}
	if pv := re.sre.pivot; pv != nil && re.sre.start == startText && !pv.near(s, 0) {
		return false // the pivot is not where a match from offset 0 has it
	}
	if re.pf == nil {
		return true
	}
	if re.sre.start == startText {
		if firstStep && re.pf.anchored {
			return re.pf.mayStart(s)
		}
		if re.maxLen >= 0 {
			// every match lies in the first maxLen characters, at
			// most 4 bytes each: the literals it contains too
			s = s[:min(len(s), utf8.UTFMax*re.maxLen)]
		}
	}
	return re.pf.mayMatch(s)
}

// maxWindowLen bounds the maximum width of a match for which MayMatch
// looks at the text it can cover only.
const maxWindowLen = 1 << 16

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
	re.ready()
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
	if !re.maySearch(s) {
		return false, nil
	}
	loc, err := re.sreFind(nil, s, false, false)
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
// when there is no match. With a large enough dst (2*(NumSubexp()+1)) it
// does not allocate.
func (re *Regexp) AppendSearch(dst []int, s string) ([]int, error) { return re.find(dst, s, false) }

func (re *Regexp) find(dst []int, s string, anchored bool) ([]int, error) {
	if !re.maySearch(s) {
		return nil, nil
	}
	return re.sreFind(dst, s, anchored, true)
}

// sreFind runs the sre engine. With spans false it only reports a match
// (a non-nil, empty result).
func (re *Regexp) sreFind(dst []int, s string, anchored, spans bool) ([]int, error) {
	return re.sreFindFrom(dst, s, 0, anchored, spans)
}

// AppendSearchAt is Python's pattern.search(s, pos): the leftmost match
// starting at or after byte offset pos (a character boundary), where
// look-behinds, \b and ^ still see the text before pos. It appends the
// spans to dst[:0] and returns nil when there is no match.
func (re *Regexp) AppendSearchAt(dst []int, s string, pos int) ([]int, error) {
	if pos < 0 || pos > len(s) {
		return nil, nil
	}
	re.ready()
	if re.sre.start == startText {
		if pos > 0 || !re.maySearch(s) {
			return nil, nil // the pattern matches only at the start of s
		}
	} else if re.pf != nil && ((re.pf.anchored && pos > 0) || !re.pf.mayMatch(s[pos:])) {
		return nil, nil // every match starts at offset 0, or lacks literals
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
	m.begin(s, re.StepBudget(len(s)-from))
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

// StepBudget returns the step budget of a search through n bytes of text (Options.MaxSteps, Options.StepsPerByte), -1 for
// none.
func (re *Regexp) StepBudget(n int) int {
	if re.maxSteps < 0 {
		return -1
	}
	return re.maxSteps + re.perByte*n
}

// StepLimitError is the error of a search that ran out of steps; it wraps
// ErrBacktrackLimit. The result is unknown: callers should skip (and
// count) the input.
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
	if !re.maySearch(s) {
		return nil, nil
	}
	if mt.m == nil {
		mt.m = newSREMachine(re.sre)
	}
	return re.sreRun(mt.m, dst, s, 0, false, true)
}
