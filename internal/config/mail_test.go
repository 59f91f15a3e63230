package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMailJails: the built-in mail jails, turned on as a fail2ban user
// would, read the journal of Debian's units on a host that has one and
// /var/log/mail.log otherwise, with fail2ban's ports and filter modes:
// postfix the rejections (mode more), postfix-rbl the blocklist hits at
// the first one, postfix-sasl the SASL failures, dovecot the failed
// logins. A user's jail naming the filter with fail2ban's arguments
// (postfix[mode=auth]) and a mode set on the built-in jail work too.
func TestMailJails(t *testing.T) {
	type want struct {
		port, journal, marker string
		maxretry, failregexes int
	}
	postfixUnits := "_SYSTEMD_UNIT=postfix@-.service + _SYSTEMD_UNIT=postfix.service"
	wants := map[string]want{
		// marker: text only that mode's prefregex or failregex has.
		"postfix":      {"smtp,465,submission", postfixUnits, `(?:milter-)?reject:|(?:improper command pipelining`, 5, 2},
		"postfix-rbl":  {"smtp,465,submission", postfixUnits, `blocked using`, 1, 1},
		"postfix-sasl": {"smtp,465,submission,imap,imaps,pop3,pop3s", postfixUnits, `Invalid authentication mechanism`, 5, 1},
		"dovecot":      {"pop3,pop3s,imap,imaps,submission,465,sieve", "_SYSTEMD_UNIT=dovecot.service", `auth failed, \d+ attempts`, 5, 4},
		"my-sasl":      {"submission", postfixUnits, `SASL [\w-]+ authentication failed`, 3, 1},
	}
	for _, journal := range []bool{true, false} {
		dir := t.TempDir()
		local := "[sshd]\nenabled = false\n"
		for _, n := range []string{"postfix", "postfix-rbl", "postfix-sasl", "dovecot"} {
			local += "[" + n + "]\nenabled = true\n"
		}
		local += "[my-sasl]\nenabled = true\nfilter = postfix[mode=auth]\nport = submission\nmaxretry = 3\nbackend = %(postfix_backend)s\nlogpath = %(postfix_log)s\n"
		writeFile(t, filepath.Join(dir, "jail.local"), local)
		c, err := Load(Options{Dir: dir, HasJournal: func() bool { return journal }})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Problems) > 0 {
			t.Fatalf("journal=%v: %v", journal, c.Problems)
		}
		got := map[string]*Jail{}
		for _, j := range c.Jails {
			got[j.Name] = j
		}
		if len(got) != len(wants) {
			t.Errorf("journal=%v: jails %v, want the %d mail jails", journal, jailNames(c.Jails), len(wants))
		}
		for name, w := range wants {
			j := got[name]
			if j == nil {
				t.Errorf("journal=%v: jail %s not enabled", journal, name)
				continue
			}
			if j.Port != w.port || j.MaxRetry != w.maxretry || len(j.FailRegex) != w.failregexes {
				t.Errorf("journal=%v: [%s] port %q maxretry %d, %d failregexes; want %q, %d, %d",
					journal, name, j.Port, j.MaxRetry, len(j.FailRegex), w.port, w.maxretry, w.failregexes)
			}
			if all := j.PrefRegex + "\n" + strings.Join(j.FailRegex, "\n"); !strings.Contains(all, w.marker) {
				t.Errorf("journal=%v: [%s] filter lacks %q:\n%s", journal, name, w.marker, all)
			}
			var jm []string
			for _, m := range j.JournalMatch {
				jm = append(jm, strings.Join(m, " "))
			}
			if journal {
				if j.Backend != "systemd" || strings.Join(jm, "; ") != w.journal || len(j.LogPath) != 0 {
					t.Errorf("journal=%v: [%s] backend %q journalmatch %q logpath %v; want systemd, %q, none",
						journal, name, j.Backend, jm, j.LogPath, w.journal)
				}
			} else if j.Backend != "auto" || strings.Join(j.LogPath, ",") != "/var/log/mail.log" {
				t.Errorf("journal=%v: [%s] backend %q logpath %v; want auto, /var/log/mail.log", journal, name, j.Backend, j.LogPath)
			}
		}
		// The SASL jails read failures with any mechanism; only
		// postfix-sasl (mode auth) leaves out unoffered mechanisms, as
		// fail2ban's does.
		if p := got["postfix"]; p != nil && strings.Contains(strings.Join(p.FailRegex, "\n"), "SASL") {
			t.Errorf("journal=%v: [postfix] (mode more) reads SASL failures", journal)
		}
	}

	// A mode set on the built-in jail, as fail2ban's jail.conf suggests.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "jail.local"), "[sshd]\nenabled = false\n[postfix]\nenabled = true\nmode = aggressive\n[dovecot]\nenabled = true\nmode = aggressive\n")
	c, err := Load(Options{Dir: dir, HasJournal: func() bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Problems) > 0 {
		t.Fatal(c.Problems)
	}
	for _, j := range c.Jails {
		all := j.PrefRegex + "\n" + strings.Join(j.FailRegex, "\n")
		marker := map[string]string{"postfix": "PREGREET", "dovecot": "no auth attempts"}[j.Name]
		if !strings.Contains(all, marker) {
			t.Errorf("[%s] mode = aggressive: filter lacks %q:\n%s", j.Name, marker, all)
		}
	}
	if len(c.Jails) != 2 {
		t.Errorf("jails %v, want postfix and dovecot", jailNames(c.Jails))
	}
}
