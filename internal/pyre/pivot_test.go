package pyre

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// skipPatterns have pivots, first-character sets or leading runs: date
// templates as fail2ban builds them, and variations.
var skipPatterns = []string{
	`(?iu)(?=^|\b|\W)((?:(?P<a>mon|tue|wed|thu|fri|sat|sun) )?(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])  ?(?P<H>[0-2]?\d):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?(?: (?P<Y>(?:200|201|202)\d))?)(?=\b|\W|$)`,
	`(?iu)^(?:\W{0,2})?((?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?P<_sep>[-/])(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?P=_sep)(?P<Y>(?:200|201|202)\d)[ :]?(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?(?: (?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)(?=\b|\W|$)`,
	`^(?:\W{0,2})?((?P<Y>(?:200|201|202)\d)(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2])(?P=_sep)(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?:T|  ?)(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:[.,](?P<f>[0-9]{1,6}))?(?:\s*(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))?)(?=\b|\W|$)`,
	`((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))\d{10,11}\b(?:\.\d{3,6})?)(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))(?=\b|\W|$)`,
	`(?=^|\b|\W)((?P<y>\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>[1-2]\d|0[1-9]|3[0-1])  ?(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1]))(?=\b|\W|$)`,
	`(@[0-9a-f]{24})(?=\b|\W|$)`,
	`(?i)(\w+)=(\d+)`, `\d\d:\d\d`, `(?<=a)é{2,3}:x`, `(?:\s*\d)+/\S`, `[^\W\d]{3}-\d`, `(a|bc)?\.(d)`,
	`(?i)ſ{2}:`, `\W{2}\d`, `(x*):y`, `(\d)\1:`,
}

// checkSkip compares searches with and without the skipping (NoPrefilter)
// from every start position of s.
func checkSkip(t testing.TB, re, ref *Regexp, s string) {
	t.Helper()
	for pos := 0; pos <= len(s); pos++ {
		if pos < len(s) && !isBoundary(s, pos) {
			continue
		}
		got, err1 := re.AppendSearchAt(nil, s, pos)
		want, err2 := ref.AppendSearchAt(nil, s, pos)
		if (err1 == nil) != (err2 == nil) || !slices.Equal(got, want) {
			t.Fatalf("pattern %q input %q pos %d: %v, %v; without skipping %v, %v", re, s, pos, got, err1, want, err2)
		}
	}
}

// isBoundary reports whether pos is where a forward walk by runeLen stops.
func isBoundary(s string, pos int) bool {
	for p := 0; p <= pos; p += runeLen(s, p) {
		if p == pos {
			return true
		}
	}
	return false
}

func compilePair(t testing.TB, p string) (re, ref *Regexp, ok bool) {
	re, err := CompileOptions(p, Options{MaxSteps: 1 << 16})
	if err != nil {
		return nil, nil, false
	}
	ref, err = CompileOptions(p, Options{MaxSteps: 1 << 16, NoPrefilter: true})
	if err != nil {
		t.Fatalf("%q compiles with the prefilter only: %v", p, err)
	}
	return re, ref, true
}

// TestSkipExact runs checkSkip on the skip patterns and random texts near
// dates, with non-ASCII and invalid bytes.
func TestSkipExact(t *testing.T) {
	pieces := []string{"Jan 23 21:59:59", "2005-01-23 21:59:59", "23/Jan/2005:21:59:59 +0100", "1124013500", "[1124013500]",
		"audit(1124013500.123:42)", "@4000000042ff1a4c1b2d3e4f", "050123 21:59:59", " ", ":", "1", "é", "\xff", "\xe2\x82", "٣", "ſ",
		"a", "x:y", "bc.d", "\u212a", "12:34", "--", "\n"}
	r := rand.New(rand.NewPCG(14, 1))
	n := 3000
	if testing.Short() {
		n = 500
	}
	for _, p := range skipPatterns {
		re, ref, ok := compilePair(t, p)
		if !ok {
			t.Fatalf("%q does not compile", p)
		}
		for range n {
			var sb strings.Builder
			for range r.IntN(8) {
				sb.WriteString(pieces[r.IntN(len(pieces))])
			}
			checkSkip(t, re, ref, sb.String())
		}
	}
}

// TestSkipChosen checks that the date templates get what makes their
// searches linear.
func TestSkipChosen(t *testing.T) {
	for i, p := range skipPatterns[:6] {
		re := MustCompile(p)
		if re.sre.pivot == nil && re.sre.startSet == nil {
			t.Errorf("%d %q: no pivot and no start set", i, p)
		}
	}
	if re := MustCompile(skipPatterns[3]); re.sre.startRun != 10 {
		t.Errorf("epoch template: startRun %d, want 10", re.sre.startRun)
	}
}

// FuzzSkip compares searches with and without the skipping of start
// positions on arbitrary patterns and texts.
func FuzzSkip(f *testing.F) {
	for _, p := range skipPatterns {
		f.Add(p, "x Jan 23 21:59:59 [1124013500] 2005-01-23 21:59:59 é\xff:1")
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 300 || len(input) > 200 {
			return
		}
		re, ref, ok := compilePair(t, pattern)
		if !ok {
			return
		}
		checkSkip(t, re, ref, input)
	})
}

// TestSaturatedWidths checks that widths which saturate stay saturated
// when added: two unbounded repeats of unbounded repeats gave a negative
// maximum width once (satAdd overflowed), which made a pivot of the "="
// of `((0*)*(0*)*)=` with a negative window and a panic in its search
// (a case FuzzFirstPath found, kept in its corpus).
func TestSaturatedWidths(t *testing.T) {
	for _, c := range [][3]int64{
		{satLimit, satLimit, satLimit}, {satLimit, 1, satLimit}, {0, satLimit, satLimit},
		{satLimit - 1, 1, satLimit}, {2, 3, 5}, {0, 0, 0},
	} {
		if got := satAdd(c[0], c[1]); got != c[2] {
			t.Errorf("satAdd(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
	for _, pattern := range []string{`((0*)*(0*)*)=`, `(?:a*)*(?:b*)*(?:c*)*x`, `((0*)*)+=`} {
		re := MustCompile(pattern)
		if pv := re.sre.pivot; pv != nil && (pv.maxPre < pv.minPre || pv.minPre < 0) {
			t.Errorf("%s: pivot window [%d, %d]", pattern, pv.minPre, pv.maxPre)
		}
		for _, s := range []string{"=", "00=", "x", "abcx", "0"} {
			if _, err := re.Search(s); err != nil {
				t.Errorf("%s on %q: %v", pattern, s, err)
			}
		}
	}
}
