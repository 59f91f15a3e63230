package datedetect

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/pyre"
)

func newTestDetector(t *testing.T, opts Options) *Detector {
	t.Helper()
	if opts.Location == nil {
		opts.Location = zurich(t)
	}
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	if opts.Startup.IsZero() {
		opts.Startup = testStartup
	}
	d, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return d
}

// TestDetect covers cases whose expected values come from fail2ban's own
// date detector tests (CET/CEST, now = 2005-08-14 12:00 CEST).
func TestDetect(t *testing.T) {
	utc := func(y, mo, d, h, mi, s int) float64 {
		return float64(time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC).Unix())
	}
	tests := []struct {
		name, pattern, tz, line string
		want                    float64
		start, end              int
		err                     error
	}{
		{"syslog", "", "", "Jan 23 21:59:59 [sshd] error: PAM: Authentication failure", 1106513999, 0, 15, nil},
		{"future means last year", "", "", "Sep 14 12:00:00 x", utc(2004, 9, 14, 10, 0, 0), 0, 15, nil},
		{"iso with zone", "", "", "2005-01-23T21:59:59.981746+01:00 x", utc(2005, 1, 23, 20, 59, 59), 0, 32, nil},
		{"epoch fraction", "", "", "1106513999.500 x", 1106513999.5, 0, 14, nil},
		{"apache", "", "", `192.0.2.1 - - [23/Jan/2005:21:59:59 -0400] "GET /"`, utc(2005, 1, 24, 1, 59, 59), 15, 41, nil},
		{"invalid date", "", "", "Feb 30 10:00:00 x", 0, 0, 15, ErrInvalidDate},
		{"unknown zone", "", "", "XYZ Jan 23 21:59:59 x", 0, 0, 19, ErrLineRejected},
		{"logtimezone UTC+0300", `^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?`, "UTC+0300", "2017-01-23 15:00:00", utc(2017, 1, 23, 12, 0, 0), 0, 19, nil},
		{"logtimezone GMT+12", `^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?`, "GMT+12", "2017-01-23 15:00:00", utc(2017, 1, 23, 3, 0, 0), 0, 19, nil},
		{"explicit zone wins", `^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?`, "GMT+12", "2017-01-23 15:00:00 CET+0130", utc(2017, 1, 23, 12, 30, 0), 0, 28, nil},
		{"CEST", `^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?`, "CEST", "2017-01-23 15:00:00", utc(2017, 1, 23, 13, 0, 0), 0, 19, nil},
		{"tai64n", "", "", "@4000000042ff1a4c1b2d3e4f x", float64(0x0000000042ff1a4c), 0, 25, nil},
		{"none", "{NONE}", "", "anything", testNow, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDetector(t, Options{DatePattern: tt.pattern, LogTimeZone: tt.tz})
			m, ok := d.Detect(tt.line)
			if !ok {
				t.Fatalf("Detect(%q): no match", tt.line)
			}
			if !errors.Is(m.Err, tt.err) {
				t.Fatalf("Detect(%q).Err = %v, want %v", tt.line, m.Err, tt.err)
			}
			if got, want := [2]int{m.Start, m.End}, [2]int{tt.start, tt.end}; got != want {
				t.Errorf("span = %v, want %v", got, want)
			}
			if tt.err == nil && m.Time != tt.want {
				t.Errorf("Time = %f, want %f", m.Time, tt.want)
			}
		})
	}
}

func TestStripDate(t *testing.T) {
	d := newTestDetector(t, Options{})
	line := "Jan 23 21:59:59 host sshd[1]: fail"
	m, ok := d.Detect(line)
	if !ok {
		t.Fatal("no match")
	}
	if got, want := StripDate(line, m), " host sshd[1]: fail"; got != want {
		t.Errorf("StripDate = %q, want %q", got, want)
	}
	if got := StripDate("x", Match{Start: -1, End: -1}); got != "x" {
		t.Errorf("StripDate without span = %q", got)
	}
}

func TestNewErrors(t *testing.T) {
	for _, o := range []Options{
		{DatePattern: "100%"},
		{DatePattern: "%H %H"},
		{DatePattern: "%Y("},
		{LogTimeZone: "WRONG-TZ"},
	} {
		o.Location, o.Now = time.UTC, fixedNow
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded, want error", o)
		}
	}
}

// TestDigitValue checks that every character the templates' \d matches
// maps to 0..9 in order (each Nd range is made of whole 0..9 runs).
func TestDigitValue(t *testing.T) {
	digit := pyre.MustCompile(`\A\d\Z`)
	for r := rune(0); r < 0x20000; r++ {
		if ok, _ := digit.MatchString(string(r)); !ok || r == utf8.RuneError {
			continue
		}
		v := digitValue(r)
		if v < 0 || v > 9 {
			t.Fatalf("digitValue(%U) = %d", r, v)
		}
		if v > 0 && digitValue(r-1) != v-1 {
			t.Fatalf("digitValue(%U) = %d but previous is %d", r, v, digitValue(r-1))
		}
	}
}
