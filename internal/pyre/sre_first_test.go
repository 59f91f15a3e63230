package pyre

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// firstPathPatterns are shapes of fail2ban's patterns where the first path
// decides (the sshd prefregex, <HOST>, optional trailers) or must give up
// (conditionals that fail at the end, lazy and greedy runs that give back,
// guards that skip alternatives and replay marks, backreferences).
var firstPathPatterns = []string{
	`^(?P<mlfid>(?:\[\])?\s*(?:<[^.]+\.[^.]+>\s+)?(?:\S+\s+)?(?:kernel:\s?\[ *\d+\.\d+\]:?\s+)?(?:@vserver_\S+\s+)?(?:(?:(?:\[\d+\])?:\s+[\[\(]?sshd(?:\(\S+\))?[\]\)]?:?|[\[\(]?sshd(?:\(\S+\))?[\]\)]?:?(?:\[\d+\])?:?)\s+)?(?:\[ID \d+ \S+\]\s+)?)(?:(?:error|fatal): (?:PAM: )?)?(?P<content>.+)$`,
	`^Failed (?:(?P<nofail>publickey)|\S+) for (?P<cond_inv>invalid user )?(?P<user>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)) from (?:(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<dns>[\w\-.^_]*\w))(?: (?:port \d+|on \S+)){0,2}(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`,
	`^(?P<nofail>(?P<mlfforget>(Connection (?:closed|reset)|Disconnected))) (?:by|from)(?: (?:invalid|authenticating) user (?P<user>\S+|.*?))? (?:(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<dns>[\w\-.^_]*\w))(?:(?: (?:port \d+|on \S+|\[preauth\])){0,3}\s*|\s*)$`,
	`^[iI](?:llegal|nvalid) user (?P<user>.*?) from (?P<host>\S+)(?: (?:port \d+|on \S+|\[preauth\])){0,3}\s*$`,
	`(?:a|ab)(c|bcd)(d*)`, `^(\w+)\w`, `(a)?(?(1)b|c)d`, `(\w+) \1`, `(?:x(a)|x(b))c`, `^(?:(a)|b)*c`,
	`a*?b`, `(?:ab)??a`, `\d+?\.`, `^\s*(\S+)\s*$`, `(?<=a)b|c`, `(?=a)\w+`, `(?:(?!ab).)*b`,
	`\bfoo\b|bar`, `^a(?: (?:bc|de)f)? (\w+)$`, `^(.+)a\d+x`, `^(\w+)ac`, `^$`, `x*`, `(a|b|c)+?d`, `(?i:ab)c|d`, `^(?:k|kernel: )\w+`, `^(.*?) from \w$`, `^(?:(a)|bx)*b`,
	`(a(b)(?:c|cd)(?(1)x|y?))z`,      // a mark the failed first alternative leaves, seen by the second
	`^(?:(a)|(b)c|d)*(x(?(3)y|z))?$`, // a guard's skipped marks, not replayed inside a repeat
	// only the end before the run's last character is followed by the
	// rest (lastItemOnly), or not (the rest can start with the run's)
	`^(?P<dns>[\w\-.^_]*\w)(?: port \d+)?\s*$`, `^([a-c]*[ab])x`, `^([a-c]*[xb])y`, `^([a-c]*[ab]c)`, `^(\w*\w(?:\w|$))`, `^([\w\-.]*\w)(?:\.x|$)`, `^([\wé]*)\w\.`,
	// a run before an end anchor, and whether a shorter one can end where it holds
	`^a(\s*)$`, `(?m)^a(\s*)$`, `^a\s*\Z`,
	// a lazy tempered dot with the text after it (lazyLeadItem), the
	// lookahead's text the same as the lead or not, in the way of the
	// lead or not
	`^x((?:(?! from ).)*?) from (\w+)`, `^((?:(?!ab).)*?)b`, `^((?:(?!b).)*?)bc`, `((?:(?!x).)*?)ab$`, `^((?:(?!a\n).)*?)a`,
}

// firstPathInputs are lines for those patterns, and random text.
func firstPathInputs(r *rand.Rand) []string {
	in := []string{
		" belka sshd[131602]: Failed password for invalid user ROOT from 194.0.0.69 port 50273 ssh2\n",
		" host sshd[1]: \n", " [sshd]: User root\n", "\n", "",
		"Failed password for root from 1.2.3.4 port 22 ssh2\n",
		"Failed password for invalid user a b from 1.2.3.4 port 22 ssh2\n",
		"Failed publickey for root from 1.2.3.4 port 22 ssh2: RSA x\n",
		"Connection closed by authenticating user root 1.2.3.4 port 22 [preauth]\n",
		// the user name's runs taken back: the last address is the host
		"Connection closed by authenticating user test 1.2.3.4 port 12345 5.6.7.8 port 46039 [preauth]\n",
		"Failed password for invalid user test from 1.2.3.4 port 55555 ssh2 from 5.6.7.8 port 58946 ssh2\n",
		"Disconnected from 1.2.3.4 port 22\n", "Invalid user a from 1.2.3.4 port 5\n",
		"Invalid user a from b from 1.2.3.4 port 5\n", "Invalid user a\nb from 1.2.3.4\n", "a from b from x", "ab", "abcdxz", "abcdz",
		"za1xa2y", "xacab", "a def x", "a x", "abcd", "abc", "acd", "xbc", "xac", "aabac", "ab ab", "1.2.3.", "kernel: abc", "foo bar",
		"user deploy 1.2.3.4 port 5\n", "user port 5\n", "a.b-c port 1 \n", "abx", "aabx", "abcx", "abcc", "a \n", "a \nb", "a \n b",
		"a  ", "a \n\n", "éé.", "aé.", "a1é\n", "ab.x", "a.b.x", "a.b", "abxy",
	}
	alpha := []string{"a", "b", "c", "d", "x", " ", ".", "1", "22", "\n", "\u00e9", "\xff", " from ", "ab", ":", "["}
	for range 12 {
		var b strings.Builder
		for range r.IntN(14) {
			b.WriteString(alpha[r.IntN(len(alpha))])
		}
		in = append(in, b.String())
	}
	return in
}

// checkFirstPath compares searches and anchored matches of pattern with
// the first path always tried and never tried.
func checkFirstPath(t *testing.T, pattern string, inputs []string) {
	t.Helper()
	always, err := CompileOptions(pattern, Options{firstPath: firstPathAlways})
	if err != nil {
		return
	}
	never, err := CompileOptions(pattern, Options{firstPath: firstPathNever})
	if err != nil {
		t.Fatalf("%q: compiles with the first path, not without: %v", pattern, err)
	}
	for _, s := range inputs {
		for _, anchored := range []bool{false, true} {
			want, werr := never.find(nil, s, anchored)
			got, gerr := always.find(nil, s, anchored)
			if (werr != nil) != (gerr != nil) || !spansEqual(got, want) {
				t.Fatalf("pattern %q input %q anchored %v: first path %v, %v; match alone %v, %v",
					pattern, s, anchored, got, gerr, want, werr)
			}
		}
	}
}

// TestFirstPathSame checks that searches that try the first path find
// what match alone finds (the same spans) on fail2ban's shapes and on
// random patterns.
func TestFirstPathSame(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 6))
	for _, p := range append(append([]string(nil), firstPathPatterns...), fusePatterns...) {
		checkFirstPath(t, p, firstPathInputs(r))
	}
	n := 4000
	if testing.Short() {
		n = 400
	}
	for range n {
		checkFirstPath(t, randomPattern(r, 4), firstPathInputs(r))
	}
}

// TestFirstPathDecides checks that the first path answers where it
// should (a match on the path tried first, a failure before any choice)
// and leaves to match what needs a backtrack, so that the comparison of
// TestFirstPathSame is not with a path that always gives up.
func TestFirstPathDecides(t *testing.T) {
	for _, c := range []struct {
		pattern, input string
		ok, sure       bool
	}{
		{firstPathPatterns[0], " belka sshd[131602]: Failed password for root from 1.2.3.4\n", true, true},
		{firstPathPatterns[2], "Connection closed by authenticating user root 1.2.3.4 port 22 [preauth]\n", true, true},
		{firstPathPatterns[2], "Connection closed by 1.2.3.4 port 22 [preauth]\n", true, true}, // the guard's text skips the OPT
		{firstPathPatterns[3], "Invalid user a from 1.2.3.4 port 5\n", true, true},
		{`^Failed \S+ for`, "Accepted password for root\n", false, true},                           // before any choice
		{firstPathPatterns[1], "Failed password for root from 1.2.3.4 port 22 ssh2\n", true, true}, // " from " picks the run of [^:]+
		{`^(\w+)\w`, "abc", true, true},       // the guard picks the run
		{`^(\w+)ac`, "xacab", true, true},     // the tail's text picks the run
		{`^(.+)a\d+x`, "za1xa2y", true, true}, // the run gives back after a late failure
		{firstPathPatterns[1], "Failed password for root from 1.2.3.4 port 22 ssh2: x\n", true, true},
		{`^a(?: (?:b|c)d)? (\w+)$`, "a bd e", true, true},
		{`^a(?: (?:b|c)d)? (\w+)$`, "a e", true, true},   // the OPT body fails before any choice: its tail
		{`^a(?:(?:b|bc)d)?c`, "abcdc", true, true},       // the first alternative fails at once: the next one
		{`^a(?: (?:bc|de)f)? (\w+)$`, "a x", true, true}, // the OPT body's texts are not there
		{`^a(?: (?:bc|de)f)? (\w+)$`, "a def x", true, true},
		{`(\w+) \1`, "ab ab", true, true},
		{`^(?:(a)|b)*c`, "abc", true, true},                                                   // a repeat's items
		{`^(?:[0-9a-f]{1,4}::?|::){1,7}[0-9a-f]{1,4} port`, "2001:db8::1 port", true, true},   // the last item fails at once: the tail
		{`^(?:[0-9a-f]{1,4}::?|::){1,7}[0-9a-f]{1,4} port`, "2001:db8::1x port", false, true}, // every item's tail, in turn
		{`^(?:ab|a)*b`, "ab", false, false},                                                   // the tail fails after an item that had a choice
		{`^(?:(?:ab)+c)*d`, "ababcd", false, false},                                           // a repeat inside a repeat: match's
		{`^a(.*?) from x`, "a bc from x", true, true},                                         // the lazy run ends at its tail's text
		{`^a(.*?) from x`, "a b\nc from x", false, true},                                      // an item fails before the text
		{`^a(.*?) from (\w+)$`, "a b from c from d", true, true},                              // more items are taken back
		// only the end before the name's last character can be followed
		{`^(?P<dns>[\w\-.^_]*\w)(?: port \d+)?\s*$`, "user deploy 1.2.3.4 port 5\n", false, true},
		{`^(?P<dns>[\w\-.^_]*\w)(?: port \d+)?\s*$`, "user port 5\n", true, true},
		{`^([a-c]*[ab])x`, "abcax", true, true}, {`^([a-c]*[ab])x`, "abcx", false, true},
		{`^a\s*$`, "a  b", false, true}, // no shorter run ends where $ holds
		{`^a\s*$`, "a \n", true, true},
		{`(?m)^a\s*$`, "a \n b", true, true}, // $ holds before the "\n" in the run: taken back
		{`^a\s*\Z`, "a \n ", true, true}, {`^a\s*\Z`, "a \nb", false, true},
		{`^(\w*)(\w*)(\w*),`, "abcdefghijklmnop", false, false}, // more than fpBacksMax choices to take back
		{`^a(?:b)??c`, "abc", true, true},                       // the lazy optional body, taken back
		{`^(.+) from (\w+) x`, "a from b x from c", true, true}, // the run's end before an earlier " from "
		{`^(.+) from (\w+)$`, "a from b from c d", false, true}, // every end before " from " taken back
		// more than fpPendMax pending choices: the first ones become
		// choices the first path cannot take back
		{strings.Repeat(`(?:ab|a)`, 18) + `c`, strings.Repeat("ab", 18) + "c", true, true},
		{strings.Repeat(`(?:ab|a)`, 18) + `c`, strings.Repeat("ab", 18) + "d", false, false},
		{strings.Repeat(`(?:ab|a)`, 8) + `c`, strings.Repeat("ab", 8) + "d", false, true},
	} {
		re, err := CompileOptions(c.pattern, Options{firstPath: firstPathAlways})
		if err != nil {
			t.Fatal(err)
		}
		re.ready()
		m := newSREMachine(re.sre)
		m.begin(c.input, -1)
		m.reset()
		ok, sure := m.firstPath(0)
		if ok != c.ok || sure != c.sure {
			t.Errorf("%q on %q: first path ok %v sure %v, want %v %v", c.pattern, c.input, ok, sure, c.ok, c.sure)
		}
		checkFirstPath(t, c.pattern, []string{c.input})
	}
}

// TestFirstPathAdapts checks that a machine stops trying the first path
// for a pattern whose matches backtrack, but for a retry now and then, and
// keeps it for one whose matches do not.
func TestFirstPathAdapts(t *testing.T) {
	backtracks := MustCompile(`^(?:(?:ab)+c)*d`).Matcher() // a repeat inside a repeat
	straight := MustCompile(firstPathPatterns[0]).Matcher()
	for range 100 {
		if loc, err := backtracks.AppendSearch(nil, "ababcd"); err != nil || loc == nil {
			t.Fatalf("backtracking pattern: %v, %v", loc, err)
		}
		if loc, err := straight.AppendSearch(nil, " host sshd[1]: Failed password for root\n"); err != nil || loc == nil {
			t.Fatalf("straight pattern: %v, %v", loc, err)
		}
	}
	if m := backtracks.m; m.fpTries != firstPathMinTries || m.fpBails != firstPathMinTries {
		t.Errorf("backtracking pattern: %d first path tries, %d given up; want %d, all given up", m.fpTries, m.fpBails, firstPathMinTries)
	}
	// it tries again once every firstPathRetry searches
	for range firstPathRetry {
		if _, err := backtracks.AppendSearch(nil, "ababcd"); err != nil {
			t.Fatal(err)
		}
	}
	if m := backtracks.m; m.fpTries != firstPathMinTries+1 {
		t.Errorf("backtracking pattern: %d first path tries after %d more searches, want %d", m.fpTries, firstPathRetry, firstPathMinTries+1)
	}
	if m := straight.m; !m.firstPathOn() || m.fpTries != 100 || m.fpBails != 0 {
		t.Errorf("straight pattern: first path on %v, %d tries, %d given up", m.firstPathOn(), m.fpTries, m.fpBails)
	}
}

// FuzzFirstPath compares the first path with match alone (see
// TestFirstPathSame).
func FuzzFirstPath(f *testing.F) {
	for _, p := range firstPathPatterns {
		f.Add(p, "Failed password for root from 1.22.333.4 port 22 ssh2\n")
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if len(pattern) > 160 || len(input) > 256 {
			return
		}
		checkFirstPath(t, pattern, []string{input, input + "\n", ""})
	})
}

// TestLastIndexMore checks the forward search for the last occurrence
// against strings.LastIndex, overlaps included.
func TestLastIndexMore(t *testing.T) {
	for _, c := range []struct{ s, t string }{
		{"", "x"}, {"", ""}, {"abc", ""}, {"abc", "d"}, {"a from b", " from "},
		{"a from b from c", " from "}, {"aaaa", "aa"}, {"aaa", "aaaa"},
		{" from ", " from "}, {"x from  from y", " from "}, {"abab", "ab"},
		{strings.Repeat("a", 40), "aa"}, {strings.Repeat(" from", 12) + " x", " from "},
		{strings.Repeat("ab", 9) + "c", "ab"}, {strings.Repeat("ab", 10), "ab"},
	} {
		last, more := lastIndexMore(c.s, c.t)
		want := strings.LastIndex(c.s, c.t)
		wantMore := want > 0 && strings.LastIndex(c.s[:want+len(c.t)-1], c.t) >= 0
		if c.t == "" {
			wantMore = want > 0
		}
		if last != want || more != wantMore {
			t.Errorf("lastIndexMore(%q, %q) = %d, %v; want %d, %v", c.s, c.t, last, more, want, wantMore)
		}
	}
}
