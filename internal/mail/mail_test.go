package mail

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const testHost = "host.example.test"

// stockParams are the parameters `warden config dump` shows for
// fail2ban's action_mwl on the sshd jail (the shell text left out).
func stockParams(extra ...string) map[string]string {
	p := map[string]string{
		"actname":    "sendmail-whois-lines",
		"name":       "sshd",
		"sender":     "root@<fq-hostname>",
		"sendername": "Fail2Ban",
		"dest":       "root@localhost",
		"grepmax":    "1000",
		"grepopts":   "-m <grepmax>",
		"greplimit":  "tail -n <grepmax>",
		"logpath":    "/dev/null",
		"mailcmd":    `/usr/sbin/sendmail -f "<sender>" "<dest>"`,
		"chain":      "<known/chain>",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

func newMailer(t *testing.T, file string, p map[string]string, opts Options) *Mailer {
	t.Helper()
	cfg, err := ConfigFromParams(file, p)
	if err != nil {
		t.Fatalf("ConfigFromParams: %v", err)
	}
	if opts.Clock == nil {
		opts.Clock = clock.NewFake(t0)
	}
	if opts.Hostname == "" {
		opts.Hostname = testHost
	}
	m, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func testReport() Report {
	return Report{
		Jail:     "sshd",
		IP:       "192.0.2.7",
		Failures: 5,
		Count:    2,
		Time:     t0,
		BanTime:  10 * time.Minute,
		Matches: []string{
			"Mar  4 05:06:01 host sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2",
			"Mar  4 05:06:03 host sshd[1]: Failed password for admin from 192.0.2.7 port 22 ssh2",
		},
	}
}

func writePassword(t *testing.T, pass string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "smtp.pass")
	if err := os.WriteFile(path, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSMTPModes(t *testing.T) {
	for _, tc := range []struct {
		mode TLSMode
		auth bool
	}{
		{TLSNone, false},
		{TLSStartTLS, false},
		{TLSStartTLS, true},
		{TLSImplicit, true},
	} {
		name := string(tc.mode)
		if tc.auth {
			name += "+auth"
		}
		t.Run(name, func(t *testing.T) {
			user, pass := "", ""
			if tc.auth {
				user, pass = "warden", "s3cret pass"
			}
			srv := startSMTP(t, tc.mode, user, pass)
			whois := startWhois(t, "inetnum: 192.0.2.0 - 192.0.2.255\nnetname: TEST-NET-1\n", false)
			p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "smtp_tls", string(tc.mode), "whois_server", whois.addr)
			if tc.auth {
				p["smtp_user"] = user
				p["smtp_password_file"] = writePassword(t, pass)
			}
			m := newMailer(t, "sendmail-whois-lines", p, Options{RootCAs: srv.pool})
			if err := m.SendBan(context.Background(), testReport()); err != nil {
				t.Fatalf("SendBan: %v", err)
			}
			got := srv.next(t)
			if got.TLS != (tc.mode != TLSNone) {
				t.Errorf("TLS = %v, want %v", got.TLS, tc.mode != TLSNone)
			}
			if tc.auth && got.User != user {
				t.Errorf("authenticated as %q, want %q", got.User, user)
			}
			if got.From != "root@"+testHost {
				t.Errorf("envelope from = %q", got.From)
			}
			if len(got.To) != 1 || got.To[0] != "root@localhost" {
				t.Errorf("envelope to = %q", got.To)
			}
			msg := parseMessage(t, got.Data)
			if s, want := msg.Header.Get("Subject"), "[Warden] sshd: banned 192.0.2.7 from "+testHost; s != want {
				t.Errorf("Subject = %q, want %q", s, want)
			}
			if d, err := msg.Header.Date(); err != nil || !d.Equal(t0) {
				t.Errorf("Date = %v (%v), want %v", d, err, t0)
			}
			if f := msg.Header.Get("From"); f != `"Fail2Ban" <root@`+testHost+`>` {
				t.Errorf("From = %q", f)
			}
			for _, want := range []string{
				"The IP 192.0.2.7 has just been banned by Warden after\n5 attempts against sshd.",
				"The ban lasts 10m0s, until 2026-03-04T05:16:07Z.",
				"ban number 2",
				"Here is more information about 192.0.2.7 :",
				"netname: TEST-NET-1",
				"Lines containing failures of 192.0.2.7 (max 1000)",
				testReport().Matches[0],
				testReport().Matches[1],
			} {
				if !strings.Contains(msg.Body, want) {
					t.Errorf("body lacks %q:\n%s", want, msg.Body)
				}
			}
			if q := whois.Queries(); len(q) != 1 || q[0] != "192.0.2.7\r\n" {
				t.Errorf("whois queries = %q", q)
			}
			srv.none(t)
		})
	}
}

func TestSMTPIPv6Literal(t *testing.T) {
	// The server listens on 127.0.0.1; the test dialer stands in for ::1,
	// so what is checked is the address Warden dials.
	srv := startSMTP(t, TLSNone, "", "")
	for _, host := range []string{"::1", "[::1]"} {
		p := stockParams("smtp_host", host, "smtp_port", srv.port, "whois", "no")
		m := newMailer(t, "sendmail", p, Options{Dial: routeDial(map[string]string{
			"[::1]:" + srv.port: net.JoinHostPort(srv.host, srv.port),
		})})
		if err := m.SendBan(context.Background(), testReport()); err != nil {
			t.Fatalf("smtp_host %s: %v", host, err)
		}
		srv.next(t)
	}
}

func TestSMTPCAFile(t *testing.T) {
	srv := startSMTP(t, TLSImplicit, "", "")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	var pemText []byte
	for _, c := range srv.certs {
		pemText = append(pemText, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c})...)
	}
	if err := os.WriteFile(ca, pemText, 0o644); err != nil {
		t.Fatal(err)
	}
	p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "smtp_tls", "tls", "smtp_ca_file", ca, "whois", "no")
	m := newMailer(t, "sendmail", p, Options{})
	if err := m.SendBan(context.Background(), testReport()); err != nil {
		t.Fatalf("SendBan with smtp_ca_file: %v", err)
	}
	if got := srv.next(t); !got.TLS {
		t.Error("not sent over TLS")
	}

	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{notPEM: "no PEM certificate", filepath.Join(dir, "missing"): "no such file"} {
		cfg, err := ConfigFromParams("sendmail", stockParams("smtp_ca_file", file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(cfg, Options{Hostname: testHost}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with smtp_ca_file %s = %v, want %q", file, err, want)
		}
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	srv := startSMTP(t, TLSStartTLS, "warden", "right")
	p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "smtp_tls", "starttls",
		"smtp_user", "warden", "smtp_password_file", writePassword(t, "wrong"), "whois", "no")
	m := newMailer(t, "sendmail-whois-lines", p, Options{RootCAs: srv.pool})
	err := m.SendBan(context.Background(), testReport())
	if err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("SendBan = %v, want an AUTH error", err)
	}
	srv.none(t)
}

func TestSMTPStartTLSRequired(t *testing.T) {
	srv := startSMTP(t, TLSNone, "", "")
	p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "smtp_tls", "starttls", "whois", "no")
	m := newMailer(t, "sendmail", p, Options{RootCAs: srv.pool})
	err := m.SendBan(context.Background(), testReport())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("SendBan = %v, want a STARTTLS error", err)
	}
	srv.none(t)
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	for _, mode := range []TLSMode{TLSStartTLS, TLSImplicit} {
		t.Run(string(mode), func(t *testing.T) {
			srv := startSMTP(t, mode, "", "")
			p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "smtp_tls", string(mode))
			m := newMailer(t, "sendmail", p, Options{}) // system roots: the test CA is unknown
			err := m.SendBan(context.Background(), testReport())
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("SendBan = %v, want a certificate error", err)
			}
			srv.none(t)
		})
	}
}

func TestSMTPUnreachableFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	host, port, _ := net.SplitHostPort(addr)
	whois := startWhois(t, "netname: X\n", false)
	m := newMailer(t, "sendmail-whois", stockParams("smtp_host", host, "smtp_port", port, "whois_server", whois.addr), Options{})
	start := time.Now()
	err = m.SendBan(context.Background(), testReport())
	if err == nil {
		t.Fatal("SendBan to a closed port succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("SendBan took %v to fail", d)
	}
	for _, want := range []string{addr, "refused", "192.0.2.7", "sshd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestWhoisReferralAndCache(t *testing.T) {
	ripe := startWhois(t, "% RIPE stand-in\ninetnum: 198.51.100.0 - 198.51.100.255\nnetname: RIPE-TEST\n", false)
	iana := startWhois(t, "% IANA WHOIS server\nrefer:        whois.ripe.example\n\ninetnum: 198.0.0.0 - 198.255.255.255\n", false)
	fake := clock.NewFake(t0)
	srv := startSMTP(t, TLSNone, "", "")
	p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "whois_server", "whois.iana.example",
		"whois_cache_ttl", "1h")
	m := newMailer(t, "sendmail-whois", p, Options{Clock: fake, Dial: routeDial(map[string]string{
		"whois.iana.example:43": iana.addr,
		"whois.ripe.example:43": ripe.addr,
	})})
	r := testReport()
	r.IP = "198.51.100.9"
	send := func() parsed {
		t.Helper()
		if err := m.SendBan(context.Background(), r); err != nil {
			t.Fatalf("SendBan: %v", err)
		}
		return parseMessage(t, srv.next(t).Data)
	}
	msg := send()
	if !strings.Contains(msg.Body, "netname: RIPE-TEST") {
		t.Errorf("body lacks the referred answer:\n%s", msg.Body)
	}
	if strings.Contains(msg.Body, "IANA WHOIS") {
		t.Errorf("body has IANA's answer, not the referred one:\n%s", msg.Body)
	}
	if strings.Contains(msg.Body, "Lines containing") {
		t.Errorf("sendmail-whois has no lines section:\n%s", msg.Body)
	}
	// A second ban within the TTL is answered from the cache.
	msg = send()
	if !strings.Contains(msg.Body, "netname: RIPE-TEST") {
		t.Errorf("cached body lacks the answer:\n%s", msg.Body)
	}
	if n, k := len(iana.Queries()), len(ripe.Queries()); n != 1 || k != 1 {
		t.Errorf("queries after a cached lookup: iana %d, ripe %d; want 1, 1", n, k)
	}
	// Past the TTL it asks again.
	fake.Advance(time.Hour)
	send()
	if n, k := len(iana.Queries()), len(ripe.Queries()); n != 2 || k != 2 {
		t.Errorf("queries after the TTL: iana %d, ripe %d; want 2, 2", n, k)
	}
}

func TestWhoisFailureStillMails(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	for name, server := range map[string]string{
		"hangs":   startWhois(t, "", true).addr,
		"refused": closedAddr,
	} {
		t.Run(name, func(t *testing.T) {
			srv := startSMTP(t, TLSNone, "", "")
			p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "whois_server", server)
			cfg, err := ConfigFromParams("sendmail-whois-lines", p)
			if err != nil {
				t.Fatal(err)
			}
			cfg.WhoisTimeout = 300 * time.Millisecond
			m, err := New(cfg, Options{Clock: clock.NewFake(t0), Hostname: testHost})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := m.SendBan(context.Background(), testReport()); err != nil {
				t.Fatalf("SendBan: %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("SendBan took %v", d)
			}
			msg := parseMessage(t, srv.next(t).Data)
			if !strings.Contains(msg.Body, "(the whois lookup failed: whois 192.0.2.7 at "+server) {
				t.Errorf("body does not say the lookup failed:\n%s", msg.Body)
			}
			if !strings.Contains(msg.Body, testReport().Matches[0]) {
				t.Errorf("body lacks the lines:\n%s", msg.Body)
			}
			// A failure is not cached.
			if m.whois.cache.len() != 0 {
				t.Errorf("failed lookup cached")
			}
		})
	}
}

func TestSubnetReport(t *testing.T) {
	whois := startWhois(t, "inet6num: 2001:db8::/32\nnetname: DOC\n", false)
	srv := startSMTP(t, TLSNone, "", "")
	p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "whois_server", whois.addr)
	m := newMailer(t, "sendmail-whois-matches", p, Options{})
	r := testReport()
	r.IP = "2001:db8:0:1:ffff::5/64"
	r.BanTime = -1
	if err := m.SendBan(context.Background(), r); err != nil {
		t.Fatalf("SendBan: %v", err)
	}
	msg := parseMessage(t, srv.next(t).Data)
	if s := msg.Header.Get("Subject"); !strings.Contains(s, "banned 2001:db8:0:1::/64 from") {
		t.Errorf("Subject = %q", s)
	}
	for _, want := range []string{"The ban is permanent.", "netname: DOC", "\nMatches:\n" + r.Matches[0]} {
		if !strings.Contains(msg.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, msg.Body)
		}
	}
	if q := whois.Queries(); len(q) != 1 || q[0] != "2001:db8:0:1::\r\n" {
		t.Errorf("whois queries = %q", q)
	}
}

func TestBadAddressRefused(t *testing.T) {
	srv := startSMTP(t, TLSNone, "", "")
	m := newMailer(t, "sendmail", stockParams("smtp_host", srv.host, "smtp_port", srv.port), Options{})
	r := testReport()
	r.IP = "192.0.2.7\r\nBcc: victim@example.net"
	err := m.SendBan(context.Background(), r)
	if !errors.Is(err, ErrBadReport) {
		t.Fatalf("SendBan = %v, want ErrBadReport", err)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("error carries raw line breaks: %q", err)
	}
	srv.none(t)
}

func TestStartStop(t *testing.T) {
	srv := startSMTP(t, TLSNone, "", "")
	base := stockParams("smtp_host", srv.host, "smtp_port", srv.port)
	off := newMailer(t, "sendmail", base, Options{})
	if err := off.SendStart(context.Background(), "sshd"); err != nil {
		t.Fatal(err)
	}
	if err := off.SendStop(context.Background(), "sshd"); err != nil {
		t.Fatal(err)
	}
	srv.none(t) // off by default

	on := newMailer(t, "sendmail", stockParams("smtp_host", srv.host, "smtp_port", srv.port, "mail_startstop", "yes"), Options{})
	if err := on.SendStart(context.Background(), "sshd"); err != nil {
		t.Fatal(err)
	}
	msg := parseMessage(t, srv.next(t).Data)
	if s := msg.Header.Get("Subject"); s != "[Warden] sshd: started on "+testHost {
		t.Errorf("Subject = %q", s)
	}
	if !strings.Contains(msg.Body, "The jail sshd has been started successfully.") {
		t.Errorf("body: %s", msg.Body)
	}
	if err := on.SendStop(context.Background(), ""); err != nil { // "" is the configured name
		t.Fatal(err)
	}
	msg = parseMessage(t, srv.next(t).Data)
	if s := msg.Header.Get("Subject"); s != "[Warden] sshd: stopped on "+testHost {
		t.Errorf("Subject = %q", s)
	}
}

func TestWhoisCacheLRU(t *testing.T) {
	fake := clock.NewFake(t0)
	c := NewWhoisCache(fake, 2, time.Hour)
	c.put("a", "A")
	c.put("b", "B")
	if _, ok := c.get("a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.put("c", "C") // evicts b
	if _, ok := c.get("b"); ok {
		t.Error("b kept past the cap")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if c.len() != 2 {
		t.Errorf("len = %d", c.len())
	}
	fake.Advance(time.Hour)
	if _, ok := c.get("a"); ok {
		t.Error("a served past its TTL")
	}
}

func TestReferral(t *testing.T) {
	for text, want := range map[string]string{
		"refer:        whois.ripe.net\n":                    "whois.ripe.net:43",
		"% x\nwhois:        whois.arin.net\n":               "whois.arin.net:43",
		"ReferralServer:  whois://whois.lacnic.net\n":       "whois.lacnic.net:43",
		"ReferralServer:  whois://whois.lacnic.net:43\n":    "whois.lacnic.net:43",
		"ReferralServer:  rwhois://rwhois.example.net:4321": "",
		"ReferralServer:  whois://evil.example:25\n":        "",
		"refer: bad;name\n":                                 "",
		"netname: X\n":                                      "",
	} {
		if got := referral(text); got != want {
			t.Errorf("referral(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":          "192.0.2.7",
		"::ffff:192.0.2.7":   "192.0.2.7",
		"192.0.2.7/24":       "192.0.2.0/24",
		"2001:DB8::1":        "2001:db8::1",
		"2001:db8::1:2/64":   "2001:db8::/64",
		"2001:db8::1/128":    "2001:db8::1",
		"not an address":     "",
		"192.0.2.7\nBcc: x":  "",
		"$(id>pwned)/24":     "",
		"192.0.2.7/24\r\nX:": "",
	} {
		p, err := parseTarget(in)
		if want == "" {
			if err == nil {
				t.Errorf("parseTarget(%q) = %v, want an error", in, p)
			}
			continue
		}
		if err != nil || ipString(p) != want {
			t.Errorf("parseTarget(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	if _, err := netip.ParseAddr("192.0.2.7"); err != nil {
		t.Fatal(err)
	}
}

func TestWhoisReferralEdges(t *testing.T) {
	big := "netname: BIG\n" + strings.Repeat("remarks: "+strings.Repeat("x", 70)+"\n", 2500) // ~200 KiB
	for _, tc := range []struct {
		name    string
		answer  string
		want    []string
		queries int
		cached  bool
	}{
		{"referral down", "% IANA\nrefer: whois.down.example\n", []string{"% IANA", "(the referral to whois.down.example:43 failed: test dialer: no route"}, 1, false},
		{"referral to itself", "% IANA\nrefer: whois.iana.example\n", []string{"% IANA"}, 1, true},
		{"answer cut", big, []string{"netname: BIG", "(answer cut)"}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iana := startWhois(t, tc.answer, false)
			srv := startSMTP(t, TLSNone, "", "")
			p := stockParams("smtp_host", srv.host, "smtp_port", srv.port, "whois_server", "whois.iana.example")
			m := newMailer(t, "sendmail-whois", p, Options{Dial: routeDial(map[string]string{"whois.iana.example:43": iana.addr})})
			if err := m.SendBan(context.Background(), testReport()); err != nil {
				t.Fatalf("SendBan: %v", err)
			}
			msg := parseMessage(t, srv.next(t).Data)
			for _, want := range tc.want {
				if !strings.Contains(msg.Body, want) {
					t.Errorf("body lacks %q:\n%.2000s", want, msg.Body)
				}
			}
			if len(msg.Body) > maxWhoisAnswer+4096 {
				t.Errorf("body is %d bytes", len(msg.Body))
			}
			if n := len(iana.Queries()); n != tc.queries {
				t.Errorf("%d queries, want %d", n, tc.queries)
			}
			if cached := m.whois.cache.len() == 1; cached != tc.cached {
				t.Errorf("answer cached: %v, want %v", cached, tc.cached)
			}
		})
	}
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestFailedSendsCloseTheirConnections(t *testing.T) {
	// go-mail returns without closing the connection when the server
	// lacks STARTTLS; Warden closes it. A failed AUTH is checked too.
	srv := startSMTP(t, TLSStartTLS, "warden", "right")
	plain := startSMTP(t, TLSNone, "", "")
	wrong := newMailer(t, "sendmail", stockParams("smtp_host", srv.host, "smtp_port", srv.port, "smtp_tls", "starttls",
		"smtp_user", "warden", "smtp_password_file", writePassword(t, "wrong")), Options{RootCAs: srv.pool})
	noTLS := newMailer(t, "sendmail", stockParams("smtp_host", plain.host, "smtp_port", plain.port, "smtp_tls", "starttls"), Options{})
	// A leaked connection's descriptor is closed by a finalizer when the
	// garbage collector runs: with it off, a leak shows.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := openFDs(t)
	for range 10 {
		if err := wrong.SendBan(context.Background(), testReport()); err == nil {
			t.Fatal("wrong password accepted")
		}
		if err := noTLS.SendBan(context.Background(), testReport()); err == nil {
			t.Fatal("STARTTLS missing, yet sent")
		}
	}
	// The server side closes its end once the client has closed its own.
	deadline := time.Now().Add(5 * time.Second)
	for openFDs(t) > before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := openFDs(t); n > before+2 {
		t.Errorf("%d file descriptors open after 20 failed sends, %d before", n, before)
	}
}

func TestNoWhoisForLocalAddresses(t *testing.T) {
	whois := startWhois(t, "netname: X\n", false)
	srv := startSMTP(t, TLSNone, "", "")
	m := newMailer(t, "sendmail-whois", stockParams("smtp_host", srv.host, "smtp_port", srv.port, "whois_server", whois.addr), Options{})
	for _, ip := range []string{"10.1.2.3", "192.168.0.0/16", "127.0.0.1", "fd00::1", "fe80::1", "::1"} {
		r := testReport()
		r.IP = ip
		if err := m.SendBan(context.Background(), r); err != nil {
			t.Fatalf("SendBan %s: %v", ip, err)
		}
		msg := parseMessage(t, srv.next(t).Data)
		if !strings.Contains(msg.Body, "(no whois lookup for a private or local address)") {
			t.Errorf("%s: body:\n%s", ip, msg.Body)
		}
	}
	if q := whois.Queries(); len(q) != 0 {
		t.Errorf("whois asked about local addresses: %q", q)
	}
}

func TestSMTPHangInterruptedByContext(t *testing.T) {
	// A server that accepts and never greets; smtp_timeout is long, the
	// caller's context or the action's timeout ends first.
	hang := startWhois(t, "", true)
	host, port, _ := net.SplitHostPort(hang.addr)
	for name, timeout := range map[string]string{"caller": "1m", "timeout param": "0.3"} {
		t.Run(name, func(t *testing.T) {
			m := newMailer(t, "sendmail", stockParams("smtp_host", host, "smtp_port", port, "smtp_timeout", "1m", "timeout", timeout), Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if name != "caller" {
				ctx = context.Background()
			}
			start := time.Now()
			err := m.SendBan(ctx, testReport())
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("SendBan = %v, want a deadline error", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("SendBan took %v", d)
			}
		})
	}
}

func TestDotLinesSurvive(t *testing.T) {
	// Lines of a lone dot end an SMTP DATA or a plain sendmail input: the
	// transports must carry them through (dot-stuffing, sendmail -i).
	srv := startSMTP(t, TLSNone, "", "")
	path, dir := fakeSendmail(t, "")
	r := testReport()
	r.Matches = []string{".", "..", ". QUIT"}
	for _, p := range []map[string]string{
		stockParams("smtp_host", srv.host, "smtp_port", srv.port, "whois", "no"),
		stockParams("mailer", "sendmail", "sendmail_path", path, "whois", "no"),
	} {
		m := newMailer(t, "sendmail-whois-matches", p, Options{})
		if err := m.SendBan(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		var data []byte
		if p["mailer"] == "sendmail" {
			var err error
			if data, err = os.ReadFile(filepath.Join(dir, "stdin")); err != nil {
				t.Fatal(err)
			}
		} else {
			data = srv.next(t).Data
		}
		msg := parseMessage(t, data)
		if !strings.Contains(msg.Body, "\nMatches:\n.\n..\n. QUIT\n\nRegards,") {
			t.Errorf("%s: body:\n%s", p["mailer"], msg.Body)
		}
	}
}

func TestSharedWhoisCache(t *testing.T) {
	a := startWhois(t, "netname: FROM-A\n", false)
	b := startWhois(t, "netname: FROM-B\n", false)
	srv := startSMTP(t, TLSNone, "", "")
	cache := NewWhoisCache(clock.NewFake(t0), 10, time.Hour)
	mailer := func(jail, server string) *Mailer {
		return newMailer(t, "sendmail-whois", stockParams("name", jail, "smtp_host", srv.host, "smtp_port", srv.port, "whois_server", server), Options{WhoisCache: cache})
	}
	sshd, nginx, other := mailer("sshd", a.addr), mailer("nginx", a.addr), mailer("postfix", b.addr)
	for _, m := range []*Mailer{sshd, nginx, other} {
		if err := m.SendBan(context.Background(), Report{IP: "203.0.113.5", Failures: 3}); err != nil {
			t.Fatal(err)
		}
		srv.next(t)
	}
	if n, k := len(a.Queries()), len(b.Queries()); n != 1 || k != 1 {
		t.Errorf("queries: a %d, b %d; want 1 each (shared by server, not across servers)", n, k)
	}
	if cache.len() != 2 {
		t.Errorf("cache holds %d answers, want 2", cache.len())
	}
}
