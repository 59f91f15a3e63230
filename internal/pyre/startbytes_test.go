package pyre

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// setBytes lists the bytes of set in order, for messages and tables.
func setBytes(set *[256]bool) string {
	var b []byte
	for c, in := range set {
		if in {
			b = append(b, byte(c))
		}
	}
	return string(b)
}

func TestStartBytes(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		flags   Flags
		ok      bool
		want    string // the bytes of the set when ok
	}{
		{`^Failed`, 0, true, "F"},
		{`\AFailed`, 0, true, "F"},
		{`^[iI](?:llegal|nvalid) user`, 0, true, "Ii"},
		{`^(?:Failed|Invalid|error: )`, 0, true, "FIe"},
		{`^(?P<x>a)?b`, 0, true, "ab"},
		{`^(?:a|b?)c`, 0, true, "abc"},
		{`^\s*x`, 0, true, "\t\n\v\f\r\x1c\x1d\x1e\x1f x\xc2\xe1\xe2\xe3"},
		{`(?i)^k`, 0, true, "Kk\xe2"},
		{`^k`, IgnoreCase, true, "Kk\xe2"},
		{`(?ai)^k`, 0, true, "Kk"},
		{`(?i)^s`, 0, true, "Ss\xc5"},
		{`^é`, 0, true, "\xc3"},
		{`^(?=a)b`, 0, true, "b"}, // lookarounds are looked through
		{`^(?!a)[ab]`, 0, true, "ab"},
		{`^[^a]`, 0, true, allBytesBut("a")},
		{`^.`, DotAll, false, ""},
		{`(?s)^.`, 0, false, ""},
		{`^x*`, 0, false, ""},        // can match empty
		{`^(?:x|)`, 0, false, ""},    // can match empty
		{`^a`, Multiline, false, ""}, // any line start
		{`a`, 0, false, ""},          // not anchored
		{`^a|b`, 0, false, ""},       // not anchored
		{`^a|^b`, 0, true, "ab"},     // every branch anchored
		{`(^a)b`, 0, true, "a"},      //
		{`^(a)\1`, 0, true, "a"},     // a backreference after the first character
		{`^(?>ab|c)`, 0, true, "ac"}, // the prefilter's literals
		{`^(?:\d{1,3}\.){3}`, 0, true, "0123456789\xd9\xdb\xdf\xe0\xe1\xea\xef\xf0"},
	} {
		re, err := CompileFlags(tc.pattern, tc.flags)
		if err != nil {
			t.Fatalf("%q: %v", tc.pattern, err)
		}
		set, ok := re.StartBytes()
		if ok != tc.ok {
			t.Errorf("%q flags %d: ok = %v, want %v", tc.pattern, tc.flags, ok, tc.ok)
			continue
		}
		if !ok {
			if set != nil {
				t.Errorf("%q: set %q with ok false", tc.pattern, setBytes(set))
			}
			continue
		}
		if got := setBytes(set); got != tc.want {
			t.Errorf("%q flags %d: set %q, want %q", tc.pattern, tc.flags, got, tc.want)
		}
	}
	// Each call returns a new array.
	re := MustCompile(`^a`)
	s1, _ := re.StartBytes()
	s1['b'] = true
	if s2, _ := re.StartBytes(); s2['b'] {
		t.Error("StartBytes returned a shared array")
	}
}

func allBytesBut(not string) string {
	var b []byte
	for c := 0; c < 256; c++ {
		if !strings.ContainsRune(not, rune(c)) {
			b = append(b, byte(c))
		}
	}
	return string(b)
}

// startBytesPatterns are anchored patterns for the oracle test: case
// folding with non-ASCII variants, optional items, branches, repeats,
// lookarounds, groups and conditionals in front of the first character.
var startBytesPatterns = []struct {
	pattern string
	flags   Flags
}{
	{`^Failed (?:password|publickey) for`, 0}, {`^[iI](?:llegal|nvalid) user`, 0}, {`(?i)^k`, 0},
	{`(?i)^s\w`, 0}, {`(?i)^[a-z]+$`, 0}, {`(?i)^(?:ı|i)x`, 0}, {`(?i)^\u0130`, 0}, {`(?i)^ǅ`, 0},
	{`(?iu)^[^\W\d]`, 0}, {`(?ai)^k`, 0}, {`^k`, IgnoreCase}, {`^(?i:k)x`, 0}, {`^(?:(?i)K)`, 0},
	{`^(?P<a>x)?(?P<b>y)?z`, 0}, {`^(?:a|b?)c`, 0}, {`^(?:a*|b)c`, 0}, {`^\s*(?:x|é)`, 0},
	{`^(?=[ab])\w+`, 0}, {`^(?!a)\w`, 0}, {`^(?<!x)a`, 0}, {`^\b\w`, 0}, {`^(a)?(?(1)b|c)`, 0},
	{`^(?:(a)|b)(?(1)c|d)`, 0}, {`^(?:ab)*c`, 0}, {`^(?:ab|)+c`, 0}, {`^(?:a{0,2}b){1,2}`, 0},
	{`^.x`, 0}, {`^[^a]x`, 0}, {`\A\d+`, 0}, {`^(?:\d{1,3}\.){3}\d{1,3}`, 0}, {`^(?:(?!ab).)+c`, 0},
	{`^(?:(?!ab).)*?c`, 0}, {`^(?>a|bc)d`, 0}, {`^(?:a|b)++c`, 0}, {`^a|^\u212a`, 0}, {`(^a|^é)x`, 0},
	{`^(?:\[?x|y)`, 0}, {`^\W`, 0}, {`^\D`, ASCII}, {`^[\u00e0-\u00ff]`, IgnoreCase}, {`^ß`, IgnoreCase},
	{`^\uFFFD`, 0}, {`^[^\n]`, 0}, {`^\S+ from`, 0}, {`^(?:\x00|\x7f)`, 0},
}

// startBytesFirsts are the first characters tried in front of every
// input: ASCII letters in both cases and non-ASCII characters that fold
// to ASCII ones or have 2, 3 and 4 byte encodings.
var startBytesFirsts = []string{"", "a", "A", "b", "B", "c", "d", "i", "I", "k", "K", "s", "S", "x", "X", "y",
	"z", "1", "9", " ", "\t", "\n", "[", "_", "-", "\x00", "\x7f", "é", "É", "\u212a", "\u017f", "ı", "\u0130",
	"ß", "ẞ", "ǅ", "ǆ", "Ǆ", "\u0660", "\u00a0", "\u3000", "\uFFFD", "\U0001F600", "\U00010400", "\U00010428"}

func startBytesInputs(r *rand.Rand) []string {
	tails := []string{"", "x", "bc", "abc", "c", "d", "ab", "y z", "ailed password for x", "nvalid user x",
		"llegal user x", "\u212ax", "1.2.3.4", "12.34.5.6x", "abd", "éx", "foo from 1", "aab"}
	for range 4 {
		tails = append(tails, richInput(r))
	}
	var out []string
	for _, f := range startBytesFirsts {
		for _, tl := range tails {
			out = append(out, f+tl)
		}
	}
	return out
}

// TestStartBytesAgainstPython checks StartBytes' promise with Python's
// re: on inputs whose first byte is not in the set Python finds no
// match. The patterns are the hand-written ones above and random ones
// behind ^, \A or (?i)^.
func TestStartBytesAgainstPython(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 5))
	var cases []oracleCase
	for _, p := range startBytesPatterns {
		cases = append(cases, oracleCase{Pattern: p.pattern, Flags: p.flags, Inputs: startBytesInputs(r)})
	}
	n := 400
	if trimCorpus() {
		n = 80
	}
	prefixes := []string{"^", `\A`, "(?i)^", "^(?:", "(?i)\\A(?:"}
	for range n {
		groups := 0
		pre := prefixes[r.IntN(len(prefixes))]
		p := pre + richPattern(r, 3, &groups)
		if strings.HasSuffix(pre, "(?:") {
			p += ")"
		}
		cases = append(cases, oracleCase{Pattern: p, Inputs: startBytesInputs(r)})
	}
	res := runOracle(t, cases)
	okCount, skipped, checked := 0, 0, 0
	for i, c := range cases {
		if res[i].Error != nil {
			continue
		}
		re, err := CompileOptions(c.Pattern, Options{Flags: c.Flags, MaxSteps: -1})
		if err != nil {
			t.Errorf("%q: %v", c.Pattern, err)
			continue
		}
		set, ok := re.StartBytes()
		if !ok {
			continue
		}
		okCount++
		for j, s := range c.Inputs {
			if len(s) > 0 && set[s[0]] {
				if res[i].Search[j] != nil {
					checked++
				}
				continue
			}
			skipped++
			if res[i].Search[j] != nil || res[i].Match[j] != nil {
				t.Errorf("pattern %q flags %d set %q: input %q skipped, Python matches %v",
					c.Pattern, c.Flags, setBytes(set), s, res[i].Search[j])
			}
		}
	}
	if okCount < len(startBytesPatterns)/2 {
		t.Errorf("only %d patterns with a start set", okCount)
	}
	t.Logf("%d of %d patterns with a start set; %d inputs skipped, %d matches behind a byte of the set",
		okCount, len(cases), skipped, checked)
	// The engine agrees with Python on the same inputs.
	compareSRE(t, cases[:len(startBytesPatterns)], res[:len(startBytesPatterns)])
}

// FuzzStartBytes checks StartBytes against the engine itself: when it
// reports a set, no input whose first byte is outside it (and no empty
// input) has a match.
func FuzzStartBytes(f *testing.F) {
	for _, p := range startBytesPatterns {
		f.Add(p.pattern, uint16(p.flags), "Failed password for x")
	}
	f.Add(`^(?:a|b?)c`, uint16(0), "c")
	f.Add(`(?i)^\w`, uint16(0), "\u212a")
	f.Add(`x`, uint16(0), "x")
	f.Fuzz(func(t *testing.T, pattern string, flags uint16, input string) {
		if len(pattern) > 96 || len(input) > 128 {
			return
		}
		fl := Flags(flags) & (IgnoreCase | Multiline | DotAll | ASCII | Verbose)
		for _, p := range []string{pattern, "^" + pattern, `\A(?:` + pattern + ")"} {
			pre, err := CompileOptions(p, Options{Flags: fl, MaxSteps: 1 << 16})
			if err != nil {
				continue
			}
			set, ok := pre.StartBytes()
			if !ok {
				continue
			}
			// the engine alone, without the tests StartBytes feeds
			re, err := CompileOptions(p, Options{Flags: fl, MaxSteps: 1 << 16, NoPrefilter: true})
			if err != nil {
				t.Fatal(err)
			}
			check := func(s string) {
				if len(s) > 0 && set[s[0]] {
					return
				}
				for _, anchored := range []bool{false, true} {
					loc, err := re.find(nil, s, anchored)
					if err != nil && !errors.Is(err, ErrBacktrackLimit) {
						t.Fatalf("pattern %q input %q: %v", p, s, err)
					}
					if loc != nil {
						t.Fatalf("pattern %q flags %d set %q: input %q matches at %v", p, fl, setBytes(set), s, loc)
					}
				}
			}
			check("")
			check(input)
			if len(input) > 0 {
				check(input[1:])
			}
			// every byte outside the set, in place of and in front of
			// the first byte
			for b := 0; b < 256; b++ {
				if set[b] {
					continue
				}
				bs := []byte(input)
				if len(bs) > 0 {
					bs[0] = byte(b)
					check(string(bs))
				}
				check(string([]byte{byte(b)}) + input)
			}
		}
	})
}

// TestConcurrentSearch checks that concurrent searches on one Regexp
// (which share its cached machine and pool) each get their own result.
func TestConcurrentSearch(t *testing.T) {
	re := MustCompile(`^(?P<user>\S+) from (?P<ip>\d+(?:\.\d+){3})(?: port (\d+))?`)
	inputs := []string{"root from 10.0.0.1 port 22", "admin from 192.0.2.7", "x from y", "bob from 1.2.3.4 port 5"}
	want := make([][]int, len(inputs))
	for i, s := range inputs {
		want[i], _ = re.Search(s)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			dst := make([]int, 0, 8)
			for k := range 2000 {
				i := (g + k) % len(inputs)
				got, err := re.AppendSearch(dst, inputs[i])
				if err != nil || !spansEqual(got, want[i]) {
					t.Errorf("goroutine %d: %q = %v, %v; want %v", g, inputs[i], got, err, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	// The other backtracking translation is built on demand and equals
	// the eager one of the regexp2 engine.
	for _, p := range []string{`^(?P<user>\S+) from`, `(?i)\bk(?=x)`, `(a)(?(1)b|c)`, `[^\W\d]+\Z`} {
		lazy, eager := sreOf(MustCompile(p)), mustCompileOther(t, p, EngineBacktrack)
		if lazy.Backtrack() != eager.Backtrack() || lazy.Backtrack() == "" {
			t.Errorf("%q: lazy Backtrack %q, eager %q", p, lazy.Backtrack(), eager.Backtrack())
		}
	}
}

func mustCompileOther(t *testing.T, p, engine string) *otherRE {
	t.Helper()
	re, err := compileOther(p, otherOptions{Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	return re
}
