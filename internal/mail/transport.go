package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtp sends msg to the configured server: one connection per message.
func (m *Mailer) smtp(ctx context.Context, msg *gomail.Msg) error {
	c := m.cfg
	host := strings.Trim(c.SMTPHost, "[]")
	addr := net.JoinHostPort(host, fmt.Sprint(c.SMTPPort))
	tlsConf := &tls.Config{ServerName: host, RootCAs: m.rootCAs, MinVersion: tls.VersionTLS12}

	// go-mail leaves the connection open when a step between the dial and
	// AUTH fails (a server without STARTTLS, a failed greeting): the dialer
	// keeps it so that it is always closed.
	var conns connSet
	defer conns.closeAll()
	// go-mail bounds each step by smtp_timeout but does not watch ctx:
	// closing the connection is what makes a stop or the send's time-out
	// interrupt a server that hangs.
	stop := context.AfterFunc(ctx, conns.closeAll)
	defer stop()
	// go-mail joins host and port itself, which breaks IPv6 literals: the
	// address is ours.
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		conn, err := m.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conns.add(conn)
		if c.SMTPTLS != TLSImplicit {
			return conn, nil
		}
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		return tc, nil
	}
	policy := gomail.NoTLS
	if c.SMTPTLS == TLSStartTLS {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{
		gomail.WithPort(c.SMTPPort),
		gomail.WithTimeout(c.SMTPTimeout),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(tlsConf),
		gomail.WithHELO(m.host),
		gomail.WithDialContextFunc(dial),
	}
	if c.SMTPUser != "" {
		pass, err := readPassword(c.SMTPPassword)
		if err != nil {
			return err
		}
		var auth gomail.SMTPAuthType
		if err := auth.UnmarshalString(c.SMTPAuth); err != nil {
			return fmt.Errorf("smtp_auth: %w", err)
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.SMTPUser), gomail.WithPassword(pass))
	}
	client, err := gomail.NewClient(host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("smtp %s: %w (%v)", addr, ctx.Err(), err)
		}
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	return nil
}

type connSet struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (s *connSet) add(c net.Conn) {
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

// readPassword reads the SMTP password: the file's first line.
func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("smtp password: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("smtp password: %s is empty", path)
	}
	return line, nil
}

// sendmail pipes the message to `sendmail -i -t -f SENDER`: an argv, no
// shell; the recipients come from the To header.
func (m *Mailer) sendmail(ctx context.Context, msg []byte) error {
	// sendmail reads a local message: lines end with LF. A CR inside the
	// body is quoted-printable encoded, so only line ends are CRLF here.
	msg = bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
	cmd := exec.CommandContext(ctx, m.cfg.SendmailPath, "-i", "-t", "-f", m.fromAddr)
	cmd.Stdin = bytes.NewReader(msg)
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		if s := strings.TrimSpace(out.String()); s != "" {
			return fmt.Errorf("%s: %w: %s", m.cfg.SendmailPath, err, cleanLine(s))
		}
		return fmt.Errorf("%s: %w", m.cfg.SendmailPath, err)
	}
	return nil
}

// limitedBuffer keeps the first 4 KiB written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := 4096 - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
