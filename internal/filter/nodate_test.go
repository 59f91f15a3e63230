package filter

import (
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
)

type noDateStep struct {
	Now         float64 `json:"now"`
	Line        string  `json:"line"`
	InOperation *bool   `json:"inOperation,omitempty"` // SetInOperation before the line
}

type noDateCase struct {
	FailRegex     string       `json:"failregex"`
	CheckFindTime bool         `json:"checkFindTime"`
	InOperation   bool         `json:"inOperation"`
	FindTime      float64      `json:"findTime"`
	Steps         []noDateStep `json:"steps"`
}

// noDateCases are lines with and without dates, read by fail2ban-regex
// (no CheckFindTime) and by the daemon reading a backlog (CheckFindTime)
// or watching a log (CheckFindTime and InOperation), and one switching
// from backlog to watching.
func noDateCases() []noDateCase {
	const now = 1700000000 // 2023-11-14T22:13:20Z
	on := true
	steps := []noDateStep{
		{Now: now, Line: "login failed from 192.0.2.1"}, // no date, none before
		{Now: now, Line: "2023-11-14T22:13:00Z login failed from 192.0.2.2"},
		{Now: now, Line: "login failed from 192.0.2.3"},       // the last date, 20 s ago
		{Now: now + 50, Line: "login failed from 192.0.2.4"},  // 70 s ago: too old
		{Now: now + 100, Line: "login failed from 192.0.2.5"}, // still too old
		{Now: now + 100, Line: "2005-08-14T12:00:00Z login failed from 192.0.2.6"},
		{Now: now + 100, Line: "login failed from 192.0.2.7"},
		{Now: now + 100, Line: "2023-11-14T22:30:00Z login failed from 192.0.2.8"}, // in the future
		{Now: now + 110, Line: "login failed from 192.0.2.9"},
		{Now: now + 110, Line: "2023-11-14T22:15:00Z login failed from 192.0.2.10"},
		{Now: now + 130, Line: "login failed from 192.0.2.11"},
	}
	var cases []noDateCase
	for _, m := range [][2]bool{{false, false}, {true, false}, {true, true}} {
		cases = append(cases, noDateCase{FailRegex: "login failed from <HOST>", CheckFindTime: m[0], InOperation: m[1], FindTime: 600, Steps: steps})
	}
	switched := append([]noDateStep(nil), steps...)
	switched[4].InOperation = &on
	cases = append(cases, noDateCase{FailRegex: "login failed from <HOST>", CheckFindTime: true, FindTime: 600, Steps: switched})
	return cases
}

// goNoDate runs the cases on Warden's filter: for each line, its failures
// as "id@time", "id@None" when NoTime.
func goNoDate(t *testing.T, c noDateCase) [][]string {
	t.Helper()
	var now float64
	f, err := New(Options{FailRegex: []string{c.FailRegex}, CheckFindTime: c.CheckFindTime, InOperation: c.InOperation, FindTime: c.FindTime,
		Location: time.UTC, UseDNS: "no", DateStartup: time.Unix(1700000000, 0),
		Now: func() time.Time { sec, frac := math.Modf(now); return time.Unix(int64(sec), int64(frac*1e9)) }})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, s := range c.Steps {
		now = s.Now
		if s.InOperation != nil {
			f.SetInOperation(*s.InOperation)
		}
		found, err := f.ProcessLine(s.Line)
		if err != nil {
			t.Fatal(err)
		}
		res := []string{}
		for _, m := range found {
			if m.NoTime {
				if m.Time != 0 {
					t.Errorf("%q: NoTime with Time %v", s.Line, m.Time)
				}
				res = append(res, m.ID+"@None")
			} else {
				res = append(res, fmt.Sprintf("%s@%.3f", m.ID, m.Time))
			}
		}
		out = append(out, res)
	}
	return out
}

// TestNoDateAsFail2ban: a line without a date is dated as fail2ban's own
// Filter.processLine dates it: by the last date when it is less than 60
// seconds old, else None for fail2ban-regex (Failure.NoTime), now for the
// daemon in operation, and dropped for the daemon reading a backlog.
func TestNoDateAsFail2ban(t *testing.T) {
	f2btest.RequirePython(t)
	root := f2btest.Root(t)
	cases := noDateCases()
	var want [][][][2]any
	cmd := f2btest.Script(root, "testdata/f2b_nodate.py")
	cmd.Env = append(os.Environ(), "TZ=UTC", "PYTHONPATH="+f2btest.PythonPath(root))
	f2btest.RunJSON(t, cmd, cases, &want)
	if len(want) != len(cases) {
		t.Fatalf("%d results for %d cases", len(want), len(cases))
	}
	for k, c := range cases {
		got := goNoDate(t, c)
		for i, s := range c.Steps {
			var w []string
			for _, f := range want[k][i] {
				if f[1] == nil {
					w = append(w, fmt.Sprintf("%v@None", f[0]))
				} else {
					w = append(w, fmt.Sprintf("%v@%.3f", f[0], f[1]))
				}
			}
			if fmt.Sprint(w) != fmt.Sprint(got[i]) {
				t.Errorf("case %d (checkFindTime %v, inOperation %v) line %d %q: %v, fail2ban %v", k, c.CheckFindTime, c.InOperation, i, s.Line, got[i], w)
			}
		}
	}
}

// TestNoDateModes pins the three treatments of a line without a date
// (without Python: TestNoDateAsFail2ban checks them against fail2ban).
func TestNoDateModes(t *testing.T) {
	cases := noDateCases()
	want := [][]string{
		{"192.0.2.1@None"},           // fail2ban-regex: None
		{},                           // backlog: dropped
		{"192.0.2.1@1700000000.000"}, // in operation: now
		{},                           // backlog, switched later
	}
	for k, c := range cases {
		got := goNoDate(t, c)
		if fmt.Sprint(got[0]) != fmt.Sprint(want[k]) {
			t.Errorf("case %d: the first line gives %v, want %v", k, got[0], want[k])
		}
		if g := got[2]; len(g) != 1 || g[0] != "192.0.2.3@1699999980.000" {
			t.Errorf("case %d: a line 20 s after a dated one gives %v, want that line's date", k, g)
		}
	}
}
