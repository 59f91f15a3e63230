package datedetect

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
)

// filterDatePattern reads the datepattern of a fail2ban filter file. It
// understands only literal values (continuation lines included); ok is
// false when the filter has none or the value needs interpolation.
func filterDatePattern(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	var val []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if in {
			if l != "" && (l[0] == ' ' || l[0] == '\t') && strings.TrimSpace(l) != "" {
				val = append(val, strings.TrimSpace(l))
				continue
			}
			break
		}
		if k, v, ok := strings.Cut(l, "="); ok && strings.TrimSpace(k) == "datepattern" && !strings.HasPrefix(l, "#") {
			val = append(val, strings.TrimSpace(v))
			in = true
		}
	}
	s := strings.Join(val, "\n")
	if s == "" || strings.Contains(s, "<") && !strings.Contains(s, "<W>") || strings.Contains(s, "%(") {
		return "", false
	}
	return strings.ReplaceAll(s, "%%", "%"), true
}

var failJSONLine = regexp.MustCompile(`^#+ ?(failJSON|fileOptions|filterOptions|addFILE):(.+)$`)

// TestSampleTimes checks the "time" of every failJSON entry in fail2ban's
// sample logs, read in the test suite's zone and at its fixed "now".
func TestSampleTimes(t *testing.T) {
	root := f2btest.Root(t)
	loc := zurich(t)
	dir := filepath.Join(f2btest.PythonPath(root), "fail2ban", "tests", "files", "logs")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checked, skipped := 0, 0
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		dp, _ := filterDatePattern(filepath.Join(root, "etc", "fail2ban", "filter.d", name+".conf"))
		d, err := New(Options{DatePattern: dp, Location: loc, Now: fixedNow, Startup: testStartup})
		if err != nil {
			t.Fatalf("%s: datepattern %q: %v", name, dp, err)
		}
		lines := strings.Split(string(b), "\n")
		last := 0.0
		special := false // inside a filterOptions block (journal mode etc.)
		for i := 0; i < len(lines); i++ {
			m := failJSONLine.FindStringSubmatch(strings.TrimRight(lines[i], "\r"))
			if m == nil {
				l := strings.TrimRight(lines[i], "\r")
				if l != "" && !strings.HasPrefix(l, "#") {
					// keep template order and last date as fail2ban would
					if m, ok := d.Detect(sanitize(l)); ok && m.Err == nil && !m.Empty() {
						last = m.Time
					}
				}
				continue
			}
			if m[1] == "filterOptions" {
				special = true
			}
			if m[1] != "failJSON" || i+1 >= len(lines) {
				continue
			}
			var fj map[string]any
			if err := json.Unmarshal([]byte(m[2]), &fj); err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			i++
			line := sanitize(strings.TrimRight(lines[i], "\r"))
			ts, ok := fj["time"].(string)
			if !ok || fj["match"] != true || special {
				if m, ok := d.Detect(line); ok && m.Err == nil && !m.Empty() {
					last = m.Time
				}
				skipped++
				continue
			}
			want, err := time.ParseInLocation("2006-01-02T15:04:05.999999", ts, loc)
			if err != nil {
				t.Fatalf("%s:%d: time %q: %v", name, i+1, ts, err)
			}
			got, found := d.Detect(line)
			checked++
			wantF := float64(want.UnixNano()) / 1e9
			tm := got.Time
			if !found || got.Err != nil || got.Empty() {
				// fail2ban's filter falls back to the previous line's date
				tm = last
			}
			if math.Abs(tm-wantF) > 1e-6 {
				t.Errorf("%s:%d %q: got %+v (found %v), want %s (%.6f)", name, i+1, line, got, found, ts, wantF)
			}
			last = tm
		}
	}
	t.Logf("checked %d failJSON times, skipped %d", checked, skipped)
	if checked < 500 {
		t.Errorf("only %d failJSON times checked", checked)
	}
}
