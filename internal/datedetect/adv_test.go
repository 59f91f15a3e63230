package datedetect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/pyre"
)

// TestHostileLines bounds the time spent on long adversarial lines (the
// step budget, which grows with the line, caps each search; the limit is
// loose, and looser for -race builds).
func TestHostileLines(t *testing.T) {
	lines := []string{
		strings.Repeat("1", 100000),
		strings.Repeat("Jan 23 ", 20000),
		strings.Repeat("2005-01-23 ", 10000),
		strings.Repeat("[", 100000),
		"[" + strings.Repeat("a", 100000),
		strings.Repeat("01-02-", 20000),
		strings.Repeat("é", 50000),
		strings.Repeat("\xff", 100000),
	}
	for _, p := range []string{"", "{^LN-BEG}", `^[^\[]*\[({DATE})`, `^(?:.*\s)*{DATE}`} {
		d, err := New(Options{DatePattern: p, Location: time.UTC, Now: fixedNow, Startup: testStartup})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			start := time.Now()
			d.Detect(l)
			if el := time.Since(start); el > 10*time.Second && (!raceEnabled || el > 60*time.Second) {
				t.Errorf("pattern %q: line %q... took %v", p, l[:20], el)
			}
		}
	}
}

// TestStepBudgetScales checks that a template's step budget grows with the
// line: a date after a long run of text the template has to try is still
// found, while a template that backtracks without end on a long line
// reports a *StepLimitError naming it, with pyre's budget for the line.
func TestStepBudgetScales(t *testing.T) {
	d := newTestDetector(t, Options{DatePattern: `^(?:\S+\s)*({DATE})`, Location: time.UTC})
	d.noFast = true
	line := strings.Repeat("1 ", 400_000) + "Jan 23 21:59:59 sshd"
	m, ok := d.Detect(line)
	if !ok || m.Err != nil || line[max(m.Start, 0):max(m.End, 0)] != "Jan 23 21:59:59" {
		t.Fatalf("Detect = %+v, %v; want the date at the end", m, ok)
	}

	d = newTestDetector(t, Options{DatePattern: `^(?:\d+)+x{DATE}`, Location: time.UTC})
	for _, n := range []int{1 << 10, 64 << 10} {
		m, ok = d.Detect(strings.Repeat("1", n))
		var se *StepLimitError
		if !ok || !errors.As(m.Err, &se) || m.Start != -1 || m.End != -1 {
			t.Fatalf("%d bytes: Detect = %+v, %v; want a *StepLimitError", n, m, ok)
		}
		if want := d.slots[0].t.re.StepBudget(n); se.Budget != want || want <= pyre.DefaultMaxSteps || se.Template != m.Template || se.Template == "" {
			t.Errorf("%d bytes: %+v, want budget %d", n, se, want)
		}
	}
}
