// Package mail is Warden's native mail report action: it replaces
// fail2ban's mta actions (sendmail, sendmail-whois, sendmail-whois-lines,
// mail-whois...) with one that builds the message itself and sends it over
// SMTP (go-mail) or through a local `sendmail -t`, never through a shell.
//
// A ban report names the jail, the address, the failure count, the whois
// answer about the address (port 43, with a timeout and a bounded cache)
// and, for the -lines and -matches forms, the log lines. Log-derived text
// only ever goes into the body, with control characters made visible; the
// headers are built by the library from the configuration and the parsed
// address.
//
// A Mailer keeps no connection and leaves no goroutine running: each
// send dials, sends and closes, so it needs no Close. Its methods are safe
// for concurrent use.
//
// A caller turns an action's resolved parameters into a Mailer with
// ConfigFromParams and New, sends SendBan for each new ban (not for bans
// restored at start-up nor for prolonged ones: the stock mail actions are
// norestored), filling Report.Matches with the lines Config.Matches names,
// and calls SendStart and SendStop as the jail starts and stops (they send
// nothing unless mail_startstop is on).
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/wardenipd/warden/internal/clock"
)

// ErrBadReport marks a Report that can never be sent (its IP is not an
// address): retrying it is pointless.
var ErrBadReport = errors.New("bad report")

// Report is what a ban report tells.
type Report struct {
	Jail     string
	IP       string        // an address or a prefix in CIDR form
	Failures int           // failures that led to the ban
	Count    int           // bans of this address in this jail, this one included
	Time     time.Time     // when the ban started
	BanTime  time.Duration // < 0: permanent
	// Matches are the log lines of the kind Config.Matches names; they are
	// attacker-controlled and only ever go into the body.
	Matches []string
}

// Options are a Mailer's collaborators; the zero value works.
type Options struct {
	Clock    clock.Clock    // Date headers and the whois cache; clock.Real{} when nil
	Hostname string         // the host's name in subjects and addresses; os.Hostname() when empty
	Dial     DialFunc       // connections to SMTP and whois servers; a net.Dialer when nil
	RootCAs  *x509.CertPool // trusted by SMTP TLS when smtp_ca_file is unset; the system's when nil
	Log      *slog.Logger   // nil: no logging
	// WhoisCache, when set, is used instead of a cache of the Mailer's
	// own sized by whois_cache_size and whois_cache_ttl.
	WhoisCache *WhoisCache
}

// Mailer sends the reports of one mail action.
type Mailer struct {
	cfg      Config
	clock    clock.Clock
	host     string
	dial     DialFunc
	rootCAs  *x509.CertPool
	log      *slog.Logger
	fromAddr string
	dest     []string
	whois    *whoisClient
}

// New returns a Mailer for cfg. It checks that the password file, when
// one is configured, can be read.
func New(cfg Config, opts Options) (*Mailer, error) {
	m := &Mailer{cfg: cfg, clock: opts.Clock, host: opts.Hostname, dial: opts.Dial, rootCAs: opts.RootCAs, log: opts.Log}
	if m.clock == nil {
		m.clock = clock.Real{}
	}
	if m.host == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		m.host = h
	}
	if m.dial == nil {
		d := &net.Dialer{}
		m.dial = d.DialContext
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	from, err := parseAddress(cfg.Sender, m.host)
	if err != nil {
		return nil, fmt.Errorf("mail: sender: %w", err)
	}
	m.fromAddr = from.Address
	if len(cfg.Dest) == 0 {
		return nil, errors.New("mail: no recipient")
	}
	for _, d := range cfg.Dest {
		a, err := parseAddress(d, m.host)
		if err != nil {
			return nil, fmt.Errorf("mail: dest: %w", err)
		}
		m.dest = append(m.dest, a.String())
	}
	if cfg.Transport == SMTP && cfg.SMTPCAFile != "" {
		pem, err := os.ReadFile(cfg.SMTPCAFile)
		if err != nil {
			return nil, fmt.Errorf("mail: smtp_ca_file: %w", err)
		}
		m.rootCAs = x509.NewCertPool()
		if !m.rootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mail: smtp_ca_file: no PEM certificate in %s", cfg.SMTPCAFile)
		}
	}
	if cfg.Transport == SMTP && cfg.SMTPUser != "" {
		if _, err := readPassword(cfg.SMTPPassword); err != nil {
			return nil, err
		}
		if fi, err := os.Stat(cfg.SMTPPassword); err == nil && fi.Mode().Perm()&0o077 != 0 {
			m.log.Warn("the SMTP password file is readable by other users", "path", cfg.SMTPPassword, "mode", fi.Mode().Perm().String())
		}
	}
	if cfg.Whois {
		cache := opts.WhoisCache
		if cache == nil {
			cache = NewWhoisCache(m.clock, cfg.WhoisCacheSize, cfg.WhoisCacheTTL)
		}
		m.whois = newWhoisClient(cfg.WhoisServer, cfg.WhoisTimeout, m.dial, cache)
	}
	return m, nil
}

// Config returns the configuration the Mailer was made with.
func (m *Mailer) Config() Config { return m.cfg }

// SendBan sends the report of a ban. A failed whois lookup does not stop
// it: the report says the lookup failed.
func (m *Mailer) SendBan(ctx context.Context, r Report) error {
	ctx, cancel := m.withTimeout(ctx)
	defer cancel()
	what, err := parseTarget(r.IP)
	if err != nil {
		return fmt.Errorf("mail: ban report: %w: %w", ErrBadReport, err)
	}
	jail := m.jail(r.Jail)
	var whois string
	if a := what.Addr(); m.whois != nil && (a.IsPrivate() || a.IsLoopback() || !a.IsGlobalUnicast()) {
		// No public registry knows it, and asking would tell one about
		// the local network.
		whois = "(no whois lookup for a private or local address)"
	} else if m.whois != nil {
		text, err := m.whois.Lookup(ctx, a)
		if err != nil {
			m.log.Warn("whois lookup failed", "jail", jail, "ip", what.String(), "err", err)
			whois = "(the whois lookup failed: " + err.Error() + ")"
		} else {
			whois = text
		}
	}
	subject := fmt.Sprintf("[Warden] %s: banned %s from %s", jail, ipString(what), m.host)
	body := banBody(m.cfg, jail, ipString(what), r, m.whois != nil, whois)
	if err := m.send(ctx, subject, body); err != nil {
		return fmt.Errorf("mail: ban report of %s in %s: %w", ipString(what), jail, err)
	}
	return nil
}

// SendStart sends the notice that jail has started, when mail_startstop
// is on; otherwise it does nothing.
func (m *Mailer) SendStart(ctx context.Context, jail string) error {
	return m.sendNotice(ctx, jail, "started", "has been started successfully")
}

// SendStop sends the notice that jail has stopped, when mail_startstop is
// on; otherwise it does nothing.
func (m *Mailer) SendStop(ctx context.Context, jail string) error {
	return m.sendNotice(ctx, jail, "stopped", "has been stopped")
}

func (m *Mailer) sendNotice(ctx context.Context, jail, verb, sentence string) error {
	if !m.cfg.StartStop {
		return nil
	}
	ctx, cancel := m.withTimeout(ctx)
	defer cancel()
	jail = m.jail(jail)
	subject := fmt.Sprintf("[Warden] %s: %s on %s", jail, verb, m.host)
	body := fmt.Sprintf("Hi,\n\nThe jail %s %s.\n\nRegards,\n\nWarden\n", jail, sentence)
	if err := m.send(ctx, subject, body); err != nil {
		return fmt.Errorf("mail: %s notice of %s: %w", verb, jail, err)
	}
	return nil
}

func (m *Mailer) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if m.cfg.Timeout > 0 {
		return context.WithTimeout(ctx, m.cfg.Timeout)
	}
	return context.WithCancel(ctx)
}

func (m *Mailer) jail(j string) string {
	if j == "" {
		j = m.cfg.Name
	}
	return cleanLine(j)
}

// message builds the mail; go-mail writes and encodes every header.
func (m *Mailer) message(subject, body string) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(cleanLine(m.cfg.SenderName), m.fromAddr); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.dest...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(cleanLine(subject))
	msg.SetDateWithValue(m.clock.Now())
	msg.SetMessageIDWithValue(messageID(m.host))
	msg.SetUserAgent("Warden")
	msg.SetBodyString(gomail.TypeTextPlain, body)
	return msg, nil
}

func (m *Mailer) send(ctx context.Context, subject, body string) error {
	msg, err := m.message(subject, body)
	if err != nil {
		return err
	}
	switch m.cfg.Transport {
	case Sendmail:
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			return fmt.Errorf("write message: %w", err)
		}
		return m.sendmail(ctx, buf.Bytes())
	default:
		return m.smtp(ctx, msg)
	}
}

func messageID(host string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "warden." + hex.EncodeToString(b[:]) + "@" + host
}

// parseTarget reads a ban's address or prefix.
func parseTarget(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad address %q: %w", cleanLine(s), err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad address %q: %w", cleanLine(s), err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ipString is an address alone, a prefix in CIDR form.
func ipString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}
