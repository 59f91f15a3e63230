package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// loadUser loads a user directory holding jail.d/x.conf (jails) and
// filter.d/f.conf over the built-in defaults, and returns the configuration
// and the path of x.conf as problems show it.
func loadUser(t *testing.T, jails string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "filter.d", "f.conf"), "[Definition]\nfailregex = fail from <HOST>\n")
	x := filepath.Join(dir, "jail.d", "x.conf")
	writeFile(t, x, jails)
	builtinJailsOff(t, dir)
	c, err := Load(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return c, x
}

// builtinJailsOff turns off the jails the built-in defaults enable (sshd),
// for tests about the user's own jails.
func builtinJailsOff(t *testing.T, dir string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "jail.d", "zz-builtin-off.local"), "[sshd]\nenabled = false\n")
}

func problemLines(c *Config) string {
	var s []string
	for _, p := range c.Problems {
		s = append(s, p.Error())
	}
	return strings.Join(s, "\n")
}

func jailNames(js []*Jail) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.Name)
	}
	return out
}

// TestInvalidJailsNamed: every problem of a jail names the jail, and a jail
// with a problem, whatever it is, is listed in Invalid and left out of
// Jails (so that nothing shows made-up values for it).
func TestInvalidJailsNamed(t *testing.T) {
	c, x := loadUser(t, `[badtime]
enabled = true
filter = f
logpath = /dev/null
bantime = 1x

[nofilter]
enabled = true
filter = nope
logpath = /dev/null

[badbackend]
enabled = true
filter = f
logpath = /dev/null
backend = magic

[good]
enabled = true
filter = f
logpath = /dev/null
`)
	if got := jailNames(c.Jails); !reflect.DeepEqual(got, []string{"good"}) {
		t.Errorf("Jails = %q, want only [good]; problems:\n%s", got, problemLines(c))
	}
	if want := []string{"badtime", "nofilter", "badbackend"}; !reflect.DeepEqual(c.Invalid, want) {
		t.Errorf("Invalid = %q, want %q", c.Invalid, want)
	}
	want := map[string]string{
		"badtime":    x + ":5: jail [badtime]: bantime: bad time value \"1x\"",
		"nofilter":   x + ":9: jail [nofilter]: filter \"nope\" not found",
		"badbackend": x + ":16: jail [badbackend]: unknown backend \"magic\"",
	}
	seen := map[string]bool{}
	for _, p := range c.Problems {
		w, ok := want[p.Jail]
		if !ok {
			t.Errorf("problem %q: Jail = %q, want one of the invalid jails", p.Error(), p.Jail)
			continue
		}
		if !strings.HasPrefix(p.Error(), w) {
			t.Errorf("problem of jail %s: %q, want it to start with %q", p.Jail, p.Error(), w)
		}
		seen[p.Jail] = true
	}
	if len(seen) != len(want) {
		t.Errorf("problems:\n%s\nwant one for each of %d jails", problemLines(c), len(want))
	}
}

// TestBrokenFilterFileInvalidatesJail: a jail whose filter file cannot be
// parsed is invalid even when the filter's .local can be: the problem is
// reported once, for the file.
func TestBrokenFilterFileInvalidatesJail(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "filter.d", "g.conf"), "[Definition]\nfailregex\n")
	writeFile(t, filepath.Join(dir, "filter.d", "g.local"), "[Definition]\nfailregex = fail from <HOST>\n")
	writeFile(t, filepath.Join(dir, "jail.local"), "[j]\nenabled = true\nfilter = g\nlogpath = /dev/null\n")
	builtinJailsOff(t, dir)
	c, err := Load(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Jails) != 0 || !reflect.DeepEqual(c.Invalid, []string{"j"}) {
		t.Errorf("Jails = %q, Invalid = %q; want no jail and [j] invalid", jailNames(c.Jails), c.Invalid)
	}
	want := filepath.Join(dir, "filter.d", "g.conf") + ":2: expected 'name = value'"
	if len(c.Problems) != 1 || !strings.HasPrefix(c.Problems[0].Error(), want) || c.Problems[0].Jail != "" {
		t.Errorf("problems:\n%s\nwant one, for the file: %s", problemLines(c), want)
	}
}

// TestNoFollowOnProblems: a bad value is reported once, where the user
// wrote it, not again for each option whose value is interpolated from it
// (maxmatches = %(maxretry)s in the defaults).
func TestNoFollowOnProblems(t *testing.T) {
	c, x := loadUser(t, `[DEFAULT]
bantime.maxtime = %(bantime)s

[counts]
enabled = true
filter = f
logpath = /dev/null
maxretry = three

[times]
enabled = true
filter = f
logpath = /dev/null
bantime = 1x
`)
	want := []string{
		x + `:8: [counts] maxretry = "three" is not a whole number`,
		x + `:14: jail [times]: bantime: bad time value "1x"`,
	}
	got := strings.Split(problemLines(c), "\n")
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
	if !reflect.DeepEqual(c.Invalid, []string{"counts", "times"}) {
		t.Errorf("Invalid = %q", c.Invalid)
	}
}

// TestInterpolationProblemAtUserLine: an interpolation problem in a value
// the user wrote, reached through the built-in action shortcuts, is
// reported at the user's line first, once per jail.
func TestInterpolationProblemAtUserLine(t *testing.T) {
	c, x := loadUser(t, `[self]
enabled = true
filter = f
logpath = /dev/null
port = %(port)s

[pair]
enabled = true
filter = f
logpath = /dev/null
foo = %(port)s
port = %(foo)s

[undef]
enabled = true
filter = f
logpath = /dev/null
port = %(nosuch)s

[twice]
enabled = true
filter = f
port = %(port)s
logpath = /var/log/%(port)s.log
`)
	want := map[string]string{
		"self":  x + `:5: option "port" in [self]: interpolation loops`,
		"pair":  x + `:12: option "port" in [pair]: interpolation loops`,
		"undef": x + `:18: option "port" in [undef]: %(nosuch)s refers to an undefined option`,
		"twice": x + `:23: option "port" in [twice]: interpolation loops`,
	}
	if len(c.Problems) != len(want) {
		t.Fatalf("problems:\n%s\nwant %d, one per jail (the loop in [twice] is reached from action and logpath)", problemLines(c), len(want))
	}
	for _, p := range c.Problems {
		w, ok := want[p.Jail]
		if !ok {
			t.Errorf("problem %q: Jail = %q, want one of the jails", p.Error(), p.Jail)
			continue
		}
		if !strings.HasPrefix(p.Error(), w) {
			t.Errorf("problem of jail %q: %q, want it to start with %q", p.Jail, p.Error(), w)
		}
		delete(want, p.Jail)
	}
	if len(c.Jails) != 0 {
		t.Errorf("Jails = %q, want none", jailNames(c.Jails))
	}
}
