package pyre

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// windowPatterns add line-begin date templates with wide prefixes before
// their pivot to skipPatterns.
var windowPatterns = append(cloneStrings(skipPatterns),
	`(?iu)^(?:\W{0,2})?((?:(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?) )?(?:(?P<a>mon|tue|wed|thu|fri|sat|sun) )?(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) (?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])  ?(?P<H>[0-2]?\d):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1])(?:\.(?P<f>[0-9]{1,6}))?(?: (?P<Y>(?:200|201|202)\d))?)(?=\b|\W|$)`,
	`(?iu)(?=^|\b|\W)((?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])(?P<_sep>[-/])(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?P=_sep)(?P<Y>(?:200|201|202)\d)[ :]?(?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1]))`,
	`^(?:\W{0,2})?((?P<H>[0-1]?\d|2[0-3]):(?P<M>[0-5]?\d):(?P<S>[0-5]?\d|6[0-1]))(?=\b|\W|$)`,
	`a{0,5}b{2}:c`, `^.{3,9}:`, `(?s)^.{0,20}-x`,
)

func cloneStrings(s []string) []string { return append([]string(nil), s...) }

// TestSkipWindows checks the pivot's windows where they are exact (the
// characters before the pivot are ASCII) at their edges: dates after
// prefixes of every length, with a non-ASCII or invalid character at
// every distance before the pivot.
func TestSkipWindows(t *testing.T) {
	dates := []string{"Jan 23 21:59:59", "+01:00 Wed Jan 23 21:59:59", "23/Jan/2005:21:59:59", "2005-01-23 21:59:59",
		"21:59:59", "aaaaabb:c", "xxxxxxxxx:", "-x"}
	fill := []string{" ", "[", "x", "1", "é", "\xff", "\u212a", "ſ"}
	r := rand.New(rand.NewPCG(14, 2))
	for _, p := range windowPatterns {
		re, ref, ok := compilePair(t, p)
		if !ok {
			t.Fatalf("%q does not compile", p)
		}
		for _, d := range dates {
			for n := 0; n <= 30; n++ {
				var sb strings.Builder
				for range n {
					f := fill[0]
					if r.IntN(4) == 0 {
						f = fill[r.IntN(len(fill))]
					}
					sb.WriteString(f)
				}
				pre := sb.String()
				checkSkip(t, re, ref, pre+d)
				checkSkip(t, re, ref, d[:len(d)/2]+pre+d[len(d)/2:])
			}
		}
	}
}
