package datedetect

import (
	"strings"
	"testing"
	"time"
)

// TestHostileLines bounds the time spent on long adversarial lines (the
// step budget caps each search; the limit is loose for -race builds).
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
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("pattern %q: line %q... took %v", p, l[:20], el)
			}
		}
	}
}
