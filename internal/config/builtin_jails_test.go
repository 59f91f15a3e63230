package config

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestBuiltinJailsLoad: every jail of the built-in jail.conf, turned on,
// loads without a problem on a host with a journal and on one without,
// with its filter's regexes, and a syslog service's jail reads the journal
// (with the filter's journalmatch) where there is one.
func TestBuiltinJailsLoad(t *testing.T) {
	b, err := fs.ReadFile(Builtin(), "jail.conf")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\[([^\]]+)\]`).FindAllStringSubmatch(string(b), -1) {
		if m[1] != "DEFAULT" && m[1] != "INCLUDES" {
			names = append(names, m[1])
		}
	}
	for _, want := range []string{"sshd", "proxmox", "proftpd", "vsftpd", "recidive"} {
		if !slices.Contains(names, want) {
			t.Errorf("no [%s] in the built-in jail.conf (jails %v)", want, names)
		}
	}
	var local strings.Builder
	for _, n := range names {
		local.WriteString("[" + n + "]\nenabled = true\n")
	}
	for _, journal := range []bool{true, false} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "jail.local"), local.String())
		c, err := Load(Options{Dir: dir, HasJournal: func() bool { return journal }})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Problems {
			t.Errorf("journal=%v: %v", journal, p)
		}
		got := map[string]*Jail{}
		for _, j := range c.Jails {
			got[j.Name] = j
		}
		for _, n := range names {
			j := got[n]
			if j == nil {
				t.Errorf("journal=%v: [%s] not enabled", journal, n)
				continue
			}
			if len(j.FailRegex) == 0 {
				t.Errorf("journal=%v: [%s] has no failregex", journal, n)
			}
			if j.Backend == "systemd" && len(j.JournalMatch) == 0 {
				t.Errorf("journal=%v: [%s] reads the journal with no journalmatch", journal, n)
			}
			if j.Backend != "systemd" && len(j.LogPath) == 0 {
				t.Errorf("journal=%v: [%s] backend %s with no logpath", journal, n, j.Backend)
			}
		}
		// The jails of this area: which read the journal, and the files of
		// the others (Debian's paths).
		for _, w := range []struct {
			jail, file string
			syslog     bool
		}{
			{"sshd", "/var/log/auth.log", true},
			{"proxmox", "/var/log/daemon.log", true},
			{"proftpd", "/var/log/proftpd/proftpd.log", false},
			{"vsftpd", "/var/log/vsftpd.log", false},
			{"recidive", "/var/log/warden.log", false},
		} {
			j := got[w.jail]
			if j == nil {
				continue
			}
			if journal && w.syslog {
				if j.Backend != "systemd" {
					t.Errorf("journal=%v: [%s] backend %q, want systemd", journal, w.jail, j.Backend)
				}
				continue
			}
			if j.Backend == "systemd" || strings.Join(j.LogPath, ",") != w.file {
				t.Errorf("journal=%v: [%s] backend %q, logpath %v; want the file %s", journal, w.jail, j.Backend, j.LogPath, w.file)
			}
		}
		if j := got["recidive"]; j != nil {
			if j.BanTime != 7*24*3600 || j.FindTime != 24*3600 || len(j.Actions) == 0 || j.Actions[0].Params["type"] != "allports" {
				t.Errorf("[recidive]: bantime %v, findtime %v, actions %+v; want a week, a day, on all ports", j.BanTime, j.FindTime, j.Actions)
			}
		}
	}
}
