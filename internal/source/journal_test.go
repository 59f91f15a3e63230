package source

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// need returns the path of a program the test needs; without it the test
// fails when CI=true and is skipped otherwise.
func need(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found (Debian packages systemd, systemd-journal-remote)", names[0])
	}
	t.Skipf("%s not found (Debian packages systemd, systemd-journal-remote)", names[0])
	return ""
}

// field is one field of a journal entry.
type field struct{ name, value string }

// entry is a journal entry to write, at the time at.
type entry struct {
	at     time.Time
	fields []field
}

func sshd(at time.Time, pid, msg string) entry {
	return entry{at, []field{{"_HOSTNAME", "host1"}, {"SYSLOG_IDENTIFIER", "sshd"}, {"_PID", pid},
		{"_SYSTEMD_UNIT", "sshd.service"}, {"_COMM", "sshd"}, {"MESSAGE", msg}}}
}

// appendJournal writes entries to the journal file path (made or
// appended to) with systemd-journal-remote, from the journal export format.
func appendJournal(t *testing.T, path string, entries ...entry) {
	t.Helper()
	remote := need(t, "/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote", "systemd-journal-remote")
	var in bytes.Buffer
	for _, e := range entries {
		us := e.at.UnixMicro()
		fmt.Fprintf(&in, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", us, us-1_600_000_000_000_000)
		for _, f := range e.fields {
			if strings.ContainsAny(f.value, "\n\x00\xff") {
				in.WriteString(f.name + "\n")
				binary.Write(&in, binary.LittleEndian, uint64(len(f.value)))
				in.WriteString(f.value + "\n")
			} else {
				in.WriteString(f.name + "=" + f.value + "\n")
			}
		}
		in.WriteString("\n")
	}
	cmd := exec.Command(remote, "--output="+path, "-")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v: %s", err, out)
	}
}

// memPositions is Positions in memory.
type memPositions struct {
	mu  sync.Mutex
	pos map[string]struct {
		pos int64
		fp  string
	}
	sets int
}

func (m *memPositions) Position(path string) (int64, string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pos[path]
	return p.pos, p.fp, ok, nil
}

func (m *memPositions) SetPosition(path string, pos int64, fp string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pos == nil {
		m.pos = map[string]struct {
			pos int64
			fp  string
		}{}
	}
	m.pos[path] = struct {
		pos int64
		fp  string
	}{pos, fp}
	m.sets++
	return nil
}

var sshdMatch = [][]string{{"_SYSTEMD_UNIT=sshd.service", "+", "_COMM=sshd"}}

func newTestJournal(t *testing.T, cfg JournalConfig) *Journal {
	t.Helper()
	if cfg.Journalctl == "" {
		cfg.Journalctl = need(t, "journalctl")
	}
	j, err := NewJournal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func expectLines(t *testing.T, out <-chan Line, want ...Line) {
	t.Helper()
	for _, w := range want {
		got := recv(t, out)
		if got.Text != w.Text || got.Source != w.Source || !got.Time.Equal(w.Time) {
			t.Errorf("got %q %s %v\nwant %q %s %v", got.Text, got.Source, got.Time, w.Text, w.Source, w.Time)
		}
	}
}

// TestJournalMatches reads a real journal file: the matches keep the
// sshd unit's entries and those of the sshd program, in fail2ban's format,
// and entries older than findtime are skipped.
func TestJournalMatches(t *testing.T) {
	file := filepath.Join(t.TempDir(), "test.journal")
	appendJournal(t, file,
		sshd(epoch.Add(-time.Hour), "100", "Failed password for root from 192.0.2.9 port 22 ssh2"), // before findtime
		sshd(epoch.Add(-5*time.Minute), "101", "Failed password for root from 192.0.2.1 port 22 ssh2"),
		entry{epoch.Add(-4 * time.Minute), []field{{"_HOSTNAME", "host1"}, {"SYSLOG_IDENTIFIER", "CRON"}, {"_PID", "7"},
			{"_SYSTEMD_UNIT", "cron.service"}, {"_COMM", "cron"}, {"MESSAGE", "pam_unix(cron:session): session opened"}}},
		entry{epoch.Add(-3 * time.Minute), []field{{"_HOSTNAME", "host1"}, {"SYSLOG_PID", "0x1f"}, {"_PID", "8"},
			{"_SYSTEMD_UNIT", "user@1000.service"}, {"_COMM", "sshd"}, {"MESSAGE", "bad\xffbyte\nline2"}}},
		sshd(epoch.Add(-2*time.Minute), "102", "Invalid user admin from 192.0.2.2 port 4242"),
	)
	j := newTestJournal(t, JournalConfig{Matches: sshdMatch, Files: []string{file}, Lookback: 10 * time.Minute, Clock: clock.NewFake(epoch)})
	if got, want := j.Key(), "journal:_SYSTEMD_UNIT=sshd.service + _COMM=sshd file="+file; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
	out := make(chan Line)
	running(t, j.Run, out)
	expectLines(t, out,
		Line{"host1 sshd[101]: Failed password for root from 192.0.2.1 port 22 ssh2", "journal", epoch.Add(-5 * time.Minute)},
		Line{"host1 sshd[31]: bad\uFFFDbyte\\nline2", "journal", epoch.Add(-3 * time.Minute)},
		Line{"host1 sshd[102]: Invalid user admin from 192.0.2.2 port 4242", "journal", epoch.Add(-2 * time.Minute)},
	)
}

// TestJournalResume: a restart resumes after the last entry read, without
// replaying it, from the cursor saved in Positions; new entries appended
// while following arrive.
func TestJournalResume(t *testing.T) {
	file := filepath.Join(t.TempDir(), "test.journal")
	appendJournal(t, file, sshd(epoch.Add(-2*time.Minute), "1", "one"), sshd(epoch.Add(-time.Minute), "2", "two"))
	pos := &memPositions{}
	cfg := JournalConfig{Matches: sshdMatch, Files: []string{file}, Lookback: 10 * time.Minute, Clock: clock.NewFake(epoch), Positions: pos}
	j := newTestJournal(t, cfg)
	out := make(chan Line)
	stop := running(t, j.Run, out)
	expectLines(t, out,
		Line{"host1 sshd[1]: one", "journal", epoch.Add(-2 * time.Minute)},
		Line{"host1 sshd[2]: two", "journal", epoch.Add(-time.Minute)})
	// Follow: an entry appended now arrives.
	appendJournal(t, file, sshd(epoch.Add(time.Second), "3", "three"))
	expectLines(t, out, Line{"host1 sshd[3]: three", "journal", epoch.Add(time.Second)})
	stop()
	p, fp, ok, _ := pos.Position(j.Key())
	if !ok || !validCursor(fp) || p != epoch.Add(time.Second).UnixMicro() {
		t.Fatalf("saved position %d %q %v, want the cursor of three at %d", p, fp, ok, epoch.Add(time.Second).UnixMicro())
	}

	appendJournal(t, file, sshd(epoch.Add(2*time.Second), "4", "four"))
	j = newTestJournal(t, cfg)
	running(t, j.Run, out)
	expectLines(t, out, Line{"host1 sshd[4]: four", "journal", epoch.Add(2 * time.Second)})
}

// TestJournalRestart: when journalctl ends, it is started again after the
// back-off, after the last entry read.
func TestJournalRestart(t *testing.T) {
	journalctl := need(t, "journalctl")
	dir := t.TempDir()
	file := filepath.Join(dir, "test.journal")
	// A journalctl that does not follow: it ends once it has printed.
	wrapper := filepath.Join(dir, "journalctl-once")
	script := "#!/bin/sh\nfor a; do shift; [ \"$a\" = --follow ] || set -- \"$@\" \"$a\"; done\nexec " + journalctl + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	appendJournal(t, file, sshd(epoch.Add(-time.Minute), "1", "one"))
	fc := clock.NewFake(epoch)
	log := &logRecorder{}
	j := newTestJournal(t, JournalConfig{Matches: sshdMatch, Files: []string{file}, Lookback: 10 * time.Minute,
		Clock: fc, Journalctl: wrapper, Log: newLogger(log)})
	out := make(chan Line)
	running(t, j.Run, out)
	expectLines(t, out, Line{"host1 sshd[1]: one", "journal", epoch.Add(-time.Minute)})
	waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
	appendJournal(t, file, sshd(epoch.Add(time.Second), "2", "two"))
	fc.Advance(DefaultMinBackoff)
	expectLines(t, out, Line{"host1 sshd[2]: two", "journal", epoch.Add(time.Second)})
	waitFor(t, "the restart timer", func() bool { return fc.Timers() == 1 })
	if got := j.Stats(); got.Starts != 2 || got.Restarts != 2 || got.Lines != 2 {
		t.Errorf("Stats = %+v, want 2 starts, 2 restarts, 2 lines", got)
	}
	if m := log.messages(); len(m) == 0 || !strings.Contains(m[0], "restarting after back-off") {
		t.Errorf("log %q", m)
	}
}

// TestJournalBadCursor: a saved position that is not a cursor is logged
// and reading starts at findtime.
func TestJournalBadCursor(t *testing.T) {
	file := filepath.Join(t.TempDir(), "test.journal")
	appendJournal(t, file, sshd(epoch.Add(-time.Minute), "1", "one"))
	pos := &memPositions{}
	log := &logRecorder{}
	j := newTestJournal(t, JournalConfig{Files: []string{file}, Lookback: 10 * time.Minute, Clock: clock.NewFake(epoch),
		Positions: pos, Log: newLogger(log)})
	if err := pos.SetPosition(j.Key(), 1, "garbage; rm -rf /"); err != nil {
		t.Fatal(err)
	}
	out := make(chan Line)
	running(t, j.Run, out)
	expectLines(t, out, Line{"host1 sshd[1]: one", "journal", epoch.Add(-time.Minute)})
	if m := log.messages(); len(m) < 2 || !strings.Contains(m[1], "not a cursor") {
		t.Errorf("log %q", m)
	}
}

func TestJournalArgs(t *testing.T) {
	one := JournalCurrentUser | JournalSystem
	for _, tc := range []struct {
		cfg       JournalConfig
		opts, key string
	}{
		{cfg: JournalConfig{}, opts: "--system", key: "journal:"},
		{cfg: JournalConfig{Matches: [][]string{{"_SYSTEMD_UNIT=sshd.service", "+", "_COMM=sshd"}, {}, {"SYSLOG_IDENTIFIER=x", "PRIORITY=3"}}},
			opts: "--system", key: "journal:_SYSTEMD_UNIT=sshd.service + _COMM=sshd + SYSLOG_IDENTIFIER=x PRIORITY=3"},
		{cfg: JournalConfig{Flags: &one, Namespace: "ns"}, opts: "--system --user --namespace=ns", key: "journal: namespace=ns"},
		{cfg: JournalConfig{Directory: "/var/log/journal"}, opts: "--directory=/var/log/journal", key: "journal: directory=/var/log/journal"},
	} {
		j, err := NewJournal(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if j.Key() != tc.key {
			t.Errorf("Key() = %q, want %q", j.Key(), tc.key)
		}
		var terms []string
		for i, m := range tc.cfg.Matches {
			if len(m) == 0 {
				continue
			}
			if i > 0 {
				terms = append(terms, "+")
			}
			terms = append(terms, m...)
		}
		base := strings.Fields("journalctl --follow --output=json --all --no-pager --no-tail " + tc.opts)
		want := append(append(base, "--since=@1709294400", "--"), terms...)
		if got := j.args("", epoch); !reflect.DeepEqual(got, want) {
			t.Errorf("args = %q, want %q", got, want)
		}
		want = append(append(base, "--after-cursor=s=1;i=2", "--"), terms...)
		if got := j.args("s=1;i=2", epoch); !reflect.DeepEqual(got, want) {
			t.Errorf("args = %q, want %q", got, want)
		}
	}
	runtime := JournalRuntimeOnly
	for _, cfg := range []JournalConfig{
		{Matches: [][]string{{"sshd"}}},
		{Matches: [][]string{{"_systemd_unit=x"}}},
		{Matches: [][]string{{"-n", "1"}}},
		{Matches: [][]string{{"=x"}}},
		{Matches: [][]string{{"1A=x"}}},
		{Flags: &runtime},
	} {
		if _, err := NewJournal(cfg); err == nil {
			t.Errorf("NewJournal(%+v): no error", cfg)
		}
	}
}

func TestValidCursor(t *testing.T) {
	for c, want := range map[string]bool{
		"s=bbea4c9263d94e4887ff91a3f1fbbf69;i=4;b=0123456789abcdef0123456789abcdef;m=6093b43887240;t=60a241879cd80;x=eb1b0766642363bc": true,
		"": false, "garbage": false, "s=1;;i=2": false, "s=1;q=2": false, "s=1;i=G": false, "s=": false,
	} {
		if got := validCursor(c); got != want {
			t.Errorf("validCursor(%q) = %v", c, got)
		}
	}
}

func TestCut(t *testing.T) {
	if got := cut("héllo", 2); got != "h" {
		t.Errorf("cut = %q", got)
	}
	if got := cut("abc", 5); got != "abc" {
		t.Errorf("cut = %q", got)
	}
}
