package filter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/datedetect"
	"github.com/wardenipd/warden/internal/pyre"
)

func newStepFilter(t *testing.T, opt Options) *Filter {
	t.Helper()
	opt.Location = time.UTC
	opt.Now = func() time.Time { return time.Date(2005, 8, 14, 10, 0, 0, 0, time.UTC) }
	f, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestLongLineMatches checks that a trivial failregex matches at the end
// of a 3 MB line, as in fail2ban: the regexes' step budget grows with the
// line, so linear work is never cut off.
func TestLongLineMatches(t *testing.T) {
	line := "Jan  1 00:00:00 host sshd[1]: " + strings.Repeat("x", 3_000_000) + " Failed from 192.0.2.1"
	for _, opt := range []Options{
		{FailRegex: []string{`Failed from <HOST>`}},
		{
			PrefRegex:   `^\s*<F-MLFID>\S+ sshd\[\d+\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$`,
			FailRegex:   []string{`^(?:Accepted|Invalid user \S+) from <HOST>`, `^\S+ Failed from <HOST>$`},
			IgnoreRegex: []string{`^\S+ Failed from 198\.51\.100\.\d+$`},
		},
	} {
		f := newStepFilter(t, opt)
		for _, process := range []func(string) ([]Failure, error){f.ProcessLine, func(l string) ([]Failure, error) { return f.ProcessLineNL(l + "\n") }} {
			got, err := process(line)
			if err != nil || len(got) != 1 || got[0].ID != "192.0.2.1" {
				t.Fatalf("%+v: failures %+v, error %v; want one from 192.0.2.1", opt, got, err)
			}
		}
	}
}

// TestStepLimitError checks that a hostile line against a
// backtracking-prone regex is skipped with a *StepLimitError naming the
// regex, once its budget, which grows with the line, is spent.
func TestStepLimitError(t *testing.T) {
	const hostile = `^(a|aa)*b<HOST>`
	line := strings.Repeat("a", 64<<10) // no date: the regexes see line + "\n"
	budget := pyre.DefaultMaxSteps + pyre.DefaultStepsPerByte*(len(line)+1)
	for _, c := range []struct {
		opt   Options
		kind  string
		index int
	}{
		{Options{FailRegex: []string{`Failed from <HOST>`, hostile}}, "failregex", 1},
		{Options{PrefRegex: hostile, FailRegex: []string{`^<HOST>`}}, "prefregex", 0},
		{Options{FailRegex: []string{`^a+<F-ID>a</F-ID>`}, IgnoreRegex: []string{`^x`, hostile}}, "ignoreregex", 1},
		{Options{FailRegex: []string{`^a+<F-ID>a</F-ID>`}, IgnoreRegex: []string{`^x`, hostile, `^a`}, CheckAllRegex: true}, "ignoreregex", 1},
	} {
		f := newStepFilter(t, c.opt)
		_, err := f.ProcessLine(line)
		var se *StepLimitError
		if !errors.As(err, &se) {
			t.Fatalf("%+v: error %v, want a *StepLimitError", c.opt, err)
		}
		want := map[string][]string{"failregex": f.FailRegex(), "ignoreregex": f.IgnoreRegex(), "prefregex": {f.PrefRegex()}}[c.kind][c.index]
		if se.Kind != c.kind || se.Index != c.index || se.Regex != want || !strings.HasPrefix(want, "^(a|aa)*b") || se.Budget != budget {
			t.Errorf("%+v: %+v, want %s %d %q with budget %d", c.opt, se, c.kind, c.index, hostile, budget)
		}
		if !errors.Is(err, ErrSkipped) || !errors.Is(err, pyre.ErrBacktrackLimit) {
			t.Errorf("%v: not ErrSkipped and pyre.ErrBacktrackLimit", err)
		}
		var pe *pyre.StepLimitError
		if !errors.As(err, &pe) || pe.Budget != budget {
			t.Errorf("%v: the pyre error is %v", err, pe)
		}
	}

	// a date template that backtracks without end
	f := newStepFilter(t, Options{FailRegex: []string{`^<HOST>`}, DatePattern: `^(?:\d+)+x{DATE}`})
	line = strings.Repeat("1", 4<<10)
	_, err := f.ProcessLine(line)
	var se *StepLimitError
	var de *datedetect.StepLimitError
	if !errors.As(err, &se) || se.Kind != "date" || se.Index != 0 || !strings.HasPrefix(se.Regex, `^(?:\d+)+x`) ||
		!errors.As(err, &de) || se.Budget != de.Budget || se.Budget <= len(line) || !errors.Is(err, ErrSkipped) {
		t.Fatalf("error %v (%+v), want a date *StepLimitError", err, se)
	}
}
