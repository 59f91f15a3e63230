package mail

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// received is one message the test SMTP server accepted.
type received struct {
	From string
	To   []string
	Data []byte
	User string // the authenticated user, if any
	TLS  bool   // the message came over TLS
}

type smtpBackend struct {
	user, pass string // AUTH PLAIN accepts only these; "" means no AUTH offered
	msgs       chan received
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{be: b, conn: c}, nil
}

type smtpSession struct {
	be   *smtpBackend
	conn *smtp.Conn
	cur  received
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.be.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.be.user || pass != s.be.pass {
			return errors.New("invalid credentials")
		}
		s.cur.User = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.user != "" && s.cur.User == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur.From = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = b
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.be.msgs <- s.cur
	user := s.cur.User
	s.cur = received{User: user}
	return nil
}

func (s *smtpSession) Reset() {
	user := s.cur.User
	s.cur = received{User: user}
}

func (s *smtpSession) Logout() error { return nil }

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}

// testCert makes a self-signed certificate for 127.0.0.1 and localhost,
// and the pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "warden test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

type testSMTP struct {
	host  string
	port  string
	msgs  chan received
	pool  *x509.CertPool
	certs [][]byte // the server's certificate chain, DER
}

// startSMTP runs a go-smtp server on 127.0.0.1:0 in mode none, starttls or
// tls, offering AUTH PLAIN for user/pass when user is set. It stops when
// the test ends.
func startSMTP(t *testing.T, mode TLSMode, user, pass string) *testSMTP {
	t.Helper()
	cert, pool := testCert(t)
	be := &smtpBackend{user: user, pass: pass, msgs: make(chan received, 16)}
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.AllowInsecureAuth = false
	s.ErrorLog = quietLog{} // clients that hang up early are part of the tests
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case TLSStartTLS:
		s.TLSConfig = tlsConf
	case TLSImplicit:
		ln = tls.NewListener(ln, tlsConf)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		_ = ln.Close() // Close misses a listener that Serve has not registered yet
		<-done
	})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return &testSMTP{host: host, port: port, msgs: be.msgs, pool: pool, certs: cert.Certificate}
}

// next returns the next message the server received.
func (s *testSMTP) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-s.msgs:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no message reached the SMTP server")
	}
	return received{}
}

// none checks that the server received nothing more.
func (s *testSMTP) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-s.msgs:
		t.Fatalf("unexpected message: %s", r.Data)
	default:
	}
}

// parsed is a message split into its headers and decoded body.
type parsed struct {
	Header mail.Header
	Body   string
}

func parseMessage(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	var r io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return parsed{Header: msg.Header, Body: strings.ReplaceAll(string(body), "\r\n", "\n")}
}

// whoisServer is a port-43 stand-in answering every query with answer.
type whoisServer struct {
	addr string

	mu      sync.Mutex
	queries []string
}

func (w *whoisServer) Queries() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.queries...)
}

// startWhois runs a whois stand-in on 127.0.0.1:0. With hang set it
// accepts connections and never answers.
func startWhois(t *testing.T, answer string, hang bool) *whoisServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &whoisServer{addr: ln.Addr().String()}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				stop := context.AfterFunc(ctx, func() { conn.Close() })
				defer stop()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err != nil {
					return
				}
				w.mu.Lock()
				w.queries = append(w.queries, line)
				w.mu.Unlock()
				if hang {
					<-ctx.Done()
					return
				}
				_, _ = io.WriteString(conn, answer)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		ln.Close()
		wg.Wait()
	})
	return w
}

// routeDial dials the addresses in routes at their mapped address, and
// refuses every other name, so no test ever leaves the machine.
func routeDial(routes map[string]string) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		to, ok := routes[addr]
		if !ok {
			host, _, _ := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, errors.New("test dialer: no route to " + addr)
			}
			to = addr
		}
		var d net.Dialer
		return d.DialContext(ctx, network, to)
	}
}
