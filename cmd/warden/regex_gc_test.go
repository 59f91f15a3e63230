package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestRegexGCPercent checks that warden regex runs at regexGCPercent
// when the collector has Go's default pace, keeps a pace the user chose
// (GOGC), and leaves the pace as it found it.
func TestRegexGCPercent(t *testing.T) {
	log := filepath.Join(t.TempDir(), "auth.log")
	if err := os.WriteFile(log, []byte("Jan  1 00:00:00 h sshd[1]: Failed from 192.0.2.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct{ before, during int }{{100, regexGCPercent}, {50, 50}, {300, 300}} {
		debug.SetGCPercent(c.before)
		during := -1
		// the pace is read back when the command reads the clock, while
		// it reads the log
		now := func() time.Time {
			if during < 0 {
				during = debug.SetGCPercent(-1)
				debug.SetGCPercent(during)
			}
			return reuseClock()
		}
		s := settings{configDir: "/nonexistent", now: now, lines: linesCopied}
		var out, errOut bytes.Buffer
		if err := runWith(context.Background(), s, []string{"regex", "--json", log, "Failed from <HOST>"}, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("warden regex: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(out.String(), "192.0.2.1") {
			t.Fatalf("no failure found: %q", out.String())
		}
		if during != c.during {
			t.Errorf("GOGC %d before: %d during the run, want %d", c.before, during, c.during)
		}
		if after := debug.SetGCPercent(100); after != c.before {
			t.Errorf("GOGC %d before: %d after the run", c.before, after)
		}
	}
}
