package action

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cond is the condition of a family's conditional parameters.
func cond(fam string) string {
	if fam == "" {
		return ""
	}
	return "family=" + fam
}

// interpolated returns the parameters interpolated among themselves for
// fam, computed once.
func (a *Action) interpolated(fam string) (map[string]string, error) {
	c := cond(fam)
	if sub, ok := a.subs[c]; ok {
		return sub, nil
	}
	sub, err := substituteRecursive(a.props, c)
	if err != nil {
		return nil, err
	}
	a.subs[c] = sub
	return sub, nil
}

// static returns op's command with the parameters' tags replaced for
// fam (fail2ban's replaceTag with the action's properties).
func (a *Action) static(op, fam string) (string, error) {
	key := [2]string{op, fam}
	if s, ok := a.statics[key]; ok {
		return s, nil
	}
	sub, err := a.interpolated(fam)
	if err != nil {
		return "", err
	}
	s, err := replaceStatic("<"+op+">", sub, cond(fam), a.extra)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	a.statics[key] = s
	return s, nil
}

// operation returns a ticketless operation's command for fam: static,
// then <family> (and, as in fail2ban, empty F-* tags) for a family.
func (a *Action) operation(op, fam string) (string, error) {
	s, err := a.static(op, fam)
	if err != nil || fam == "" || !strings.Contains(s, "<") {
		return s, err
	}
	get := func(tag string) (dynValue, bool) {
		if tag == "family" {
			return dynValue{v: fam, computed: true}, true
		}
		return dynValue{}, false
	}
	return expandDynamic(s, get, func(string) string { return "" }, a.extra, map[string]string{}), nil
}

// extra gives fail2ban's fallback tags: <br>, <sp> and the host's names.
func (a *Action) extra(tag string) (string, bool) {
	switch tag {
	case "br":
		return "\n", true
	case "sp":
		return " ", true
	case "sh-hostname":
		return a.hostname("sh"), true
	case "fq-hostname":
		return a.hostname("fq"), true
	}
	return "", false
}

// hostname returns the host's short ("sh") or fully-qualified ("fq")
// name, found once.
func (a *Action) hostname(kind string) string {
	if h, ok := a.hosts[kind]; ok {
		return h
	}
	var (
		h   string
		err error
	)
	if kind == "sh" {
		h, err = a.opts.Hostname()
	} else if a.opts.FQDN != nil {
		h, err = a.opts.FQDN()
	} else {
		h, err = a.fqdn()
	}
	if err != nil {
		a.opts.Log.Warn("cannot find the host's name", "action", a.name, "err", err)
	}
	// The name is written into the script: only the bytes a host name
	// can have stay (a resolver's answer is not trusted further).
	safe := strings.Map(func(r rune) rune {
		if r < 0x80 && safeByte(byte(r)) {
			return r
		}
		return -1
	}, h)
	if safe != h {
		a.opts.Log.Warn("the host's name has bytes a shell could read; they are left out", "action", a.name, "name", h)
	}
	a.hosts[kind] = safe
	return safe
}

// fqdn finds the host's fully-qualified name as Python's getfqdn does:
// the first name of its address with a dot, else its name.
func (a *Action) fqdn() (string, error) {
	name, err := a.opts.Hostname()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := a.opts.Resolver.LookupHost(ctx, name)
	if err != nil || len(addrs) == 0 {
		return name, nil
	}
	names, err := a.opts.Resolver.LookupAddr(ctx, addrs[0])
	if err != nil {
		return name, nil
	}
	for _, n := range names {
		n = strings.TrimSuffix(n, ".")
		if strings.Contains(n, ".") {
			return n, nil
		}
	}
	return name, nil
}

// dynamic replaces the ticket's tags in cmd (t nil: the empty ticket of
// a ticketless operation, timed now), adding the passed values to env.
func (a *Action) dynamic(ctx context.Context, cmd string, t *Ticket, fam string, env map[string]string) string {
	in := &info{a: a, ctx: ctx, t: t, fam: fam}
	return expandDynamic(cmd, in.get, in.field, a.extra, env)
}

// info gives the dynamic tags of one ticket, computing each once.
type info struct {
	a     *Action
	ctx   context.Context
	t     *Ticket
	fam   string
	jail  *Merged // merged bans, this jail
	all   *Merged // every jail
	stats *Stats
	cache map[string]dynValue
}

func (in *info) field(opt string) string {
	if in.t == nil {
		return ""
	}
	return in.t.Fields[opt]
}

func (in *info) get(tag string) (dynValue, bool) {
	if v, ok := in.cache[tag]; ok {
		return v, true
	}
	v, ok := in.compute(tag)
	if ok {
		if in.cache == nil {
			in.cache = map[string]dynValue{}
		}
		in.cache[tag] = v
	}
	return v, ok
}

func num(n int) dynValue { return dynValue{v: strconv.Itoa(n), computed: true} }

func (in *info) compute(tag string) (dynValue, bool) {
	t := in.t
	if t == nil {
		// fail2ban's empty ticket: no address, now, the jail's ban time.
		t = &Ticket{Time: in.a.opts.Clock.Now(), BanTime: in.a.opts.BanTime}
	}
	switch tag {
	case "ip":
		return dynValue{v: t.IP, computed: true}, true
	case "fid":
		if id, ok := t.Fields["fid"]; ok {
			return dynValue{v: id}, true
		}
		return dynValue{v: t.IP, computed: true}, true
	case "family":
		return dynValue{v: in.fam, computed: true}, true
	case "ip-rev":
		return dynValue{v: reversePTR(t.IP), computed: true}, true
	case "ip-host":
		return dynValue{v: in.host(t.IP)}, true
	case "failures":
		return num(t.Failures), true
	case "time":
		return dynValue{v: pyTime(t.Time), computed: true}, true
	case "bantime":
		if t.BanTime < 0 {
			return num(-1), true
		}
		return num(int(t.BanTime / time.Second)), true
	case "bancount":
		return num(t.Count), true
	case "matches":
		return dynValue{v: strings.Join(t.Matches, "\n")}, true
	case "restored":
		if t.Restored {
			return num(1), true
		}
		return num(0), true
	case "jail.banned", "jail.banned_total", "jail.found", "jail.found_total":
		if in.a.opts.Stats == nil {
			return dynValue{}, false
		}
		if in.stats == nil {
			st, err := in.a.opts.Stats.JailStats(in.ctx)
			if err != nil {
				in.a.opts.Log.Error("cannot get the jail's counters", "action", in.a.name, "err", err)
				return dynValue{}, false
			}
			in.stats = &st
		}
		st := in.stats
		return num(map[string]int{"jail.banned": st.Banned, "jail.banned_total": st.BannedTotal,
			"jail.found": st.Found, "jail.found_total": st.FoundTotal}[tag]), true
	case "ipmatches", "ipjailmatches", "ipfailures", "ipjailfailures":
		m := in.merged(t, !strings.HasPrefix(tag, "ipjail"))
		if strings.HasSuffix(tag, "matches") {
			return dynValue{v: strings.Join(m.Matches, "\n")}, true
		}
		return num(m.Failures), true
	}
	return dynValue{}, false
}

// merged returns the recorded bans of t's address merged, in every jail
// or in this one; the ticket alone without History or on error.
func (in *info) merged(t *Ticket, all bool) Merged {
	p := &in.jail
	jail := in.a.opts.Jail
	if all {
		p, jail = &in.all, ""
	}
	if *p != nil {
		return **p
	}
	m := Merged{Matches: t.Matches, Failures: t.Failures}
	if h := in.a.opts.History; h != nil && in.t != nil {
		got, err := h.Merged(in.ctx, t.IP, jail)
		if err != nil {
			in.a.opts.Log.Error("cannot merge the recorded bans", "action", in.a.name, "ip", t.IP, "err", err)
		} else {
			m = got
		}
	}
	*p = &m
	return m
}

// host returns the DNS name of ip, or "None" as fail2ban writes a failed
// look-up.
func (in *info) host(ip string) string {
	if ip == "" {
		return ""
	}
	addr, err := parseIP(ip)
	if err != nil {
		return "None"
	}
	ctx, cancel := context.WithTimeout(in.ctx, in.a.timeout)
	defer cancel()
	names, err := in.a.opts.Resolver.LookupAddr(ctx, addr.String())
	if err != nil || len(names) == 0 || strings.TrimSuffix(names[0], ".") == "" {
		in.a.opts.Log.Debug("no name for address", "action", in.a.name, "ip", ip, "err", err)
		return "None"
	}
	return strings.TrimSuffix(names[0], ".")
}

// reversePTR is fail2ban's <ip-rev>: the address's reverse DNS labels,
// with a trailing dot and no zone.
func reversePTR(ip string) string {
	addr, err := parseIP(ip)
	if err != nil {
		return ""
	}
	var labels []string
	if addr.Is4() {
		b := addr.As4()
		for i := 3; i >= 0; i-- {
			labels = append(labels, strconv.Itoa(int(b[i])))
		}
	} else {
		b := addr.As16()
		const hex = "0123456789abcdef"
		for i := 15; i >= 0; i-- {
			labels = append(labels, string(hex[b[i]&0xf]), string(hex[b[i]>>4]))
		}
	}
	return strings.Join(labels, ".") + "."
}

// pyTime writes t as fail2ban writes a ticket's time: Unix seconds as a
// Python float.
func pyTime(t time.Time) string {
	if t.IsZero() {
		return "0.0"
	}
	return pyFloat(float64(t.Unix()) + float64(t.Nanosecond())/1e9)
}
