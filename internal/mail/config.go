package mail

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Transport is how a report leaves the host.
type Transport string

const (
	// SMTP talks to a mail server directly.
	SMTP Transport = "smtp"
	// Sendmail pipes the message to a local `sendmail -t`.
	Sendmail Transport = "sendmail"
)

// TLSMode is how the SMTP connection is protected.
type TLSMode string

const (
	// TLSNone sends in clear text (a local relay).
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades the connection with STARTTLS and fails if the
	// server does not offer it.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "tls"
)

// MatchKind says which log lines a report carries. The caller fills
// Report.Matches accordingly.
type MatchKind int

const (
	// NoMatches: the report has no log lines (sendmail, sendmail-whois,
	// mail, mail-whois).
	NoMatches MatchKind = iota
	// LogLines: the lines of the ban's failures, under fail2ban's
	// "Lines containing failures of IP" heading (the -lines forms).
	LogLines
	// JailMatches: the ban's matches (fail2ban's <matches>).
	JailMatches
	// IPMatches: every match of the address in every jail (<ipmatches>).
	IPMatches
	// IPJailMatches: every match of the address in this jail
	// (<ipjailmatches>).
	IPJailMatches
)

func (k MatchKind) String() string {
	switch k {
	case NoMatches:
		return "none"
	case LogLines:
		return "lines"
	case JailMatches:
		return "matches"
	case IPMatches:
		return "ipmatches"
	case IPJailMatches:
		return "ipjailmatches"
	}
	return "matchkind(" + strconv.Itoa(int(k)) + ")"
}

// Config is a mail action's settings, as ConfigFromParams reads them.
// Sender and Dest may still hold the <fq-hostname> and <sh-hostname> tags:
// New replaces them with the host's name.
type Config struct {
	File       string   // the action.d name: "sendmail-whois-lines"...
	Name       string   // the jail ("name" param); Report.Jail wins when set
	Sender     string   // envelope and From address
	SenderName string   // From display name
	Dest       []string // recipients

	Transport    Transport
	SMTPHost     string
	SMTPPort     int
	SMTPTLS      TLSMode
	SMTPUser     string // empty: no authentication
	SMTPPassword string // path of the file holding the password
	SMTPAuth     string // go-mail mechanism name: plain, login, cram-md5, scram-sha-256...
	SMTPCAFile   string // PEM certificates trusted instead of the system's
	SMTPTimeout  time.Duration
	SendmailPath string

	Whois          bool
	WhoisServer    string // host or host:port; port 43 by default
	WhoisTimeout   time.Duration
	WhoisCacheSize int
	WhoisCacheTTL  time.Duration

	Matches   MatchKind
	MaxLines  int           // at most this many lines in a report (fail2ban's grepmax)
	StartStop bool          // send start and stop notices
	Timeout   time.Duration // one whole send, whois included
}

// Defaults of the parameters that the stock action files do not set.
const (
	DefaultSender         = "root@<fq-hostname>"
	DefaultSenderName     = "Warden"
	DefaultDest           = "root"
	DefaultSMTPHost       = "localhost"
	DefaultSMTPAuth       = "plain"
	DefaultSMTPTimeout    = 30 * time.Second
	DefaultSendmailPath   = "/usr/sbin/sendmail"
	DefaultWhoisServer    = "whois.iana.org"
	DefaultWhoisTimeout   = 10 * time.Second
	DefaultWhoisCacheSize = 1024
	DefaultWhoisCacheTTL  = 24 * time.Hour
	DefaultMaxLines       = 1000
	DefaultTimeout        = 60 * time.Second
)

// forms lists the stock mta actions Warden replaces, with what each one
// puts in its report.
var forms = map[string]struct {
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
	"warden-mail":                  {true, LogLines},
}

// Native reports whether file (an action.d name) is a mail action this
// package implements.
func Native(file string) bool {
	_, ok := forms[file]
	return ok
}

// ConfigFromParams reads a mail action's resolved parameters: fail2ban's
// (sender, sendername, dest, name, grepmax, timeout) and Warden's own
// (mailer, smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password_file,
// smtp_auth, smtp_ca_file, smtp_timeout, sendmail_path, whois, whois_server,
// whois_timeout, whois_cache_size, whois_cache_ttl, mail_matches,
// mail_startstop). Other parameters (fail2ban's actionban shell text,
// mailcmd, logpath...) are ignored. A tag such as <sender> in a value is
// replaced by that parameter, except <fq-hostname> and <sh-hostname>,
// which New replaces.
func ConfigFromParams(file string, params map[string]string) (Config, error) {
	form, ok := forms[file]
	if !ok {
		return Config{}, fmt.Errorf("mail: %q is not a native mail action", file)
	}
	r := resolver{params: params}
	c := Config{
		File:           file,
		Name:           r.get("name", "default"),
		Sender:         r.get("sender", DefaultSender),
		SenderName:     r.get("sendername", DefaultSenderName),
		Transport:      Transport(strings.ToLower(r.get("mailer", string(SMTP)))),
		SMTPHost:       r.get("smtp_host", DefaultSMTPHost),
		SMTPUser:       r.get("smtp_user", ""),
		SMTPPassword:   r.get("smtp_password_file", ""),
		SMTPAuth:       strings.ToLower(r.get("smtp_auth", DefaultSMTPAuth)),
		SMTPCAFile:     r.get("smtp_ca_file", ""),
		SendmailPath:   r.get("sendmail_path", DefaultSendmailPath),
		Whois:          form.whois,
		WhoisServer:    r.get("whois_server", DefaultWhoisServer),
		WhoisCacheSize: DefaultWhoisCacheSize,
		Matches:        form.matches,
	}
	var errs []error
	bad := func(key string, err error) { errs = append(errs, fmt.Errorf("%s: %w", key, err)) }

	dest := r.get("dest", DefaultDest)
	var err error
	if c.Dest, err = splitDest(dest); err != nil {
		bad("dest", err)
	}
	if err := checkAddress(c.Sender); err != nil {
		bad("sender", err)
	}
	if r.err != nil {
		errs = append(errs, r.err)
	}

	switch c.Transport {
	case SMTP, Sendmail:
	default:
		bad("mailer", fmt.Errorf("%q is neither smtp nor sendmail", c.Transport))
	}
	if c.Transport == Sendmail && !strings.HasPrefix(c.SendmailPath, "/") {
		bad("sendmail_path", fmt.Errorf("%q is not an absolute path", c.SendmailPath))
	}
	if c.SMTPHost == "" || strings.ContainsAny(c.SMTPHost, " \t/\\") {
		bad("smtp_host", fmt.Errorf("%q is not a host name or address", c.SMTPHost))
	}
	if v := r.get("smtp_tls", ""); v != "" {
		switch m := TLSMode(strings.ToLower(v)); m {
		case TLSNone, TLSStartTLS, TLSImplicit:
			c.SMTPTLS = m
		default:
			bad("smtp_tls", fmt.Errorf("%q is not none, starttls or tls", v))
		}
	} else if isLoopbackName(c.SMTPHost) {
		c.SMTPTLS = TLSNone
	} else {
		c.SMTPTLS = TLSStartTLS
	}
	switch v := r.get("smtp_port", ""); {
	case v != "":
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			bad("smtp_port", fmt.Errorf("%q is not a port number", v))
		}
		c.SMTPPort = p
	case c.SMTPTLS == TLSImplicit:
		c.SMTPPort = 465
	case c.SMTPTLS == TLSStartTLS:
		c.SMTPPort = 587
	default:
		c.SMTPPort = 25
	}
	if c.SMTPUser != "" && c.SMTPPassword == "" {
		bad("smtp_password_file", errors.New("needed with smtp_user"))
	}
	if c.SMTPUser == "" && c.SMTPPassword != "" {
		bad("smtp_user", errors.New("needed with smtp_password_file"))
	}
	switch c.SMTPAuth {
	case "plain", "login", "cram-md5", "scram-sha-1", "scram-sha-256", "auto":
	default:
		bad("smtp_auth", fmt.Errorf("%q is not plain, login, cram-md5, scram-sha-1, scram-sha-256 or auto", c.SMTPAuth))
	}
	if v := r.get("whois", ""); v != "" {
		b, err := parseBool(v)
		if err != nil {
			bad("whois", err)
		}
		c.Whois = b
	}
	if strings.EqualFold(c.WhoisServer, "none") || c.WhoisServer == "" {
		c.Whois = false
	} else if err := checkServer(c.WhoisServer); err != nil {
		bad("whois_server", err)
	}
	if v := r.get("mail_matches", ""); v != "" {
		k, err := parseMatchKind(v)
		if err != nil {
			bad("mail_matches", err)
		}
		c.Matches = k
	}
	if v := r.get("mail_startstop", ""); v != "" {
		b, err := parseBool(v)
		if err != nil {
			bad("mail_startstop", err)
		}
		c.StartStop = b
	}
	dur := func(key string, def time.Duration) time.Duration {
		v := r.get(key, "")
		if v == "" {
			return def
		}
		d, err := parseDuration(v)
		if err != nil {
			bad(key, err)
			return def
		}
		return d
	}
	c.SMTPTimeout = dur("smtp_timeout", DefaultSMTPTimeout)
	c.WhoisTimeout = dur("whois_timeout", DefaultWhoisTimeout)
	c.WhoisCacheTTL = dur("whois_cache_ttl", DefaultWhoisCacheTTL)
	c.Timeout = dur("timeout", DefaultTimeout)
	num := func(key string, def int) int {
		v := r.get(key, "")
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad(key, fmt.Errorf("%q is not a count", v))
			return def
		}
		return n
	}
	c.WhoisCacheSize = num("whois_cache_size", DefaultWhoisCacheSize)
	c.MaxLines = num("grepmax", DefaultMaxLines)
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("mail action %s: %w", file, errors.Join(errs...))
	}
	return c, nil
}

// resolver reads parameters, replacing <tag> references to other
// parameters as fail2ban does, but leaving the host-name tags.
type resolver struct {
	params map[string]string
	err    error
}

func (r *resolver) get(key, def string) string {
	v, ok := r.params[key]
	if !ok {
		return def
	}
	out, err := r.expand(v, 0)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: %w", key, err)
	}
	return strings.TrimSpace(out)
}

func (r *resolver) expand(v string, depth int) (string, error) {
	if depth > 10 {
		return v, errors.New("tags nested too deeply (a loop?)")
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			b.WriteString(v)
			return b.String(), nil
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			b.WriteString(v)
			return b.String(), nil
		}
		tag := v[i+1 : i+j]
		b.WriteString(v[:i])
		if sub, ok := r.params[tag]; ok && tag != "fq-hostname" && tag != "sh-hostname" {
			x, err := r.expand(sub, depth+1)
			if err != nil {
				return v, err
			}
			b.WriteString(x)
		} else {
			b.WriteString(v[i : i+j+1])
		}
		v = v[i+j+1:]
	}
}

// splitDest reads a recipient list: addresses separated by commas or, as
// fail2ban's mail actions take them, by blanks. A bare user name is kept
// as it is; New qualifies it with the host name.
func splitDest(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.ContainsAny(part, "<\"") {
			if err := checkAddress(part); err != nil {
				return nil, err
			}
			out = append(out, part)
			continue
		}
		for _, f := range strings.Fields(part) {
			if err := checkAddress(f); err != nil {
				return nil, err
			}
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no recipient")
	}
	return out, nil
}

// checkAddress validates an address as it will be once the host-name
// tags are replaced.
func checkAddress(a string) error {
	_, err := parseAddress(a, "localhost.localdomain")
	return err
}

// parseAddress replaces the host-name tags in a, qualifies a bare user
// name with host and parses the result.
func parseAddress(a, host string) (*mail.Address, error) {
	short, _, _ := strings.Cut(host, ".")
	a = strings.ReplaceAll(a, "<fq-hostname>", host)
	a = strings.ReplaceAll(a, "<sh-hostname>", short)
	if !strings.ContainsAny(a, "@<\" ") {
		a += "@" + host
	}
	addr, err := mail.ParseAddress(a)
	if err != nil {
		return nil, fmt.Errorf("bad address %q: %w", a, err)
	}
	if strings.HasPrefix(addr.Address, "-") {
		return nil, fmt.Errorf("bad address %q: starts with '-'", a)
	}
	return addr, nil
}

// checkServer validates a host or host:port.
func checkServer(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.Trim(s, "[]"), "43"
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q: bad port", s)
	}
	if host == "" || strings.ContainsAny(host, " \t/\\@") {
		return fmt.Errorf("%q is not a host name or address", s)
	}
	return nil
}

func isLoopbackName(h string) bool {
	h = strings.ToLower(strings.Trim(h, "[]"))
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true", "on":
		return true, nil
	case "0", "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", v)
}

func parseMatchKind(v string) (MatchKind, error) {
	for k := NoMatches; k <= IPJailMatches; k++ {
		if strings.EqualFold(v, k.String()) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%q is not none, lines, matches, ipmatches or ipjailmatches", v)
}

// timeUnits are fail2ban's time unit words for the lengths a mail action
// needs.
var timeUnits = map[string]float64{
	"": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1,
	"m": 60, "mi": 60, "min": 60, "minute": 60, "minutes": 60,
	"h": 3600, "hour": 3600, "hours": 3600,
	"d": 86400, "day": 86400, "days": 86400,
	"w": 604800, "week": 604800, "weeks": 604800,
}

// parseDuration reads a time value in fail2ban's simple forms: seconds
// ("10", "0.5") or numbers with units ("30s", "1m", "1h 30m"). It does not
// depend on the config package, which may come to depend on this one.
func parseDuration(v string) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	var secs float64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a time (write e.g. 30, 30s, 2m)", v)
		}
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a time: %w", v, err)
		}
		s = strings.TrimLeft(s[i:], " ")
		j := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
		if j < 0 {
			j = len(s)
		}
		unit, ok := timeUnits[s[:j]]
		if !ok {
			return 0, fmt.Errorf("%q is not a time: unknown unit %q", v, s[:j])
		}
		secs += n * unit
		s = strings.TrimLeft(s[j:], " ")
	}
	if secs <= 0 || secs > math.MaxInt64/float64(time.Second) {
		return 0, fmt.Errorf("%q is not a positive time", v)
	}
	return time.Duration(secs * float64(time.Second)), nil
}
