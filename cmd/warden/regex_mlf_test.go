package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// reusedPIDLog is f2btest.SSHDLog with the process ids of every copy of
// the sample brought back to the sample's own: each connection id comes
// back in every copy, with other addresses (and so other "user names",
// some of which hold an address).
func reusedPIDLog(t *testing.T, n int) string {
	t.Helper()
	root := f2btest.Root(t)
	lines, err := f2btest.SSHDLog(root, n)
	if err != nil {
		t.Fatal(err)
	}
	pid := regexp.MustCompile(`\[(\d+)\]`)
	path := filepath.Join(t.TempDir(), "sshd.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(pid.ReplaceAllStringFunc(l, func(m string) string {
			v, _ := strconv.Atoi(m[1 : len(m)-1])
			return fmt.Sprintf("[%d]", v%100000)
		}))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRegexConnectionBounded: over a long sshd log whose process ids come
// back again and again, a connection's record stays bounded. Before the
// connection cache bounded what an entry gathers, the 20,000-line log
// here gave records of 9,571 bytes (and 200,000 lines 93,644), growing
// with the log; now none passes 1,400 bytes (users are capped at
// mlfMaxUsers).
func TestRegexConnectionBounded(t *testing.T) {
	root := f2btest.Root(t)
	log := reusedPIDLog(t, 20000)
	out, errs, code := runCLI(t, "regex", "--json", "--config", filepath.Join(root, "etc", "fail2ban"), log, "sshd")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	records, longest, mostUsers := 0, 0, 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		records++
		longest = max(longest, len(l))
		var rec struct {
			Fields struct{ Users []string }
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("bad JSON %q: %v", l, err)
		}
		mostUsers = max(mostUsers, len(rec.Fields.Users))
	}
	t.Logf("%d records, %d bytes, the longest %d bytes, at most %d users", records, len(out), longest, mostUsers)
	if records < 8000 {
		t.Errorf("only %d records", records)
	}
	if longest > 2000 || mostUsers > 32 {
		t.Errorf("the longest record has %d bytes, the most users %d: the connection cache is not bounded", longest, mostUsers)
	}
	if mostUsers < 32 {
		t.Errorf("at most %d users: the log no longer reuses connections enough to test the cap", mostUsers)
	}
}
