package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestJournalOrFile: the built-in sshd jail reads the journal on a host
// that has one (with the filter's journal prefix and journalmatch, no
// logpath) and /var/log/auth.log otherwise; a jail of the user's may say
// journal-or-file too.
func TestJournalOrFile(t *testing.T) {
	for _, journal := range []bool{true, false} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "filter.d", "f.conf"), "[INCLUDES]\nbefore = common.conf\n[Definition]\nfailregex = ^<__prefix_line>fail from <HOST>$\njournalmatch = _COMM=f\n")
		writeFile(t, filepath.Join(dir, "jail.local"), "[mine]\nenabled = true\nfilter = f\nbackend = journal-or-file\nlogpath = /var/log/mine.log\n")
		asked := 0
		c, err := Load(Options{Dir: dir, HasJournal: func() bool { asked++; return journal }})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Problems) > 0 {
			t.Fatalf("journal=%v: %v", journal, c.Problems)
		}
		if asked != 1 {
			t.Errorf("journal=%v: the host was asked %d times, want once per load", journal, asked)
		}
		want, wantLog := "auto", []string{"/var/log/auth.log"}
		if journal {
			want, wantLog = "systemd", nil
		}
		got := map[string]*Jail{}
		for _, j := range c.Jails {
			got[j.Name] = j
		}
		for _, name := range []string{"sshd", "mine"} {
			j := got[name]
			if j == nil {
				t.Fatalf("journal=%v: jail %s not enabled (jails %v)", journal, name, jailNames(c.Jails))
			}
			if j.Backend != want {
				t.Errorf("journal=%v: [%s] backend %q, want %q", journal, name, j.Backend, want)
			}
			if journal && len(j.JournalMatch) == 0 {
				t.Errorf("journal=%v: [%s] has no journalmatch", journal, name)
			}
			// Only the file prefix allows "<facility.level>" before the host.
			all := j.PrefRegex + strings.Join(j.FailRegex, "")
			if filePrefix := strings.Contains(all, `<[^.]+[.][^.]+>`); filePrefix == journal {
				t.Errorf("journal=%v: [%s] prefregex and failregex have the wrong prefix for the backend:\n%s", journal, name, all)
			}
		}
		if l := got["sshd"].LogPath; strings.Join(l, ",") != strings.Join(wantLog, ",") {
			t.Errorf("journal=%v: sshd logpath %v, want %v", journal, l, wantLog)
		}
	}
}

// TestLogpathHint: a jail whose logpath matches no file gets a warning at
// its logpath line, which suggests backend = systemd on a host with a
// journal and not on one without, and only for a filter that names its
// journal entries (a web server writes its own files).
func TestLogpathHint(t *testing.T) {
	for _, journal := range []bool{true, false} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "filter.d", "f.conf"), "[Definition]\nfailregex = fail from <HOST>\njournalmatch = _SYSTEMD_UNIT=pvedaemon.service\n")
		writeFile(t, filepath.Join(dir, "filter.d", "web.conf"), "[Definition]\nfailregex = ^<HOST> - - \n")
		x := filepath.Join(dir, "jail.local")
		writeFile(t, x, "[sshd]\nenabled = false\n\n[pve]\nenabled = true\nfilter = f\nlogpath = /nonexistent/daemon.log\n\n[web]\nenabled = true\nfilter = web\nlogpath = /nonexistent/access.log\n")
		c, err := Load(Options{Dir: dir, HasJournal: func() bool { return journal }})
		if err != nil {
			t.Fatal(err)
		}
		var w, web string
		for _, s := range c.Warnings {
			if strings.Contains(s, "[pve]") {
				w = s
			}
			if strings.Contains(s, "[web]") {
				web = s
			}
		}
		// A program that writes its own file (no journalmatch): no hint.
		if !strings.Contains(web, "no log file found for logpath /nonexistent/access.log") || strings.Contains(web, "journal") {
			t.Errorf("journal=%v: warning for [web] %q", journal, web)
		}
		if !strings.HasPrefix(w, x+":7: jail [pve]: no log file found for logpath /nonexistent/daemon.log") {
			t.Errorf("journal=%v: warning %q, want one at %s:7 for the logpath", journal, w, x)
		}
		if hint := strings.Contains(w, "set backend = systemd in [pve]"); hint != journal {
			t.Errorf("journal=%v: warning %q", journal, w)
		}
	}
}

// TestJournalOrFileNeedsJournalMatch: journal-or-file reads the files when
// the jail's filter does not say which journal entries are its program's.
func TestJournalOrFileNeedsJournalMatch(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "filter.d", "f.conf"), "[Definition]\nfailregex = fail from <HOST>\n")
	writeFile(t, filepath.Join(dir, "jail.local"), "[sshd]\nenabled = false\n[mine]\nenabled = true\nfilter = f\nbackend = journal-or-file\nlogpath = /var/log/mine.log\n")
	c, err := Load(Options{Dir: dir, HasJournal: func() bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) > 0 || len(c.Jails) != 1 {
		t.Fatalf("jails %v, problems %v", jailNames(c.Jails), c.Problems)
	}
	if j := c.Jails[0]; j.Backend != "auto" || strings.Join(j.LogPath, ",") != "/var/log/mine.log" {
		t.Errorf("backend %q, logpath %v; want auto on /var/log/mine.log", j.Backend, j.LogPath)
	}
}
