package datedetect

import "testing"

// TestNeedsSharp checks the needs on lines at the limits of the hour's
// lead, the early colon, the year's separator and TAI64N, and that each
// of these needs refuses some of them.
func TestNeedsSharp(t *testing.T) {
	var lines []string
	for _, pre := range []string{"", " ", "x", "T", ":", "@", "1", "12", "2005", "05", "-", "<", "<1/2/05", "  "} {
		for _, d := range []string{"1:02:03", "12:02:03", "123:4:5", "1:2", "21:59:59 PM", "2005-01-23", "2005/1/2",
			"2005.1.2 3:04:05", "12005-1-2T3:04:05", "@4000000042ff1a4c1b2d3e4f", "@4000000042FF1A4C1B2D3E4F",
			"@4000000042ff1a4c1b2d3e4", "Jan 23 2005 1:02:03", "23-01-2005 1:02:03", "05/20/2008:01:57:39"} {
			for _, post := range []string{"", " x", "0", ":00"} {
				lines = append(lines, pre+d+post)
			}
		}
	}
	r := rng(5)
	for i, n := 0, len(lines); i < n; i++ {
		lines = append(lines, mutate(&r, lines[i]), mutate(&r, lines[i]))
	}
	d := needsDetector(t)
	for _, l := range lines {
		checkNeeds(t, d, l)
	}
	// each need refuses a template on some line that only it refuses
	for _, c := range []struct {
		name string
		n    need
	}{{"lead", need{any: true, lead: leadSpace}}, {"early", need{any: true, early: true}}, {"yearSep", need{any: true, yearSep: numDash}},
		{"tai", need{any: true, tai: true}}} {
		refused := 0
		for _, l := range lines {
			d.startLine()
			if !d.mayHold(&template{need: c.n}, l) {
				refused++
			}
		}
		if refused == 0 {
			t.Errorf("need %s refused no line", c.name)
		}
	}
}
