package mail

import (
	"bufio"
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// maxWhoisAnswer bounds what is read from one whois server.
const maxWhoisAnswer = 128 << 10

// DialFunc opens a connection; net.Dialer's DialContext is one.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// whoisClient asks port-43 whois servers about addresses, following one
// referral (IANA's "refer:", "whois:" or ARIN's "ReferralServer:"), and
// keeps the answers in a bounded cache.
type whoisClient struct {
	server  string // host:port
	timeout time.Duration
	dial    DialFunc
	cache   *WhoisCache
}

func newWhoisClient(server string, timeout time.Duration, dial DialFunc, cache *WhoisCache) *whoisClient {
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "43")
	}
	return &whoisClient{server: server, timeout: timeout, dial: dial, cache: cache}
}

// Lookup returns the whois answer about addr: the referred server's when
// the first server refers to another, else the first server's.
func (w *whoisClient) Lookup(ctx context.Context, addr netip.Addr) (string, error) {
	q := addr.String()
	key := w.server + " " + q // servers may differ between actions sharing a cache
	if text, ok := w.cache.get(key); ok {
		return text, nil
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	text, err := w.query(ctx, w.server, q)
	if err != nil {
		return "", fmt.Errorf("whois %s at %s: %w", q, w.server, err)
	}
	if ref := referral(text); ref != "" && !sameHost(ref, w.server) {
		t2, err := w.query(ctx, ref, q)
		if err != nil {
			// The first answer is shown but not kept: the next ban
			// tries the referral again.
			return text + fmt.Sprintf("\n(the referral to %s failed: %v)\n", ref, err), nil
		}
		text = t2
	}
	w.cache.put(key, text)
	return text, nil
}

func (w *whoisClient) query(ctx context.Context, server, q string) (string, error) {
	conn, err := w.dial(ctx, "tcp", server)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// Closing the connection is what interrupts a blocked read when ctx
	// ends; the deadline is the same limit for dialers that honour it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	if _, err := io.WriteString(conn, q+"\r\n"); err != nil {
		return "", ctxErr(ctx, err)
	}
	b, err := io.ReadAll(io.LimitReader(conn, maxWhoisAnswer+1))
	if err != nil {
		return "", ctxErr(ctx, err)
	}
	if len(b) > maxWhoisAnswer {
		b = append(b[:maxWhoisAnswer], "\n(answer cut)\n"...)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "", errors.New("empty answer")
	}
	return string(b), nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// referral returns the whois server an answer refers to, as host:43, or
// "". Only plain whois referrals on port 43 are followed.
func referral(text string) string {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), maxWhoisAnswer+64)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "refer", "whois", "referralserver":
		default:
			continue
		}
		val = strings.TrimSpace(val)
		if rest, ok := strings.CutPrefix(strings.ToLower(val), "whois://"); ok {
			val = rest
		} else if strings.Contains(val, "://") {
			continue // rwhois, http: not whois
		}
		host, port, err := net.SplitHostPort(val)
		if err != nil {
			host, port = val, "43"
		}
		if port != "43" || !validHostName(host) {
			continue
		}
		return net.JoinHostPort(host, "43")
	}
	return ""
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func sameHost(a, b string) bool {
	ha, _, _ := net.SplitHostPort(a)
	hb, _, _ := net.SplitHostPort(b)
	return strings.EqualFold(strings.TrimSuffix(ha, "."), strings.TrimSuffix(hb, "."))
}

// WhoisCache keeps whois answers: at most size of them (the least recently
// used goes first), each for ttl. A size or ttl of 0 keeps nothing. Mail
// actions may share one (Options.WhoisCache) so that an address banned in
// several jails, or again after a reload, is looked up once. It is safe
// for concurrent use and starts no goroutine.

type WhoisCache struct {
	clock clock.Clock
	size  int
	ttl   time.Duration

	mu    sync.Mutex
	order *list.List // front: most recently used; values are *whoisEntry
	byKey map[string]*list.Element
}

type whoisEntry struct {
	key     string
	text    string
	expires time.Time
}

func NewWhoisCache(c clock.Clock, size int, ttl time.Duration) *WhoisCache {
	return &WhoisCache{clock: c, size: size, ttl: ttl, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *WhoisCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return "", false
	}
	e := el.Value.(*whoisEntry)
	if !c.clock.Now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.byKey, key)
		return "", false
	}
	c.order.MoveToFront(el)
	return e.text, true
}

func (c *WhoisCache) put(key, text string) {
	if c.size <= 0 || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	exp := c.clock.Now().Add(c.ttl)
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*whoisEntry)
		e.text, e.expires = text, exp
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&whoisEntry{key: key, text: text, expires: exp})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*whoisEntry).key)
	}
}

func (c *WhoisCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
