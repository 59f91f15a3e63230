package mail

import (
	"bytes"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigFromStockParams(t *testing.T) {
	got, err := ConfigFromParams("sendmail-whois-lines", stockParams())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		File:           "sendmail-whois-lines",
		Name:           "sshd",
		Sender:         "root@<fq-hostname>",
		SenderName:     "Fail2Ban",
		Dest:           []string{"root@localhost"},
		Transport:      SMTP,
		SMTPHost:       "localhost",
		SMTPPort:       25,
		SMTPTLS:        TLSNone,
		SMTPAuth:       "plain",
		SMTPTimeout:    DefaultSMTPTimeout,
		SendmailPath:   "/usr/sbin/sendmail",
		Whois:          true,
		WhoisServer:    "whois.iana.org",
		WhoisTimeout:   DefaultWhoisTimeout,
		WhoisCacheSize: DefaultWhoisCacheSize,
		WhoisCacheTTL:  DefaultWhoisCacheTTL,
		Matches:        LogLines,
		MaxLines:       1000,
		Timeout:        DefaultTimeout,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigFromParams =\n%+v\nwant\n%+v", got, want)
	}
}

func TestConfigForms(t *testing.T) {
	for file, want := range map[string]struct {
		whois   bool
		matches MatchKind
	}{
		"sendmail":                     {false, NoMatches},
		"sendmail-whois":               {true, NoMatches},
		"sendmail-whois-lines":         {true, LogLines},
		"sendmail-whois-matches":       {true, JailMatches},
		"sendmail-whois-ipmatches":     {true, IPMatches},
		"sendmail-whois-ipjailmatches": {true, IPJailMatches},
		"mail":                         {false, NoMatches},
		"mail-whois":                   {true, NoMatches},
		"mail-whois-lines":             {true, LogLines},
	} {
		c, err := ConfigFromParams(file, map[string]string{"name": "j"})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if c.Whois != want.whois || c.Matches != want.matches {
			t.Errorf("%s: whois %v matches %v, want %v %v", file, c.Whois, c.Matches, want.whois, want.matches)
		}
		if !Native(file) {
			t.Errorf("Native(%q) = false", file)
		}
	}
	for _, file := range []string{"sendmail-buffered", "mail-buffered", "sendmail-geoip-lines", "complain", "iptables"} {
		if Native(file) {
			t.Errorf("Native(%q) = true", file)
		}
		if _, err := ConfigFromParams(file, nil); err == nil || !strings.Contains(err.Error(), "not a native mail action") {
			t.Errorf("ConfigFromParams(%q) = %v", file, err)
		}
	}
}

func TestConfigDefaultsAndOverrides(t *testing.T) {
	// mail.conf's own defaults: no sender, dest "root".
	c, err := ConfigFromParams("mail", map[string]string{"name": "j", "dest": "root"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Sender != DefaultSender || c.SenderName != DefaultSenderName || !reflect.DeepEqual(c.Dest, []string{"root"}) {
		t.Errorf("defaults: %q %q %q", c.Sender, c.SenderName, c.Dest)
	}
	m, err := New(c, Options{Hostname: "mx.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if m.fromAddr != "root@mx.example.test" || !reflect.DeepEqual(m.dest, []string{"<root@mx.example.test>"}) {
		t.Errorf("qualified: from %q dest %q", m.fromAddr, m.dest)
	}

	c, err = ConfigFromParams("sendmail-whois", map[string]string{
		"name":               "j",
		"sender":             "warden@<sh-hostname>.example.org",
		"dest":               "a@example.org, B <b@example.org>",
		"destemail":          "ignored@example.org",
		"mailer":             "SMTP",
		"smtp_host":          "mail.example.org",
		"smtp_user":          "u",
		"smtp_password_file": "/etc/warden/smtp.pass",
		"smtp_timeout":       "1m",
		"whois":              "no",
		"mail_matches":       "ipjailmatches",
		"mail_startstop":     "on",
		"grepmax":            "5",
		"timeout":            "90",
		"whois_cache_ttl":    "1h",
		"whois_cache_size":   "10",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPTLS != TLSStartTLS || c.SMTPPort != 587 {
		t.Errorf("a remote host defaults to STARTTLS on 587, got %s %d", c.SMTPTLS, c.SMTPPort)
	}
	if c.Whois || c.Matches != IPJailMatches || !c.StartStop || c.MaxLines != 5 ||
		c.SMTPTimeout != time.Minute || c.Timeout != 90*time.Second || c.WhoisCacheTTL != time.Hour || c.WhoisCacheSize != 10 {
		t.Errorf("overrides not read: %+v", c)
	}
	if !reflect.DeepEqual(c.Dest, []string{"a@example.org", "B <b@example.org>"}) {
		t.Errorf("dest = %q", c.Dest)
	}
	m, err = New(c, Options{Hostname: "mx.example.test"})
	if err == nil || !strings.Contains(err.Error(), "smtp password") {
		t.Errorf("New with a missing password file = %v", err)
	}
	_ = m

	c, err = ConfigFromParams("sendmail", map[string]string{"smtp_tls": "tls", "smtp_host": "mail.example.org"})
	if err != nil || c.SMTPPort != 465 {
		t.Errorf("implicit TLS defaults to 465: %d %v", c.SMTPPort, err)
	}
	// Blank-separated recipients, as fail2ban's mail actions take them,
	// and a tag naming another parameter.
	c, err = ConfigFromParams("mail-whois", map[string]string{"dest": "<admins>", "admins": "a@example.org b@example.org"})
	if err != nil || !reflect.DeepEqual(c.Dest, []string{"a@example.org", "b@example.org"}) {
		t.Errorf("dest = %q, %v", c.Dest, err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		params map[string]string
		want   string
	}{
		{map[string]string{"mailer": "pigeon"}, "mailer"},
		{map[string]string{"mailer": "sendmail", "sendmail_path": "sendmail"}, "sendmail_path"},
		{map[string]string{"smtp_tls": "ssl3"}, "smtp_tls"},
		{map[string]string{"smtp_port": "0"}, "smtp_port"},
		{map[string]string{"smtp_port": "smtp"}, "smtp_port"},
		{map[string]string{"smtp_host": "a b"}, "smtp_host"},
		{map[string]string{"smtp_user": "u"}, "smtp_password_file"},
		{map[string]string{"smtp_password_file": "/p"}, "smtp_user"},
		{map[string]string{"smtp_auth": "ntlm"}, "smtp_auth"},
		{map[string]string{"sender": "a@b@c"}, "sender"},
		{map[string]string{"sender": "-oQ/tmp/x"}, "sender"},
		{map[string]string{"dest": ""}, "dest"},
		{map[string]string{"dest": "a@example.org, <broken"}, "dest"},
		{map[string]string{"whois": "maybe"}, "whois"},
		{map[string]string{"whois_server": "whois.example:nine"}, "whois_server"},
		{map[string]string{"whois_server": "http://whois.example"}, "whois_server"},
		{map[string]string{"whois_server": "127.0.0.1:0"}, "whois_server"},
		{map[string]string{"mail_matches": "all"}, "mail_matches"},
		{map[string]string{"mail_startstop": "sometimes"}, "mail_startstop"},
		{map[string]string{"whois_timeout": "soon"}, "whois_timeout"},
		{map[string]string{"timeout": "-1"}, "timeout"},
		{map[string]string{"grepmax": "-3"}, "grepmax"},
		{map[string]string{"dest": "<a>", "a": "<b>", "b": "<a>"}, "loop"},
	} {
		_, err := ConfigFromParams("sendmail-whois", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ConfigFromParams(%v) = %v, want an error naming %q", tc.params, err, tc.want)
		}
	}
}

func TestPasswordFileChecks(t *testing.T) {
	p := map[string]string{"smtp_user": "u", "smtp_password_file": writePassword(t, "pw")}
	cfg, err := ConfigFromParams("sendmail", p)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := New(cfg, Options{Hostname: testHost, Log: log}); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("a 0600 file was warned about: %s", logs.String())
	}
	if err := os.Chmod(cfg.SMTPPassword, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, Options{Hostname: testHost, Log: log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "readable by other users") {
		t.Errorf("no warning about a 0644 password file: %q", logs.String())
	}
	if err := os.WriteFile(cfg.SMTPPassword, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, Options{Hostname: testHost}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("New with an empty password file = %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"10":      10 * time.Second,
		"0.5":     500 * time.Millisecond,
		"30s":     30 * time.Second,
		"2m":      2 * time.Minute,
		"1h 30m":  90 * time.Minute,
		"1h30min": 90 * time.Minute,
		"1d":      24 * time.Hour,
		"2 weeks": 14 * 24 * time.Hour,
		" 45sec ": 45 * time.Second,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "-1", "0", "10 parsecs", "1e3", "1..2", "m"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}
