package datedetect

import (
	"strings"
	"testing"
	"time"
)

// syslogLaneLines are syslog lines around the form syslogLane takes:
// every byte of the date and of the 16 after it replaced by bytes that
// matter to the template, lines of every length near the limit, dates
// near month and year ends, and hours and days out of range. Each is
// preceded by a plain syslog line, so that the syslog template is the
// last used one when it comes.
func syslogLaneLines() []string {
	const plain = "Jan 23 21:59:59 host sshd[1234]: Failed password"
	bases := []string{
		plain, "Mar  5 01:02:03 h x: y z w v u t", "Feb 05 09:09:09 - - - - - - - - -",
		"Dec 31 23:59:59 host x 0123456789", "Jan 01 00:00:00 host y 0123456789", "Feb 29 12:00:00 host z 0123456789",
		"Feb 30 12:00:00 host z 0123456789", "Apr 31 12:00:00 host z 0123456789", "Mar 27 02:30:00 host dst 01234567",
		"Oct 30 02:30:00 host dst 01234567", "Jan 23 24:00:00 host h 0123456789", "Jan 23 29:59:59 host h 0123456789",
		"Jan 23 21:59:59 2005 host 0123456", "Jan 23 21:59:59 2031 host 0123456", "Jan 23 21:59:59 1999 host 0123456",
		"Jan 23 21:59:59.123 host 01234567", "Jan 23 21:59:59. host 0123456789", "JAN 23 21:59:59 host x 0123456789",
		"Dec 01 00:00:01 host x 0123456789", "Nov 30 23:59:59 host x 0123456789",
	}
	pieces := []string{"0", "1", "2", "3", "5", "6", "9", " ", ":", ".", "-", "x", "_", "\t", "é", "\xff", "2005", "Sun", "mon", "\n"}
	var out []string
	for _, b := range bases {
		out = append(out, plain, b)
		for i := 0; i < 15+directTailLen+2 && i < len(b); i++ {
			for _, p := range pieces {
				out = append(out, plain, b[:i]+p+b[i+1:])
			}
		}
		for n := 14; n <= 34 && n <= len(b); n++ {
			out = append(out, plain, b[:n])
		}
	}
	return out
}

// TestSyslogLane compares detectors with and without the fast paths on
// syslogLaneLines under a sample of laneConfigs' clocks and zones, and checks
// that syslogLane answered most lines it was written for.
func TestSyslogLane(t *testing.T) {
	lines := syslogLaneLines()
	step := 4 // a sample of the configurations, all clocks, zones and patterns among them
	if raceEnabled {
		step = 20
	}
	hits, runs := 0, 0
	for i, o := range laneConfigs(t) {
		if i%step != 0 {
			continue
		}
		p := newDetectorPair(t, o)
		p.compare(t, lines)
		// dates around a day ahead of the time now, where the year
		// changes
		day := o.Now().In(o.Location).Add(24 * time.Hour)
		var near []string
		for s := -2; s <= 2; s++ {
			near = append(near, day.Add(time.Duration(s)*time.Second).Format(time.Stamp)+" host x 0123456789")
		}
		p.compare(t, near)
		hits += p.fast.syslogHits
		runs++
	}
	if n := len(lines) / 2 * runs; hits < n {
		t.Errorf("syslogLane answered %d lines, want at least %d", hits, n)
	}
	t.Logf("syslogLane answered %d of %d lines", hits, len(lines)*runs)
}

// FuzzSyslogLane compares detectors with and without the fast paths on
// lines split at newlines, each after a plain syslog line so that
// syslogLane is tried on it.
func FuzzSyslogLane(f *testing.F) {
	for _, l := range syslogLaneLines()[:64] {
		f.Add(l)
	}
	var pairs []detectorPair
	for i, o := range laneConfigs(f) {
		if i%18 == 0 {
			pairs = append(pairs, newDetectorPair(f, o))
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			lines = append(lines, "Jan 23 21:59:59 host sshd[1234]: Failed password", l)
		}
		for _, p := range pairs {
			p.compare(t, lines)
		}
	})
}

// TestMonthStart compares the remembered month starts with
// daysFromCivil, years and months asked in runs and at random.
func TestMonthStart(t *testing.T) {
	var d Detector
	r := rng(5)
	year := 2005
	for i := 0; i < 100000; i++ {
		if r.intn(50) == 0 {
			year = 1 + r.intn(9999)
		}
		month := 1 + r.intn(12)
		if got, want := d.monthStart(year, month), daysFromCivil(year, month, 1)*86400; got != want {
			t.Fatalf("monthStart(%d, %d) = %d, want %d", year, month, got, want)
		}
	}
}

// TestLastYear compares lastYear with the year before computed through
// civilFromSeconds, for dates shifted by zone offsets across days.
func TestLastYear(t *testing.T) {
	r := rng(9)
	var d Detector
	for i := 0; i < 200000; i++ {
		year, month := 1+r.intn(9999), 1+r.intn(12)
		day := 1 + r.intn(daysIn(year, month))
		secs := civil{year, month, day, r.intn(24), r.intn(60), r.intn(60)}.seconds() + int64(r.intn(2*1440)-1440)*60
		got, ok := d.lastYear(secs, year, month, day)
		cur, _ := civilFromSeconds(secs)
		prev := civil{year - 1, month, day, cur.hour, cur.min, cur.sec}
		if ok != prev.valid() || ok && got != prev.seconds() {
			t.Fatalf("lastYear(%d, %d, %d, %d) = %d, %v; want %d, %v", secs, year, month, day, got, ok, prev.seconds(), prev.valid())
		}
	}
}
