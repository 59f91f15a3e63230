package datedetect

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
	"github.com/wardenipd/warden/internal/pyre"
)

// TestNeedsKnown checks that every default pattern has its needs, so
// that none loses its refusals silently, and that the table names no
// other pattern.
func TestNeedsKnown(t *testing.T) {
	known := map[string]bool{}
	for _, p := range defaultPatterns {
		known[p] = true
		if _, ok := defaultNeeds[p]; !ok {
			t.Errorf("default pattern %q has no needs", p)
		}
	}
	for p := range defaultNeeds {
		if !known[p] {
			t.Errorf("needs of %q, which is no default pattern", p)
		}
	}
}

// TestNeedsMinLen checks that the length the needs imply is a lower
// bound of every default template's matches (setMinLine uses it for the
// templates not built yet).
func TestNeedsMinLen(t *testing.T) {
	d := needsDetector(t)
	for _, s := range d.slots {
		if n, m := s.t.need.minLen(), s.t.re.MinLen(); n == 0 || n > m {
			t.Errorf("%s: needs imply %d characters, the regex %d", s.t.name, n, m)
		}
	}
}

// needsCorpus returns lines around the needs' limits: dates of every
// default template after prefixes that push them to the windows' ends
// and past them, the lane corpora, mutations of all of these and, unless
// -short, every line of fail2ban's sample logs.
func needsCorpus(t testing.TB) []string {
	dates := []string{
		"Jan 23 21:59:59", "jan  3 1:02:03.5 2005", "Sun Jan 23 2005 21:59:59", "23/Jan/2005:21:59:59 +0100",
		"23-01-2005 21:59:59", "23/01/05 21:59:59", "05/20/2008:01:57:39", "01-27-2012 16:22:44.252",
		"1124013500.123", "21:59:59", "<09/16/08@05:03:30>", "130322 11:46:11", "Jan 23, 2005 9:59:59 PM",
		"Apr-27-13 02:33:06", "20050123T215959", "20050123 215959.5+0100", "2005-01-23T21:59:59.981746+01:00",
		"2005.01.23  21:59:59", "@4000000042ff1a4c1b2d3e4f",
	}
	var lines []string
	for _, pre := range []string{"", "[", "[[", "(((", "x", "ab ", "+01:00 ", "-0130 ", "UTC ", "PDT ", "CEST ", "Z ",
		"[[+01:00 Wed ", "[[CESTX Sun ", "<38>1 ", "host sshd[1]: ", "a_", "9"} {
		for _, d := range dates {
			for _, post := range []string{"", " x", "x", "0", "]"} {
				lines = append(lines, pre+d+post)
			}
		}
	}
	lines = append(lines, fastCorpus()...)
	for _, s := range laneSequences() {
		lines = append(lines, s...)
	}
	for _, s := range missLines {
		lines = append(lines, s...)
	}
	r := rng(14)
	for i, n := 0, len(lines); i < n; i++ {
		lines = append(lines, mutate(&r, lines[i]), mutate(&r, lines[i]))
	}
	if !testing.Short() {
		lines = append(lines, sampleLogLines(t)...)
	}
	return lines
}

// sampleLogLines returns the lines of every sample log of fail2ban's
// test suite.
func sampleLogLines(t testing.TB) []string {
	dir := filepath.Join(f2btest.PythonPath(f2btest.Root(t)), "fail2ban", "tests", "files", "logs")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
	}
	return lines
}

// needsDetector returns a detector with the default templates, all
// built.
func needsDetector(t testing.TB) *Detector {
	d, err := New(Options{Location: time.UTC, Now: fixedNow, Startup: testStartup})
	if err != nil {
		t.Fatal(err)
	}
	d.Templates()
	return d
}

// checkNeeds fails when a template whose needs line lacks matches it.
// It returns how many templates were refused.
func checkNeeds(t testing.TB, d *Detector, line string) int {
	refused := 0
	fresh := make([]bool, len(d.slots))
	for i, s := range d.slots {
		d.startLine()
		fresh[i] = d.mayHold(s.t, line)
	}
	// The facts found for one template serve the next ones (as in
	// matchTime): in either order, each answer is the one fresh facts give.
	for _, order := range [][]int{ascending(len(d.slots)), descending(len(d.slots))} {
		d.startLine()
		for _, i := range order {
			if got := d.mayHold(d.slots[i].t, line); got != fresh[i] {
				t.Fatalf("template %s on %q: mayHold %v after other templates' facts, %v on fresh facts", d.slots[i].t.name, line, got, fresh[i])
			}
		}
	}
	for i, s := range d.slots {
		if fresh[i] {
			continue
		}
		refused++
		loc, err := s.t.re.AppendSearchAt(nil, line, 0)
		if errors.Is(err, pyre.ErrBacktrackLimit) {
			continue
		}
		if loc != nil {
			t.Fatalf("%s refused on %q, which it matches at %d..%d", s.t.name, line, loc[0], loc[1])
		}
	}
	return refused
}

// TestNeedsExact checks the needs against the templates' searches.
func TestNeedsExact(t *testing.T) {
	d := needsDetector(t)
	lines := needsCorpus(t)
	refused := 0
	for _, l := range lines {
		refused += checkNeeds(t, d, l)
	}
	if refused == 0 {
		t.Fatal("no template refused")
	}
	t.Logf("%d lines, %d of %d searches refused", len(lines), refused, len(lines)*len(d.slots))
}

// TestNeedsDetectors compares detectors with and without the shortcuts
// (needs, direct matchers, lane) on the corpus in an order that changes
// the date format often.
func TestNeedsDetectors(t *testing.T) {
	lines := needsCorpus(t)
	for _, o := range laneConfigs(t)[:6] {
		newDetectorPair(t, o).compare(t, lines)
	}
}

// FuzzNeeds checks the needs against the templates' searches on
// arbitrary lines, and compares detectors with and without the
// shortcuts on them.
func FuzzNeeds(f *testing.F) {
	for _, l := range needsCorpus(f)[:200] {
		f.Add(l)
	}
	d := needsDetector(f)
	pair := newDetectorPair(f, Options{Location: time.UTC, Now: fixedNow, Startup: testStartup})
	f.Fuzz(func(t *testing.T, text string) {
		for _, l := range strings.Split(text, "\n") {
			checkNeeds(t, d, l)
		}
		pair.compare(t, strings.Split(text, "\n"))
	})
}

func ascending(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func descending(n int) []int {
	out := ascending(n)
	slices.Reverse(out)
	return out
}
