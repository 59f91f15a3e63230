package pyre

import (
	"reflect"
	"testing"
)

// sharedPatterns are compiled in turn with one Shared: they repeat
// classes that hold a category (large Unicode sets), alone and in
// alternations, as a filter's expanded tags do.
var sharedPatterns = []string{
	`^(?:(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<dns>[\w\-.^_]*\w)) port \d+$`,
	`from (?:[\w\-.^_]*\w|\[[\d.]+\]) (?:on \S+|port \d+)*\s*$`,
	`^(?:(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<dns>[\w\-.^_]*\w)) port \d+$`,
	`(?i)user [\w\-.^_]+ [^\W\d]+ from (?:[\w\-.^_]*\w|\S+)`,
	`(?a)[\w\-.^_]*\w|[\s\d]+x`,
	`[\w\-.^_]*\w|[\s\d]+x`,
	`[\w\-.^_]*\w|[\s\d]+x`,
}

// TestSharedSameProgram checks that patterns compiled with one Shared get
// the programs they get alone, and that the Shared makes them share
// their large sets.
func TestSharedSameProgram(t *testing.T) {
	var sh Shared
	var withShared []*Regexp
	for _, pat := range sharedPatterns {
		alone, err := Compile(pat)
		if err != nil {
			t.Fatal(err)
		}
		re, err := CompileOptions(pat, Options{Shared: &sh})
		if err != nil {
			t.Fatal(err)
		}
		if !sameProgram(alone.sre, re.sre) {
			t.Errorf("%s: the program differs with a Shared", pat)
		}
		for _, text := range []string{"from host-1.example port 22", "1.2.3.4 port 22", "user élan x from 10.0.0.1", " 12x", "é_-x"} {
			got, gerr := re.Search(text)
			want, werr := alone.Search(text)
			if !reflect.DeepEqual(got, want) || (gerr == nil) != (werr == nil) {
				t.Errorf("%s on %q: %v (%v) with a Shared, %v (%v) alone", pat, text, got, gerr, want, werr)
			}
		}
		withShared = append(withShared, re)
	}
	// the third pattern is the first again: every set is the first's
	for i, rs := range withShared[2].sre.sets {
		if len(rs.hi) > sharedMin && rs != withShared[0].sre.sets[i] {
			t.Errorf("set %d of a pattern compiled again: not the first one's", i)
		}
	}
	// a lazy program is compiled at its first search, from any
	// goroutine: it must not keep the Shared
	lazy, err := CompileOptions(sharedPatterns[0], Options{Shared: &sh, Lazy: true})
	if err != nil || lazy.lazy == nil || lazy.lazy.shared != nil {
		t.Errorf("a lazy program keeps the Shared (or is not lazy: %v)", err)
	}
	if len(sh.classes) == 0 || len(sh.unions) == 0 || len(sh.runeSets) == 0 {
		t.Errorf("the Shared kept %d classes, %d unions, %d tables", len(sh.classes), len(sh.unions), len(sh.runeSets))
	}
}

// sameProgram reports whether two programs have the same code, literals,
// sets (by content), guards and start conditions.
func sameProgram(a, s *sreProg) bool {
	return reflect.DeepEqual(a.code, s.code) && reflect.DeepEqual(a.strs, s.strs) && reflect.DeepEqual(a.sets, s.sets) &&
		reflect.DeepEqual(a.guards, s.guards) && a.first == s.first && a.firstOK == s.firstOK &&
		a.start == s.start && a.guard == s.guard && a.prefix == s.prefix
}

// FuzzShared compiles two patterns in turn, and the first again, with one
// Shared, and checks that each gets the program it gets alone.
func FuzzShared(f *testing.F) {
	for i, p := range sharedPatterns {
		f.Add(p, sharedPatterns[(i+1)%len(sharedPatterns)])
	}
	f.Add(`[\w.-]+|[^\W\d]x`, `(?i)[\w.-]+[\s\d]*`)
	f.Fuzz(func(t *testing.T, p1, p2 string) {
		var sh Shared
		for _, pat := range []string{p1, p2, p1} {
			alone, err := Compile(pat)
			re, serr := CompileOptions(pat, Options{Shared: &sh})
			if (err == nil) != (serr == nil) {
				t.Fatalf("%q: error %v alone, %v with a Shared", pat, err, serr)
			}
			if err == nil && !sameProgram(alone.sre, re.sre) {
				t.Fatalf("%q: the program differs with a Shared (after %q)", pat, p1)
			}
		}
	})
}
