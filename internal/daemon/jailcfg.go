package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/jail"
)

// seconds converts fail2ban's seconds (negative: permanent).
func seconds(s float64) time.Duration {
	if s < 0 {
		return jail.Permanent
	}
	return time.Duration(s * float64(time.Second))
}

// jailConfig turns a resolved jail into the failure counting's settings.
func jailConfig(j *config.Jail) (jail.Config, error) {
	c := jail.Config{Name: j.Name, MaxRetry: j.MaxRetry, FindTime: seconds(j.FindTime), BanTime: seconds(j.BanTime),
		MaxMatches: j.MaxMatches, IgnoreIP: j.IgnoreIP, IgnoreSelf: j.IgnoreSelf == nil || *j.IgnoreSelf,
		IgnoreCommand: j.IgnoreCmd}
	opt := func(name string) (string, bool) {
		v, ok := j.Other[name]
		if !ok {
			return "", false
		}
		return strings.TrimSpace(fmt.Sprint(v)), true
	}
	boolOpt := func(name string) (bool, error) {
		v, ok := opt(name)
		if !ok {
			return false, nil
		}
		switch strings.ToLower(v) {
		case "true", "yes", "on", "1":
			return true, nil
		case "false", "no", "off", "0", "":
			return false, nil
		}
		return false, fmt.Errorf("jail [%s]: %s = %q is not a boolean", j.Name, name, v)
	}
	timeOpt := func(name string) (time.Duration, error) {
		v, ok := opt(name)
		if !ok || v == "" {
			return 0, nil
		}
		s, err := config.ParseTime(v)
		if err != nil {
			return 0, fmt.Errorf("jail [%s]: %s: %w", j.Name, name, err)
		}
		return seconds(s), nil
	}
	var err error
	// Warden's subnet bans: banprefix.ipv4 = 24, banprefix.ipv6 = 64.
	for _, p := range []struct {
		name string
		max  int
		to   *int
	}{{"banprefix.ipv4", 32, &c.Prefix4}, {"banprefix.ipv6", 128, &c.Prefix6}} {
		v, ok := opt(p.name)
		if !ok || v == "" {
			continue
		}
		n, perr := strconv.Atoi(strings.TrimPrefix(v, "/"))
		if perr != nil || n < 1 || n > p.max {
			return c, fmt.Errorf("jail [%s]: %s = %q: want a prefix length from 1 to %d", j.Name, p.name, v, p.max)
		}
		*p.to = n
	}
	inc := &c.Increment
	if inc.Enabled, err = boolOpt("bantime.increment"); err != nil {
		return c, err
	}
	if inc.OverallJails, err = boolOpt("bantime.overalljails"); err != nil {
		return c, err
	}
	if inc.MaxTime, err = timeOpt("bantime.maxtime"); err != nil {
		return c, err
	}
	if inc.RndTime, err = timeOpt("bantime.rndtime"); err != nil {
		return c, err
	}
	inc.Factor, _ = opt("bantime.factor")
	inc.Formula, _ = opt("bantime.formula")
	if m, ok := opt("bantime.multipliers"); ok && m != "" {
		if inc.Multipliers, err = jail.ParseMultipliers(m); err != nil {
			return c, fmt.Errorf("jail [%s]: bantime.multipliers: %w", j.Name, err)
		}
	}
	return c, nil
}

// newJail builds a jail's failure counting over the ban history.
func newJail(j *config.Jail, h jail.History, o Options) (*jail.Jail, error) {
	c, err := jailConfig(j)
	if err != nil {
		return nil, err
	}
	var opts []jail.Option
	if o.Resolve != nil {
		opts = append(opts, jail.WithResolver(func(host string) ([]netip.Addr, error) {
			var out []netip.Addr
			for _, a := range o.Resolve(host) {
				if ip, err := netip.ParseAddr(a); err == nil {
					out = append(out, ip)
				}
			}
			return out, nil
		}))
	} else {
		// No DNS: host names in ignoreip match nothing.
		opts = append(opts, jail.WithResolver(func(string) ([]netip.Addr, error) { return nil, nil }))
	}
	// ignoreself: the host's own addresses, from the system resolver
	// (/etc/hosts first) whatever the choice for ignoreip's names above.
	opts = append(opts, jail.WithSelfAddrs(selfAddrs))
	jl, err := jail.New(c, h, o.Clock, opts...)
	if err != nil {
		return nil, fmt.Errorf("jail [%s]: %w", j.Name, err)
	}
	return jl, nil
}

// LookupHost resolves a host name with the system resolver, bounded in
// time; for Options.Resolve.
func LookupHost(host string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return nil
	}
	return addrs
}

// selfAddrs is fail2ban's getSelfIPs: the addresses of "localhost" and of
// the host name.
func selfAddrs() ([]netip.Addr, error) {
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	var out []netip.Addr
	for _, n := range names {
		for _, a := range LookupHost(n) {
			if ip, err := netip.ParseAddr(a); err == nil {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}
