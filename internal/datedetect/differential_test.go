package datedetect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests use Europe/Zurich regardless of the host
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/f2btest"
)

// The fail2ban test suite runs in CET/CEST with "now" fixed at
// 2005-08-14 12:00:00 CEST.
const (
	testNow     = 1124013600
	testZone    = "Europe/Zurich"
	posixZurich = "CET-01CEST-02,M3.5.0,M10.5.0"
)

// testStartup is the wall-clock date from which %ExY accepts years
// (2000-2029); fixed so that results do not depend on the host clock.
var testStartup = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func zurich(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(testZone)
	if err != nil {
		t.Fatalf("load %s: %v", testZone, err)
	}
	return loc
}

func fixedNow() time.Time { return time.Unix(testNow, 0) }

type refJob struct {
	Name        string   `json:"-"`
	Filter      *string  `json:"filter"`
	DatePattern *string  `json:"datepattern"`
	LogTimeZone *string  `json:"logtimezone"`
	Lines       []string `json:"lines"`
}

type refResult struct {
	DatePattern *string              `json:"datepattern"`
	Error       *string              `json:"error"`
	Results     [][5]json.RawMessage `json:"results"`
}

type lineResult struct {
	kind       string
	template   string
	start, end int // bytes
	time       float64
}

func strp(s string) *string { return &s }

// runReference runs jobs through the real fail2ban.
func runReference(t *testing.T, jobs []refJob) []refResult {
	t.Helper()
	root := f2btest.Root(t)
	py := f2btest.RequirePython(t)
	tz := testZone
	if _, err := os.Stat(filepath.Join("/usr/share/zoneinfo", testZone)); err != nil {
		tz = posixZurich
	}
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "reference.py"), tz,
		f2btest.PythonPath(root), filepath.Join(root, "etc", "fail2ban"),
		fmt.Sprint(testNow), fmt.Sprint(testStartup.Unix()))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		f2btest.Require(t, "run fail2ban reference: %v\n%s", err, stderr.String())
	}
	var res []refResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode reference output: %v", err)
	}
	if len(res) != len(jobs) {
		t.Fatalf("reference returned %d results for %d jobs", len(res), len(jobs))
	}
	return res
}

// cpToByte converts a Python string index to a byte offset.
func cpToByte(s string, cp int) int {
	if cp < 0 {
		return cp
	}
	n := 0
	for i := range s {
		if n == cp {
			return i
		}
		n++
	}
	return len(s)
}

func decodeRef(line string, raw [5]json.RawMessage) (lineResult, error) {
	var r lineResult
	var name *string
	var s, e int
	for i, dst := range []any{&r.kind, &name, &s, &e, &r.time} {
		if err := json.Unmarshal(raw[i], dst); err != nil {
			return r, err
		}
	}
	if name != nil {
		// fail2ban names %Exk/%Exl nondeterministically (set order).
		r.template = strings.NewReplacer("Ex%k", "%Exk", "Ex%l", "%Exl").Replace(*name)
	}
	r.start, r.end = cpToByte(line, s), cpToByte(line, e)
	return r, nil
}

func goResult(d *Detector, line string) lineResult {
	m, ok := d.Detect(line)
	r := lineResult{template: m.Template, start: m.Start, end: m.End, time: m.Time}
	switch {
	case !ok:
		r = lineResult{kind: "none", start: -1, end: -1}
	case errors.Is(m.Err, ErrLineRejected):
		r.kind, r.time = "rejected", 0
	case m.Empty():
		r.kind, r.time = "empty", 0
	case errors.Is(m.Err, ErrInvalidDate):
		r.kind, r.time = "invalid", 0
	default:
		r.kind = "ok"
	}
	return r
}

func sameResult(want, got lineResult) bool {
	if want.kind != got.kind {
		return false
	}
	if want.kind == "none" {
		return true
	}
	if want.kind == "rejected" && want.template == "" {
		return true // raised inside template selection: no details
	}
	return want == got
}

// sanitize replaces invalid UTF-8 bytes by U+FFFD, as decoding with
// errors="replace" would, so both sides see the same text.
func sanitize(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += w
	}
	return b.String()
}

// sampleLogs returns the non-comment lines of each fail2ban sample log.
func sampleLogs(t *testing.T, root string) map[string][]string {
	t.Helper()
	dir := filepath.Join(f2btest.PythonPath(root), "fail2ban", "tests", "files", "logs")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read sample logs: %v", err)
	}
	logs := map[string][]string{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := []string{}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimRight(l, "\r\n")
			if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
				continue
			}
			lines = append(lines, sanitize(l))
		}
		logs[e.Name()] = lines
	}
	return logs
}

// syntheticJobs exercise corners the sample logs do not reach.
func syntheticJobs() []refJob {
	edge := []string{
		"Jan 23 21:59:59 host sshd[1]: x",
		"Sep 14 12:00:01 host x",             // future date, no year: last year
		"Aug 15 11:00:00 host x",             // within a day ahead
		"Aug 15 13:00:00 host x",             // more than a day ahead
		"Feb 29 10:00:00 host x",             // last year not a leap year
		"Feb 30 10:00:00 host x",             // invalid date
		"XYZ Jan 23 21:59:59 host x",         // unknown zone abbreviation
		"PDT Apr 16 21:05:29 host x",         // known zone abbreviation
		"abc Jan 23 21:59:59 host x",         // lower-case zone
		"+0200 Dec 31 01:00:00 host x",       // zone offset, no year
		"2005-01-23T21:59:59.981746+01:00 x", // ISO 8601
		"2005-01-23 21:59:59Z x",             //
		"2005-01-23 21:59:59 -04 x",          //
		"2005-01-23 21:59:59 +05:45 x",       //
		"2005-01-23  8:59:59 x",              //
		"20050123T215959 x",                  //
		"[1124013500] x",                     // epoch in brackets
		"1124013500.123456 x",                // epoch with fraction
		"type=USER_LOGIN msg=audit(1124013500.123:42): x",
		"@4000000042ff1a4c1b2d3e4f x",
		"  Jan 23 21:59:59 x", // up to two leading non-word chars
		"x Jan 23 21:59:59 y", // not at line start
		"Jan 23, 2005 9:59:59 PM x",
		"Jan 23, 2005 12:59:59 AM x",
		"23/01/05 21:59:59 x",
		"23-01-2005 21:59:59 x",
		"[23/Jan/2005:21:59:59 +0100] x",
		"23-Jan-2005 21:59:59.252 x",
		"05/20/2005:01:57:39 x",
		"01-27-2005 16:22:44.252 x",
		"050123 21:59:59 x",
		"<01/23/05@21:59:59> x",
		"Apr-27-05 02:33:06 x",
		"21:59:59 x",
		"Sun Jan 23 21:59:59 2005 x",
		"Sun Jan 23 2005 21:59:59 x",
		"Jan 2٣ 21:59:59 x", // Arabic-Indic digit
		"ſep 23 21:59:59 x", // long s folds to s
		"JAN 23 21:59:59 x",
		"Jan 23 29:59:59 x", // hour out of range
		"Jan 23 21:59:61 x", // second 61
		"é Jan 23 21:59:59 x",
		"",
		"x",
		"2005-13-23 21:59:59 x",
		"1999-01-23 21:59:59 x",
		"2031-01-23 21:59:59 x",
	}
	// Same lines again in a different order exercise template reordering.
	mixed := append(append([]string{}, edge[20:]...), edge[:20]...)
	// Two templates read "01-02-2005" differently (day-month or
	// month-day); which one wins depends on how fail2ban has reordered
	// its templates by earlier hits.
	var reorder []string
	for i := 0; i < 6; i++ {
		reorder = append(reorder, "x 01-27-2005 10:00:00 y", "y Jan 23 21:59:59 z", "x 01-02-2005 10:00:00 y")
	}
	reorder = append(reorder, "x 23-01-2005 10:00:00 y", "x 23-01-2005 10:00:00 y", "y Jan 23 21:59:59 z", "x 01-02-2005 10:00:00 y")
	jobs := []refJob{
		{Name: "edge/reorder", Lines: reorder},
		{Name: "edge/reorder-ambiguous-first", Lines: append([]string{"x 01-02-2005 10:00:00 y"}, reorder...)},
		{Name: "edge/default", Lines: edge},
		{Name: "edge/default-mixed", Lines: mixed},
		{Name: "edge/lnbeg", DatePattern: strp("{^LN-BEG}"), Lines: edge},
		{Name: "edge/utc", LogTimeZone: strp("UTC"), Lines: edge},
		{Name: "edge/utc+0300", LogTimeZone: strp("UTC+0300"), Lines: edge},
		{Name: "edge/-0430", LogTimeZone: strp("-04:30"), Lines: edge},
		{Name: "edge/CEST", LogTimeZone: strp("CEST"), Lines: edge},
		{Name: "edge/none", DatePattern: strp("{NONE}"), Lines: edge},
		{Name: "edge/epoch", DatePattern: strp("EPOCH"), Lines: edge},
		{Name: "edge/lnbeg-epoch", DatePattern: strp("{^LN-BEG}EPOCH"), Lines: edge},
		{Name: "edge/tai64n", DatePattern: strp("TAI64N"), Lines: edge},
		{Name: "edge/date-wrap", DatePattern: strp(`^\S+ {DATE}`), Lines: edge},
		{Name: "edge/lnbeg-date", DatePattern: strp(`{^LN-BEG}{DATE}`), Lines: edge},
		{Name: "edge/multi", DatePattern: strp("^%b %d, %ExY %I:%M:%S %p\n^WARNING:()**\n{^LN-BEG}"), Lines: edge},
	}
	custom := []struct {
		pattern string
		lines   []string
	}{
		{`^%Y-%m-%d %H:%M:%S`, []string{"2005-01-23 21:59:59 x", "0000-01-23 21:59:59 x", "9999-12-31 23:59:59 x"}},
		{`^%ExY-%Exm-%Exd %H:%M:%S(?: ?%Exz)?`, []string{"2017-01-23 15:00:00", "2017-01-23 15:00:00 CET+0130", "2017-01-23 15:00:00 -10:45", "2017-01-23 15:00:00 QQQ", "2017-01-23 15:00:00 GMT+12"}},
		{`^%d/%b/%Y:%H:%M:%S %z`, []string{"23/Jan/2005:21:59:59 +0100 x", "23/jan/2005:21:59:59 -0000 x"}},
		{`^%a %B %d %H:%M:%S %Y`, []string{"Sun January 23 21:59:59 2005", "Xyz January 23 21:59:59 2005"}},
		{`^%A, %d %b %Y %H:%M:%S`, []string{"Sunday, 23 Jan 2005 21:59:59"}},
		{`^%j %Y %H:%M`, []string{"023 2005 21:59", "366 2005 21:59", "060 2004 10:00"}},
		{`^%Y %U %w %H:%M`, []string{"2005 03 0 21:59", "2005 00 1 10:00"}},
		{`^%Y %W %a %H:%M`, []string{"2005 03 Sun 21:59", "2005 00 Mon 10:00"}},
		{`^%y%m%d %I:%M:%S(?: %p)?`, []string{"050123 09:59:59 pm", "050123 12:00:00", "991231 12:00:00 am"}},
		{`^%m/%d %H:%M`, []string{"01/23 21:59"}},
		{`^%H:%M:%S`, []string{"11:59:59 x", "12:00:01 x", "23:00:00 x"}},
		{`^%c`, []string{"Sun Jan 23 21:59:59 2005 x"}},
		{`^%x %X`, []string{"01/23/05 21:59:59 x"}},
		{`^%Exk:%M %d.%m.%Y`, []string{" 9:59 23.01.2005"}},
		{`^%Y-%m-%dT%H:%M:%S(?P<Z>[A-Z]+)?`, []string{"2005-01-23T21:59:59CEST", "2005-01-23T21:59:59"}},
		{`^foo {EPOCH}`, []string{"foo 1124013500 x", "foo 1124013500.5 x"}},
		{`^foo {LEPOCH}`, []string{"foo 1124013500123 x", "foo 1124013500123456 x", "foo 1124013500123.456 x"}},
		{`LEPOCH`, []string{"1124013500123 x", "1124013500123456 x", "1124013500 x"}},
		{`^%m-%d`, []string{"01-23 x"}},
		{`^%d`, []string{"23 x"}},
		{`%H:%M:%S\s*$`, []string{"x 21:59:59", "x 21:59:59 y"}},
		{`(?i)^%b %d`, []string{"jan 23 x"}},
		{`^(?:\[)?%Y/%m/%d %H:%M:%S(?:\])?`, []string{"[2005/01/23 21:59:59] x", "2005/01/23 21:59:59 x"}},
		{`%Y-%m-%d %H:%M:%S **`, []string{"x2005-01-23 21:59:59x", "2005-01-23 21:59:59"}},
		{`^%Y-%m-%d (%H):%M`, []string{"2005-01-23 21:59 x"}},
		{`100%`, []string{"x"}},
		{`^%H %H`, []string{"x"}},
		{`%Y(?i)-%m`, []string{"2005-01"}},
	}
	for _, c := range custom {
		jobs = append(jobs, refJob{Name: "custom/" + c.pattern, DatePattern: strp(c.pattern), Lines: c.lines})
	}
	return jobs
}

// TestDifferential compares the Detector with fail2ban's DateDetector on
// every line of every fail2ban sample log (with the default templates and
// with the datepattern of the matching filter) and on synthetic corner
// cases.
func TestDifferential(t *testing.T) {
	root := f2btest.Root(t)
	logs := sampleLogs(t, root)
	names := make([]string, 0, len(logs))
	for n := range logs {
		names = append(names, n)
	}
	sort.Strings(names)
	var jobs []refJob
	for _, n := range names {
		jobs = append(jobs, refJob{Name: n + "/default", Lines: logs[n]})
		if _, err := os.Stat(filepath.Join(root, "etc", "fail2ban", "filter.d", n+".conf")); err == nil {
			jobs = append(jobs, refJob{Name: n + "/filter", Filter: strp(n), Lines: logs[n]})
		}
	}
	sampleJobs := len(jobs)
	jobs = append(jobs, syntheticJobs()...)
	ref := runReference(t, jobs)

	loc := zurich(t)
	var agree, disagree, sampleAgree, sampleDisagree, reported int
	kinds := map[string]int{}
	for i, job := range jobs {
		r := ref[i]
		opts := Options{Location: loc, Now: fixedNow, Startup: testStartup}
		if r.DatePattern != nil {
			opts.DatePattern = *r.DatePattern
		}
		if job.LogTimeZone != nil {
			opts.LogTimeZone = *job.LogTimeZone
		}
		d, err := New(opts)
		if r.Error != nil || err != nil {
			if (r.Error == nil) != (err == nil) {
				t.Errorf("%s: fail2ban error %v, ours %v", job.Name, deref(r.Error), err)
			}
			continue
		}
		for k, line := range job.Lines {
			want, err := decodeRef(line, r.Results[k])
			if err != nil {
				t.Fatalf("%s: decode: %v", job.Name, err)
			}
			got := goResult(d, line)
			kinds[want.kind]++
			if sameResult(want, got) {
				agree++
				if i < sampleJobs {
					sampleAgree++
				}
				continue
			}
			disagree++
			if i < sampleJobs {
				sampleDisagree++
			}
			if reported < 40 {
				reported++
				t.Errorf("%s line %d %q:\n fail2ban %+v\n ours     %+v", job.Name, k+1, line, want, got)
			}
		}
	}
	t.Logf("reference outcomes: %v", kinds)
	t.Logf("sample-log lines: %d agree, %d disagree; all lines: %d agree, %d disagree",
		sampleAgree, sampleDisagree, agree, disagree)
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
