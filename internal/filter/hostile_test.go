package filter

import (
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
)

// TestBuiltinHostileLines: the parts of a line a client chooses (user
// names, referrers, user agents, a Basic-auth user in an access log)
// neither pick the address a built-in filter bans nor hide a failure.
// The real attacker is 198.51.100.7; the address it writes into its own
// text is 203.0.113.9. want is the address the filter must find ("" for
// no failure: the line is not read rather than read wrong).
func TestBuiltinHostileLines(t *testing.T) {
	const atk, fake = "198.51.100.7", "203.0.113.9"
	cases := []struct {
		filter, line, want string
	}{
		// sshd: user names with " from ADDR port N ssh2: ..." in them.
		{"sshd", "Dec  2 01:00:00 srv sshd[1]: Failed password for invalid user x from " + fake + " port 22 ssh2: y from " + atk + " port 4242 ssh2", atk},
		{"sshd", "Dec  2 01:00:00 srv sshd[1]: Failed password for x from " + fake + " port 22 ssh2 from " + atk + " port 4242 ssh2", atk},
		{"sshd[mode=aggressive]", "Dec  2 01:00:00 srv sshd[1]: Failed publickey for invalid user x from " + fake + " port 22 ssh2: RSA SHA256:a from " + atk + " port 4242 ssh2: RSA SHA256:b", atk},
		{"sshd", "Dec  2 01:00:00 srv sshd[1]: Invalid user x from " + fake + " port 22 from " + atk + " port 4242", atk},
		{"sshd", "Dec  2 01:00:00 srv sshd[1]: Disconnecting invalid user x " + fake + " port 22: Change of username or service not allowed: (a,b) -> (c,d) [preauth] " + atk + " port 4242: Change of username or service not allowed: (x,ssh-connection) -> (root,ssh-connection) [preauth]", ""},
		// proxmox: a user name holding "rhost=".
		{"proxmox", "Dec  2 01:00:00 pve pvedaemon[1]: authentication failure; rhost=::ffff:" + atk + " user=x rhost=" + fake + " msg=y", atk},
		{"proxmox", "Dec  2 01:00:00 pve pvedaemon[1]: authentication failure; rhost=2001:db8::7 user=root@pam msg=Authentication failure", "2001:db8::7"},
		// vsftpd: PAM's ruser/user and its own log's user field.
		{"vsftpd", "Dec  2 01:00:00 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=" + fake + " user=z rhost=::ffff:" + atk + "  user=x rhost=" + fake + " user=z", atk},
		{"vsftpd", "Dec  2 01:00:00 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=" + fake + " rhost=::ffff:" + atk, atk},
		{"vsftpd", `Wed Dec  2 01:00:00 2026 [pid 1] [x] FAIL LOGIN: Client "` + fake + `",] FAIL LOGIN: Client "::ffff:` + atk + `"`, atk},
		// nginx: a referrer with spaces, a user name holding "client:".
		{"nginx-http-auth", `2026/12/02 01:00:00 [error] 1#1: *1 user "alice": password mismatch, client: ` + atk + `, server: w, request: "GET /p/ HTTP/1.1", host: "192.0.2.1", referrer: "http://x/ a b"`, atk},
		{"nginx-http-auth", `2026/12/02 01:00:00 [error] 1#1: *1 user "x": password mismatch, client: ` + fake + `, server: w, request: "GET / HTTP/1.1", host: "h": password mismatch, client: ` + atk + `, server: w, request: "GET /p/ HTTP/1.1", host: "192.0.2.1"`, atk},
		// Access logs: a Basic-auth user with spaces (nginx logs any).
		{"wordpress", atk + ` - a b [02/Dec/2026:01:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 188 "-" "curl/7.88.1"`, atk},
		{"nginx-botsearch", atk + ` - a b [02/Dec/2026:01:00:00 +0000] "GET /phpmyadmin/ HTTP/1.1" 404 153 "-" "curl/7.88.1"`, atk},
	}
	now := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	for _, c := range cases {
		ref, err := config.ParseRef(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		def, err := config.LoadFilter(ref.Name, config.FilterOptions{Options: config.Options{Dir: t.TempDir()}, Args: ref.Args})
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		f, err := New(Options{PrefRegex: def.PrefRegex, FailRegex: def.FailRegex, IgnoreRegex: def.IgnoreRegex,
			MaxLines: def.MaxLines, DatePattern: def.DatePattern, UseDNS: "no",
			Location: time.UTC, Now: func() time.Time { return now }, DateStartup: now})
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		rs, err := f.ProcessLine(c.line)
		if err != nil {
			t.Fatalf("%s: %v\n  line: %s", c.filter, err, c.line)
		}
		got := ""
		for _, r := range rs {
			if r.HasID && !r.NoFail() {
				got = r.ID
			}
		}
		if got != c.want {
			t.Errorf("%s: found %q, want %q\n  line: %s", c.filter, got, c.want, c.line)
		}
	}
}
