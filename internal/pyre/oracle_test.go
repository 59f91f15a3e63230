package pyre

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/f2btest"
)

// oracleCase is one pattern with its inputs, as sent to testdata/pyoracle.py.
type oracleCase struct {
	Filter  string   `json:"filter,omitempty"`
	Pattern string   `json:"pattern"`
	Flags   Flags    `json:"flags"`
	Inputs  []string `json:"inputs"`
}

// oracleResult is Python's answer for one oracleCase.
type oracleResult struct {
	Error  *string        `json:"error"`
	Groups int            `json:"groups"`
	Names  map[string]int `json:"names"`
	Search [][]int        `json:"search"`
	Match  [][]int        `json:"match"`
}

// oracleCases pairs every pattern with the same inputs.
func oracleCases(patterns, inputs []string) []oracleCase {
	cases := make([]oracleCase, 0, len(patterns))
	for _, p := range patterns {
		cases = append(cases, oracleCase{Pattern: p, Inputs: inputs})
	}
	return cases
}

// runOracle evaluates cases with the real Python re module.
func runOracle(t testing.TB, cases []oracleCase) []oracleResult {
	t.Helper()
	py := f2btest.RequirePython(t)
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "pyoracle.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run pyoracle: %v\n%s", err, stderr.String())
	}
	var res []oracleResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode pyoracle output: %v", err)
	}
	if len(res) != len(cases) {
		t.Fatalf("pyoracle returned %d results for %d cases", len(res), len(cases))
	}
	return res
}

// toRuneOffsets converts byte offsets in loc to code point offsets in s.
func toRuneOffsets(loc []int, s string) []int {
	if loc == nil {
		return nil
	}
	out := make([]int, len(loc))
	for i, v := range loc {
		if v < 0 {
			out[i] = v
			continue
		}
		out[i] = utf8.RuneCountInString(s[:v])
	}
	return out
}

func spansEqual(a, b []int) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diffStats counts what a differential run covered.
type diffStats struct {
	patterns, re2, backtrack, errors, unsupported, comparisons int
}

// compareWithOracle checks every case against Python on both engines.
func compareWithOracle(t *testing.T, cases []oracleCase, res []oracleResult) diffStats {
	t.Helper()
	var st diffStats
	failures := 0
	fail := func(format string, args ...any) {
		t.Helper()
		failures++
		if failures <= 40 {
			t.Errorf(format, args...)
		}
	}
	for i, c := range cases {
		r := res[i]
		st.patterns++
		re, err := CompileFlags(c.Pattern, c.Flags)
		if r.Error != nil {
			st.errors++
			if err == nil {
				fail("pattern %q flags %d: Python rejects it (%s), Go accepts it", c.Pattern, c.Flags, *r.Error)
			}
			continue
		}
		if err != nil {
			var perr *Error
			if errors.As(err, &perr) && strings.Contains(perr.Msg, "unsupported") {
				st.unsupported++
				continue
			}
			fail("pattern %q flags %d: Python accepts it, Go: %v", c.Pattern, c.Flags, err)
			continue
		}
		re2, err := compileOther(c.Pattern, otherOptions{Flags: c.Flags, Engine: EngineRE2})
		if err != nil {
			fail("pattern %q: re2 compile: %v", c.Pattern, err)
			continue
		}
		if re2.Engine() == EngineRE2 {
			st.re2++
		} else {
			st.backtrack++
		}
		if re.NumSubexp() != r.Groups {
			fail("pattern %q: NumSubexp %d, Python %d", c.Pattern, re.NumSubexp(), r.Groups)
			continue
		}
		for name, idx := range r.Names {
			if got := re.SubexpIndex(name); got != idx {
				fail("pattern %q: SubexpIndex(%q) = %d, Python %d", c.Pattern, name, got, idx)
			}
		}
		bt, err := compileOther(c.Pattern, otherOptions{Flags: c.Flags, Engine: EngineBacktrack})
		if err != nil {
			fail("pattern %q: backtrack compile: %v", c.Pattern, err)
			continue
		}
		for j, s := range c.Inputs {
			st.comparisons++
			engines := []*otherRE{sreOf(re), re2, bt}
			if re2.foldBackref && !isASCII(s) {
				// Known gap: regexp2 folds backreferences with Go's simple
				// folding, Python compares lowercase forms; the sre engine
				// compares lowercase forms too.
				engines = engines[:1]
			}
			for _, eng := range engines {
				got, err := eng.Search(s)
				if err != nil {
					fail("pattern %q input %q: search: %v", c.Pattern, s, err)
					continue
				}
				if g := toRuneOffsets(got, s); !spansEqual(g, r.Search[j]) {
					fail("pattern %q (%s: %s) input %q: search got %v, Python %v", c.Pattern, eng.Engine(), engineSrc(eng), s, g, r.Search[j])
				}
				got, err = eng.Match(s)
				if err != nil {
					fail("pattern %q input %q: match: %v", c.Pattern, s, err)
					continue
				}
				if g := toRuneOffsets(got, s); !spansEqual(g, r.Match[j]) {
					fail("pattern %q (%s) input %q: match got %v, Python %v", c.Pattern, eng.Engine(), s, g, r.Match[j])
				}
				ok, err := eng.MatchString(s)
				if err != nil || ok != (r.Search[j] != nil) {
					fail("pattern %q input %q: MatchString = %v, %v; Python %v", c.Pattern, s, ok, err, r.Search[j] != nil)
				}
				if r.Search[j] != nil && !eng.MayMatch(s) {
					fail("pattern %q input %q: Python matches, MayMatch is false (prefilter %s)", c.Pattern, s, eng.pf)
				}
			}
		}
	}
	if failures > 40 {
		t.Errorf("... and %d more failures", failures-40)
	}
	return st
}

func engineSrc(re *otherRE) string {
	if re.Engine() == EngineSRE {
		return "sre"
	}
	src := re.RE2()
	if src == "" {
		src = re.Backtrack()
	}
	if len(src) > 300 {
		src = src[:300] + "..."
	}
	return src
}

func (s diffStats) String() string {
	return fmt.Sprintf("%d patterns (%d re2, %d backtrack, %d rejected by Python, %d unsupported), %d inputs",
		s.patterns, s.re2, s.backtrack, s.errors, s.unsupported, s.comparisons)
}
