package jail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Resolver returns the addresses of a host name (ignoreip names, the
// host's own names for ignoreself).
type Resolver func(host string) ([]netip.Addr, error)

// SelfAddrs returns the host's own addresses (ignoreself).
type SelfAddrs func() ([]netip.Addr, error)

// Runner runs argv (ignorecommand) and returns its exit status; err is for
// a command that could not be run or did not exit normally.
type Runner func(argv []string) (exitCode int, err error)

// dnsCacheTime is how long resolved names are kept, as fail2ban's
// DNSUtils cache (5 minutes).
const dnsCacheTime = 5 * time.Minute

// commandTimeout bounds an ignorecommand, as fail2ban's default action
// timeout.
const commandTimeout = 60 * time.Second

// ignoreRules is ignoreip, ignoreself and ignorecommand, checked in
// fail2ban's order: own addresses, then the ignoreip list, then the command.
type ignoreRules struct {
	self    bool
	singles map[netip.Addr]bool
	nets    []ignoreNet // prefixes and names, in their order
	command *commandTemplate

	resolve Resolver
	selfIPs SelfAddrs
	run     Runner
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]resolved // names; "" holds the own addresses
}

type ignoreNet struct {
	prefix netip.Prefix // valid: an address range
	name   string       // otherwise a host name
}

type resolved struct {
	addrs   []netip.Addr
	expires time.Time
}

// parseIgnoreIP reads one ignoreip entry as fail2ban's IPAddr does: an
// address (IPv4-mapped IPv6 addresses count as IPv4), a CIDR prefix (with a
// prefix length or a dotted mask), or else a host name.
func parseIgnoreIP(s string) (netip.Addr, ignoreNet, error) {
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	host, mask, hasMask := strings.Cut(s, "/")
	if !hasMask {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			return a.Unmap(), ignoreNet{}, nil
		}
		return netip.Addr{}, ignoreNet{name: s}, nil
	}
	if strings.Contains(mask, "/") {
		return netip.Addr{}, ignoreNet{}, fmt.Errorf("ignoreip %q: more than one '/'", s)
	}
	var bitsLen int
	if strings.ContainsAny(mask, ".:") {
		m, err := netip.ParseAddr(mask)
		if err != nil {
			return netip.Addr{}, ignoreNet{}, fmt.Errorf("ignoreip %q: bad mask %q", s, mask)
		}
		ones, ok := maskLen(m.Unmap())
		if !ok {
			return netip.Addr{}, ignoreNet{}, fmt.Errorf("ignoreip %q: mask %q is not a prefix", s, mask)
		}
		bitsLen = ones
	} else {
		n, err := strconv.Atoi(mask)
		if err != nil || n < 0 {
			return netip.Addr{}, ignoreNet{}, fmt.Errorf("ignoreip %q: bad prefix length %q", s, mask)
		}
		bitsLen = n
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, ignoreNet{name: host}, nil // fail2ban: the name, its mask dropped
	}
	// A prefix is not unmapped (as in fail2ban); a length beyond the
	// family's size means the whole address.
	if bitsLen > a.BitLen() {
		bitsLen = a.BitLen()
	}
	p := netip.PrefixFrom(a, bitsLen).Masked()
	if bitsLen == a.BitLen() && !a.Is4In6() {
		return a, ignoreNet{}, nil
	}
	return netip.Addr{}, ignoreNet{prefix: p}, nil
}

func maskLen(m netip.Addr) (int, bool) {
	b := m.AsSlice()
	ones := 0
	seenZero := false
	for _, x := range b {
		for bit := 7; bit >= 0; bit-- {
			if x&(1<<bit) != 0 {
				if seenZero {
					return 0, false
				}
				ones++
			} else {
				seenZero = true
			}
		}
	}
	return ones, true
}

func newIgnoreRules(cfg Config, o options) (*ignoreRules, error) {
	r := &ignoreRules{
		self:    cfg.IgnoreSelf,
		singles: map[netip.Addr]bool{},
		resolve: o.resolve,
		selfIPs: o.selfIPs,
		run:     o.run,
		cache:   map[string]resolved{},
	}
	for _, s := range cfg.IgnoreIP {
		if s == "" {
			continue
		}
		a, n, err := parseIgnoreIP(s)
		if err != nil {
			return nil, err
		}
		if a.IsValid() {
			r.singles[a] = true
		} else if !containsNet(r.nets, n) {
			r.nets = append(r.nets, n)
		}
	}
	if strings.TrimSpace(cfg.IgnoreCommand) != "" {
		c, err := parseCommand(cfg.IgnoreCommand)
		if err != nil {
			return nil, err
		}
		r.command = c
	}
	return r, nil
}

func containsNet(l []ignoreNet, n ignoreNet) bool {
	for _, x := range l {
		if x == n {
			return true
		}
	}
	return false
}

// ignored tells whether the failure of id (addr when it is an address)
// is to be ignored. err reports an ignorecommand that failed (the address
// is then not ignored, as in fail2ban).
func (r *ignoreRules) ignored(id string, addr netip.Addr) (string, bool, error) {
	if !addr.IsValid() {
		return "", false, nil // a failure id that is no address matches no rule
	}
	if r.self {
		for _, a := range r.lookup("", func() ([]netip.Addr, error) { return r.selfIPs() }) {
			if a == addr {
				return "ignoreself rule", true, nil
			}
		}
	}
	if r.singles[addr] {
		return "ip", true, nil
	}
	for _, n := range r.nets {
		if n.prefix.IsValid() {
			if n.prefix.Contains(addr) {
				return "ip", true, nil
			}
			continue
		}
		for _, a := range r.lookup(n.name, func() ([]netip.Addr, error) { return r.resolve(n.name) }) {
			if a == addr {
				return "dns", true, nil
			}
		}
	}
	if r.command != nil {
		code, err := r.run(r.command.argv(addr))
		if err != nil {
			return "", false, fmt.Errorf("ignorecommand for %s: %w", id, err)
		}
		switch code {
		case 0:
			return "command", true, nil
		case 1:
			return "", false, nil
		}
		return "", false, fmt.Errorf("ignorecommand for %s: exit status %d", id, code)
	}
	return "", false, nil
}

// lookup returns the cached addresses of key, resolving them (outside the
// lock) when they are missing or older than dnsCacheTime. A failed lookup
// is cached as no address, as in fail2ban.
func (r *ignoreRules) lookup(key string, get func() ([]netip.Addr, error)) []netip.Addr {
	now := r.now()
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.addrs
	}
	addrs, err := get()
	if err != nil {
		addrs = nil
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	r.mu.Lock()
	r.cache[key] = resolved{addrs: addrs, expires: now.Add(dnsCacheTime)}
	r.mu.Unlock()
	return addrs
}

// commandTemplate is an ignorecommand split into arguments, or, when it
// needs a shell (pipes, redirections, variables...), the whole text for
// /bin/sh -c. The only tags are <ip> and <fid> (the address) and <family>
// (inet4 or inet6); they are replaced by values made from a parsed
// address, never by text from a log line.
type commandTemplate struct {
	args  []string // with tagMark where a tag stood
	shell string   // non-empty: run with /bin/sh -c
}

const tagMark = "\x00"

var tagRE = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_-]*>`)

func parseCommand(s string) (*commandTemplate, error) {
	if strings.Contains(s, tagMark) {
		return nil, errors.New("ignorecommand: contains a NUL byte")
	}
	var bad error
	marked := tagRE.ReplaceAllStringFunc(s, func(tag string) string {
		switch tag {
		case "<ip>", "<fid>":
			return tagMark + "i"
		case "<family>":
			return tagMark + "f"
		}
		if bad == nil {
			bad = fmt.Errorf("ignorecommand %q: tag %s is not supported (only <ip>, <fid> and <family>)", s, tag)
		}
		return tag
	})
	if bad != nil {
		return nil, bad
	}
	args, ok := splitWords(marked)
	if !ok {
		return &commandTemplate{shell: marked}, nil
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("ignorecommand %q: empty", s)
	}
	return &commandTemplate{args: args}, nil
}

// argv substitutes the address into the template.
func (c *commandTemplate) argv(addr netip.Addr) []string {
	family := "inet4"
	if addr.Is6() {
		family = "inet6"
	}
	rep := strings.NewReplacer(tagMark+"i", addr.String(), tagMark+"f", family)
	if c.shell != "" {
		return []string{"/bin/sh", "-c", rep.Replace(c.shell)}
	}
	out := make([]string, len(c.args))
	for i, a := range c.args {
		out[i] = rep.Replace(a)
	}
	return out
}

// splitWords splits a command line into words as a POSIX shell would
// (blanks, '...' and "..." quotes, backslash escapes). It reports false
// when the line needs a real shell: operators, redirections, expansions,
// globs, comments.
func splitWords(s string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch s[i] {
				case '$', '`':
					return nil, false
				case '\\':
					if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
						i++
					}
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			inWord = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, false
			}
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				inWord = true
			}
		case strings.IndexByte("|&;<>()$`*?[]{}!", c) >= 0,
			(c == '#' || c == '~') && !inWord:
			return nil, false
		default:
			if c == '=' && len(words) == 0 {
				return nil, false // an environment assignment
			}
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

// defaultResolve resolves a name through the system resolver.
func defaultResolve(host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// defaultSelfAddrs is fail2ban's getSelfIPs: the addresses of
// "localhost" and of the host name.
func defaultSelfAddrs(resolve Resolver) SelfAddrs {
	return func() ([]netip.Addr, error) {
		names := []string{"localhost"}
		if h, err := os.Hostname(); err == nil && h != "" {
			names = append(names, h)
		}
		var all []netip.Addr
		var firstErr error
		for _, n := range names {
			addrs, err := resolve(n)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			all = append(all, addrs...)
		}
		if len(all) == 0 {
			return nil, firstErr
		}
		return all, nil
	}
}

// defaultRun runs argv without a shell, its output discarded, within
// commandTimeout.
func defaultRun(argv []string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("run %s: %w", argv[0], err)
	}
	return 0, nil
}
