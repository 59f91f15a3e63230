package daemon

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/control"
)

// The Daemon answers the control socket.
var _ control.Daemon = (*Daemon)(nil)

func (d *Daemon) jailRun(name string) (*jailRun, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.jails[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", control.ErrUnknownJail, name)
	}
	return r, nil
}

// Status lists the jails.
func (d *Daemon) Status() (control.Overview, error) {
	names := d.jailNames()
	slices.Sort(names)
	o := control.Overview{Jails: names}
	for _, a := range d.bans.Stats().Actions {
		o.Actions = append(o.Actions, control.ActionStatus{Name: a.Name, Queued: a.Queued, Handled: a.Handled,
			Errors: a.Errors, Failed: a.Failed, Dropped: a.Dropped, LastError: a.LastError, LastErrorTime: a.LastErrorTime})
	}
	return o, nil
}

// JailStatus is one jail's counters, files and bans.
func (d *Daemon) JailStatus(name string) (control.JailStatus, error) {
	r, err := d.jailRun(name)
	if err != nil {
		return control.JailStatus{}, err
	}
	st := r.jail.Stats()
	js := d.bans.JailStats(name)
	out := control.JailStatus{Name: name, CurrentlyFailed: st.CurrentlyFailed, TotalFailed: int(st.TotalFailed),
		Evicted: int(st.Evictions), FileList: r.files(), CurrentlyBanned: js.Banned, TotalBanned: js.Total,
		BannedIPs: []string{}}
	if strings.HasPrefix(r.cfg.Backend, "systemd") {
		out.Journal = true
		for _, g := range r.cfg.JournalMatch {
			out.JournalMatches = append(out.JournalMatches, strings.Join(g, " "))
		}
	}
	for _, b := range d.bans.Banned(name) {
		out.BannedIPs = append(out.BannedIPs, b.IP)
	}
	return out, nil
}

// Ban bans ips in a jail by hand, for the jail's bantime.
func (d *Daemon) Ban(name string, ips []string) (int, error) {
	r, err := d.jailRun(name)
	if err != nil {
		return 0, err
	}
	banned := map[string]bool{}
	for _, b := range d.bans.Banned(name) {
		banned[b.IP] = true
	}
	n := 0
	for _, ip := range ips {
		ip, err := banTarget(ip)
		if err != nil {
			return n, err
		}
		already := banned[ip]
		banned[ip] = true
		if err := d.bans.Ban(ban.Ban{Jail: name, IP: ip, Time: d.o.Clock.Now(), BanTime: r.jail.Config().BanTime, Count: 1}); err != nil {
			return n, err
		}
		if !already {
			n++
		}
	}
	return n, nil
}

// banTarget is an address or a subnet given to ban or unban, in the form
// the ban manager keeps: IPv4-mapped forms as IPv4, a prefix masked.
func banTarget(s string) (string, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap().String(), nil
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		p, _ := banPrefix(s)
		return p.String(), nil
	}
	return "", fmt.Errorf("%w: %q is neither an address nor a subnet (ADDRESS/BITS)", control.ErrBadValue, s)
}

// Unban lifts bans.
func (d *Daemon) Unban(name string, ips []string, all bool) (int, error) {
	if name != "" {
		if _, err := d.jailRun(name); err != nil {
			return 0, err
		}
	}
	if all {
		return d.bans.UnbanAll(name)
	}
	jails := []string{name}
	if name == "" {
		jails = d.jailNames()
	}
	n := 0
	for _, ip := range ips {
		ip, err := banTarget(ip)
		if err != nil {
			return n, err
		}
		for _, j := range jails {
			switch err := d.bans.Unban(j, ip); {
			case errors.Is(err, ban.ErrNotBanned):
			case err != nil:
				return n, err
			default:
				n++
			}
		}
	}
	return n, nil
}

// Banned lists the banned addresses per jail, among ips when given.
func (d *Daemon) Banned(ips []string) ([]control.JailBans, error) {
	want := map[string]bool{}
	for _, ip := range ips {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not an address", control.ErrBadValue, ip)
		}
		want[a.Unmap().String()] = true
	}
	var out []control.JailBans
	for _, name := range d.jailNames() {
		jb := control.JailBans{Jail: name, IPs: []string{}}
		for _, b := range d.bans.Banned(name) {
			if len(want) == 0 || want[b.IP] {
				jb.IPs = append(jb.IPs, b.IP)
			}
		}
		out = append(out, jb)
	}
	return out, nil
}

// Reload parses, validates and applies the configuration.
func (d *Daemon) Reload(name string, unban bool) error { return d.requestReload(name, unban) }

// Ping answers.
func (d *Daemon) Ping() error { return nil }

// Stop begins the shutdown.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() { close(d.stop) })
	return nil
}

func secs(t time.Duration) int64 {
	if t < 0 {
		return -1
	}
	return int64(t / time.Second)
}

// Get returns a jail setting.
func (d *Daemon) Get(name, key string) (control.Value, error) {
	r, err := d.jailRun(name)
	if err != nil {
		return control.Value{}, err
	}
	c := r.jail.Config()
	switch key {
	case "maxretry":
		return control.IntValue(int64(c.MaxRetry)), nil
	case "findtime":
		return control.IntValue(secs(c.FindTime)), nil
	case "bantime":
		return control.IntValue(secs(c.BanTime)), nil
	case "maxmatches":
		return control.IntValue(int64(c.MaxMatches)), nil
	case "ignoreip":
		return control.ListValue(append([]string{}, c.IgnoreIP...)), nil
	case "ignoreself":
		return control.BoolValue(c.IgnoreSelf), nil
	case "ignorecommand":
		return control.StringValue(c.IgnoreCommand), nil
	case "logpath":
		return control.ListValue(r.files()), nil
	case "failregex":
		return control.ListValue(append([]string{}, r.cfg.FailRegex...)), nil
	case "ignoreregex":
		return control.ListValue(append([]string{}, r.cfg.IgnoreRegex...)), nil
	case "maxlines":
		return control.IntValue(int64(max(r.cfg.MaxLines, 1))), nil
	case "usedns":
		return control.StringValue(r.cfg.UseDNS), nil
	case "logencoding":
		return control.StringValue(r.cfg.LogEncoding), nil
	case "banip":
		var ips []string
		for _, b := range d.bans.Banned(name) {
			ips = append(ips, b.IP)
		}
		return control.ListValue(ips), nil
	case "actions":
		var names []string
		for _, a := range r.cfg.Actions {
			names = append(names, a.Name)
		}
		return control.ListValue(names), nil
	}
	return control.Value{}, fmt.Errorf("%w: unknown setting %q", control.ErrBadValue, key)
}

// Set changes a jail setting of the running jail (until the next reload,
// as with fail2ban-client set).
func (d *Daemon) Set(name, key, value string) (control.Value, error) {
	r, err := d.jailRun(name)
	if err != nil {
		return control.Value{}, err
	}
	c := r.jail.Config()
	bad := func(err error) (control.Value, error) {
		return control.Value{}, fmt.Errorf("%w: %s %q: %v", control.ErrBadValue, key, value, err)
	}
	duration := func() (time.Duration, error) {
		s, err := config.ParseTime(value)
		if err != nil {
			return 0, err
		}
		return seconds(s), nil
	}
	switch key {
	case "maxretry", "maxmatches":
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 {
			return bad(errors.New("not a whole number"))
		}
		if key == "maxretry" {
			c.MaxRetry = n
		} else {
			c.MaxMatches = n
		}
	case "findtime":
		t, err := duration()
		if err != nil {
			return bad(err)
		}
		c.FindTime = t
	case "bantime":
		t, err := duration()
		if err != nil {
			return bad(err)
		}
		c.BanTime = t
	case "addignoreip":
		c.IgnoreIP = append(append([]string{}, c.IgnoreIP...), strings.Fields(value)...)
		key = "ignoreip"
	case "delignoreip":
		var keep []string
		for _, ip := range c.IgnoreIP {
			if !slices.Contains(strings.Fields(value), ip) {
				keep = append(keep, ip)
			}
		}
		c.IgnoreIP = keep
		key = "ignoreip"
	case "ignoreself":
		b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(value)))
		if err != nil {
			return bad(err)
		}
		c.IgnoreSelf = b
	case "ignorecommand":
		c.IgnoreCommand = value
	case "banip":
		_, err := d.Ban(name, strings.Fields(value))
		if err != nil {
			return control.Value{}, err
		}
		return d.Get(name, "banip")
	case "unbanip":
		_, err := d.Unban(name, strings.Fields(value), false)
		if err != nil {
			return control.Value{}, err
		}
		return d.Get(name, "banip")
	default:
		return control.Value{}, fmt.Errorf("%w: setting %q cannot be changed at run time", control.ErrBadValue, key)
	}
	if err := r.jail.Reconfigure(c); err != nil {
		return bad(err)
	}
	return d.Get(name, key)
}
