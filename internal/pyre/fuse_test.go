package pyre

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// fusePatterns put possessive repeats (written, or made so by
// possessify) before a literal byte or string, and the sshd shapes that
// fuse uses them for.
var fusePatterns = []string{
	`\d{1,3}\.\d{1,3}`, `(?:\d{1,3}\.){3}\d{1,3}`, `\S+ from`, `a++a`, `a*+ab`, `[ab]{2,3}+b`,
	`\w+=\s*x`, `(\d+)\.(\d*)\.`, `x(?:\d+:)?y`, `(?:\S+\s+)?\d+\.x`, `\s*\S+ ab|\S+ a`,
	`[^.]+\.[^.]+>`, `(?:\d{1,3}\.){1,3}\d`, `\s+\[ab\]`, `\d+:\d+:\d+`, `[\u00e9a]++\u00e9`, `\W+\.`,
	`(?<=\d)\.\d+\.`, `(?:a\d+\.|b)+c`, `(\d)?\d+\.(?(1)a|b)`, `(\d+)\.\1`,
	`^Failed \S+ for (?P<user>\S+) from (?:(?:\d{1,3}\.){3}\d{1,3}|[\w\-.^_]*\w)(?: port \d+)?\s*$`,
}

// countFused counts the fused instructions of re's program, walking it
// instruction by instruction (see disasm).
func countFused(re *Regexp) int {
	n := 0
	p := *re.sre
	p.code = p.exec
	for _, l := range strings.Split(p.disasm(), "\n") {
		if strings.Contains(l, " POSS_REPEAT_ONE_BYTE ") || strings.Contains(l, " POSS_REPEAT_ONE_STRING ") {
			n++
		}
	}
	return n
}

// checkFused compares the fused program of pattern with the unfused one
// on each input, both searches and anchored matches.
func checkFused(t *testing.T, pattern string, flags Flags, inputs []string) {
	t.Helper()
	fused, err := CompileOptions(pattern, Options{Flags: flags})
	if err != nil {
		return
	}
	plain, err := CompileOptions(pattern, Options{Flags: flags, noFuse: true})
	if err != nil {
		t.Fatalf("%q: fused compiles, unfused: %v", pattern, err)
	}
	for _, s := range inputs {
		for _, anchored := range []bool{false, true} {
			want, werr := plain.find(nil, s, anchored)
			got, gerr := fused.find(nil, s, anchored)
			if (werr != nil) != (gerr != nil) || !spansEqual(got, want) {
				t.Fatalf("pattern %q input %q anchored %v: fused %v, %v; unfused %v, %v",
					pattern, s, anchored, got, gerr, want, werr)
			}
		}
	}
}

func fuseInputs(r *rand.Rand) []string {
	alpha := []string{"1", "22", "333", ".", "a", "b", "ab", " ", "  ", "=", ":", "x", "y", "\u00e9", "\xff", "\n", "[", "]", ">", " from ", "Failed ", " for "}
	var in []string
	for range 8 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alpha[r.IntN(len(alpha))])
		}
		in = append(in, b.String())
	}
	return in
}

// TestFuseSame checks that fused instructions (see fuse) match as the
// instruction pairs they replace: the same spans, fused or not, on the
// fuse patterns and on random ones.
func TestFuseSame(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 4))
	fusedAny := 0
	for _, p := range fusePatterns {
		re := MustCompile(p)
		fusedAny += countFused(re)
		in := append(fuseInputs(r), "1.2.3.4", "Failed password for root from 1.2.3.4 port 22\n", "aaab", "ab=x", "1.2.", "12:3:45")
		checkFused(t, p, 0, in)
	}
	if fusedAny < len(fusePatterns)/2 {
		t.Errorf("only %d fused instructions in the fuse patterns", fusedAny)
	}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		p := randomPattern(r, 4)
		// a possessive repeat or one possessify makes so, then a literal
		p += []string{`\d+\.`, `a++b`, `\S*+ x`, `[ab]+c`, `\s+ab`, ""}[r.IntN(6)]
		checkFused(t, p, 0, fuseInputs(r))
	}
}

// FuzzFuse compares fused and unfused programs (see TestFuseSame).
func FuzzFuse(f *testing.F) {
	for _, p := range fusePatterns {
		f.Add(p, "Failed password for root from 1.22.333.4 port 22\n")
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 128 || len(input) > 256 {
			return
		}
		checkFused(t, pattern, 0, []string{input, input + "\n", ""})
	})
}

// TestRepeatRunNonASCII checks the matcher's in-loop class runs of
// REPEAT_ONE and POSSESSIVE_REPEAT_ONE where a run goes on past ASCII
// (count takes over at the first non-ASCII byte) against regexp2, with
// bounds below, inside and above the ASCII part of the run.
func TestRepeatRunNonASCII(t *testing.T) {
	patterns := []string{`^[\w\u00e9]{2,5}x`, `^\S{3,}+y`, `^\w{1,3}\u00e9`, `^(\w+)\u00e9?(\w*)`, `^[a\u00e9]{3}`,
		`^[^\s]{2,4}+$`, `^\S+?z`, `^(?:\w{2,3}+\.){2}`, `[\w\u00e9]{4,}`, `^\W*\w{2,6}`}
	alpha := []string{"a", "b", "\u00e9", "\xff", "\u20ac", "x", "y", "z", ".", " ", "1"}
	r := rand.New(rand.NewPCG(14, 5))
	for _, p := range patterns {
		re := MustCompile(p)
		bt, err := compileOther(p, otherOptions{Engine: EngineBacktrack})
		if err != nil {
			t.Fatalf("backtrack compile %q: %v", p, err)
		}
		for range 300 {
			var b strings.Builder
			for range r.IntN(10) {
				b.WriteString(alpha[r.IntN(len(alpha))])
			}
			s := b.String()
			if strings.Contains(s, "\xff") {
				continue // regexp2 reads invalid UTF-8 differently
			}
			want, err := bt.find(nil, s, false)
			if err != nil {
				t.Fatalf("%q on %q: backtrack %v", p, s, err)
			}
			got, err := re.find(nil, s, false)
			if err != nil || !spansEqual(got, want) {
				t.Fatalf("pattern %q input %q: got %v, %v; backtrack %v", p, s, got, err, want)
			}
		}
	}
}
