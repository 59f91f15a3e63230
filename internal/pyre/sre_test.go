package pyre

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// sreQuirkPatterns pin down CPython's sre behaviour that a textbook
// backtracker gets wrong: marks written by a failed path that sre does not
// undo (seen by a conditional on an enclosing group), captures kept from
// earlier iterations, zero-width iterations, possessive and atomic
// groups, lowercase-folded backreferences.
var sreQuirkPatterns = []string{
	`(a(b)(?:c|cd)(?(1)x|y?))z`, `(a(b)c*(?(1)x|y?))z`, `(a(b)(?:c|cd)(?:e|(?(1)x|y?)))z`,
	`(a(b)c*?(?(1)x|y?))z`, `(a(b)[cd]*(?(1)x|y?))z`, `(a(b)(?:c|(x)d)*(?(1)x|y?))z`,
	`(a(?:(b)|c)*(?(2)x|y))`, `(?:(a)|b)*`, `(?:(a)|(b))+`, `(?:(a)|b)*?c`, `((a)|b)+`, `(a|(b))+?\2`,
	`(?:(a*))*b`, `(?:(a*)|b)*c`, `(a?)+?b`, `(a*)+?c`, `(?:()|a)*b`, `(?:a|())*b`, `(a|)*b\1`,
	`(?:(a)|b)(?(1)c|d)`, `(?:x(a)|x)(?(1)b|c)`, `(a)?(?(1)(b)|(c))\2\3`, `(?P<q>")?\w+(?(q)")`,
	`(?>(a)|ab)c`, `(?>a*)a`, `(?>(a+))b\1`, `(a)++`, `(?:(a)|b)++c`, `(a|b)*+c`, `(?:ab|a)++b`,
	`(?:(a)|b){2}+`, `((?:a|b)*?)c`, `(?i)(a)\1`, `(?i)(\w+) \1`, `(?ai)(\w)\1`, `(?i)(\u017f)\1`,
	`(?<=(a))b\1`, `(?<!(a))b`, `(?=(a))a\1`, `(?!(a)b)a(c)?`, `(?:(?=(a))a)+`, `(?:(?!(b))a)+`,
	`(a)(?:(b)|c)*d\2`, `(?:(a)b|ac)(?(1)x|y)`, `(?:(a)|(b)|c)*\1?`, `(?:(?:(a)|b)c)+`,
	`^(?:(\w+)\s?)*$`, `(\w+)\s+(?:(\w+)\s*)*`, `(?:a(b)?)+`, `(?:a(b)??)+c`, `((a)|(b))*`,
	`(?:a|(b))(?:c|(d))*e`, `(a+|b+)*c`, `(?:(a)|b){0,3}?c`, `(?:(a)|b){2,}?c`, `(a){0}b`,
	`a{0,0}(b)`, `(?:){3}a`, `(?:|a){2,4}b`, `(a|)+c`, `(?:(a)|(?=b)){2}b`,
}

var sreQuirkInputs = []string{
	"", "a", "b", "ab", "abc", "abcdxz", "abcdz", "abccz", "abcz", "abcxz", "abdxz", "aab", "abab", "abba",
	"aaa", "aaab", "aabb", "aac", "bbc", "abac", "acx", "abx", "aby", "aa", "ac", "x", "xaby", "xay",
	"\"foo\"", "\"foo", "Aa", "aA", "\u017fS", "ss", "foo FOO", "foo bar", "one two three", "ba", "bab",
	"abcabd", "abd", "bd", "abbd", "abcbd", "ace", "abde", "acde", "aaac",
}

func TestSREQuirksAgainstPython(t *testing.T) {
	cases := oracleCases(sreQuirkPatterns, sreQuirkInputs)
	t.Logf("sre quirks: %v", compareSRE(t, cases, runOracle(t, cases)))
}

// richPattern builds a random pattern using every construct the sre
// engine implements.
func richPattern(r *rand.Rand, depth int, groups *int) string {
	atoms := []string{"a", "b", "c", "ab", ".", `\w`, `\s`, `\d`, "[ab]", "[^a]", "x", " ", "(?i:a)", "\u00e9",
		`\b`, `\B`, "^", "$", `\A`, `\Z`, "(?:)"}
	if depth <= 0 || r.IntN(4) == 0 {
		return atoms[r.IntN(len(atoms))]
	}
	sub := func() string { return richPattern(r, depth-1, groups) }
	switch r.IntN(16) {
	case 0, 1:
		return sub() + sub()
	case 2:
		return sub() + "|" + sub()
	case 3, 4:
		*groups++
		if r.IntN(3) == 0 {
			return fmt.Sprintf("(?P<g%d>%s)", *groups, sub())
		}
		return "(" + sub() + ")"
	case 5:
		return "(?:" + sub() + "|" + sub() + ")"
	case 6, 7:
		q := []string{"*", "+", "?", "*?", "+?", "??", "*+", "++", "?+", "{2}", "{1,3}", "{0,2}?", "{2,}", "{,2}", "{1,2}+"}
		body := sub()
		if r.IntN(2) == 0 {
			*groups++
			body = "(" + body + ")"
		} else {
			body = "(?:" + body + ")"
		}
		return body + q[r.IntN(len(q))]
	case 8:
		l := []string{"(?=", "(?!", "(?<=", "(?<!"}
		k := l[r.IntN(len(l))]
		if k == "(?=" || k == "(?!" {
			return k + sub() + ")"
		}
		fixed := []string{"a", "ab", "(a)", "[ab]", "(?:a|b)", `\w`, "(a|b)c", "."}
		return k + fixed[r.IntN(len(fixed))] + ")"
	case 9:
		return "(?>" + sub() + ")"
	case 10, 11:
		if *groups == 0 {
			return sub()
		}
		g := 1 + r.IntN(*groups)
		if r.IntN(2) == 0 {
			return fmt.Sprintf("(?(%d)%s|%s)", g, sub(), sub())
		}
		return fmt.Sprintf("(?(%d)%s)", g, sub())
	case 12:
		if *groups == 0 {
			return sub()
		}
		return fmt.Sprintf(`\%d`, 1+r.IntN(*groups))
	case 13:
		return "(?i:" + sub() + ")"
	default:
		*groups++
		return "(" + sub() + ")" + sub()
	}
}

func richInput(r *rand.Rand) string {
	alpha := []string{"a", "b", "c", "x", " ", "\n", "A", "B", "\u00e9", "1", "_", "ab", "aa"}
	var b strings.Builder
	for range r.IntN(10) {
		b.WriteString(alpha[r.IntN(len(alpha))])
	}
	return b.String()
}

func richCases(seed uint64, n int) []oracleCase {
	r := rand.New(rand.NewPCG(seed, 7))
	var cases []oracleCase
	for range n {
		groups := 0
		c := oracleCase{Pattern: richPattern(r, 4, &groups)}
		for range 8 {
			c.Inputs = append(c.Inputs, richInput(r))
		}
		cases = append(cases, c)
	}
	return cases
}

func TestSRERandomAgainstPython(t *testing.T) {
	n := 4000
	if trimCorpus() {
		n = 300
	}
	cases := richCases(3, n)
	res := runOracle(t, cases)
	st := compareSRE(t, cases, res)
	t.Logf("sre random corpus: %v", st)
}

// compareSRE checks the sre engine (only) against Python.
func compareSRE(t *testing.T, cases []oracleCase, res []oracleResult) diffStats {
	t.Helper()
	var st diffStats
	failures := 0
	for i, c := range cases {
		r := res[i]
		st.patterns++
		re, err := CompileOptions(c.Pattern, Options{Flags: c.Flags, MaxSteps: -1})
		if r.Error != nil {
			st.errors++
			if err == nil {
				failures++
				t.Errorf("pattern %q: Python rejects it (%s), Go accepts it", c.Pattern, *r.Error)
			}
			continue
		}
		if err != nil {
			failures++
			t.Errorf("pattern %q: Python accepts it, Go: %v", c.Pattern, err)
			continue
		}
		st.backtrack++
		for j, s := range c.Inputs {
			st.comparisons++
			for _, anchored := range []bool{false, true} {
				want := r.Search[j]
				if anchored {
					want = r.Match[j]
				}
				got, err := re.find(nil, s, anchored)
				if err != nil {
					t.Errorf("pattern %q input %q: %v", c.Pattern, s, err)
					continue
				}
				if g := toRuneOffsets(got, s); !spansEqual(g, want) {
					failures++
					if failures <= 40 {
						t.Errorf("pattern %q input %q anchored %v: sre %v, Python %v", c.Pattern, s, anchored, g, want)
					}
				}
			}
		}
	}
	return st
}

// FuzzSRE compares the sre engine with Go's regexp where the pattern has
// an exact RE2 translation, and with regexp2 otherwise; when they differ,
// Python decides.
func FuzzSRE(f *testing.F) {
	for _, p := range append(append([]string{}, semanticPatterns...), sreQuirkPatterns...) {
		f.Add(p, "abcdxz foo bar\n")
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 96 || len(input) > 128 {
			return
		}
		re, err := CompileOptions(pattern, Options{MaxSteps: 1 << 16})
		if err != nil {
			return
		}
		other, err := compileOther(pattern, otherOptions{Engine: EngineRE2, Timeout: 50 * time.Millisecond, BacktrackStack: 1 << 16})
		if err != nil {
			return // regexp2 cannot compile our translation; nothing to compare
		}
		for _, s := range []string{input, input + "\n", ""} {
			for _, anchored := range []bool{false, true} {
				got, err := re.find(nil, s, anchored)
				if errors.Is(err, ErrBacktrackLimit) {
					continue
				}
				if err != nil {
					t.Fatalf("pattern %q input %q: %v", pattern, s, err)
				}
				want, err := other.find(nil, s, anchored)
				if err != nil || spansEqual(got, want) {
					continue
				}
				// Disagreement: ask Python (valid UTF-8 only).
				if !isValidForPython(pattern) || !isValidForPython(s) {
					continue
				}
				res := runOracle(t, []oracleCase{{Pattern: pattern, Inputs: []string{s}}})
				if res[0].Error != nil {
					continue
				}
				py := res[0].Search[0]
				if anchored {
					py = res[0].Match[0]
				}
				if g := toRuneOffsets(got, s); !spansEqual(g, py) {
					t.Fatalf("pattern %q input %q anchored %v: sre %v, %s %v, Python %v",
						pattern, s, anchored, g, other.Engine(), toRuneOffsets(want, s), py)
				}
			}
		}
	})
}

func isValidForPython(s string) bool {
	return strings.ToValidUTF8(s, "\x00") == s && !strings.ContainsRune(s, 0xFFFD)
}

func TestSREStepLimit(t *testing.T) {
	re, err := CompileOptions(`^(?:(a+)+)+b`, Options{MaxSteps: 10000})
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Repeat("a", 40)
	_, err = re.Search(s)
	if !errors.Is(err, ErrBacktrackLimit) {
		t.Fatalf("Search error = %v, want ErrBacktrackLimit", err)
	}
	var se *StepLimitError
	if !errors.As(err, &se) || se.Budget != 10000+DefaultStepsPerByte*len(s) || se.Pattern != re.String() {
		t.Fatalf("Search error = %#v, want a *StepLimitError with budget %d", err, 10000+DefaultStepsPerByte*len(s))
	}
	// The default budget bounds a hostile 64 KiB line to a few
	// milliseconds a KiB.
	for _, p := range []string{`^(?:(a+)+)+b`, `(\S+)+x`, `(?:(?! from ).)*?x`, `\S+:`, `(.*?,)*;`} {
		re := MustCompile(p)
		for _, s := range []string{strings.Repeat("a", 64<<10), strings.Repeat("a,", 32<<10)} {
			start := time.Now()
			_, err := re.Search(s)
			if d := time.Since(start); d > 64*8*time.Millisecond && !raceEnabled {
				t.Errorf("pattern %q on %d bytes: %v (err %v)", p, len(s), d, err)
			} else {
				t.Logf("pattern %q on %d bytes: %v (err %v)", p, len(s), d, err)
			}
		}
	}
}

// TestSREStepBudgetScales checks that the step budget grows with the
// text: linear work on a long line completes, while a backtracking-prone
// pattern still runs out of steps on it, after its budget and no more.
func TestSREStepBudgetScales(t *testing.T) {
	pad := strings.Repeat("x", 1_000_000)
	for _, c := range []struct {
		pattern, s string
		fixedFails bool // the old fixed budget was not enough
	}{
		{`Failed from (\S+)`, pad + " Failed from 192.0.2.1", false},
		{`^.*from (\S+)$`, pad + " Failed from 192.0.2.1", false},
		{`^(?:ab)*$`, strings.Repeat("ab", 100_000), true},
		{`^(?:(?:a|b)c?)*$`, strings.Repeat("ab", 100_000), true},
	} {
		start := time.Now()
		if _, err := MustCompile(c.pattern).Search(c.s); err != nil {
			t.Errorf("pattern %q on %d bytes: %v", c.pattern, len(c.s), err)
		}
		t.Logf("pattern %q on %d bytes: %v", c.pattern, len(c.s), time.Since(start))
		re, err := CompileOptions(c.pattern, Options{StepsPerByte: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := re.Search(c.s); c.fixedFails && !errors.Is(err, ErrBacktrackLimit) {
			t.Errorf("pattern %q on %d bytes with a fixed budget: error %v, want ErrBacktrackLimit", c.pattern, len(c.s), err)
		}
	}
	re := MustCompile(`^(a|aa)*b`)
	for _, n := range []int{1 << 10, 64 << 10} {
		s := strings.Repeat("a", n)
		mt := re.Matcher()
		_, err := mt.AppendSearch(nil, s)
		var se *StepLimitError
		if !errors.As(err, &se) || se.Budget != DefaultMaxSteps+DefaultStepsPerByte*n || se.Budget != re.StepBudget(n) {
			t.Fatalf("%d bytes: error %v, want a *StepLimitError with budget %d", n, err, re.StepBudget(n))
		}
		if mt.m.steps > se.Budget+1 {
			t.Errorf("%d bytes: %d steps, budget %d", n, mt.m.steps, se.Budget)
		}
	}
}

func TestSREZeroAllocs(t *testing.T) {
	re := MustCompile(`^(?P<user>\S+) from (?P<ip>\d+(?:\.\d+){3})(?: port (\d+))?(?(3)x|$)`)
	dst := make([]int, 0, 2*(re.NumSubexp()+1))
	s := "root from 10.0.0.1"
	re.AppendSearch(dst, s) // warm the pool
	if n := testing.AllocsPerRun(100, func() {
		if loc, err := re.AppendSearch(dst, s); loc == nil || err != nil {
			t.Fatalf("AppendSearch = %v, %v", loc, err)
		}
	}); n != 0 && !raceEnabled {
		t.Errorf("AppendSearch allocates %v times per run", n)
	}
	mt := re.Matcher()
	mt.AppendSearch(dst, s) // its machine
	if n := testing.AllocsPerRun(100, func() {
		if loc, err := mt.AppendSearch(dst, s); loc == nil || err != nil {
			t.Fatalf("Matcher.AppendSearch = %v, %v", loc, err)
		}
	}); n != 0 && !raceEnabled {
		t.Errorf("Matcher.AppendSearch allocates %v times per run", n)
	}
}

// TestMatcherEqualsRegexp checks that a Matcher, reused across inputs
// (and after searches that fail, or run out of steps), finds what its
// Regexp finds.
func TestMatcherEqualsRegexp(t *testing.T) {
	cases := richCases(11, 400)
	for _, c := range cases {
		for _, opts := range []Options{{Flags: c.Flags}, {Flags: c.Flags, MaxSteps: 40, StepsPerByte: -1}} {
			re, err := CompileOptions(c.Pattern, opts)
			if err != nil {
				continue
			}
			mt := re.Matcher()
			for _, in := range append(c.Inputs, c.Inputs...) {
				want, werr := re.AppendSearch(nil, in)
				got, gerr := mt.AppendSearch(nil, in)
				if !slices.Equal(got, want) || (gerr == nil) != (werr == nil) {
					t.Fatalf("pattern %q input %q steps %d: Matcher %v, %v; Regexp %v, %v",
						c.Pattern, in, opts.MaxSteps, got, gerr, want, werr)
				}
			}
		}
	}
}

// sreOptPatterns target the compiler's rewrites: (?:X)? and (?:X)?? as
// OPT and OPT_LAZY (captures, marks, conditionals on groups set inside
// X, empty bodies, outer repeats, and the fallback to sre's REPEAT when a
// conditional is inside the group it tests or a possessive repeat is
// present), first-character guards through optional items, branches,
// repeats and lookarounds, and greedy repeats skipped on their guard.
var sreOptPatterns = []string{
	`(?:a|(b))?c`, `(a|(b))?(?(2)x|y)`, `(?:(a)|b)?(?(1)c|d)`, `(?:x(a)|x)?(?(1)b|c)`, `(?:(a)b)?\1?`,
	`(?:(a)*)?b`, `(?:(a)|)?b\1`, `(?:)?a`, `(?:)??a`, `(?:a*)?b`, `(?:(a?))?b`, `((?:ab)?)*c`,
	`(?:(?:(a)|b)?c)*d`, `(?:(a)|b)??c`, `(?:a(b)?)??b`, `(a(?:b|bc)?)??c`, `((a)|b)??(?(2)x|y)`,
	`(?:(a)(?:b|c)?)+d`, `(?:(?=(a))?a)`, `(?:(?!(b))a)?`, `(?:(a)b)?(?(1)|c)`, `^(?:\S+\s+)?(?P<x>.+)$`,
	`(?:(a)|b(c)?)?(?(2)d|e)`, `(a(?:(b)|c)?)?\2`, `(?:(a+)(b)?)?\1\2`, `(?:(a)|b)?(?:(a)|b)?\1\2`,
	`(?:(a)|b)?(?:(a)|b)??\2`, `(?:(a)(b)??)?c`, `(?:(a)(?:b(c))??)?x`, `((?:(a)|b)?)+c`, `((?:(a)|b)??)+?c`,
	`(?:(a)|(?:b(c))?)?x(?(2)y|z)`, `(?:(a|ab)(c|bcd)?)?(d*)`, `(?:a(?:b)?)?(?:b(?:c)?)?c`,
	`(a(?:(b)|c)?(?(1)x|y))z`, `(a(b)?(?(1)x|y))z`, `(a(?:bc|b)?(?(1)x|y))z`, `(a(?:b|bc)??(?(1)x|y))z`, `(a(b)(?:c|cd)?(?(1)x|y?))z`, `(a(b)(?:c|cd)??(?(1)x|y?))z`,
	`(a(b)(?:c*)?(?(1)x|y?))z`, `(a(b)(?:c+d)?(?(1)x|y?))z`,
	`(?:(a)|b)?(?:c|d)++`, `(?:(a)|b)?(?:ab|b)++c`, `(?:x(a)|x)?(?:a|b)*+c`,
	`(?:a?b|c*d|(?:e|f)g)h`, `(?:\[?x|y)`, `(?:(?:ab)?c|d)e`, `x(?:(?:y)?z|w)*`, `(?:a|b?)c`, `(?:(?=a)|b)a`,
	`(?:\b|x)y`, `(?:$|a)`, `(a)?(?:(?(1)a|b)c|d)`, `(?:(?<=a)|x)b`, `(?:a|b)??c`, `(?:ab)*c`, `(?:(a)b)*?c`,
	`(?:(a)|b)*c`, `(x)(?:(a)b)*(?(2)y|z)`, `(?:(a)b){0,2}c`, `(?:a(b)|a){0,1}(?(1)c|bd)`, `(?:ab|a)?b?c`,
	`^(?:x(a)?|y)*$`, `(?:(?:a)?)*b`, `(?:(?:(a))?)+?b\1`, `(?:(?:a)??)+b`,
	`(?:(?! b).)*?x`, `^(?:(?!ab).)*$`, `(?<=ab)c`, `(?<!a\b)b`, `a(?=b$)`, `(?:(a)(?=b)|a)(?(1)b|c)`,
	`(?=a\w)(?!ab)\w+`, `(?<=\Ab)(?:c|(?<=b)a)`, `(a)(?!\s)(?(1)b)`,
	`(?:(?!ab).)*?b`, `(?:(?!ab).)+b`, `(?:(?=\w)(?!c).){2,3}?c`, `((?:(?<!a)[ab])*)b`, `(?:(?!a)(?<=b).)*`,
	`x((?:(?! ).)*?) (?(1)a|b)`, `(?:(a)|b)(?:(?!c).)*?(?(1)c|d)`, `(?:(?!a).)??b`, `(?:(?!\b)\w){1,2}`,
	`(a((?:(?!b).)*)c(?(1)x|y))z`, `(?:(?!b)a)*+b`, `(a(b)(?:(?!q).)*(?(1)x|y?))z`, `(a(b)(?:(?!q).)*?(?(1)x|y?))z`,
	`(a(b)(?:(?!q).)*(?(1)xx|y?))z`, `(a(b)(?:(?!q)[cx])*(?(1)x|y?)z)`,
	`(?:(a)|b){2}c`, `(?:(a)|bc){1,3}d`, `(?:ab|a){0,3}b`, `(?:(a)b|a){0,2}(?(1)c|d)`, `(?:\d{1,3}\.){3}\d{1,3}`,
	`(?:(a)|b){2,}c`, `(?:a|(b)){1,2}?c`, `(?:(a?)b){2}\1`, `(?:a?){2,3}b`, `(?:(a)|){0,3}b`, `(?:()|a){2,}b`,
	`(a(?:b|c){2}(?(1)x|y?))z`, `(a(b)(?:c|cd){0,2}(?(1)x|y?))z`, `(?:(a)|b(c)){1,2}(?(2)x|y)`, `(?:x(a)|x){0,2}(?(1)b|c)`,
	`(?:(a)(?:b|c)?){1,3}\1`, `((?:a|ab){2,3})+c`, `(?:a(?:b(c)?){0,2}){2}\1?x`,
}

func TestSREOptAgainstPython(t *testing.T) {
	inputs := append(append([]string{}, sreQuirkInputs...), "c", "bc", "ac", "abc", "bx", "by", "ax", "ay", "xab",
		"xa", "xb", "xy", "xz", "abd", "abcd", "aabc", "abbc", "ababc", "bac", "xay", "[x", "y", "eh", "fgh",
		"cdh", "abch", "de", "abce", "xyzw", "xyyz", "aaab", "abdc", "bcx", "bcxy", "bxz", "abcz", "abz", "abxz",
		"abyz", "acyz", "abcbxz", "abxxz", "abxyz", "abxxxz", "abcxxz", "abxcz",
		"1.2.3.4", "12.3.45.6x", "1.2.3", "aabbc", "abcbcd", "bcbcbcd", "aaaab", "xaxab", "xxb", "xxc", "abcabcx",
		"ababx", "abbcx", "abaabc", "aab", "x abab", "foo bar\n", "a\n", "bb", "abbd", "ba c")
	cases := oracleCases(sreOptPatterns, inputs)
	t.Logf("sre opt: %v", compareSRE(t, cases, runOracle(t, cases)))
}

// TestUnrollStaysSmall checks that nested counted repeats do not make the
// program grow with the product of their counts.
func TestUnrollStaysSmall(t *testing.T) {
	pat := "ab"
	for range 5 {
		pat = "(?:x" + pat + "y){8}"
	}
	re, err := Compile("^" + pat)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(re.sre.code); n > 10000 {
		t.Fatalf("program of %d ints for %d pattern bytes", n, len(pat))
	}
	s := strings.Repeat("x", 8) + "ab"
	if ok, err := re.MatchString(s); ok || err != nil {
		t.Fatalf("MatchString(%q) = %v, %v", s, ok, err)
	}
}

// sreReqPatterns target the literal text guards (reqLits): alternatives
// and optional bodies whose remaining match needs text further on,
// conditionals the walk resolves, and guards inside lookarounds,
// repeats, atomic groups and possessive repeats.
var sreReqPatterns = []string{
	`(?:(a)\w+|\w+)xy(?(1)zz|q)`, `(?P<u>(?P<c>\S+)|[^:]+) from (?:\d+|x)(?(c): |$)`,
	`(?:ab\w*cd|a\w*)ef`, `(?:x.*yz|x)w`, `(?:a(b)?.*cd)?e`, `(?:a(b)?.*cd)??e`, `(?=(?:a.*bc|a)d)`,
	`(?<=(?:a.bc|abxy)d)x`, `(?!(?:a.*bc|a)d)a`, `(?:(?:a.*bc|a)d)+e`, `(?:(?:a.*bc|a)d)*?e`, `(?>a.*bc|a)d`,
	`(?:a.*bc|a)++d`, `(?:a.*?bc|a.*cd|ab)(?:xy|z)`, `(a)?(?:b.*cd(?(1)ef|gh)|b)`, `(?:(a)b.*(?(1)cd|ef)|ab)`,
	`(?:(a)|b)(?:c.*de|c)(?(1)fg|hi)`, `(?:é.*ñx|é)y`, `(a)(?:b.*\1c|b)`, `(?:(a)(b)?.*(?(2)xy|zw)|a)`,
	`(?:a(?:.*bc){2}|a)d`, `(?:a.*b{2}c|a)d`, `(?:a(?=.*bc)|a)\w*`, `(?:(a)|)(?:x.*(?(1)yy)zz|x)`,
	`(?:ab(?:cd)?ef.*gh|a)`, `(?:a(?:bc|bd).*ef|a)x`, `(?:a[bc]de.*fg|a)`, `(?:a\bbc.*de|a)`, `(?:a$|ab.*cd)`,
	`^(?:Failed (?:(?P<nofail>publickey)|\S+) for (?P<ci>invalid user )?(?P<user>(?P<cu>\S+)|(?(ci)(?:(?! from ).)*?|[^:]+)) from (?P<h>\d+(?:\.\d+){3}|\w+)(?: port \d+)?(?: ssh\d*)?(?(cu): |(?:(?! from ).)*$))`,
}

func TestSREReqAgainstPython(t *testing.T) {
	inputs := []string{"", "a", "axyzz", "axyq", "abxyzz", "bxyq", "abcdef", "aef", "abef", "x yz w", "xw", "xyzw",
		"abccdd", "acde", "abcd", "abcde", "abcbcd", "abccde", "e", "abcde", "abdx", "abcdx", "ad", "abcdd",
		"abxy", "abcdz", "bcdef", "bcdgh", "abcdgh", "acdefg", "bcdehi", "ade", "acfg", "éñxy", "éy", "éxñx",
		"abac", "abc", "abzw", "abxy", "abbcd", "abcbcd", "abcd", "xzz", "xyyzz", "axyyzz", "abefgh", "abdefx",
		"abdex", "abde fg", "a bc de", "a", "ab", "abcd ab",
		"Failed password for invalid user admin from 1.2.3.4 port 22 ssh2\n",
		"Failed password for dan from 1.2.3.4 port 22 ssh2: RSA x\n",
		"Failed password for dan from 1.2.3.4 port 22 ssh2\n",
		"Failed password for invalid user x from 1.2.3.4 from 5.6.7.8 port 2 ssh2\n",
		"Failed publickey for a b from 1.2.3.4\n", "Failed none for  from host: \n",
		"Failed password for invalid user t from 10.1.1.2 port 5 ssh2: from 1.2.3.4 port 58946 ssh2\n"}
	cases := oracleCases(sreReqPatterns, inputs)
	t.Logf("sre req: %v", compareSRE(t, cases, runOracle(t, cases)))
}

// TestReqGuardBuilt checks that the guards carry the literal text the
// sshd "Failed" failregex needs: its first user alternative is rejected
// on a line without ": " after " from ", before any backtracking.
func TestReqGuardBuilt(t *testing.T) {
	re := MustCompile(sreReqPatterns[len(sreReqPatterns)-1])
	p := re.sre
	found := false
	for _, g := range p.guards {
		if slices.Equal(g.req, []string{" from ", ": "}) && !g.reqAnchored {
			found = true
		}
	}
	if !found {
		var got [][]string
		for _, g := range p.guards {
			got = append(got, g.req)
		}
		t.Fatalf("no guard with [\" from \" \": \"]; guards' text: %q", got)
	}
}

// TestReqScans checks that the guards' text scans stay linear in the
// line: each start position of an unanchored search, or each end a
// backtracking ".*" gives back, asks for "cd" again, and a scan to the
// end of the line each time would be quadratic, where the attempts
// themselves fail at once on \d. (A window scanned from before an
// earlier scan overlaps it by the length of the text less one.)
func TestReqScans(t *testing.T) {
	for _, pat := range []string{`(?:a\d.*cd|a)x`, `^.*(?:a\d.*cd|a)x`} {
		re := MustCompile(pat)
		mt := re.Matcher()
		s := strings.Repeat("a", 4000)
		if loc, err := mt.AppendSearch(nil, s); loc != nil || err != nil {
			t.Fatalf("%s: AppendSearch = %v, %v; want no match", pat, loc, err)
		}
		full := reqScans*len(s) + reqSlack
		if used := full - mt.m.reqBudget; used > 3*len(s)+64 || used == 0 {
			t.Errorf("%s: the guards read %d bytes of a %d-byte line", pat, used, len(s))
		}
		for _, tail := range []string{"a1cdx", "a1cd", "ax"} {
			want, _ := re.AppendSearch(nil, s+tail)
			got, err := mt.AppendSearch(nil, s+tail)
			if !slices.Equal(got, want) || err != nil {
				t.Errorf("%s: Matcher %v, %v; Regexp %v", pat, got, err, want)
			}
		}
	}
}

// TestReqBudget checks that a guard passes once the scan budget is
// spent: it stops saving work rather than costing more.
func TestReqBudget(t *testing.T) {
	re := MustCompile(`(?:a\d.*cd|a)x`)
	mt := re.Matcher()
	mt.AppendSearch(nil, "a")
	var g *sreGuard
	for i := range re.sre.guards {
		if re.sre.guards[i].req != nil {
			g = &re.sre.guards[i]
		}
	}
	if g == nil {
		t.Fatal("no guard with text")
	}
	m := mt.m
	m.s, m.reqGen = "a1xyz", m.reqGen+1
	if m.reqBudget = 100; m.reqOK(g, 0) {
		t.Error("reqOK passes without the text")
	}
	if m.reqBudget = 0; !m.reqOK(g, 0) {
		t.Error("reqOK fails with the budget spent")
	}
}

// srePossPatterns target possessify: single-character repeats whose tail
// cannot or can start with a character they take, greedy and lazy, with
// captures the tail's conditionals and backreferences read.
var srePossPatterns = []string{
	`\d+\.\d+`, `\d+?\.`, `(a)?\d+(?(1)x|y)`, `\s*(?:<\w+>)?\S+`, `[ab]*?c`, `[ab]*c`, `a*(?=b)b`, `a*(?!b)c`,
	`(?:x\d+|y\d+)z`, `(\d+)x\1`, `(\w+)\s+(\d*)(?(2)a|b)`, `\S+\s+sshd`, `[^:]+:`, `[^:]+?:\s*(\w)`, `.*\n?`,
	`x*(?:y|$)`, `x*\b`, `(?:a+b)+c`, `(?:(a+)|b)+\1`, `\w+(?<=c)d`, `é*[^é]`, `[a-c]+[d-f]+[a-c]`, `a{2,3}b`,
	`a{2,3}?[^a]`, `(?:ab*)*c`, `a+(?:b|a)`, `(a*)(b*)\2\1`, `^\s*(?:\[\])?\s*(?P<h>\S+)\s+(?:\[\d+\])?:?\s+(?P<c>.+)$`,
	`(?:(?!ab).)*$`, `x(.*)$`, `(a.*?)$`, `(?m)([^x]*)$`, `.*\Z`, `[^\n]*?$`, `[\s\S]*$`, `(?:(?!b).)+?(?m:$)`,
	`(a)?(?:(?! a ).)*(?(1)$|\n)`, `(?:(?![ab]).)*(?=$)`, `(?:(?!a)[^\n])*(?:$|b)`, `(?s:.)*$`,
}

func TestSREPossAgainstPython(t *testing.T) {
	inputs := []string{"", "1.2", "12.34", "1x", "a1x", "1y", "a12y", "  <ab> cd", "<x>y", "abc", "aabbc", "ab",
		"aab", "aac", "x1z", "y22z", "x1y", "12x12", "12x1", "ab  12a", "ab b", "host sshd", "a:b", "ab: c", "a:: d",
		"x\n", "xx", "xxy", "xx ", "abbc", "aabaab", "aa", "abcd", "ééa", "éé", "abcdefa", "aab", "aaab", "aaaa",
		"abbabc", "aabbbbaa", "abba", " [] host [12]: text", "host: text", "h [1] x", "a1.2.3b", "xab\n", "cab", "ca\nb",
		"a\n", "xa\nx\n", "x\n\n", "b\nb", "a b a \n", "a b\n", "ba\n", "é\n", "\xff\n", "\n"}
	cases := oracleCases(srePossPatterns, inputs)
	t.Logf("sre possessive: %v", compareSRE(t, cases, runOracle(t, cases)))
}

// TestPossessifyBuilt checks that the repeats of an sshd-style prefix
// whose tails start with other characters run without backtracking
// points, and that one whose tail may start with its own characters
// does not.
func TestPossessifyBuilt(t *testing.T) {
	for _, c := range []struct {
		pat  string
		want int
	}{
		{`^\s*(?:\S+\s+)?x`, 3}, // \s* before \S, \S+ before \s, \s+ before x
		{`^\w+\S`, 0},           // \S can start with a word character
		{`^\d+?\.`, 1},
		{`^(?:(?! from ).)*$`, 1}, // "." never takes the "\n" $ needs
		{`^(.+)(?m:$)`, 1},
		{`^[\s\S]*$`, 0}, // may end before a final "\n"
	} {
		re := MustCompile(c.pat)
		if n := countOp(re.sre.code, 0, len(re.sre.code), sPossRepeatOne); n != c.want {
			t.Errorf("%s: %d possessive repeats, want %d", c.pat, n, c.want)
		}
	}
}

// countOp counts the instructions op in code[pc:end], read in order.
func countOp(code []int, pc, end, op int) int {
	n := 0
	for pc < end {
		if code[pc] == op {
			n++
		}
		switch code[pc] {
		case sFailure, sSuccess, sMaxUntil, sMinUntil:
			pc++
		case sBranch:
			for pc++; code[pc] != 0; pc = code[pc] {
				n += countOp(code, pc+2, code[pc], op)
			}
			pc++
		case sRepeatOne, sMinRepeatOne, sPossRepeatOne:
			pc += 6
		case sRepeat:
			pc += 5
		case sPossRepeat:
			pc += 4
		case sAssert, sAssertNot, sAssertPlain, sAssertNotPlain, sOpt, sOptLazy, sGrouprefExists:
			pc += 3
		default:
			pc += 2
		}
	}
	return n
}

// sreLastAltPatterns target lastAlt: branches whose last possible
// alternative runs in the branch's place, inside repeats, before
// conditionals and backreferences, with captures in the alternatives.
var sreLastAltPatterns = []string{
	`(?:(a)|b)*(?(1)x|y)`, `((a)|b)+c`, `(?:(a)|(b))+\1?\2?c`, `(?:x(a)|y)(?:z|w)\1?`, `(?:ab|a)(?:bc|c)d`,
	`(?:(ab)|a)(?:(b)c|c)(?(1)d|e)(?(2)f|g)`, `^(?:a|b|c)+?(?:(c)|d)$`, `(?:a(?:b|c)|ad)+e`, `(?=(?:a|b)c)\w+`,
	`(?!(?:a|(b))c)\w+`, `(?:(?:a|b)(c))*d\1`, `(?:(a)|b|(c))*?d(?(1)1)(?(2)3)`, `(?:a|ab)(?:c|bcd)(?:d*)`,
	`(?:x(a)?[ab]?b)+(?(1)c|d)`, `(?:x([ab])??b)+\1`, `(?:(a)[ab]*?b)*c`, `(a[ab]?b|a)+c`, `(?:(\w)\w*?\d)+\1`,
}

func TestSRELastAltAgainstPython(t *testing.T) {
	inputs := []string{"", "ax", "abx", "by", "bay", "abbc", "ac", "bc", "aabbc", "abcd", "acd", "abce", "abcdf",
		"acdg", "ace", "abcg", "abc", "abd", "acd", "adae", "ace", "abcadace", "bc", "ac", "bcx", "acbcd", "bcbcd c",
		"d", "ad1", "cd3", "abd", "cbad13", "abcd", "abcbcdd", "xaz", "xazaa", "yw", "ab", "xabc", "xbxabd", "xabbc",
		"xbb", "xabxbb", "abbabc", "aabc", "abac", "a1b2a", "ab12a", "xbxbd", "xaabd"}
	cases := oracleCases(sreLastAltPatterns, inputs)
	t.Logf("sre last alternative: %v", compareSRE(t, cases, runOracle(t, cases)))
}

// TestLastAltNoFrames checks that the last try of a choice pushes no
// backtracking frame: a branch whose later alternatives cannot start
// where it is tried, a greedy repeat given back to its minimum, a lazy
// one that cannot take another item. 300 of them in a row leave the
// frame stack at its initial size.
func TestLastAltNoFrames(t *testing.T) {
	for _, c := range []struct{ unit, in string }{
		{`(?:a|b)`, "a"},
		{`x[ab]?b`, "xb"},
		{`x[ab]??b`, "xab"},
	} {
		re := MustCompile("^" + strings.Repeat(c.unit, 300) + "$")
		mt := re.Matcher()
		if loc, err := mt.AppendSearch(nil, strings.Repeat(c.in, 300)); loc == nil || err != nil {
			t.Fatalf("%s: AppendSearch = %v, %v", c.unit, loc, err)
		}
		if n := cap(mt.m.frames); n > 32 {
			t.Errorf("%s: frame stack grew to %d", c.unit, n)
		}
	}
}

// possEndItems and possEndAnchors build the repeats FuzzPossessifyEnd
// tests: single-character items, some never taking a "\n", before an end
// anchor.
var (
	possEndItems   = []string{`.`, `(?:(?!ab).)`, `[^x]`, `[^\n]`, `(?:(?<!a)[^b])`, `\w`, `[\s\S]`, `(?:(?=\S).)`}
	possEndAnchors = []string{`$`, `\Z`, `(?m:$)`}
)

// FuzzPossessifyEnd checks possessify's end-anchor case against the same
// pattern with the anchor behind a branch, (?:$|(?!)), which possessify
// leaves alone: both must find the same spans.
func FuzzPossessifyEnd(f *testing.F) {
	f.Add(`(a)?`, uint8(1), false, uint8(0), "xab\ncab\n")
	f.Add(`\w+ `, uint8(0), true, uint8(2), "ab cd\nef")
	f.Add(``, uint8(6), false, uint8(1), "a\n\n")
	f.Fuzz(func(t *testing.T, pre string, item uint8, lazy bool, anchor uint8, input string) {
		if len(pre) > 24 || len(input) > 64 {
			return
		}
		body := "(" + possEndItems[int(item)%len(possEndItems)] + "*"
		if lazy {
			body += "?"
		}
		body += ")"
		a := possEndAnchors[int(anchor)%len(possEndAnchors)]
		re, err := CompileOptions(pre+body+a, Options{MaxSteps: 1 << 16})
		if err != nil {
			return
		}
		slow, err := CompileOptions(pre+body+"(?:"+a+"|(?!))", Options{MaxSteps: 1 << 16})
		if err != nil {
			t.Fatalf("%q compiles but not with the branch: %v", pre+body+a, err)
		}
		for _, s := range []string{input, input + "\n", ""} {
			for _, anchored := range []bool{false, true} {
				got, err1 := re.find(nil, s, anchored)
				want, err2 := slow.find(nil, s, anchored)
				if errors.Is(err1, ErrBacktrackLimit) || errors.Is(err2, ErrBacktrackLimit) {
					continue
				}
				if err1 != nil || err2 != nil || !spansEqual(got, want) {
					t.Fatalf("pattern %q input %q anchored %v: %v, %v; with the branch %v, %v",
						pre+body+a, s, anchored, got, err1, want, err2)
				}
			}
		}
	})
}
