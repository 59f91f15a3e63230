package pyre

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzTranslate checks that parsing and translation never panic, and
// that whenever a pattern has an RE2 translation, both engines report the
// same spans.
func FuzzTranslate(f *testing.F) {
	for _, p := range semanticPatterns {
		f.Add(p, "foo bar\n")
	}
	f.Add(`(?:[0-9a-f]{1,4}::?|::){1,7}(?:[0-9a-f]{1,4}|(?<=:):)`, "fe80::1")
	f.Add(`^\s*(\S+) from (\d+\.\d+)$`, "user from 1.2\n")
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 128 || len(input) > 128 {
			return
		}
		_, _, _ = Translate(pattern)
		re, err := compileOther(pattern, otherOptions{Timeout: 20 * time.Millisecond, Engine: EngineRE2})
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				// Only regexp2 refusing our translation is acceptable
				// besides parse errors; report it.
				t.Fatalf("Compile(%q): non-syntax error %v", pattern, err)
			}
			return
		}
		if re.Engine() != EngineRE2 {
			_, _ = re.Search(input)
			return
		}
		bt, err := compileOther(pattern, otherOptions{Timeout: 20 * time.Millisecond, Engine: EngineBacktrack})
		if err != nil {
			t.Fatalf("backtrack compile %q: %v", pattern, err)
		}
		for _, s := range []string{input, input + "\n", ""} {
			for _, anchored := range []bool{false, true} {
				want, err := bt.find(nil, s, anchored)
				if err != nil {
					return // timeout or stack limit: nothing to compare
				}
				got, err := re.find(nil, s, anchored)
				if err != nil {
					t.Fatalf("pattern %q input %q: %v", pattern, s, err)
				}
				if !spansEqual(got, want) {
					t.Fatalf("pattern %q input %q anchored %v: re2 %v (%s), backtrack %v (%s)",
						pattern, s, anchored, got, re.RE2(), want, bt.Backtrack())
				}
			}
		}
	})
}

// FuzzMayMatch checks that MayMatch never rejects an input in which the
// engine, without the prefilter, finds a match.
func FuzzMayMatch(f *testing.F) {
	for _, p := range semanticPatterns {
		f.Add(p, uint16(0), "foo bar\n")
	}
	f.Add(`^Failed (?:(?P<nofail>publickey)|\S+) for (?P<inv>invalid user )?(?P<user>\S+) from \S+`, uint16(0),
		"Failed password for invalid user admin from 203.0.113.7 port 52022 ssh2")
	f.Add(`^[iI](?:llegal|nvalid) user (?P<user>.*?) from`, uint16(0), "Invalid user ftp from 192.0.2.1")
	f.Add(`(?i)^sk|x(?=ab)ab\b`, uint16(IgnoreCase), "\u017f\u212a xab")
	f.Add(`^foo(?:bar)?baz`, uint16(Multiline), "x\nfoobaz")
	f.Fuzz(func(t *testing.T, pattern string, flags uint16, input string) {
		if len(pattern) > 128 || len(input) > 256 {
			return
		}
		fl := Flags(flags) & (IgnoreCase | Multiline | DotAll | ASCII | Verbose)
		_, _ = checkMayMatch(t, pattern, fl, []string{input, input + "\n", strings.ToUpper(input), strings.ToLower(input)})
	})
}
