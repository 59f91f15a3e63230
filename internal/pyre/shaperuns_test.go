package pyre

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// checkShapeRuns checks that shapeOf, which takes runs of plain
// characters in one step, gives the shape the characters give one by one.
func checkShapeRuns(t *testing.T, pattern string, fl Flags) {
	t.Helper()
	tree, _, err := parse(pattern, fl)
	if err != nil {
		return
	}
	if got, want := shapeRuns(tree, true), shapeRuns(tree, false); !reflect.DeepEqual(got, want) {
		t.Errorf("pattern %q flags %d: shape %v, one character at a time %v", pattern, fl, got, want)
	}
}

func TestShapeRuns(t *testing.T) {
	for c := range 128 {
		if asciiChars[c:c+1] != string(rune(c)) {
			t.Fatalf("asciiChars[%#x] = %q", c, asciiChars[c:c+1])
		}
	}
	if len(asciiChars) != 128 {
		t.Fatalf("len(asciiChars) = %d", len(asciiChars))
	}
	extra := []string{
		`Authentication failure for (?P<user>.*) from \S+`,
		`(?:ab|cd)efg`, `(?:ab|cd|ef|gh)(?:ij|kl|mn|op|qr)stu`, `(?i)abc[dD]ef`, `[aA]bc`, `x?yz`,
		`(?:a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p)qrs`, `(?:a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q)rst`,
		"\u00e9t\u00e9 \U0001F600ok", `a{3}bc`, `(?:ab){2,}cd`, `(a)\1bc`, `(?P<x>a)?(?(x)bc|de)fg`,
	}
	for _, p := range append(append([]string(nil), semanticPatterns...), extra...) {
		for _, fl := range []Flags{0, IgnoreCase, ASCII, IgnoreCase | ASCII} {
			checkShapeRuns(t, p, fl)
		}
	}
	r := rand.New(rand.NewPCG(14, 3))
	for range 3000 {
		checkShapeRuns(t, randomPattern(r, 4), Flags(r.IntN(2))*IgnoreCase)
	}
	t.Run("fail2ban", func(t *testing.T) {
		for _, c := range fail2banCorpus(t) {
			checkShapeRuns(t, c.Pattern, c.Flags)
		}
	})
}

func FuzzShapeRuns(f *testing.F) {
	for _, p := range semanticPatterns {
		f.Add(p, uint16(0))
	}
	f.Add(`^Failed (?:(?P<nofail>publickey)|\S+) for (?P<inv>invalid user )?(?P<user>\S+) from \S+`, uint16(0))
	f.Add(`(?:ab|cd)efg(?:h|i)jk`, uint16(IgnoreCase))
	f.Fuzz(func(t *testing.T, pattern string, flags uint16) {
		if len(pattern) > 256 {
			return
		}
		checkShapeRuns(t, pattern, Flags(flags)&(IgnoreCase|Multiline|DotAll|ASCII|Verbose))
	})
}
