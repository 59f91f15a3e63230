package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
)

// reuseClock is the fixed clock of the runs compared: lines dated "now"
// (no date of their own) get the same time in both.
func reuseClock() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }

// regexLinesOutput runs warden regex with args, its log's lines handed
// out as mode says, and returns what it printed.
func regexLinesOutput(t testing.TB, mode lineMode, args []string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	s := settings{configDir: "/nonexistent", lines: mode, now: reuseClock}
	err := runWith(context.Background(), s, args, strings.NewReader(""), &out, &errOut)
	res := processedRE.ReplaceAllString(out.String(), "[processed]") + "\n--- stderr\n" + errOut.String()
	if err != nil {
		res += "\n--- error\n" + err.Error()
	}
	return res
}

// checkReusedLines requires the same output from warden regex whether
// lines are copies or views of a buffer overwritten as soon as each line
// has been examined (linesPoisoned): anything the filter or the command
// kept of a line without copying it would read the poison.
func checkReusedLines(t testing.TB, args []string) {
	t.Helper()
	want := regexLinesOutput(t, linesCopied, args)
	if got := regexLinesOutput(t, linesPoisoned, args); got != want {
		t.Errorf("warden %q: lines overwritten once examined change the output:\n%s\nlines copied:\n%s", args, got, want)
	}
}

// reuseVariants are the outputs compared: failures as JSON and as -o
// msg (the lines a connection gathered), and the summary listing every
// line (the lines and ids the command keeps).
func reuseVariants(etc, logFile, filter string) [][]string {
	base := []string{"regex", "--config", etc, "-r"}
	return [][]string{
		append(append([]string{}, base...), "--json", logFile, filter),
		append(append([]string{}, base...), "-o", "msg", logFile, filter),
		append(append([]string{}, base...), "-vv", "--print-all-matched", "--print-all-missed", "--print-all-ignored", "--no-check-all", logFile, filter),
		append(append([]string{}, base...), "-v", "--print-all-matched", "--print-all-missed", "--print-all-ignored", logFile, filter),
	}
}

// TestRegexReusedLines runs every stock filter on its sample log, and
// sshd with a multi-line buffer, with lines copied and with lines
// poisoned once examined (see logReader's invariant), and requires the
// same output.
func TestRegexReusedLines(t *testing.T) {
	root := f2btest.Root(t)
	etc := filepath.Join(root, "etc", "fail2ban")
	logs := f2btest.LogsDir(root)
	sampled := sampledFilters(t, root)
	for _, sf := range sampled {
		t.Run(sf.name, func(t *testing.T) {
			for _, args := range reuseVariants(etc, sf.log, sf.name) {
				checkReusedLines(t, args)
			}
		})
	}
	if len(sampled) < 50 {
		t.Fatalf("only %d stock filters with a sample log", len(sampled))
	}
	t.Run("sshd-maxlines", func(t *testing.T) {
		for _, args := range reuseVariants(etc, filepath.Join(logs, "sshd"), "sshd") {
			checkReusedLines(t, append(args, "-L", "3"))
		}
	})
	t.Run("sshd-aggressive-long", func(t *testing.T) {
		// More than one read of the log (readBlock), connections that
		// outlive their read and lines cut across two reads.
		logFile := sshdLogFile(t, root, 2000)
		checkReusedLines(t, []string{"regex", "--config", etc, "-r", "--json", logFile, "sshd[mode=aggressive]"})
		checkReusedLines(t, []string{"regex", "--config", etc, "-r", "-o", "msg", logFile, "sshd"})
	})
}

// FuzzRegexReusedLines is TestRegexReusedLines on any log: the stock
// sshd filter (connections by <F-MLFID>), the same with a multi-line
// buffer, and a failregex of its own over dateless lines.
func FuzzRegexReusedLines(f *testing.F) {
	root := f2btest.Root(f)
	etc := filepath.Join(root, "etc", "fail2ban")
	for _, name := range []string{"sshd", "dovecot", "postfix"} {
		lines, err := f2btest.SampleLines(root, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(strings.Join(lines, "\n") + "\n"))
	}
	f.Add([]byte("Jan 1 00:00:01 h sshd[1]: Connection from 192.0.2.1 port 1\nno date here from 192.0.2.2\n\n#x\nJan 1 00:00:02 h sshd[1]: Failed password for u from 192.0.2.1 port 1 ssh2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		logFile := filepath.Join(t.TempDir(), "log")
		if err := os.WriteFile(logFile, data, 0o644); err != nil {
			t.Fatal(err)
		}
		checkReusedLines(t, []string{"regex", "--config", etc, "-r", "-o", "msg", logFile, "sshd"})
		checkReusedLines(t, []string{"regex", "--config", etc, "-r", "--json", "-L", "2", logFile, "sshd"})
		checkReusedLines(t, []string{"regex", "-r", "-v", "--print-all-matched", "--print-all-missed", logFile, `from <HOST>(?: port (?P<F-PORT>\d+))?`})
	})
}
