package daemon

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpMsgs is a real SMTP server for the test: it keeps each message.
type smtpMsgs struct{ msgs chan string }

func (b smtpMsgs) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSess{b: b}, nil }

type smtpSess struct {
	b  smtpMsgs
	to []string
}

func (s *smtpSess) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSess) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSess) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.msgs <- "To-Envelope: " + strings.Join(s.to, ",") + "\n" + string(b)
	return nil
}
func (s *smtpSess) Reset()        { s.to = nil }
func (s *smtpSess) Logout() error { return nil }

// serveSMTP serves SMTP on l until the test ends.
func serveSMTP(t *testing.T, l net.Listener) chan string {
	msgs := make(chan string, 16)
	s := smtp.NewServer(smtpMsgs{msgs})
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close(); _ = l.Close(); <-done })
	return msgs
}

// serveWhois answers every whois query with a fixed text.
func serveWhois(t *testing.T, answer string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			q, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "%s\nquery: %s", answer, q)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

// TestMailActions: a jail with fail2ban's action_mwl mails one report per
// ban, with the whois answer and the matched lines; while the SMTP server
// is unreachable the ban is applied at once and the report follows when
// the server is back.
func TestMailActions(t *testing.T) {
	dir := t.TempDir()
	// A port nobody listens on yet: the mail server is down.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpAddr := probe.Addr().String()
	probe.Close()
	host, port, _ := net.SplitHostPort(smtpAddr)
	whois := serveWhois(t, "netname: EXAMPLE-NET\ncountry: ZZ")
	newConfig(t, dir, "")
	writeFile(t, filepath.Join(dir, "etc", "jail.d", "mail.local"), `[web]
action = %(action_mwl)s
destemail = admin@example.org
sender = warden@example.org
`)
	writeFile(t, filepath.Join(dir, "etc", "action.d", "sendmail-common.local"), fmt.Sprintf(`[Init]
smtp_host = %s
smtp_port = %s
smtp_tls = none
whois_server = %s
`, host, port, whois))
	nft := newKernel("nftables")
	d := startWith(t, dir, func(o *Options) { o.DryRun = false; o.Firewall = opener(nft); o.Mail.Hostname = "bastion.example.org" })

	lines := []string{failLine("192.0.2.44"), failLine("192.0.2.44") + " #2", failLine("192.0.2.44") + " `$(id)`"}
	appendLines(t, filepath.Join(dir, "web.log"), lines...)
	d.eventually("the ban in the firewall while mail is down", func() bool { _, ok := nft.has("web", "192.0.2.44"); return ok })

	l, err := net.Listen("tcp", smtpAddr)
	if err != nil {
		t.Fatalf("the test's SMTP port was taken meanwhile: %v", err)
	}
	msgs := serveSMTP(t, l)
	var msg string
	select {
	case msg = <-msgs:
	case <-time.After(wait):
		t.Fatal("no report reached the SMTP server after it came back")
	}
	for _, want := range []string{"To-Envelope: admin@example.org", "192.0.2.44", "web", "netname: EXAMPLE-NET", "query: 192.0.2.44",
		lines[0], lines[1], "`$(id)`", "bastion.example.org"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report lacks %q:\n%s", want, msg)
		}
	}
	// One report per ban: a second ban, a second report; none for the
	// restored ban after a restart.
	if _, err := d.client.Ban(context.Background(), "web", []string{"198.51.100.8"}); err != nil {
		t.Fatal(err)
	}
	select {
	case msg = <-msgs:
		if !strings.Contains(msg, "198.51.100.8") {
			t.Errorf("second report is not about the second ban:\n%s", msg)
		}
	case <-time.After(wait):
		t.Fatal("no report for the second ban")
	}
	d.stop()
	d = startWith(t, dir, func(o *Options) { o.DryRun = false; o.Firewall = opener(nft); o.Mail.Hostname = "bastion.example.org" })
	d.eventually("restored bans", func() bool { return d.status("web").CurrentlyBanned == 2 })
	d.stop()
	select {
	case msg = <-msgs:
		t.Errorf("a restored ban was reported again:\n%s", msg)
	default:
	}
}
