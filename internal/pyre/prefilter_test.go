package pyre

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPrefilterString(t *testing.T) {
	tests := []struct {
		pattern string
		flags   Flags
		want    string
	}{
		{`^Failed (?:(?P<nofail>publickey)|\S+) for (?P<inv>invalid user )?(?P<user>\S+) from \S+`, 0,
			`^"Failed " .. " for invalid user "|" for " .. " from "`},
		{`^[iI](?:llegal|nvalid) user (?P<user>.*?) from`, 0, `^(?i)"illegal user "|(?i)"invalid user " .. " from"`},
		{`(?i)^user x`, ASCII, `^(?i)"user x"`},
		// Without ASCII, (?i)k and (?i)s also match U+212A and U+017F.
		{`(?i)^sk`, 0, `^"SK"|"Sk"|"S\u212a"|"sK"|"sk"|"s\u212a"|"\u017fK"|"\u017fk"|"\u017f\u212a"`},
		{`(?m)^foo`, 0, `"foo"`},
		{`^foo`, Multiline, `"foo"`},
		{`\Afoo|\Abar`, 0, `^"foo"|"bar"`},
		{`^(?:foo|bar.*)x`, 0, `^"foo"|"bar"`},
		{`(?:a.*b|c.*d)ef`, 0, `"bef"|"def"`},
		{`x(?=abc)abc\bdef$`, 0, `"xabcdef"`},
		{`a(b)\1c`, 0, `"ab"`},
		{`ab(?:cd)?ef`, 0, `"abcdef"|"abef"`},
		{`(?:ab){3,}`, 0, `"ababab"`},
		{`\d+\.\d+`, 0, ``},
		{`.*`, 0, ``},
		{`\ufffdab`, 0, `"ab"`},
		{`^(?:Disconnected|Connection (?:closed|reset)) (?:by|from)`, 0,
			`^"Disconnected by"|"Disconnected from"|"Connection closed by"|"Connection closed from"|"Connection reset by"|"Connection reset from"`},
	}
	for _, tt := range tests {
		re, err := CompileFlags(tt.pattern, tt.flags)
		if err != nil {
			t.Fatalf("CompileFlags(%q): %v", tt.pattern, err)
		}
		if got := re.pf.String(); got != tt.want {
			t.Errorf("prefilter of %q (flags %d) = %s, want %s", tt.pattern, tt.flags, got, tt.want)
		}
	}
}

func TestMayMatch(t *testing.T) {
	tests := []struct {
		pattern string
		flags   Flags
		input   string
		want    bool
	}{
		{`^Failed \S+ for \S+ from`, 0, "Failed password for root from 1.2.3.4", true},
		{`^Failed \S+ for \S+ from`, 0, "xFailed password for root from 1.2.3.4", false},
		{`^Failed \S+ for \S+ from`, 0, "Failed password from 1.2.3.4 for root", false},
		{`^Failed \S+ for \S+ from`, Multiline, "x\nFailed password for root from 1.2.3.4", true},
		{`(?i)failed x`, 0, "FAILED X", true},
		{`(?i)failed x`, 0, "FAILED Y", false},
		{`(?i)k1`, 0, "\u212a1", true},
		{`(?ai)k1`, 0, "\u212a1", false},
		{`[iI]nvalid user`, 0, "INVALID USER", true}, // folding only widens
		{`caf\u00e9!`, 0, "CAF\u00e9!", false},
		{`caf\u00e9!`, 0, "caf\u00e9!", true},
		{`a.b!`, 0, "a\xffb!", true},
		{`a\ufffdb!`, 0, "a\xffb!", true},
		{`ab(?:cd)?ef`, 0, "abef", true},
		{`ab(?:cd)?ef`, 0, "abcef", false},
		{`abc|def`, 0, "de", false},
	}
	for _, tt := range tests {
		re, err := CompileFlags(tt.pattern, tt.flags)
		if err != nil {
			t.Fatalf("CompileFlags(%q): %v", tt.pattern, err)
		}
		if got := re.MayMatch(tt.input); got != tt.want {
			t.Errorf("MayMatch(%q, %q) = %v, want %v (prefilter %s)", tt.pattern, tt.input, got, tt.want, re.pf)
		}
		checkMayMatch(t, tt.pattern, tt.flags, []string{tt.input})
	}
}

func TestIndexFold(t *testing.T) {
	tests := []struct {
		s, lit string
		want   int
	}{
		{"xxAbC", "abc", 2},
		{"ab", "abc", -1},
		{"a b A B", "a b", 0},
		{"xa-bA-B", "a-b", 1},
		{"xxA-B", "a-b", 2},
		{"a-a-b", "-b", 3},
		{"", "a", -1},
		{"abc", "", 0},
		{"\u00c9A", "\u00e9a", -1},
	}
	for _, tt := range tests {
		if got := indexFold(tt.s, tt.lit); got != tt.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", tt.s, tt.lit, got, tt.want)
		}
	}
}

// indexFoldNaive is indexFold tried at every offset, for tests.
func indexFoldNaive(s, l string) int {
	for i := 0; i+len(l) <= len(s); i++ {
		if equalFoldLit(s[i:i+len(l)], l) {
			return i
		}
	}
	return -1
}

// FuzzIndexFold checks indexFold, which finds its candidates with
// IndexByte, against a comparison at every offset.
func FuzzIndexFold(f *testing.F) {
	for _, s := range []string{"xxAbC", "abc aBc ABC", "Jan JAN jan", "jjjjaN", "a-b A-B", "MaYmAy", "\u00e9A"} {
		for _, l := range []string{"abc", "jan", "may", "a-b", "n", "aa", "zz"} {
			f.Add(s, l)
		}
	}
	f.Fuzz(func(t *testing.T, s, l string) {
		l = asciiLower(l)
		if got, want := indexFold(s, l), indexFoldNaive(s, l); got != want {
			t.Fatalf("indexFold(%q, %q) = %d, want %d", s, l, got, want)
		}
	})
}

// checkMayMatch fails when the engine, without the prefilter, finds a
// match in an input that MayMatch rejects. It returns how many inputs
// matched and how many of the others MayMatch rejected; patterns without
// a prefilter are skipped.
func checkMayMatch(t testing.TB, pattern string, flags Flags, inputs []string) (hits, rejected int) {
	t.Helper()
	opts := Options{Flags: flags, MaxSteps: 1 << 16}
	re, err := CompileOptions(pattern, opts)
	if err != nil || re.pf == nil {
		return 0, 0
	}
	opts.NoPrefilter = true
	ref, err := CompileOptions(pattern, opts)
	if err != nil {
		t.Fatalf("pattern %q: compiles with the prefilter, not without: %v", pattern, err)
	}
	for _, s := range inputs {
		may := re.MayMatch(s)
		if !may {
			rejected++
		}
		loc, err := ref.Search(s)
		if err != nil || loc == nil {
			continue
		}
		hits++
		if !may {
			t.Errorf("pattern %q flags %d input %q: match %v, but MayMatch is false (prefilter %s)",
				pattern, flags, s, loc, re.pf)
		}
	}
	return hits, rejected
}

// randomLiteralPattern builds patterns rich in literals, case-insensitive
// parts, anchors and alternations, over an alphabet shared with
// randomLiteralInput so that many inputs match.
func randomLiteralPattern(r *rand.Rand, depth int) string {
	atoms := []string{
		"ab", "ba", "abc", " for ", "Kk", "s", "x", ".", `\S+`, `\w`, `\d`, "[ab]", "[aA]", "[kK]", "[^a]",
		"(?i:ab)", "(?i:k)", "(?i:s)", "(?a:(?i:k))", `\n`, "^", "$", `\A`, `\Z`, `\b`, "(?=ab)", "(?!b)", "(?<=a)",
		"\u00e9", "\ufffd", "(?:)", `\ufffd?`, "[\u212a\u017f]",
	}
	if depth <= 0 || r.IntN(4) == 0 {
		return atoms[r.IntN(len(atoms))]
	}
	switch r.IntN(12) {
	case 0, 1, 2, 10, 11:
		return randomLiteralPattern(r, depth-1) + randomLiteralPattern(r, depth-1)
	case 3:
		return randomLiteralPattern(r, depth-1) + "|" + randomLiteralPattern(r, depth-1)
	case 4:
		return "(" + randomLiteralPattern(r, depth-1) + ")"
	case 5:
		return "(?:" + randomLiteralPattern(r, depth-1) + "|" + randomLiteralPattern(r, depth-1) + ")"
	case 6:
		q := []string{"*", "+", "?", "*?", "+?", "{2}", "{1,3}", "{0,2}", "{3,}", "{9}", "++", "?+"}
		return "(?:" + randomLiteralPattern(r, depth-1) + ")" + q[r.IntN(len(q))]
	case 7:
		return "(?>" + randomLiteralPattern(r, depth-1) + ")"
	case 8:
		return "(" + randomLiteralPattern(r, depth-1) + `)?(?(1)` + randomLiteralPattern(r, depth-1) + "|" + randomLiteralPattern(r, depth-1) + ")"
	default:
		return "(" + randomLiteralPattern(r, depth-1) + `)\1`
	}
}

func randomLiteralInput(r *rand.Rand) string {
	alpha := []string{"a", "b", "c", "ab", "abc", "AB", " for ", "K", "k", "\u212a", "s", "S", "\u017f", "x", "\n", " ", "1", "\u00e9", "\xff", "\ufffd"}
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(alpha[r.IntN(len(alpha))])
	}
	return b.String()
}

// inputWithSteps returns a random input containing an alternative of
// every step of pf, in order, so that MayMatch accepts it and the engine
// often matches.
func inputWithSteps(r *rand.Rand, pf *prefilter) string {
	var b strings.Builder
	for i, alts := range pf.steps {
		if i > 0 || !pf.anchored {
			if r.IntN(2) == 0 {
				b.WriteString(randomLiteralInput(r))
			}
		}
		l := alts[r.IntN(len(alts))]
		s := l.s
		if l.fold && r.IntN(2) == 0 {
			s = strings.ToUpper(s)
		}
		b.WriteString(s)
	}
	if r.IntN(2) == 0 {
		b.WriteString(randomLiteralInput(r))
	}
	return b.String()
}

// TestMayMatchRandom checks MayMatch against the engines on random
// patterns; the engines themselves are checked against Python by the
// differential tests.
func TestMayMatchRandom(t *testing.T) {
	n := 3000
	if trimCorpus() {
		n = 300
	}
	r := rand.New(rand.NewPCG(3, 4))
	flagSets := []Flags{0, IgnoreCase, Multiline, DotAll, ASCII | IgnoreCase, Multiline | IgnoreCase}
	patterns, hits, rejected, withPF := 0, 0, 0, 0
	for range n {
		var p string
		if r.IntN(8) == 0 {
			p = randomPattern(r, 4)
		} else {
			p = randomLiteralPattern(r, 4)
		}
		fl := flagSets[r.IntN(len(flagSets))]
		inputs := make([]string, 0, 40)
		for range 20 {
			inputs = append(inputs, randomLiteralInput(r))
		}
		patterns++
		if re, err := CompileFlags(p, fl); err == nil && re.pf != nil {
			withPF++
			for range 20 {
				inputs = append(inputs, inputWithSteps(r, re.pf))
			}
		}
		h, rj := checkMayMatch(t, p, fl, inputs)
		hits, rejected = hits+h, rejected+rj
	}
	if withPF < n/5 || hits < n {
		// checkMayMatch checks nothing without a prefilter or a match
		t.Errorf("only %d patterns with a prefilter and %d matching inputs: the corpus does not exercise MayMatch", withPF, hits)
	}
	t.Logf("%d patterns (%d with a prefilter): %d matching inputs, %d rejected by MayMatch", patterns, withPF, hits, rejected)
}

// TestMayMatchFail2ban checks MayMatch on every stock fail2ban regex, with
// the sample lines and every suffix of them that starts a word (the text
// failregexes see after the prefregex took the prefix off).
func TestMayMatchFail2ban(t *testing.T) {
	cases := fail2banCorpus(t)
	hits, rejected, inputs, withPF := 0, 0, 0, 0
	for _, c := range cases {
		var in []string
		lines := c.Inputs
		if trimCorpus() && len(lines) > 4 {
			lines = lines[:4]
		}
		for _, s := range lines {
			for i := 0; i < len(s); i++ {
				if i == 0 || s[i-1] == ' ' {
					in = append(in, s[i:], s[i:]+"\n")
				}
			}
		}
		if re, err := CompileFlags(c.Pattern, c.Flags); err == nil && re.pf != nil {
			withPF++
		}
		inputs += len(in)
		h, rj := checkMayMatch(t, c.Pattern, c.Flags, in)
		hits, rejected = hits+h, rejected+rj
	}
	if want := 500; hits < want {
		t.Errorf("only %d matching inputs: the corpus does not exercise MayMatch", hits)
	}
	t.Logf("%d patterns (%d with a prefilter), %d inputs: %d matching, %d rejected by MayMatch", len(cases), withPF, inputs, hits, rejected)
}
