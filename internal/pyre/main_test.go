package pyre

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests, once the
// shared timeout clock of regexp2 (a test engine) is stopped.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		stopTimeoutClock()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestNoGoroutinePerCompile checks that compiling and matching start no
// goroutine.
func TestNoGoroutinePerCompile(t *testing.T) {
	stopTimeoutClock()
	var res []*Regexp
	for i := range 50 {
		res = append(res, MustCompile(fmt.Sprintf(`(?<=a)b{%d}(\w)\1`, i+1)))
	}
	if err := goleak.Find(); err != nil {
		t.Fatalf("after Compile: %v", err)
	}
	for _, re := range res {
		if _, err := re.Search("abbbbbxx"); err != nil {
			t.Fatal(err)
		}
	}
	if err := goleak.Find(); err != nil {
		t.Fatalf("after matching: %v", err)
	}
}

// trimCorpus reports whether the differential corpora run trimmed: under
// -short, and under the race detector (see raceEnabled).
func trimCorpus() bool { return testing.Short() || raceEnabled }
