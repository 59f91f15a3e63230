package abuseipdb_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/abuseipdb"
)

func TestCleanComment(t *testing.T) {
	own := abuseipdb.CleanOptions{
		Hostnames: []string{"srv206", "srv206.example.org"},
		Addrs:     []string{"10.0.0.1", "2001:db8::1"},
	}
	users := own
	users.HideUsers = true
	for _, tc := range []struct {
		name  string
		lines []string
		o     abuseipdb.CleanOptions
		want  string
	}{
		{"plain lines joined", []string{"a", "", "  ", "b"}, abuseipdb.CleanOptions{}, "a\nb"},
		{"control characters", []string{"x\x00y\x1b[31mz\r", "t\tu\x7f", "bad\xffutf8"}, abuseipdb.CleanOptions{}, "xy[31mz\nt u\nbadutf8"},
		{"no escaping added", []string{`GET /a?b="c" 'd' $f2bV_matches \x`}, abuseipdb.CleanOptions{}, `GET /a?b="c" 'd' $f2bV_matches \x`},
		{"e-mail", []string{"postfix: reject: RCPT from x[192.0.2.7]: <root@srv206.example.org>: from=<a.b+c@mail.example.com>"}, own,
			"postfix: reject: RCPT from x[192.0.2.7]: <[email]>: from=<[email]>"},
		{"own names and addresses", []string{"Dec 20 20:55:14 srv206 sshd[13937]: Connection from 192.0.2.5 to 10.0.0.1 port 22 on srv206.example.org",
			"nginx: 10.0.0.12 and 10.0.0.1. srv2060 SRV206 [2001:db8::1]:443 2001:db8::12"}, own,
			"Dec 20 20:55:14 [host] sshd[13937]: Connection from 192.0.2.5 to [own-ip] port 22 on [host]\n" +
				"nginx: 10.0.0.12 and [own-ip]. srv2060 [host] [[own-ip]]:443 2001:db8::12"},
		{"users kept by default", []string{"Invalid user oracle from 192.0.2.5"}, own, "Invalid user oracle from 192.0.2.5"},
		{"users hidden", []string{
			"srv206 sshd[1]: Invalid user oracle from 192.0.2.5 port 4",
			"sshd[2]: Failed password for invalid user admin from 192.0.2.5 port 4 ssh2",
			"sshd[3]: Failed password for root from 192.0.2.5 port 4 ssh2",
			"sshd[4]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=bob rhost=192.0.2.5  user=root",
			"sshd[5]: Disconnected from authenticating user alice 192.0.2.5 port 4 [preauth]",
			"dovecot: auth: user=<carol>, rip=192.0.2.5",
		}, users,
			"[host] sshd[1]: Invalid user [user] from 192.0.2.5 port 4\n" +
				"sshd[2]: Failed password for invalid user [user] from 192.0.2.5 port 4 ssh2\n" +
				"sshd[3]: Failed password for [user] from 192.0.2.5 port 4 ssh2\n" +
				"sshd[4]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=[user] rhost=192.0.2.5  user=[user]\n" +
				"sshd[5]: Disconnected from authenticating user [user] 192.0.2.5 port 4 [preauth]\n" +
				"dovecot: auth: user=[user], rip=192.0.2.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := abuseipdb.CleanComment(tc.lines, tc.o); got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestCleanCommentCutsAt1024BytesOnARuneBoundary(t *testing.T) {
	for pad := range 4 {
		line := strings.Repeat("x", pad) + strings.Repeat("é€😀", 200)
		got := abuseipdb.CleanComment([]string{line, line}, abuseipdb.CleanOptions{})
		if len(got) > abuseipdb.MaxCommentBytes || len(got) < abuseipdb.MaxCommentBytes-3 {
			t.Errorf("pad %d: %d bytes", pad, len(got))
		}
		if !utf8.ValidString(got) {
			t.Errorf("pad %d: invalid UTF-8 at the cut: %q", pad, got[len(got)-8:])
		}
		if !strings.HasPrefix(line, got) {
			t.Errorf("pad %d: not a prefix", pad)
		}
	}
	many := make([]string, 10000)
	for i := range many {
		many[i] = "Failed password for root from 192.0.2.5"
	}
	if got := abuseipdb.CleanComment(many, abuseipdb.CleanOptions{HideUsers: true}); len(got) > abuseipdb.MaxCommentBytes {
		t.Errorf("%d bytes", len(got))
	}
}

func FuzzCleanComment(f *testing.F) {
	f.Add("Invalid user x from 192.0.2.1", "host", "10.0.0.1")
	f.Add("\xff\x00user=", "", "")
	f.Fuzz(func(t *testing.T, line, host, addr string) {
		got := abuseipdb.CleanComment([]string{line, line}, abuseipdb.CleanOptions{Hostnames: []string{host}, Addrs: []string{addr}, HideUsers: true})
		if len(got) > abuseipdb.MaxCommentBytes || !utf8.ValidString(got) {
			t.Fatalf("%d bytes, valid %v", len(got), utf8.ValidString(got))
		}
		for _, r := range got {
			if r != '\n' && (r < 0x20 || r == 0x7f) {
				t.Fatalf("control character %U in %q", r, got)
			}
		}
	})
}

func TestReportable(t *testing.T) {
	for _, ip := range []string{"192.0.2.1", "198.51.100.7", "203.0.113.250", "2001:db8::5", "8.8.8.8", "1.1.1.1",
		"2606:4700::1111", "::ffff:192.0.2.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "11.0.0.1"} {
		if !abuseipdb.Reportable(ip) {
			t.Errorf("Reportable(%q) = false", ip)
		}
	}
	for _, ip := range []string{"", "x", "192.0.2.0/24", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"100.64.0.1", "100.127.255.255", "127.0.0.1", "127.0.0.2", "169.254.1.1", "0.0.0.0", "0.1.2.3",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "::", "::1", "fc00::1", "fd12::1",
		"fe80::1", "fe80::1%eth0", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "192.0.0.8", "198.18.0.1", "100::1"} {
		if abuseipdb.Reportable(ip) {
			t.Errorf("Reportable(%q) = true", ip)
		}
	}
}
