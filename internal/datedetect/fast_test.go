package datedetect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// fastTemplates returns the templates of a default detector that have a
// fast matcher.
func fastTemplates(t testing.TB) []*template {
	t.Helper()
	d, err := New(Options{Location: time.UTC, Now: fixedNow, Startup: testStartup})
	if err != nil {
		t.Fatal(err)
	}
	d.Templates() // builds the templates
	var out []*template
	for _, s := range d.slots {
		if s.t.fast != nil {
			out = append(out, s.t)
		}
	}
	return out
}

// TestFastAttached makes sure the lane stays attached to the templates it
// was written for: if a template's regex changes, the lane silently turns
// itself off and this test notices.
func TestFastAttached(t *testing.T) {
	var names []string
	for _, tpl := range fastTemplates(t) {
		names = append(names, tpl.name)
	}
	want := []string{
		"{^LN-BEG}ExYear(?P<_sep>[-/.])Month(?P=_sep)Day(?:T|  ?)24hour:Minute:Second(?:[.,]Microseconds)?(?:\\s*Zone offset)?",
		"{^LN-BEG}(?:DAY )?MON Day %k:Minute:Second(?:\\.Microseconds)?(?: ExYear)?",
		"{^LN-BEG}Day(?P<_sep>[-/])MON(?P=_sep)ExYear[ :]?24hour:Minute:Second(?:\\.Microseconds)?(?: Zone offset)?",
		"ExYear(?P<_sep>[-/.])Month(?P=_sep)Day(?:T|  ?)24hour:Minute:Second(?:[.,]Microseconds)?(?:\\s*Zone offset)?",
		"(?:DAY )?MON Day %k:Minute:Second(?:\\.Microseconds)?(?: ExYear)?",
		"Day(?P<_sep>[-/])MON(?P=_sep)ExYear[ :]?24hour:Minute:Second(?:\\.Microseconds)?(?: Zone offset)?",
	}
	if !slices.Equal(names, want) {
		t.Errorf("templates with a fast matcher:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	// A user pattern spelling out a default template gets it too.
	d, err := New(Options{DatePattern: "^%b %d %H:%M:%S\n{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?", Location: time.UTC, Now: fixedNow, Startup: testStartup})
	if err != nil {
		t.Fatal(err)
	}
	d.Templates() // builds the templates
	if d.slots[0].t.fast != nil || d.slots[1].t.fast == nil {
		t.Errorf("fast matchers for %v: %v, %v; want only the second", d.Templates(), d.slots[0].t.fast != nil, d.slots[1].t.fast != nil)
	}
}

// fastCorpus are lines near the accepted shapes: variants of each field
// width, separators, zones, fractions, boundaries, and non-ASCII bytes.
func fastCorpus() []string {
	lines := []string{
		"Jan 23 21:59:59 host sshd[1234]: Failed password",
		"Jan  3 01:02:03 host x", "Jan 03 1:2:3 x", "jan 31 23:59:60.123456 2005 x", "Sun Jan 23 21:59:59 2005 x",
		"SUN JAN 23 21:59:59.1234567 x", "Mon Jan 23 21:59:59x", "Jan 23 21:59:59_", "Jan 23 21:59:59 2005x",
		"Jan 23 21:59:5", "Jan 23 21:59", "Jan 32 21:59:59", "Jan 30 29:59:61 x", "Jan 3 21:59:59", "Jan 0 21:59:59",
		"Jan 23 21:59:59 20051", "Jan 23 21:59:59 1999", "Jan 23  21:59:59", "Jan 23   21:59:59",
		"-- Jan 23 21:59:59", "--- Jan 23 21:59:59", "[Jan 23 21:59:59]", "xJan 23 21:59:59", "x Jan 23 21:59:59",
		"Jan 23 21:59:59.", "Jan 23 21:59:59.x", "Jan 23 21:59:59\n", "Jan 23 21:59:59é", "é Jan 23 21:59:59",
		"Jan 2٣ 21:59:59", "ſep 23 21:59:59", "Sep 23 21:59:59 ſ",
		"2005-01-23T21:59:59.981746+01:00 x", "2005-01-23 21:59:59Z", "2005-01-23 21:59:59 -04 x", "2005-01-23 21:59:59 +05:45",
		"2005-01-23  8:59:59 x", "2005/1/3 1:2:3", "2005.01.23 21:59:59", "2005-01/23 21:59:59", "2005-01-23t21:59:59",
		"2005-01-23 21:59:59,123 UTC", "2005-01-23 21:59:59    GMT", "2005-01-23 21:59:59\t\tutc", "2005-01-23 21:59:59+0130",
		"2005-01-23 21:59:59+013", "2005-01-23 21:59:59+01:3", "2005-01-23 21:59:59+2", "2005-01-23 21:59:59 +01:30x",
		"2005-13-23 21:59:59", "2005-10-23 24:59:59", "2005-1-32 21:59:59", "1999-01-23 21:59:59", "2031-01-23 21:59:59",
		"12005-01-23 21:59:59", "x2005-01-23 21:59:59", "2005-01-23 21:59:59ZZ", "2005-01-23 21:59:59 Z",
		`192.0.2.1 - - [23/Jan/2005:21:59:59 +0100] "GET /"`, "23-Jan-2005 15:20:52.252 +0200", "23/jan/2005 21:59:59",
		"23/Jan-2005:21:59:59", "3/Jan/2005:1:2:3 z", "31/Jan/2005:21:59:59 utc", "[23/Jan/2005:21:59:59 +01:00]",
		"23/Jan/2005:21:59:59.1234567", "23/Jan/2005::21:59:59", "192.0.2.1 23/Jan/2005:21:59:59", "1/2/3/23/Jan/2005 21:59:59",
		"", "x", " ", "  ", "-", "Jan", "2005", "23/",
	}
	return lines
}

// TestFastDetector runs whole detectors with and without the lane
// over the sample logs and the corpus and requires identical results,
// including template order (hit counting and reordering see the same
// searches).
func TestFastDetector(t *testing.T) {
	var inputs [][]string
	inputs = append(inputs, fastCorpus(), syntheticJobs()[2].Lines)
	if root, ok := f2bRootIfAvailable(t); ok {
		logs := sampleLogs(t, root)
		var all []string
		for _, n := range slices.Sorted(mapsKeys(logs)) {
			if !raceEnabled {
				// each log on fresh detectors (under the race detector,
				// where building detectors is slow, only all together)
				inputs = append(inputs, logs[n])
			}
			all = append(all, logs[n]...)
		}
		inputs = append(inputs, all)
	}
	for _, pattern := range []string{"", "{^LN-BEG}", `^[^\[]*\[({DATE})` + "\n{^LN-BEG}"} {
		for _, tz := range []string{"", "UTC+0300"} {
			for k, lines := range inputs {
				mk := func(noFast bool) *Detector {
					d, err := New(Options{DatePattern: pattern, LogTimeZone: tz, Location: zurich(t), Now: fixedNow, Startup: testStartup})
					if err != nil {
						t.Fatal(err)
					}
					d.noFast = noFast
					return d
				}
				fast, slow := mk(false), mk(true)
				for _, l := range lines {
					gf, okf := fast.Detect(l)
					gs, oks := slow.Detect(l)
					if okf != oks || gf != gs {
						t.Fatalf("pattern %q tz %q input %d line %q:\n fast %v %+v\n slow %v %+v", pattern, tz, k, l, okf, gf, oks, gs)
					}
				}
				if a, b := fast.Templates(), slow.Templates(); !slices.Equal(a, b) {
					t.Fatalf("pattern %q input %d: template order differs:\n%v\n%v", pattern, k, a, b)
				}
			}
		}
	}
}

func mapsKeys(m map[string][]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// FuzzFastDetector compares detectors with and without the lane on
// a sequence of lines (split at newlines), so that template reordering
// and the last-template shortcut are exercised too. The detectors live
// across inputs; both see the same history.
func FuzzFastDetector(f *testing.F) {
	f.Add("Jan 23 21:59:59 x\n2005-01-23 21:59:59 y\n[23/Jan/2005:21:59:59 +0100] z\nJan 24 00:00:01 w")
	f.Add(strings.Join(fastCorpus(), "\n"))
	type pair struct{ fast, slow *Detector }
	var pairs []pair
	for _, pattern := range []string{"", "{^LN-BEG}"} {
		var p pair
		for _, noFast := range []bool{false, true} {
			d, err := New(Options{DatePattern: pattern, Location: time.UTC, Now: fixedNow, Startup: testStartup})
			if err != nil {
				f.Fatal(err)
			}
			d.noFast = noFast
			if noFast {
				p.slow = d
			} else {
				p.fast = d
			}
		}
		pairs = append(pairs, p)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, p := range pairs {
			for _, l := range strings.Split(text, "\n") {
				gf, okf := p.fast.Detect(l)
				gs, oks := p.slow.Detect(l)
				if okf != oks || fmt.Sprint(gf) != fmt.Sprint(gs) {
					t.Fatalf("line %q:\n fast %v %+v\n slow %v %+v", l, okf, gf, oks, gs)
				}
			}
		}
	})
}

// TestLocalUnix compares the cached local-time conversion with time.Date
// across daylight-saving transitions, in order and in random order.
func TestLocalUnix(t *testing.T) {
	for _, name := range []string{"UTC", "Europe/Zurich", "Australia/Lord_Howe", "America/St_Johns", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Apia"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		d := &Detector{loc: loc}
		start := civil{2004, 1, 1, 0, 0, 0}.seconds()
		end := civil{2013, 1, 1, 0, 0, 0}.seconds()
		check := func(n int64) {
			c, _ := civilFromSeconds(n)
			want := time.Date(c.year, time.Month(c.month), c.day, c.hour, c.min, c.sec, 0, loc).Unix()
			if got := d.localUnix(n); got != want {
				t.Fatalf("%s: localUnix(%v) = %d, want %d", name, c, got, want)
			}
		}
		for n := start; n < end; n += 900 {
			check(n)
		}
		x := uint64(1)
		for i := 0; i < 200000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
			check(start + int64(x>>20)%(end-start))
		}
	}
}

// TestNumericZone compares the shortcut for numeric zones with the zone
// regex and the general offset arithmetic, on every string of up to six
// characters from a small alphabet.
func TestNumericZone(t *testing.T) {
	const chars = "+-019:5a "
	var gen func(z string, n int)
	gen = func(z string, n int) {
		if off, ok := numericZone(z); ok {
			caps := rxFind(reZoneSpec, z)
			if caps == nil || groupText(z, caps, 1) != "" {
				t.Fatalf("numericZone(%q) = %d, but the zone regex does not read it as an offset", z, off)
			}
			if want := offsetMinutes(groupText(z, caps, 2)); off != want {
				t.Fatalf("numericZone(%q) = %d, want %d", z, off, want)
			}
		}
		if n == 0 {
			return
		}
		for i := 0; i < len(chars); i++ {
			gen(z+chars[i:i+1], n-1)
		}
	}
	gen("", 6)
}
