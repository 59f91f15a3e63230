package datedetect

import (
	"testing"
	"time"
)

// FuzzDetect feeds arbitrary lines to detectors with the default, the
// line-begin and a {DATE}-wrapped template set. It checks that Detect
// never panics or loops, that spans lie inside the line and that
// StripDate removes exactly the span.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"Jan 23 21:59:59 host sshd[1]: x",
		"2005-01-23T21:59:59.981746+01:00 x",
		"[23/Jan/2005:21:59:59 +0100] x",
		"[1124013500] x",
		"type=AVC msg=audit(1124013500.123:42): x",
		"@4000000042ff1a4c1b2d3e4f x",
		"XYZ Jan 23 21:59:59",
		"Jan 2٣ 21:59:59 ſep",
		"",
		"\xff\xfe Jan 23 21:59:59",
	} {
		f.Add(s)
	}
	var dets []*Detector
	for _, p := range []string{"", "{^LN-BEG}", `^[^\[]*\[({DATE})`, "{NONE}", "LEPOCH"} {
		d, err := New(Options{DatePattern: p, Location: time.UTC, Now: fixedNow, Startup: testStartup})
		if err != nil {
			f.Fatal(err)
		}
		dets = append(dets, d)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, d := range dets {
			m, ok := d.Detect(line)
			if !ok {
				continue
			}
			if m.Start != -1 || m.End != -1 {
				if m.Start < 0 || m.End < m.Start || m.End > len(line) {
					t.Fatalf("bad span %d..%d for %q", m.Start, m.End, line)
				}
				if got := StripDate(line, m); len(got) != len(line)-(m.End-m.Start) {
					t.Fatalf("StripDate(%q, %d..%d) = %q", line, m.Start, m.End, got)
				}
			}
		}
	})
}
