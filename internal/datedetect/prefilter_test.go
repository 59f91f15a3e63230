package datedetect

import (
	"slices"
	"testing"
	"time"
)

// prefilterPrograms returns the programs of every template of the
// default, {NONE} and LEPOCH detectors, each with a copy that has the
// prefilters of prefilter.go turned off.
func prefilterPrograms(t testing.TB) (with, without []*program) {
	t.Helper()
	for _, dp := range []string{"", "{NONE}", "LEPOCH", `^[^\[]*\[({DATE})`, `^<\d+>\d+\s+{DATE}`} {
		d, err := New(Options{DatePattern: dp, Location: time.UTC, Now: fixedNow, Startup: testStartup})
		if err != nil {
			t.Fatal(err)
		}
		d.Templates() // builds the templates
		for _, s := range d.slots {
			p := s.t.prog
			q := *p
			q.minLen, q.winLen = 0, 0
			with, without = append(with, p), append(without, &q)
		}
	}
	return with, without
}

// checkPrefilter compares a search with and without prefilters.
func checkPrefilter(t testing.TB, p, q *program, line string, pos, end int) {
	var pm, qm machine
	pok, perr := pm.search(p, line, pos, end)
	qok, qerr := qm.search(q, line, pos, end)
	if qerr != nil {
		return // the budget ran out without prefilters
	}
	if perr != nil || pok != qok || (pok && !slices.Equal(pm.caps, qm.caps)) {
		t.Fatalf("regex %q on %q [%d:%d]: prefiltered %v %v %v, plain %v %v", p.names, line, pos, end, pok, perr, pm.caps, qok, qm.caps)
	}
	if pm.steps > qm.steps {
		t.Fatalf("regex %q on %q: %d steps with prefilters, %d without", p.names, line, pm.steps, qm.steps)
	}
}

// TestPrefilterExact compares every template program with and without
// its prefilters on the corpus, sample lines, mutations of them and every
// window of the short lines.
func TestPrefilterExact(t *testing.T) {
	with, without := prefilterPrograms(t)
	lines := append(lazyStreamLines(t), directLines(500)...)
	r := rng(7)
	for i, n := 0, len(lines); i < n; i++ {
		lines = append(lines, mutate(&r, lines[i]))
	}
	for _, l := range lines {
		for k := range with {
			checkPrefilter(t, with[k], without[k], l, 0, len(l))
		}
		if len(l) <= 24 {
			for pos := 0; pos <= len(l); pos++ {
				for end := pos; end <= len(l); end++ {
					for k := range with {
						checkPrefilter(t, with[k], without[k], l, pos, end)
					}
				}
			}
		}
	}
}

// FuzzPrefilter compares every template program with and without its
// prefilters.
func FuzzPrefilter(f *testing.F) {
	for _, l := range fastCorpus() {
		f.Add(l, 0, len(l))
	}
	with, without := prefilterPrograms(f)
	f.Fuzz(func(t *testing.T, line string, pos, end int) {
		for k := range with {
			checkPrefilter(t, with[k], without[k], line, pos, end)
		}
	})
}
