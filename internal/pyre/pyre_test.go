package pyre

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		pattern string
		want    string
	}{
		{`\q`, "bad escape \\q"},
		{`a**`, "multiple repeat"},
		{`*a`, "nothing to repeat"},
		{`(a`, "missing ), unterminated subpattern"},
		{`a)`, "unbalanced parenthesis"},
		{`[a`, "unterminated character set"},
		{`(?<=a+)b`, "look-behind requires fixed-width pattern"},
		{`a(?i)b`, "global flags not at the start of the expression"},
		{`(?P<a>x)(?P<a>y)`, "redefinition of group name"},
		{`\2(a)`, "invalid group reference 2"},
		{`(a\1)`, "cannot refer to an open group"},
		{`\N{EM DASH}`, "unsupported"},
		{`a{3,2}`, "min repeat greater than max repeat"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.pattern)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Compile(%q) error = %v, want *Error", tt.pattern, err)
			continue
		}
		if !strings.Contains(perr.Msg, tt.want) {
			t.Errorf("Compile(%q) error = %q, want it to contain %q", tt.pattern, perr.Msg, tt.want)
		}
	}
}

func TestAPI(t *testing.T) {
	re := MustCompile(`^(?P<user>\w+) from (?P<ip>\d+(?:\.\d+){3})(?: port (\d+))?$`)
	if got, want := re.NumSubexp(), 3; got != want {
		t.Errorf("NumSubexp() = %d, want %d", got, want)
	}
	if got, want := strings.Join(re.SubexpNames(), ","), ",user,ip,"; got != want {
		t.Errorf("SubexpNames() = %q, want %q", got, want)
	}
	if got, want := re.SubexpIndex("ip"), 2; got != want {
		t.Errorf("SubexpIndex(ip) = %d, want %d", got, want)
	}
	if got := re.SubexpIndex("nope"); got != -1 {
		t.Errorf("SubexpIndex(nope) = %d, want -1", got)
	}
	if re2, err := compileOther(re.String(), otherOptions{Engine: EngineRE2}); err != nil || re2.Engine() != EngineRE2 {
		t.Errorf("Engine() with Options.Engine %q = %v, %v", EngineRE2, re2.Engine(), err)
	}
	s := "jos\u00e9 from 10.0.0.1\n"
	loc, err := re.Search(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 19, 0, 5, 11, 19, -1, -1}; !spansEqual(loc, want) {
		t.Errorf("Search = %v, want %v", loc, want)
	}
	if s[loc[4]:loc[5]] != "10.0.0.1" || s[loc[2]:loc[3]] != "jos\u00e9" {
		t.Errorf("Search groups = %q %q", s[loc[2]:loc[3]], s[loc[4]:loc[5]])
	}
	buf := make([]int, 0, 8)
	loc2, err := re.AppendSearch(buf, s)
	if err != nil || !spansEqual(loc, loc2) {
		t.Errorf("AppendSearch = %v, %v; want %v", loc2, err, loc)
	}
	if loc, _ := re.Match("x " + s); loc != nil {
		t.Errorf("Match on a later start = %v, want nil", loc)
	}
	bt := MustCompile(`(?<=a)b`)
	if re2, err := compileOther(bt.String(), otherOptions{Engine: EngineRE2}); err != nil || re2.Engine() != EngineBacktrack {
		t.Errorf("Engine() with Options.Engine %q = %v, %v", EngineRE2, re2.Engine(), err)
	}
	if ok, err := bt.MatchString("\u00e9ab"); !ok || err != nil {
		t.Errorf("MatchString = %v, %v", ok, err)
	}
	loc, _ = bt.Search("\u00e9ab")
	if !spansEqual(loc, []int{3, 4}) {
		t.Errorf("Search byte offsets = %v, want [3 4]", loc)
	}
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
	}{
		{`^\d+$`, true},
		{`(?<=a)b`, false},
		{`(a)\1`, false},
		{`(?:a:)+(?<=:)b`, true},
		{`(a*)*`, false},
		{`x{1001}`, false},
		{`a++`, false},
	}
	for _, tt := range tests {
		_, ok, err := Translate(tt.pattern)
		if err != nil || ok != tt.ok {
			t.Errorf("Translate(%q) ok = %v, err = %v; want ok = %v", tt.pattern, ok, err, tt.ok)
		}
	}
	if _, _, err := Translate(`(`); err == nil {
		t.Errorf("Translate(%q) err = nil, want error", `(`)
	}
}

func TestTimeout(t *testing.T) {
	re, err := compileOther(`^(?:(\w+)\s?\1?)*(?<=x)$`, otherOptions{Timeout: 10 * time.Millisecond, BacktrackStack: -1, Engine: EngineBacktrack})
	if err != nil {
		t.Fatal(err)
	}
	_, err = re.Search(strings.Repeat("a", 40) + "d")
	if !errors.Is(err, errTimeout) {
		t.Fatalf("Search error = %v, want ErrTimeout", err)
	}
}

func TestBacktrackLimit(t *testing.T) {
	re, err := compileOther(`(?=x)?(a|b)*?c`, otherOptions{BacktrackStack: 64, Engine: EngineBacktrack})
	if err != nil {
		t.Fatal(err)
	}
	_, err = re.Search(strings.Repeat("ab", 200))
	if !errors.Is(err, ErrBacktrackLimit) {
		t.Fatalf("Search error = %v, want ErrBacktrackLimit", err)
	}
}

func TestGuardsFallBack(t *testing.T) {
	// $ with an inner newline and \b with non-ASCII input must take the
	// backtracking path and still give Python's answers.
	re := MustCompile(`a$`)
	if loc, _ := re.Search("a\nb"); loc != nil {
		t.Errorf("Search(a\\nb) = %v, want nil", loc)
	}
	if loc, _ := re.Search("xa\n"); !spansEqual(loc, []int{1, 2}) {
		t.Errorf("Search(xa\\n) = %v, want [1 2]", loc)
	}
	re = MustCompile(`\b\w+\b`)
	s := "\u00e9t\u00e9 x"
	if loc, _ := re.Search(s); !spansEqual(loc, []int{0, 5}) {
		t.Errorf("Search(%q) = %v, want [0 5]", s, loc)
	}
	if loc, _ := MustCompile(`\B`).Search(""); loc != nil {
		t.Errorf(`\B on "" = %v, want nil`, loc)
	}
}
