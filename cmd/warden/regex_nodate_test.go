package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRegexJSONNoDate: a failure from a line without a date has "time":
// null in --json and None in -o row, as fail2ban-regex -o row prints; a
// line without a date that follows, within 60 seconds of now, a line
// with one takes that line's date (fail2ban's "last date"), in both.
func TestRegexJSONNoDate(t *testing.T) {
	dir := t.TempDir()
	recent := time.Now().Add(-10 * time.Second).UTC().Truncate(time.Second)
	log := filepath.Join(dir, "log")
	lines := []string{
		"login failed from 192.0.2.1",                      // no date, none before: None
		"2005-08-14T12:00:00Z login failed from 192.0.2.2", // an old date
		"login failed from 192.0.2.3",                      // no date, the last one is too old: None
		recent.Format("2006-01-02T15:04:05Z") + " login failed from 192.0.2.4",
		"login failed from 192.0.2.5", // no date: the last one, 10 s ago
	}
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	last := strconv.FormatInt(recent.Unix(), 10)
	wantJSON := []string{"null", "1124020800", "null", last, last}
	out, errs, code := runCLI(t, "regex", "--json", log, "login failed from <HOST>")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct{ Time json.RawMessage }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("bad JSON %q: %v", l, err)
		}
		got = append(got, string(rec.Time))
	}
	if fmt.Sprint(got) != fmt.Sprint(wantJSON) {
		t.Errorf("--json times %v, want %v\n%s", got, wantJSON, out)
	}

	out, errs, code = runCLI(t, "regex", "-o", "row", log, "login failed from <HOST>")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got = got[:0]
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(l, ",\t")
		if len(f) < 2 {
			t.Fatalf("bad row %q", l)
		}
		got = append(got, f[1])
	}
	wantRow := []string{"None", "1124020800.0", "None", last + ".0", last + ".0"}
	if fmt.Sprint(got) != fmt.Sprint(wantRow) {
		t.Errorf("-o row times %v, want %v\n%s", got, wantRow, out)
	}
}
