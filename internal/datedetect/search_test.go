package datedetect

import (
	"errors"
	"slices"
	"testing"

	"github.com/wardenipd/warden/internal/pyre"
)

// isoLines are lines around the ISO template's start positions: dates
// after other digit runs and separators, and mutations of these and of
// the direct corpus.
func isoLines() []string {
	lines := []string{
		"<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - - Failed",
		"123 2005-01-23 21:59:59", "12345-01-23 21:59:59", "2005-2005-01-23T21:59:59", "x2005-01-23 21:59:59 2006-01-23 1:02:03",
		"a_2005/01/23 21:59:59", "2005.01.23  21:59:59", "1.2.3 20050-1-2 2005.1.2T1:2:3", "9999-1 2005-13-01 21:59:59",
		"[2005-01-23T21:59:59.981746+01:00]", "2005-01-23", "2005-0", "0000-", "2005-01-23T21:59:59Z",
	}
	lines = append(lines, directLines(20000)...)
	r := rng(21)
	for i, n := 0, len(lines); i < n; i++ {
		lines = append(lines, mutate(&r, lines[i]))
	}
	return lines
}

// isoSlots returns the slots of the ISO templates of d: the unanchored
// one and its line-begin variant.
func isoSlots(t testing.TB, d *Detector) []*slot {
	var out []*slot
	for _, s := range d.slots {
		if f := s.t.fast; f != nil && f.directOK && f.shape == shapeISO {
			out = append(out, s)
		}
	}
	if len(out) != 2 {
		t.Fatalf("%d ISO templates", len(out))
	}
	return out
}

// checkSearch compares Detector.search of slot s on line[pos:end] with
// the engine's search. It reports whether the search matched.
func checkSearch(t testing.TB, d *Detector, s *slot, line string, pos, end int) bool {
	t.Helper()
	d.startLine()
	d.stepErr = nil
	got := d.search(s, line, pos, end)
	loc, err := s.t.re.AppendSearchAt(nil, line[:min(end, len(line))], max(pos, 0))
	if errors.Is(err, pyre.ErrBacktrackLimit) {
		return false
	}
	if got != (loc != nil) || got && !slices.Equal(d.caps, loc) {
		t.Fatalf("%s on %q from %d to %d: search %v %v, engine %v", s.t.name, line, pos, end, got, d.caps, loc)
	}
	return got
}

// TestSearchISOEqualsEngine checks the ISO templates' searches (first
// start, direct matcher) against the engine's, from several positions.
func TestSearchISOEqualsEngine(t *testing.T) {
	d := needsDetector(t)
	for _, s := range isoSlots(t, d) {
		matched := 0
		for _, l := range isoLines() {
			for _, pos := range []int{0, 1, 4, 6, len(l) / 2} {
				for _, end := range []int{len(l), len(l) - 1, 25} {
					if pos <= len(l) && end >= 0 && checkSearch(t, d, s, l, pos, end) {
						matched++
					}
				}
			}
		}
		if matched < 1000 {
			t.Errorf("%s: only %d searches matched", s.t.name, matched)
		}
	}
}

// FuzzSearchISO checks the ISO templates' searches against the engine's
// on arbitrary lines, from every position.
func FuzzSearchISO(f *testing.F) {
	for _, l := range isoLines()[:100] {
		f.Add(l)
	}
	d := needsDetector(f)
	slots := isoSlots(f, d)
	f.Fuzz(func(t *testing.T, line string) {
		for _, s := range slots {
			for pos := 0; pos <= len(line); pos++ {
				checkSearch(t, d, s, line, pos, len(line))
			}
		}
	})
}
