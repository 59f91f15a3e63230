package datedetect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// rng is a small deterministic generator for mutation tests.
type rng uint64

func (r *rng) intn(n int) int {
	*r = *r*6364136223846793005 + 1442695040888963407
	return int(uint64(*r>>33) % uint64(n))
}

// mutateAlphabet holds the characters that matter to the fast shapes,
// plus bytes that make the fast path give up.
var mutateAlphabet = []string{
	"0", "1", "2", "3", "5", "6", "9", " ", "  ", ":", "-", "/", ".", ",", "+", "T", "t", "Z", "z", "U", "C",
	"GMT", "utc", "Jan", "dec", "Sun", "mon", "x", "_", "\t", "[", "]", "é", "\xff", "٣", "ſ", "K",
	"2005", "2031", "1999", "+01:00", "-0400", "    ",
}

// mutate applies a few random edits to line.
func mutate(r *rng, line string) string {
	b := []byte(line)
	for n := 1 + r.intn(3); n > 0; n-- {
		piece := mutateAlphabet[r.intn(len(mutateAlphabet))]
		pos := 0
		if len(b) > 0 {
			pos = r.intn(len(b) + 1)
		}
		switch r.intn(3) {
		case 0: // insert
			b = slices.Insert(b, pos, []byte(piece)...)
		case 1: // replace
			if pos < len(b) {
				end := min(pos+len(piece), len(b))
				b = slices.Replace(b, pos, end, []byte(piece)...)
			}
		default: // delete
			if pos < len(b) {
				b = slices.Delete(b, pos, min(pos+1+r.intn(3), len(b)))
			}
		}
	}
	return string(b)
}

// directLines are the fast corpus and mutations of it.
func directLines(n int) []string {
	lines := fastCorpus()
	r := rng(1)
	base := len(lines)
	for i := 0; i < n; i++ {
		l := lines[r.intn(base)]
		lines = append(lines, mutate(&r, l))
	}
	return lines
}

// checkDirectAt compares the direct matcher of tpl at i with the engine:
// when the direct matcher matches at i, a search from i (Python's
// pattern.search(line, i, end)) must find the same match. It reports
// whether the direct matcher answered.
func checkDirectAt(t testing.TB, tpl *template, line string, i, end int) bool {
	t.Helper()
	f := tpl.fast
	n := 2 * (f.ncap + 1)
	caps := make([]int, n)
	for k := range caps {
		caps[k] = -7
	}
	caps[0] = i
	if !f.matchDirect(line, i, end, caps) {
		return false
	}
	if slices.Contains(caps, -7) {
		t.Fatalf("%s on %q at %d: direct matcher left captures unset: %v", tpl.name, line, i, caps)
	}
	loc, err := tpl.re.AppendSearchAt(nil, line[:min(end, len(line))], i)
	if err != nil || loc == nil {
		t.Fatalf("%s on %q at %d: direct matcher matched %v, the engine did not (%v)", tpl.name, line, i, caps, err)
	}
	if !slices.Equal(caps, loc) {
		t.Fatalf("%s on %q at %d: direct caps %v, engine caps %v", tpl.name, line, i, caps, loc)
	}
	// the lane's field values are parseFields'
	if f.lane {
		var lv, pv dateFields
		if laneFields(line, &f.laneGroups, caps, &lv) {
			var d Detector
			if err := d.parseFields(line, tpl, caps, &pv); err != nil {
				t.Fatalf("%s on %q: parseFields failed (%v) where laneFields read %+v", tpl.name, line, err, lv)
			}
			if lv != pv {
				t.Fatalf("%s on %q: laneFields %+v, parseFields %+v", tpl.name, line, lv, pv)
			}
		}
	}
	return true
}

// TestDirectEqualsEngine compares the direct matchers with the engine at
// every start position of the corpus and of mutated lines.
func TestDirectEqualsEngine(t *testing.T) {
	tpls := fastTemplates(t)
	answered := map[string]int{}
	for _, tpl := range tpls {
		if !tpl.fast.directOK || !tpl.fast.lane {
			t.Errorf("%s: no direct matcher or lane", tpl.name)
		}
	}
	lines := directLines(30000)
	if root, ok := f2bRootIfAvailable(t); ok {
		for _, ls := range sampleLogs(t, root) {
			lines = append(lines, ls...)
		}
	}
	for _, l := range lines {
		for _, tpl := range tpls {
			for i := 0; i <= len(l); i++ {
				if tpl.fast.anchored && i > 0 {
					break
				}
				if checkDirectAt(t, tpl, l, i, len(l)) {
					answered[tpl.name]++
				}
			}
		}
	}
	for _, tpl := range tpls {
		if answered[tpl.name] < 100 {
			t.Errorf("%s: direct matcher answered only %d times", tpl.name, answered[tpl.name])
		}
	}
	t.Logf("%d lines, direct answers: %v", len(lines), answered)
}

// laneConfigs are detector settings for comparing the lane with the
// general path: clocks around New Year and daylight-saving changes, zones.
func laneConfigs(t testing.TB) []Options {
	zu := zurich(t)
	var out []Options
	for _, now := range []time.Time{
		time.Unix(testNow, 0),
		time.Date(2005, 1, 1, 0, 30, 0, 0, zu),
		time.Date(2004, 12, 31, 23, 59, 59, 999999600, zu),
		time.Date(2005, 3, 27, 2, 30, 0, 0, time.UTC),
		time.Date(2005, 10, 30, 0, 59, 59, 0, time.UTC),
		time.Date(2008, 2, 29, 12, 0, 0, 0, zu),
	} {
		for _, loc := range []*time.Location{zu, time.UTC} {
			for _, tz := range []string{"", "UTC+0300", "-0130"} {
				for _, pattern := range []string{"", "{^LN-BEG}", `^[^\[]*\[({DATE})` + "\n{^LN-BEG}"} {
					now := now
					out = append(out, Options{DatePattern: pattern, LogTimeZone: tz, Location: loc,
						Now: func() time.Time { return now }, Startup: testStartup})
				}
			}
		}
	}
	return out
}

// detectorPair is a detector with the fast paths and one without.
type detectorPair struct{ fast, slow *Detector }

func newDetectorPair(t testing.TB, o Options) detectorPair {
	t.Helper()
	fast, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	slow.noFast = true
	return detectorPair{fast, slow}
}

// compare feeds lines to both detectors and fails on the first
// difference.
func (p detectorPair) compare(t testing.TB, lines []string) {
	t.Helper()
	for _, l := range lines {
		gf, okf := p.fast.Detect(l)
		gs, oks := p.slow.Detect(l)
		if okf != oks || fmt.Sprint(gf) != fmt.Sprint(gs) {
			t.Fatalf("now %v line %q:\n fast %v %+v\n slow %v %+v", p.fast.now(), l, okf, gf, oks, gs)
		}
	}
	if a, b := p.fast.Templates(), p.slow.Templates(); !slices.Equal(a, b) {
		t.Fatalf("template order differs:\n%v\n%v", a, b)
	}
}

// compareDetectors compares a new detector pair for o on lines. It
// returns how many lines the lane answered.
func compareDetectors(t testing.TB, o Options, lines []string) int {
	t.Helper()
	p := newDetectorPair(t, o)
	p.compare(t, lines)
	return p.fast.laneHits
}

// laneSequences are runs of similar lines (as in a log) built from the
// corpus: each run repeats mutations of one line, so the lane is taken
// often and also left.
func laneSequences() [][]string {
	r := rng(7)
	corpus := fastCorpus()
	corpus = append(corpus,
		"Dec 31 23:59:59 host x", "Jan  1 00:00:01 host y", "Feb 29 12:00:00 host z", "Mar 27 02:30:00 host dst",
		"Oct 30 02:30:00 host dst", "2005-03-27 02:30:00 x", "2005-10-30 02:30:00 x", "2004-12-31 23:59:59 +01:00 x",
		`192.0.2.1 - - [31/Dec/2004:23:59:59 +0100] "GET /"`, "Jan 01 00:00:00.5 2005 x", "Dec 31 23:59:60 x",
	)
	var out [][]string
	for k := 0; k < 250; k++ {
		base := corpus[r.intn(len(corpus))]
		var run []string
		for n := 3 + r.intn(8); n > 0; n-- {
			if r.intn(3) == 0 {
				run = append(run, mutate(&r, base))
			} else {
				run = append(run, base)
			}
		}
		out = append(out, run)
	}
	return out
}

// TestLaneEqualsGeneral compares detectors with and without the fast
// paths (direct matchers, lane) on runs of similar lines under many
// clocks and zones.
func TestLaneEqualsGeneral(t *testing.T) {
	seqs := laneSequences()
	var all []string
	for _, s := range seqs {
		all = append(all, s...)
	}
	hits := 0
	for _, o := range laneConfigs(t) {
		hits += compareDetectors(t, o, all)
	}
	if hits < len(all) {
		t.Errorf("the lane answered only %d times", hits)
	}
	t.Logf("the lane answered %d of %d lines", hits, len(all)*len(laneConfigs(t)))
}

// FuzzLane compares detectors with and without the fast paths on lines
// split at newlines, under some clocks and zones of laneConfigs. The
// detectors live across inputs; both see the same history.
func FuzzLane(f *testing.F) {
	for _, s := range laneSequences()[:8] {
		f.Add(strings.Join(s[:min(4, len(s))], "\n"))
	}
	// a sample of the configurations: building detectors is slow under
	// the fuzzer's instrumentation
	var pairs []detectorPair
	for i, o := range laneConfigs(f) {
		if i%18 == 0 {
			pairs = append(pairs, newDetectorPair(f, o))
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		for _, p := range pairs {
			p.compare(t, lines)
		}
	})
}

// FuzzDirect compares the direct matchers with the engine at every start
// position of arbitrary lines.
func FuzzDirect(f *testing.F) {
	for _, l := range fastCorpus() {
		f.Add(l)
	}
	tpls := fastTemplates(f)
	f.Fuzz(func(t *testing.T, line string) {
		for _, tpl := range tpls {
			for i := 0; i <= len(line); i++ {
				if tpl.fast.anchored && i > 0 {
					break
				}
				checkDirectAt(t, tpl, line, i, len(line))
			}
		}
	})
}

// TestNameKeys checks the packed-name lookups against the name lists on
// every three-letter combination.
func TestNameKeys(t *testing.T) {
	const letters = "abcdefghijklmnopqrstuvwxyzAJSDM_ 1"
	for _, a := range []byte(letters) {
		for _, b := range []byte(letters) {
			for _, c := range []byte(letters) {
				s := string([]byte{a, b, c})
				wm, okm := nameIndex(monthAbbr, s)
				wd, okd := nameIndex(dayAbbr, s)
				if !okm {
					wm = -1
				}
				if !okd {
					wd = -1
				}
				if got := monthAt(s, 0, 3); got != wm {
					t.Fatalf("monthAt(%q) = %d, want %d", s, got, wm)
				}
				if got := weekdayAt(s, 0, 3); got != wd {
					t.Fatalf("weekdayAt(%q) = %d, want %d", s, got, wd)
				}
			}
		}
	}
}

// TestPyIntFast compares pyInt with a plain transcription of Python's
// int(str) on short strings.
func TestPyIntFast(t *testing.T) {
	const chars = " 09-+_\t\xc2\xa0٣"
	var gen func(s string, n int)
	gen = func(s string, n int) {
		v, ok := pyInt(s)
		wv, wok := pyIntRef(s)
		if ok != wok || (ok && v != wv) {
			t.Fatalf("pyInt(%q) = %d %v, want %d %v", s, v, ok, wv, wok)
		}
		if n == 0 {
			return
		}
		for _, r := range chars {
			gen(s+string(r), n-1)
		}
	}
	gen("", 5)
	for _, s := range []string{"123456789", "1234567890", " 1234567890 ", "0000000000000001", "1_000"} {
		gen(s, 0)
	}
}

// pyIntRef is Python's int(str) for decimal strings, written for clarity.
func pyIntRef(s string) (int, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return isPySpace(r) })
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	v, n := 0, 0
	for _, r := range s {
		if r == '_' {
			continue
		}
		d := digitValue(r)
		if d < 0 {
			return 0, false
		}
		if n++; n > 15 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// TestClockSet compares the reused clock with one built from scratch for
// times around second boundaries, in order and at random.
func TestClockSet(t *testing.T) {
	zu := zurich(t)
	fresh := func(now time.Time, loc *time.Location) clock {
		r := now.Round(time.Microsecond)
		l := r.In(loc)
		return clock{now: now, sec: r.Unix(),
			naive: civil{l.Year(), int(l.Month()), l.Day(), l.Hour(), l.Minute(), l.Second()}.seconds(),
			year:  l.Year(), month: int(l.Month()), day: l.Day()}
	}
	for _, loc := range []*time.Location{time.UTC, zu} {
		var c clock
		x := rng(3)
		base := time.Date(2005, 3, 27, 0, 59, 58, 0, time.UTC)
		for i := 0; i < 200000; i++ {
			var now time.Time
			if i%2 == 0 {
				now = base.Add(time.Duration(i) * 37 * time.Microsecond)
			} else {
				now = base.Add(time.Duration(x.intn(4000)) * time.Millisecond).Add(time.Duration(999999000 + x.intn(1000)))
			}
			c.set(now, loc)
			if w := fresh(now, loc); c != w {
				t.Fatalf("clock for %v: %+v, want %+v", now, c, w)
			}
		}
	}
}
