package pyre

import (
	"strings"
	"testing"
	"time"
)

// temperedPatterns hold one "tempered dot" repeat each, the item of which
// temperedRun may count; the last ones have shapes it leaves to countOne.
var temperedPatterns = []string{
	`(?:(?! from ).)*`,
	`(?:(?! from ).)*?x`,
	`(?s:(?:(?! from ).)*)`,
	`(?:(?!:).){2,5}`,
	`(?:(?!aa).)*`,
	`(?:(?!\n).)*`,
	`(?:(?!é).)*`,
	`(?:(?=a).)*`,
	`(?:(?!a)(?!b).)*`,
	`(?:(?!a)[^c])*`,
}

var temperedTexts = []string{
	"",
	"root from 1.2.3.4 port 22\n",
	"a from  from from\nb from c",
	"aaa:aa\xffa\xe2\x82 from x\n",
	"\xe2\x82aa x\xe2\x82\xacaé from",
	" fro from",
	"::::::::",
	"\n\n from",
}

// temperedItems returns the start of every sGuarded item of a repeat in
// re's program.
func temperedItems(re *Regexp) []int {
	var out []int
	code := re.sre.code
	for pc := 0; pc+5 < len(code); pc++ {
		switch code[pc] {
		case sRepeatOne, sMinRepeatOne:
			if code[pc+4] == sGuarded {
				out = append(out, pc+4)
			}
		}
	}
	return out
}

// checkTempered compares count, which uses temperedRun where it can, with
// countOne at every position of s and a few maxcounts.
func checkTempered(t *testing.T, pattern, s string) {
	t.Helper()
	re := MustCompile(pattern)
	m := newSREMachine(re.sre)
	m.s = s
	for _, ipc := range temperedItems(re) {
		for p := 0; p <= len(s); p++ {
			for _, maxcount := range []int{0, 1, 3, sreUnbounded} {
				q, n := m.count(ipc, p, maxcount)
				wq, wn := m.countOne(ipc, p, maxcount)
				if q != wq || n != wn {
					t.Fatalf("pattern %q text %q at %d max %d: count (%d, %d), item by item (%d, %d)",
						pattern, s, p, maxcount, q, n, wq, wn)
				}
			}
		}
	}
}

func TestTemperedRun(t *testing.T) {
	used := 0
	for _, pattern := range temperedPatterns {
		re := MustCompile(pattern)
		if len(temperedItems(re)) == 0 {
			t.Fatalf("%q: no guarded repeat item", pattern)
		}
		m := newSREMachine(re.sre)
		m.s = "x"
		if _, _, ok := m.temperedRun(temperedItems(re)[0], 0, sreUnbounded); ok {
			used++
		}
		for _, s := range temperedTexts {
			checkTempered(t, pattern, s)
		}
	}
	if used < 6 {
		t.Errorf("temperedRun takes %d of the patterns, want 6", used)
	}
	// asciiByteStr has each ASCII byte at its own index
	for c := 0; c < 128; c++ {
		if asciiByteStr[c] != byte(c) {
			t.Fatalf("asciiByteStr[%d] = %d", c, asciiByteStr[c])
		}
	}
	if len(asciiByteStr) != 128 {
		t.Fatalf("len(asciiByteStr) = %d", len(asciiByteStr))
	}
}

// FuzzTemperedRun cross-checks temperedRun with the item-by-item count.
func FuzzTemperedRun(f *testing.F) {
	for _, s := range temperedTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 256 {
			return
		}
		for _, pattern := range temperedPatterns {
			checkTempered(t, pattern, s)
			checkTempered(t, pattern, strings.ReplaceAll(s, "f", " from "))
		}
	})
}

// temperedSearchPatterns use tempered dots the way filters do, greedy and
// lazy, with guards of every kind after them (a byte, a set, marks).
var temperedSearchPatterns = []string{
	`^u (?:(?! from ).)*? from (\S+)`,
	`^u ((?:(?! from ).)*?) from (\S+)$`,
	`^u (?P<u>(?:(?! from ).)*?)(?: from|:) (\S+)`,
	`(?:(?! from ).)*? from`,
	`^(?:(?!:).)*?[:;]x`,
	`^(?:(?!ab).)*?(b|c)`,
	`^(?s:(?:(?! from ).)*?) from (\w+)`,
	`^u (?:(?! from ).)* from (\S+)`,
	`^(x)?(?:(?!a).)*?(?(1)b|c)`,
	`^u (?:(?! f).)*?f`,
	`^(?:(?!é).)*?é`,
	`^(?:(?=\w).)*?b`,
}

var temperedSearchInputs = []string{
	"u root from 1.2.3.4", "u a b c from x from y", "u from x", "u  from  from x\n", "u a\nb from x",
	"u é from ü", "u a: b", "u ab from c", "aaa:b;x", "x:y;x", "abab", "aac", "xxab", "ab\nb", "u a\n from b",
	"a from b", "xab", "xcb", "cab", "u f", "u ff", "u a fb", "aéé", "ééx",
}

func TestTemperedAgainstPython(t *testing.T) {
	cases := oracleCases(temperedSearchPatterns, temperedSearchInputs)
	t.Logf("tempered: %v", compareSRE(t, cases, runOracle(t, cases)))
}

// FuzzTemperedSearch compares searches with tempered dots with the
// regexp2 engine, and with Python where the two disagree.
func FuzzTemperedSearch(f *testing.F) {
	for _, s := range temperedSearchInputs {
		f.Add(s)
	}
	var res []*Regexp
	var others []*otherRE
	for _, p := range temperedSearchPatterns {
		res = append(res, MustCompile(p))
		o, err := compileOther(p, otherOptions{Engine: EngineBacktrack, Timeout: 50 * time.Millisecond})
		if err != nil {
			f.Fatal(err)
		}
		others = append(others, o)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 128 {
			return
		}
		for i, re := range res {
			got, err := re.Search(s)
			if err != nil {
				t.Fatal(err)
			}
			want, err := others[i].find(nil, s, false)
			if err != nil || spansEqual(got, want) {
				continue
			}
			if !isValidForPython(s) {
				continue
			}
			r := runOracle(t, []oracleCase{{Pattern: re.String(), Inputs: []string{s}}})
			if py := r[0].Search[0]; !spansEqual(toRuneOffsets(got, s), py) {
				t.Fatalf("pattern %q input %q: sre %v, Python %v", re, s, toRuneOffsets(got, s), py)
			}
		}
	})
}
