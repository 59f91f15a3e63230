// Package action runs fail2ban action.d files as shell actions, with the
// semantics of fail2ban 1.0.2's CommandAction: tags interpolated from the
// action's parameters (recursively, with [Init?family=inet6] values for
// IPv6 tickets), dynamic tags from the ticket (<ip>, <F-USER>,
// <matches>...), actionstart_on_demand, actioncheck and actionrepair,
// a failed command run once more, the timeout that kills the command's
// process group.
//
// Every value that comes from a log line is attacker-controlled, so none
// is written into the shell script: it is passed in the environment as
// fail2ban's f2bV_<tag> variable (f2bV_matches, f2bV_F_user...) and the
// tag becomes a reference to it, written for the place where it stands:
// "${f2bV_F_user}" outside quotes, ${f2bV_F_user} inside double quotes,
// a here-document or a comment. The shell expands the reference but never
// parses the value. Inside single quotes (and quoted here-documents),
// where nothing expands, the reference stays as text, as in fail2ban, so
// that `sh -c '... <F-USER>'` expands it in the inner shell, again without
// parsing it; a value made only of letters, digits and ._:/@+,- is
// written there as it is. Values Warden computes itself (the address, the
// family, the times and counts) are written into the script when they are
// made of those bytes, as fail2ban writes them.
//
// Where this differs from fail2ban: fail2ban writes any value without a
// shell special character into the script and passes the others as
// positional parameters referenced as a bare $f2bV_x (split and globbed
// outside double quotes, and run into the next word's letters); a NUL
// byte, which no variable can hold, is dropped here; a prefix's <ip-rev>
// is its address's; commands are serialised per action, not across all
// actions; a command is not run again once the context is cancelled.
// The tag <raw-ticket> is not provided (it stays as written).
package action

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/config"
)

// Ticket is what an action is told about a ban.
type Ticket struct {
	IP       string        // an address or a prefix (CIDR); <ip>, <fid>
	Time     time.Time     // <time>: fail2ban's ticket time
	BanTime  time.Duration // <bantime>; < 0: permanent (-1)
	Count    int           // <bancount>
	Failures int           // <failures>
	Matches  []string      // <matches>, one line each
	// Fields are the filter's captured groups, keyed as fail2ban keys its
	// ticket data: lower case, "fid" for <F-ID>, "fport" for <F-PORT>;
	// <F-USER> reads Fields["user"]. A missing field is empty.
	Fields   map[string]string
	Restored bool // <restored>: the ban was loaded from the store at start
}

// Resolver finds the names of an address (<ip-host>, and the host's own
// fully-qualified name); *net.Resolver is one.
type Resolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Merged is what the recorded bans of an address add up to.
type Merged struct {
	Matches  []string
	Failures int
}

// History gives the recorded bans of an address merged, for
// <ipmatches>, <ipfailures> (every jail: jail "") and <ipjailmatches>,
// <ipjailfailures> (this jail).
type History interface {
	Merged(ctx context.Context, ip, jail string) (Merged, error)
}

// Stats are a jail's counters: <jail.banned>, <jail.banned_total>,
// <jail.found>, <jail.found_total>.
type Stats struct {
	Banned, BannedTotal, Found, FoundTotal int
}

// StatsSource gives the jail's counters when a command uses them.
type StatsSource interface {
	JailStats(ctx context.Context) (Stats, error)
}

// Options are an action's dependencies; the zero value is usable.
type Options struct {
	Shell string   // default /bin/sh
	Dir   string   // the commands' working directory; default the process's
	Env   []string // the commands' environment; nil: the process's own
	// Timeout is the commands' time limit when the parameters set none
	// (fail2ban's timeout); default 60 s. Commands run in real time, so
	// it is measured on the system clock, not Clock.
	Timeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL to the process
	// group of a command that ran out of time, and how long output pipes
	// held by background processes are waited for; default 500 ms.
	KillGrace time.Duration
	Log       *slog.Logger
	Clock     clock.Clock // <time> of start, stop and flush; default real
	// Hostname gives <sh-hostname>; default os.Hostname. FQDN gives
	// <fq-hostname>; default: the first name with a dot that Resolver
	// gives for Hostname's addresses, else Hostname.
	Hostname func() (string, error)
	FQDN     func() (string, error)
	Resolver Resolver // <ip-host>; default net.DefaultResolver
	History  History  // nil: a ticket's own matches and failures
	Jail     string   // the jail, for History
	// Stats gives the jail.* tags; nil (or an error): they stay as written.
	Stats StatsSource
	// BanTime is the jail's ban time: <bantime> in start, stop, flush and
	// reload commands (fail2ban's empty ticket); < 0: permanent.
	BanTime time.Duration
	// NoIPv6 starts only the inet4 family of an action with [Init?family=inet6]
	// values when it is not started on demand (fail2ban: IPv6 not allowed).
	NoIPv6 bool
}

// ErrBadTicket is wrapped by the error of an operation given a ticket
// whose IP is neither an address nor a prefix; retrying cannot help.
var ErrBadTicket = errors.New("bad ticket")

// commands are the operations fail2ban defaults to empty.
var commands = []string{"actionstart", "actionstop", "actioncheck", "actionban", "actionreban",
	"actionunban", "actionflush", "actionrepair", "actionreload"}

// operations are all the commands an action can have.
var operations = []string{"actionstart", "actionstop", "actioncheck", "actionban", "actionreban",
	"actionunban", "actionflush", "actionrepair", "actionreload", "actionprolong"}

// condFamily matches a conditional parameter such as "blocktype?family=inet6".
var condFamily = regexp.MustCompile(`^\w+\?family=`)

const (
	stStarted = 1 // the family's actionstart ran
	stItems   = 2 // and it has bans
)

// Action is one action.d file of one jail. It is safe for concurrent
// use: operations run one at a time, each to its end, in the order they
// get the action's lock; callers that need an order (a ban before its
// unban) call from one goroutine.
type Action struct {
	name          string
	props         map[string]string
	opts          Options
	timeout       time.Duration
	onDemand      bool
	families      []string
	noRestored    bool
	repairOnUnban bool

	sem      chan struct{} // the lock; everything below is guarded by it
	started  map[string]int
	executed map[string]map[string]string // op -> family -> command run
	subs     map[string]map[string]string // condition -> interpolated parameters
	statics  map[[2]string]string
	hosts    map[string]string // "fq", "sh": the host's names, once found
	epoch    uint64
}

// New makes the action name (for logs and errors) from its parameters as
// internal/config resolves them (config.Action.Params: strings, bools and
// numbers). It checks that the commands' tags can be interpolated.
func New(name string, params map[string]any, opts Options) (*Action, error) {
	if opts.Shell == "" {
		opts.Shell = "/bin/sh"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.KillGrace <= 0 {
		opts.KillGrace = 500 * time.Millisecond
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Hostname == nil {
		opts.Hostname = os.Hostname
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	a := &Action{
		name: name, opts: opts, timeout: opts.Timeout,
		props:    map[string]string{},
		sem:      make(chan struct{}, 1),
		started:  map[string]int{},
		executed: map[string]map[string]string{},
		subs:     map[string]map[string]string{},
		statics:  map[[2]string]string{},
		hosts:    map[string]string{},
	}
	for _, c := range commands {
		a.props[c] = ""
	}
	for k, v := range params {
		if k == "bantime" { // fail2ban ignores it: <bantime> is the ticket's
			continue
		}
		a.props[k] = pyString(v)
	}
	if v, ok := params["timeout"]; ok {
		secs, err := config.ParseTime(a.props["timeout"])
		if err != nil {
			return nil, fmt.Errorf("action %s: timeout: %w", name, err)
		}
		if secs <= 0 {
			return nil, fmt.Errorf("action %s: timeout %v: must be positive", name, v)
		}
		a.timeout = time.Duration(secs * float64(time.Second))
	}
	hasCond := false
	for k := range a.props {
		if condFamily.MatchString(k) {
			hasCond = true
			break
		}
	}
	switch {
	case strings.TrimSpace(a.props["families"]) != "":
		a.families = strings.FieldsFunc(a.props["families"], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	case hasCond && opts.NoIPv6:
		a.families = []string{"inet4"}
	case hasCond:
		a.families = []string{"inet4", "inet6"}
	default:
		a.families = []string{""}
	}
	a.onDemand = hasCond
	if v, ok := params["actionstart_on_demand"]; ok {
		a.onDemand = asBool(v)
	}
	a.noRestored = asBool(params["norestored"])
	a.repairOnUnban = asBool(params["actionrepair_on_unban"])
	// The tags must interpolate; host names are not looked up yet.
	none := func(string) (string, bool) { return "", false }
	for _, fam := range []string{"", "inet4", "inet6"} {
		sub, err := a.interpolated(fam)
		if err != nil {
			return nil, fmt.Errorf("action %s: %w", name, err)
		}
		for _, op := range operations {
			if _, err := replaceStatic("<"+op+">", sub, cond(fam), none); err != nil {
				return nil, fmt.Errorf("action %s: %s: %w", name, op, err)
			}
		}
	}
	return a, nil
}

// pyString writes a parameter's value as fail2ban's str() would.
func pyString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return pyFloat(x)
	case float32:
		return pyFloat(float64(x))
	}
	return fmt.Sprint(v)
}

func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

// asBool reads a boolean parameter as fail2ban's reader does.
func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "on", "true", "yes":
			return true
		}
		return false
	case nil:
		return false
	case int64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	}
	return false
}

// Name is the action's name.
func (a *Action) Name() string { return a.name }

// NoRestored reports fail2ban's norestored: the action must not run for
// bans restored from the store at start (reports, mail).
func (a *Action) NoRestored() bool { return a.noRestored }

// Prolongable reports whether the action has an actionprolong; without
// one fail2ban does nothing when a ban is prolonged.
func (a *Action) Prolongable() bool { return strings.TrimSpace(a.props["actionprolong"]) != "" }

// HasFlush reports whether the action has an actionflush. At stop
// fail2ban flushes such an action once instead of unbanning every ban.
func (a *Action) HasFlush() bool { return a.props["actionflush"] != "" }

// Epoch counts the failed invariant checks (actioncheck) that led to a
// repair or restart: fail2ban then bans again, with Reban, the addresses
// still banned when their failures are seen again.
func (a *Action) Epoch(ctx context.Context) (uint64, error) {
	if err := a.lock(ctx); err != nil {
		return 0, err
	}
	defer a.unlock()
	return a.epoch, nil
}

func (a *Action) lock(ctx context.Context) error {
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("action %s: %w", a.name, ctx.Err())
	}
}

func (a *Action) unlock() { <-a.sem }

// Start runs actionstart for every family, unless the action starts on
// demand (at its first ban of a family).
func (a *Action) Start(ctx context.Context) error {
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.unlock()
	return a.start(ctx, nil, false)
}

// Stop runs actionstop for every started family.
func (a *Action) Stop(ctx context.Context) error {
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.unlock()
	return a.stop(ctx, nil)
}

// Ban runs actionban for t, starting its family first when the action
// starts on demand. A failed command is run again once, after actioncheck
// (and actionrepair, or a restart, when the check fails), as fail2ban does.
// A restored ticket (t.Restored) is ignored when the action is norestored.
func (a *Action) Ban(ctx context.Context, t Ticket) error {
	if t.Restored && a.noRestored {
		return nil
	}
	return a.withTicket(ctx, "ban", t, func(t *Ticket, fam string) error { return a.ban(ctx, t, fam, "actionban") })
}

// Reban runs actionreban, or actionban when there is none.
func (a *Action) Reban(ctx context.Context, t Ticket) error {
	op := "actionreban"
	if a.props[op] == "" {
		op = "actionban"
	}
	return a.withTicket(ctx, "reban", t, func(t *Ticket, fam string) error { return a.ban(ctx, t, fam, op) })
}

// Prolong runs actionprolong; without one, or for a restored ticket when
// the action is norestored, it does nothing.
func (a *Action) Prolong(ctx context.Context, t Ticket) error {
	if !a.Prolongable() || t.Restored && a.noRestored {
		return nil
	}
	return a.withTicket(ctx, "prolong", t, func(t *Ticket, fam string) error { return a.processCmd(ctx, "actionprolong", t, fam) })
}

// Unban runs actionunban, unless no ban of t's family went through this
// action since it started (fail2ban: nothing to remove).
func (a *Action) Unban(ctx context.Context, t Ticket) error {
	return a.withTicket(ctx, "unban", t, func(t *Ticket, fam string) error {
		if a.started[fam]&stItems == 0 {
			return nil
		}
		return a.processCmd(ctx, "actionunban", t, fam)
	})
}

// Flush runs actionflush for the families that have bans, which then have
// none. Without an actionflush (HasFlush false) it only forgets them: the
// caller unbans each ban instead.
func (a *Action) Flush(ctx context.Context) error {
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.unlock()
	var fams []string
	for f, v := range a.started {
		if v&(stStarted|stItems) == stStarted|stItems {
			fams = append(fams, f)
		}
	}
	if len(fams) == 0 {
		return nil
	}
	sort.Strings(fams)
	return a.executeOperation(ctx, "actionflush", "flush", fams, func(fam string, ok bool) {
		if ok && a.started[fam] != 0 {
			a.started[fam] &^= stItems
		}
	})
}

// Reload runs actionreload for the started families.
func (a *Action) Reload(ctx context.Context) error {
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.unlock()
	return a.executeOperation(ctx, "actionreload", "reload", a.startedFamilies(), nil)
}

// Check runs actioncheck for every started family and repairs (or
// restarts) a family whose check fails, as fail2ban's consistency check
// does; a family that cannot be restored counts as not started.
func (a *Action) Check(ctx context.Context) error {
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.unlock()
	if a.props["actioncheck"] == "" {
		return nil
	}
	var errs []error
	for _, fam := range a.startedFamilies() {
		if err := a.invariantCheck(ctx, fam, nil, true); err != nil {
			a.started[fam] = 0
			a.setExecuted("actionstart", fam, "")
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("action %s: check: %w", a.name, err)
	}
	return nil
}

func (a *Action) startedFamilies() []string {
	var fams []string
	for f, v := range a.started {
		if v != 0 {
			fams = append(fams, f)
		}
	}
	sort.Strings(fams)
	return fams
}

// withTicket checks t and writes its address in standard form, takes
// the lock and runs fn with t's family.
func (a *Action) withTicket(ctx context.Context, what string, t Ticket, fn func(t *Ticket, fam string) error) error {
	ip, err := normalIP(t.IP)
	if err != nil {
		return fmt.Errorf("action %s: %s: %w", a.name, what, err)
	}
	orig := t.IP
	t.IP = ip
	fam, _ := familyOf(ip)
	if err := a.lock(ctx); err != nil {
		return err
	}
	defer a.unlock()
	if err := fn(&t, fam); err != nil {
		return fmt.Errorf("action %s: %s %s: %w", a.name, what, orig, err)
	}
	return nil
}

// normalIP returns an address or prefix in standard form (lower case,
// IPv4-mapped addresses as IPv4); an address with a zone is refused.
func normalIP(ip string) (string, error) {
	if p, err := netip.ParsePrefix(ip); err == nil {
		addr := p.Addr()
		if addr.Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return "", fmt.Errorf("%w: %q is not an IPv4 prefix", ErrBadTicket, ip)
			}
			return netip.PrefixFrom(addr.Unmap(), bits).String(), nil
		}
		return p.String(), nil
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return "", fmt.Errorf("%w: %q is not an address or prefix", ErrBadTicket, ip)
	}
	return addr.Unmap().String(), nil
}

// familyOf returns inet4 or inet6 for an address or prefix.
func familyOf(ip string) (string, error) {
	addr, err := parseIP(ip)
	if err != nil {
		return "", err
	}
	if addr.Is4() {
		return "inet4", nil
	}
	return "inet6", nil
}

func parseIP(ip string) (netip.Addr, error) {
	if p, err := netip.ParsePrefix(ip); err == nil {
		return p.Addr().Unmap(), nil
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: %q is not an address or prefix", ErrBadTicket, ip)
	}
	return addr.Unmap(), nil
}

func (a *Action) start(ctx context.Context, family *string, force bool) error {
	if a.onDemand {
		if !force {
			return nil
		}
	} else if !force && family != nil && a.started[*family] != 0 {
		return nil
	}
	fams := a.families
	if family != nil {
		fams = []string{*family}
	}
	err := a.executeOperation(ctx, "actionstart", "start", fams, func(fam string, ok bool) {
		if ok {
			a.setExecuted("actionstop", fam, "")
			a.started[fam] = stStarted
		}
	})
	if err != nil {
		return fmt.Errorf("action %s: %w", a.name, err)
	}
	return nil
}

func (a *Action) stop(ctx context.Context, family *string) error {
	var fams []string
	if family == nil {
		fams = a.startedFamilies()
		if len(fams) == 0 {
			return nil
		}
		a.started = map[string]int{}
	} else {
		if _, ok := a.started[*family]; !ok {
			return nil
		}
		a.started[*family] = 0
		fams = []string{*family}
	}
	err := a.executeOperation(ctx, "actionstop", "stop", fams, func(fam string, ok bool) {
		if ok {
			a.setExecuted("actionstart", fam, "")
		}
	})
	if err != nil {
		return fmt.Errorf("action %s: %w", a.name, err)
	}
	return nil
}

func (a *Action) ban(ctx context.Context, t *Ticket, fam, op string) error {
	if a.onDemand && a.started[fam] == 0 {
		if err := a.start(ctx, &fam, true); err != nil {
			return err
		}
	}
	if err := a.processCmd(ctx, op, t, fam); err != nil {
		return err
	}
	a.started[fam] |= stStarted | stItems
	return nil
}

// executedElsewhere reports whether cmd ran for op in another family
// (fail2ban runs a command that is the same for both families once).
func (a *Action) executedElsewhere(op, fam, cmd string) bool {
	for f, c := range a.executed[op] {
		if f != fam && c == cmd {
			return true
		}
	}
	return false
}

// setExecuted records cmd as op's command run for fam; an empty cmd
// forgets it, and the other families that ran the same command.
func (a *Action) setExecuted(op, fam, cmd string) {
	m := a.executed[op]
	if cmd != "" {
		if m == nil {
			m = map[string]string{}
			a.executed[op] = m
		}
		m[fam] = cmd
		return
	}
	old, ok := m[fam]
	if !ok {
		return
	}
	delete(m, fam)
	for f, c := range m {
		if c == old {
			delete(m, f)
		}
	}
}

// executeOperation runs a ticketless operation (start, stop, flush,
// reload) for each of fams, as fail2ban's _executeOperation does.
func (a *Action) executeOperation(ctx context.Context, op, what string, fams []string, after func(fam string, ok bool)) error {
	var errs []error
	for _, fam := range fams {
		cmd, err := a.operation(op, fam)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ok := true
		if cmd != "" && !a.executedElsewhere(op, fam, cmd) {
			env := map[string]string{}
			script := a.dynamic(ctx, cmd, nil, fam, env)
			if err := a.run(ctx, op, fam, script, env); err != nil {
				ok = false
				errs = append(errs, err)
			}
		}
		if after != nil {
			after(fam, ok)
		}
		if ok {
			a.setExecuted(op, fam, cmd)
		} else {
			a.setExecuted(op, fam, "")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// processCmd runs op for t as fail2ban's _processCmd does: when the
// command fails it is run once more, after actioncheck (with its repair)
// if there is one.
func (a *Action) processCmd(ctx context.Context, op string, t *Ticket, fam string) error {
	var first error
	for rep := 0; ; rep++ {
		if rep > 0 && a.props["actioncheck"] != "" {
			before := func() bool {
				if op == "actionunban" && !a.repairOnUnban {
					a.opts.Log.Error("invariant check failed; unban is impossible", "action", a.name, "family", fam)
					return false
				}
				return true
			}
			if err := a.invariantCheck(ctx, fam, before, op != "actionunban"); err != nil {
				return fmt.Errorf("%w (then %w)", first, err)
			}
		}
		cmd, err := a.static(op, fam)
		if err != nil {
			return err
		}
		env := map[string]string{}
		script := a.dynamic(ctx, cmd, t, fam, env)
		err = a.run(ctx, op, fam, script, env)
		if err == nil {
			return nil
		}
		if rep > 0 || ctx.Err() != nil {
			return err
		}
		first = err
	}
}

// errCheck is the error of a failed invariant check that was not repaired.
var errCheck = errors.New("actioncheck failed")

// invariantCheck runs actioncheck for fam and, when it fails, actionrepair
// (or stop and start); nil means sane, or restored.
func (a *Action) invariantCheck(ctx context.Context, fam string, before func() bool, force bool) error {
	if !force {
		if _, ok := a.started[fam]; !ok {
			return nil
		}
	}
	check, err := a.operation("actioncheck", fam)
	if err != nil {
		return err
	}
	if check == "" || a.run(ctx, "actioncheck", fam, check, nil) == nil {
		return nil
	}
	if before != nil && !before() {
		return errCheck
	}
	a.opts.Log.Error("invariant check failed; trying to restore a sane environment", "action", a.name, "family", fam)
	a.epoch++
	repair, err := a.operation("actionrepair", fam)
	if err != nil {
		return err
	}
	if repair != "" {
		if err := a.run(ctx, "actionrepair", fam, repair, nil); err != nil {
			a.started[fam] = 0
			a.opts.Log.Error("unable to restore environment", "action", a.name, "family", fam)
			return fmt.Errorf("%w, repair: %w", errCheck, err)
		}
		a.started[fam] = stStarted
	} else {
		_ = a.stop(ctx, &fam) // a failed stop does not matter if start and check succeed
		if err := a.start(ctx, &fam, force || !a.onDemand); err != nil {
			return fmt.Errorf("%w, restart: %w", errCheck, err)
		}
	}
	if a.started[fam] != 0 {
		if err := a.run(ctx, "actioncheck", fam, check, nil); err != nil {
			a.opts.Log.Error("unable to restore environment", "action", a.name, "family", fam)
			return fmt.Errorf("%w after repair: %w", errCheck, err)
		}
	}
	return nil
}
