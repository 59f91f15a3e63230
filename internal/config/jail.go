package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/wardenipd/warden/internal/shlex"
)

// jailOpts are the options fail2ban reads from a jail section, in its order.
var jailOpts = []optSpec{
	{"enabled", 'b'}, {"backend", 's'}, {"maxretry", 'i'}, {"maxmatches", 'i'},
	{"findtime", 's'}, {"bantime", 's'}, {"bantime.increment", 'b'}, {"bantime.factor", 's'},
	{"bantime.formula", 's'}, {"bantime.multipliers", 's'}, {"bantime.maxtime", 's'},
	{"bantime.rndtime", 's'}, {"bantime.overalljails", 'b'}, {"ignorecommand", 's'},
	{"ignoreself", 'b'}, {"ignoreip", 's'}, {"ignorecache", 's'}, {"filter", 's'},
	{"logtimezone", 's'}, {"logencoding", 's'}, {"logpath", 's'}, {"action", 's'},
	// the filter's options, which a jail may set too
	{"usedns", 's'}, {"prefregex", 's'}, {"ignoreregex", 's'}, {"failregex", 's'},
	{"maxlines", 'i'}, {"datepattern", 's'}, {"journalmatch", 's'},
	// Warden's own: subnet bans
	{"banprefix.ipv4", 's'}, {"banprefix.ipv6", 's'},
}

// jailFirstOpts are read first, to decide whether the jail is enabled.
var jailFirstOpts = []optSpec{{"enabled", 'b'}, {"backend", 's'}, {"filter", 's'}}

// escapedActionTags are left for the action to fill in at ban time.
var escapedActionTags = []string{"matches", "ipmatches", "ipjailmatches", "timeout", "bantime"}

// cmd is one command of fail2ban's client-to-server stream, the form in
// which `fail2ban-client -d` prints a resolved configuration.
type cmd []any

// actionRef is an action as resolved for a jail.
type actionRef struct {
	name   string // the action's name in the jail (actname)
	file   string // the action file referenced
	native string // Warden's native implementation, if the file names one
	python bool
	src    *Error // where it was referenced
	stream []cmd
	broken bool // its file could not all be read
}

// jailResult is one jail section read.
type jailResult struct {
	name     string
	enabled  bool
	err      *Error
	problems Errors // further problems, after err
	stream   []cmd
	warns    []string
	convErr  error
	opts     *vals
	filter   string
	fargs    *opts
	fdef     *defInit
	actions  []*actionRef
	// brokenFile: a filter or action file of the jail could not be read;
	// that problem is reported once, for the file.
	brokenFile bool
}

// readOpts reads options of a section the way fail2ban's getOptions does:
// missing options are left out (or given their default), typed ones are
// converted. Conversion problems are returned as errors.
func readOpts(m *merged, sec string, specs []optSpec, defaults map[string]pyv) (*vals, Errors) {
	out := newVals()
	var errs Errors
	for _, s := range specs {
		v, err := m.get(sec, s.name, nil)
		if err != nil {
			if errors.Is(err, errNoOption) {
				if d, ok := defaults[s.name]; ok {
					out.set(s.name, d)
				}
				continue
			}
			for _, e := range asErrors(err) {
				if e.opt == "" {
					e.opt = s.name
				}
				errs = append(errs, e)
			}
			continue
		}
		switch s.typ {
		case 'b':
			b, known := pyBool(v)
			if !known {
				f, l := m.where(sec, s.name)
				e := errorf(f, l, "[%s] %s = %q is not a boolean (use true/false, yes/no, on/off, 1/0)", sec, s.name, v)
				e.opt = s.name
				errs = append(errs, e)
			}
			out.set(s.name, pyv{kind: 'b', b: b})
		case 'i':
			n, ok := pyInt(v)
			if !ok {
				f, l := m.where(sec, s.name)
				e := errorf(f, l, "[%s] %s = %q is not a whole number", sec, s.name, v)
				e.opt = s.name
				errs = append(errs, e)
				out.set(s.name, pyv{kind: 'n'})
				continue
			}
			out.set(s.name, pyv{kind: 'i', i: n})
		default:
			out.set(s.name, pyStr(v))
		}
	}
	return out, errs
}

func (l *Loader) readJail(jm *merged, name string) *jailResult {
	return l.readJailAs(jm, name, "")
}

// readJailAs reads a jail; a backend given replaces journal-or-file's
// choice.
func (l *Loader) readJailAs(orig *merged, name, journalOrFile string) *jailResult {
	jm := orig
	j := &jailResult{name: name}
	first, errs := readOpts(jm, name, jailFirstOpts, map[string]pyv{"enabled": {kind: 'b'}, "backend": pyStr("auto"), "filter": pyStr("")})
	if en, ok := first.get("enabled"); ok && en.b {
		j.enabled = true
	}
	if !j.enabled {
		if len(errs) > 0 {
			j.err = errs[0]
			j.problems = append(j.problems, errs[1:]...)
		}
		return j
	}
	fail := func(opt string, format string, args ...any) *jailResult {
		f, ln := jm.where(name, opt)
		j.err = errorf(f, ln, "jail [%s]: "+format, append([]any{name}, args...)...)
		j.err.opt = opt
		return j
	}
	if len(errs) > 0 {
		j.err = errs[0]
		j.problems = append(j.problems, errs[1:]...)
		return j
	}
	backend := first.m["backend"].s
	fromJournalOrFile := backend == JournalOrFile
	r := l.resolveBackend(backend)
	if fromJournalOrFile && journalOrFile != "" {
		r = journalOrFile
	}
	if r != backend {
		// The jail reads as if it said the backend chosen for this host.
		f, ln := jm.where(name, "backend")
		jm = jm.viewFor(name)
		jm.secs[name].set("backend", value{s: r, file: f, line: ln})
		backend = r
	}
	if flt := first.m["filter"].s; flt != "" {
		ref, err := ParseRef(flt)
		if err != nil {
			return fail("filter", "invalid filter definition %q: %v", flt, err)
		}
		fm, ok := l.r.readBase(path.Join("filter.d", ref.Name))
		if !ok {
			return fail("filter", "filter %q not found (no filter.d/%s.conf or .local in %s)", ref.Name, ref.Name, l.where())
		}
		j.brokenFile = j.brokenFile || fm.broken
		args := newOpts()
		for _, a := range ref.Args {
			args.set(a.Key, a.Value)
		}
		j.filter, j.fargs = ref.Name, args.clone()
		d := newDefInit(fm, filterOpts, args)
		d.autoLogtype(backend)
		if err := d.load(first, true); err != nil {
			return fail("filter", "filter %q: %v", ref.Name, locate(err, fm))
		}
		comb, _, err := d.combined()
		if err != nil {
			return fail("filter", "filter %q: %v", ref.Name, locate(err, fm))
		}
		if fromJournalOrFile && backend == "systemd" && strings.TrimSpace(comb.m["journalmatch"].str()) == "" {
			// A filter that does not say which journal entries are its
			// program's would read every entry: the files, then.
			return l.readJailAs(orig, name, "auto")
		}
		// The filter's values become known/ options of this jail's section,
		// in a copy private to this jail.
		jm = jm.viewFor(name)
		sec := jm.secs[name]
		for _, k := range comb.keys {
			if !strings.HasPrefix(k, "known/") && k != "__name__" {
				sec.set("known/"+k, value{s: comb.m[k].str(), file: sec.file, line: sec.line})
			}
		}
		j.fdef = d
	}
	opts, errs := readOpts(jm, name, jailOpts, map[string]pyv{"enabled": {kind: 'b'}, "backend": pyStr("auto"), "filter": pyStr(""), "action": pyStr("")})
	if len(errs) > 0 {
		j.err = errs[0]
		j.problems = append(j.problems, errs[1:]...)
		return j
	}
	j.opts = opts
	if j.fdef != nil {
		if err := j.fdef.load(opts, false); err != nil {
			return fail("filter", "filter %q: %v", j.filter, err)
		}
	}
	for _, act := range SplitRefs(opts.m["action"].s) {
		act = pyStrip(act)
		if act == "" {
			continue
		}
		ref, err := ParseRef(act)
		if err != nil {
			return fail("action", "invalid action definition %q: %v", act, err)
		}
		a, err := l.readAction(jm, name, ref, opts)
		if err != nil {
			return fail("action", "action %q: %v", ref.Name, err)
		}
		j.actions = append(j.actions, a)
		j.brokenFile = j.brokenFile || a.broken
	}
	return j
}

// locate gives an unlocated error the file it came from.
func locate(err error, m *merged) error {
	var e *Error
	if errors.As(err, &e) && e.File != "" {
		return err
	}
	if len(m.files) > 0 {
		return fmt.Errorf("%s: %w", m.files[0], err)
	}
	return err
}

func (l *Loader) readAction(jm *merged, jail string, ref Ref, jopts *vals) (*actionRef, error) {
	args := newOpts()
	for _, a := range ref.Args {
		args.set(a.Key, a.Value)
	}
	if strings.HasSuffix(ref.Name, ".py") {
		actname := strings.TrimSuffix(ref.Name, ".py")
		if v, ok := args.vals["actname"]; ok {
			actname = v
		}
		rest := newOpts()
		for _, k := range args.keys {
			if k != "actname" {
				rest.set(k, args.vals[k])
			}
		}
		js, err := pyJSONObject(rest)
		if err != nil {
			return nil, err
		}
		p := path.Join(l.basedir, "action.d", ref.Name)
		return &actionRef{name: actname, file: ref.Name, python: true,
			stream: []cmd{{"set", jail, "addaction", actname, p, js}}}, nil
	}
	n, ok := args.vals["name"]
	if !ok {
		n = jail
		args.set("name", n)
	}
	actname, ok := args.vals["actname"]
	if !ok {
		actname = ref.Name
		if n != jail {
			if strings.HasPrefix(n, jail) {
				actname += n[len(jail):]
			} else {
				actname += "-" + n
			}
		}
		args.set("actname", actname)
	}
	am, ok := l.r.readBase(path.Join("action.d", ref.Name))
	if !ok {
		return nil, fmt.Errorf("%w (no action.d/%s.conf or .local in %s)", ErrNotFound, ref.Name, l.where())
	}
	d := newDefInit(am, actionOpts, args)
	if err := d.load(jopts, false); err != nil {
		return nil, locate(err, am)
	}
	comb, _, err := d.combined(escapedActionTags...)
	if err != nil {
		return nil, locate(err, am)
	}
	a := &actionRef{name: actname, file: ref.Name, broken: am.broken}
	a.native = stockNative[ref.Name]
	if v, err := am.get("Definition", "native", nil); err == nil {
		a.native = strings.TrimSpace(v)
	}
	if a.native == "no" || a.native == "shell" {
		a.native = ""
	}
	var multi []any
	for _, k := range comb.keys {
		if _, isSpec := specOf(actionOpts, k); isSpec && !strings.HasPrefix(k, "known/") {
			multi = append(multi, []any{k, comb.m[k].json()})
		}
	}
	for _, k := range d.init.keys {
		if _, isSpec := specOf(actionOpts, k); !isSpec && !strings.HasPrefix(k, "known/") {
			multi = append(multi, []any{k, d.init.vals[k]})
		}
	}
	a.stream = []cmd{{"set", jail, "addaction", actname}}
	switch {
	case len(multi) > 1:
		a.stream = append(a.stream, cmd{"multi-set", jail, "action", actname, multi})
	case len(multi) == 1:
		kv := multi[0].([]any)
		a.stream = append(a.stream, cmd{"set", jail, "action", actname, kv[0], kv[1]})
	}
	return a, nil
}

// pyJSONObject renders an ordered string map as Python's json.dumps does.
func pyJSONObject(o *opts) (string, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		kj, err := json.Marshal(k)
		if err != nil {
			return "", fmt.Errorf("encode action argument: %w", err)
		}
		vj, err := json.Marshal(o.vals[k])
		if err != nil {
			return "", fmt.Errorf("encode action argument: %w", err)
		}
		b.Write(kj)
		b.WriteString(": ")
		b.Write(vj)
	}
	b.WriteByte('}')
	return b.String(), nil
}

// fillFilterStream adds a filter's options to the stream as fail2ban does:
// regex lists as add* commands, usedns first, maxlines and prefregex early.
func fillFilterStream(stream []cmd, o *vals, jail string) ([]cmd, error) {
	prio := 0
	insert := func(at int, c cmd) {
		stream = append(stream, nil)
		copy(stream[at+1:], stream[at:])
		stream[at] = c
	}
	for _, k := range o.keys {
		v := o.m[k]
		if v.kind == 'n' {
			continue
		}
		switch {
		case k == "failregex" || k == "ignoreregex":
			var multi []any
			for _, re := range strings.Split(v.str(), "\n") {
				if re != "" {
					multi = append(multi, re)
				}
			}
			if len(multi) > 1 {
				stream = append(stream, cmd{"multi-set", jail, "add" + k, multi})
			} else if len(multi) == 1 {
				stream = append(stream, cmd{"set", jail, "add" + k, multi[0]})
			}
		case k == "usedns" || k == "maxlines" || k == "prefregex":
			at := prio
			if k == "usedns" {
				at = 0
			}
			insert(at, cmd{"set", jail, k, v.json()})
			prio++
		case strings.Contains("datepattern", k):
			stream = append(stream, cmd{"set", jail, k, v.json()})
		case k == "journalmatch":
			for _, m := range strings.Split(v.str(), "\n") {
				if m == "" {
					continue
				}
				words, err := shlex.Split(m)
				if err != nil {
					return nil, fmt.Errorf("journalmatch %q: %w", m, err)
				}
				c := cmd{"set", jail, "addjournalmatch"}
				for _, w := range words {
					c = append(c, w)
				}
				stream = append(stream, c)
			}
		}
	}
	return stream, nil
}

// jailIgnoredOpts are jail options that are not sent as "set" commands.
func jailIgnoredOpt(k string) bool {
	if k == "action" || k == "filter" || k == "enabled" {
		return true
	}
	_, f := specOf(filterOpts, k)
	return f
}

// convert builds the jail's command stream.
func (j *jailResult) convert() ([]cmd, []string, error) {
	var (
		stream, tail []cmd
		warns        []string
	)
	if j.fdef != nil {
		comb, w, err := j.fdef.combined()
		if err != nil {
			return nil, nil, fmt.Errorf("filter %q: %w", j.filter, err)
		}
		warns = append(warns, w...)
		if stream, err = fillFilterStream(stream, comb, j.name); err != nil {
			return nil, nil, err
		}
	}
	stream, err := fillFilterStream(stream, j.opts, j.name)
	if err != nil {
		return nil, nil, err
	}
	backend := ""
	for _, k := range j.opts.keys {
		v := j.opts.m[k]
		switch {
		case k == "logpath":
			if b, _ := j.opts.get("backend"); strings.HasPrefix(b.s, "systemd") {
				continue
			}
			for _, p := range strings.Split(v.str(), "\n") {
				p, mode := splitLogPath(p)
				tail = append(tail, cmd{"set", j.name, "addlogpath", p, mode})
			}
		case k == "backend":
			backend = v.s
		case k == "ignoreip":
			c := cmd{"set", j.name, "addignoreip"}
			for _, w := range splitWords(v.str()) {
				c = append(c, w)
			}
			stream = append(stream, c)
		case !jailIgnoredOpt(k):
			stream = append(stream, cmd{"set", j.name, k, v.json()})
		}
	}
	stream = append(stream, tail...)
	for _, a := range j.actions {
		stream = append(stream, a.stream...)
	}
	return append([]cmd{{"add", j.name, backend}}, stream...), warns, nil
}

// splitLogPath splits "path [head|tail]" at its last space, as fail2ban does.
func splitLogPath(p string) (string, string) {
	if i := strings.LastIndexByte(p, ' '); i >= 0 {
		return p[:i], p[i+1:]
	}
	return p, "head"
}

// filterWhere locates the filter options: in the jail section when the
// jail sets them, else in the filter file.
func (j *jailResult) filterWhere(jm *merged) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"failregex", "ignoreregex", "prefregex", "datepattern"} {
		var f string
		var ln int
		if sec := jm.secs[j.name]; sec != nil {
			if v, ok := sec.vals[k]; ok {
				f, ln = v.file, v.line
			}
		}
		if f == "" && j.fdef != nil {
			for _, s := range []string{"Definition", "Init"} {
				if sec := j.fdef.m.secs[s]; sec != nil {
					if v, ok := sec.vals[k]; ok {
						f, ln = v.file, v.line
						break
					}
				}
			}
		}
		if f != "" {
			out[k] = fmt.Sprintf("%s:%d", f, ln)
		}
	}
	return out
}
