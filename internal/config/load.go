package config

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

//go:embed builtin
var builtinFS embed.FS

// Builtin returns Warden's embedded default configuration tree.
func Builtin() fs.FS {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		panic(fmt.Sprintf("embedded defaults: %v", err)) // cannot happen: the directory is embedded
	}
	return sub
}

// CompatVersion is the fail2ban version whose configuration behaviour Warden
// follows; it is what %(fail2ban_version)s expands to.
const CompatVersion = "1.0.2"

// Options controls Load.
type Options struct {
	// Dir is the user's configuration directory, laid over the defaults.
	Dir string
	// Builtin is the base layer; nil means Warden's embedded defaults.
	Builtin fs.FS
	// NoBuiltin reads Dir alone.
	NoBuiltin bool
	// OnlyJail, when set, resolves that jail alone and treats it as enabled.
	OnlyJail string
	// HasJournal tells whether this host has a systemd journal, for the
	// backend journal-or-file; nil asks the host (HostHasJournal).
	HasJournal func() bool
}

// Config is a resolved configuration.
type Config struct {
	// Jails are the enabled jails that resolved without a problem, in
	// configuration order. A jail with a problem is never in it, so that
	// nothing shows or runs values made up for it.
	Jails []*Jail
	// Invalid names the jails with a problem, in configuration order: each
	// has at least one entry in Problems whose Jail is its name, or uses a
	// filter or action file that could not be read (that problem names the
	// file only). A disabled jail is listed when the options read to decide
	// whether it is enabled are wrong.
	Invalid  []string
	Problems Errors   // errors: the configuration should not be used as is
	Warnings []string // worth telling, not fatal
	Files    []string // jail files read, in order
	streams  map[string][]cmd
}

// Loader holds the state of one load.
type Loader struct {
	files    *files
	r        *reader
	basedir  string
	problems Errors
	warnings []string

	// hasJournal asks the host once per load (jails resolve in parallel).
	hasJournal func() bool
}

// JournalOrFile is Warden's backend for services that log through syslog:
// the journal (systemd) on a host that has one, the logpath files (auto)
// otherwise. The choice is made when the configuration is read.
const JournalOrFile = "journal-or-file"

// resolveBackend turns journal-or-file into systemd or auto for this host.
func (l *Loader) resolveBackend(b string) string {
	if b != JournalOrFile {
		return b
	}
	if l.hasJournal() {
		return "systemd"
	}
	return "auto"
}

// HostHasJournal tells whether this host keeps a systemd journal that
// journalctl can follow: journalctl is installed and journald runs.
func HostHasJournal() bool {
	if _, err := exec.LookPath("journalctl"); err != nil {
		return false
	}
	// journald's socket: a journal being written. Journal files left by
	// a journald that no longer runs would be read, and never grow.
	_, err := os.Stat("/run/systemd/journal/socket")
	return err == nil
}

func (l *Loader) where() string {
	var places []string
	if l.files.root != "" {
		places = append(places, l.files.root)
	}
	for _, ly := range l.files.layers {
		if ly.prefix == "builtin:" {
			places = append(places, "the built-in defaults")
		}
	}
	return strings.Join(places, " or ")
}

// Load reads the jail configuration of opt.Dir over the defaults and
// resolves every enabled jail. A returned error means nothing could be read
// at all; problems with single files or jails are in Config.Problems.
func Load(opt Options) (*Config, error) {
	b := opt.Builtin
	if b == nil && !opt.NoBuiltin {
		b = Builtin()
	}
	hasJournal := opt.HasJournal
	if hasJournal == nil {
		hasJournal = HostHasJournal
	}
	l := &Loader{files: newFiles(opt.Dir, b), basedir: opt.Dir, hasJournal: sync.OnceValue(hasJournal)}
	l.r = newReader(l.files)
	if l.basedir == "" {
		l.basedir = "/etc/warden"
	}
	jm, ok := l.r.readBase("jail")
	if !ok {
		if len(l.r.errs) > 0 {
			return &Config{Problems: l.r.errs}, nil
		}
		return nil, fmt.Errorf("no jail.conf, jail.local or jail.d/ found in %s", l.where())
	}
	jm.defaults.set("fail2ban_version", value{s: CompatVersion})
	jm.defaults.set("fail2ban_confpath", value{s: l.basedir})
	c := &Config{Files: jm.files, streams: map[string][]cmd{}}
	sections := jm.sections()
	if opt.OnlyJail != "" {
		if jm.secs[opt.OnlyJail] == nil {
			return nil, fmt.Errorf("jail %q is not defined", opt.OnlyJail)
		}
		sections = []string{opt.OnlyJail}
		jm.secs[opt.OnlyJail].set("enabled", value{s: "true"})
	}
	var names []string
	for _, name := range sections {
		if name != "INCLUDES" {
			names = append(names, name)
		}
	}
	// Jails are resolved in parallel; each reads shared, settled state and
	// writes only its own result.
	results := make([]*jailResult, len(names))
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) {
					return
				}
				j := l.readJail(jm, names[i])
				if j.err == nil && j.enabled {
					j.stream, j.warns, j.convErr = j.convert()
				}
				results[i] = j
			}
		}()
	}
	wg.Wait()
	for _, j := range results {
		var probs Errors
		if j.err != nil {
			probs = append(probs, j.err)
		}
		probs = append(probs, j.problems...)
		if j.err != nil || !j.enabled {
			l.settle(c, jm, j, nil, probs)
			continue
		}
		stream, warns, err := j.stream, j.warns, j.convErr
		for _, w := range warns {
			l.warnings = append(l.warnings, fmt.Sprintf("jail [%s]: %s", j.name, w))
		}
		if err != nil {
			f, ln := jm.where(j.name, "filter")
			probs = append(probs, &Error{File: f, Line: ln, Msg: fmt.Sprintf("jail [%s]", j.name), Err: err, opt: "filter"})
			l.settle(c, jm, j, nil, probs)
			continue
		}
		c.streams[j.name] = stream
		jail, errs := fold(stream)
		for _, e := range errs {
			f, ln := jm.where(j.name, e.opt)
			probs = append(probs, &Error{File: f, Line: ln, Msg: fmt.Sprintf("jail [%s]: %s", j.name, e.msg), opt: e.opt})
		}
		jail.Filter = j.filter
		if j.fargs != nil {
			jail.FilterArgs = j.fargs.vals
		}
		if v, err := jm.get(j.name, "port", nil); err == nil {
			jail.Port = v
		}
		if v, err := jm.get(j.name, "protocol", nil); err == nil {
			jail.Protocol = v
		}
		for i, a := range j.actions {
			if i < len(jail.Actions) {
				jail.Actions[i].File = a.file
				jail.Actions[i].Native = a.native
				jail.Actions[i].Python = a.python
			}
		}
		jail.Source = sourceOf(jm, j.name)
		jail.Where = j.filterWhere(jm)
		probs = append(probs, l.validate(jm, jail)...)
		l.settle(c, jm, j, jail, probs)
	}
	c.Problems = append(append(Errors{}, l.r.errs...), l.problems...)
	sort.SliceStable(c.Problems, func(a, b int) bool {
		if c.Problems[a].File != c.Problems[b].File {
			return c.Problems[a].File < c.Problems[b].File
		}
		return c.Problems[a].Line < c.Problems[b].Line
	})
	c.Warnings = l.warnings
	return c, nil
}

// settle records a jail's outcome: its problems, reduced to their root
// causes, each reported once and naming the jail; and the jail itself in
// c.Jails when it has none, else its name in c.Invalid.
func (l *Loader) settle(c *Config, jm *merged, j *jailResult, jail *Jail, probs Errors) {
	probs = rootCauses(jm, j.name, probs)
	seen := map[string]bool{}
	for _, e := range probs {
		k := e.key
		if k == "" {
			k = e.Error()
		}
		if seen[k] {
			continue // the same problem, met again through another option
		}
		seen[k] = true
		if e.Jail == "" {
			e.Jail = j.name
		}
		l.problems = append(l.problems, e)
	}
	switch {
	case len(probs) > 0 || j.brokenFile:
		c.Invalid = append(c.Invalid, j.name)
	case jail != nil:
		c.Jails = append(c.Jails, jail)
	}
}

// rootCauses drops the problems of a jail that follow from another of its
// problems: one in an option whose value is interpolated from an option
// that has a problem of its own (maxmatches = %(maxretry)s when maxretry is
// not a number), unless that option's value refers back to it.
func rootCauses(jm *merged, jail string, probs Errors) Errors {
	if len(probs) < 2 {
		return probs
	}
	bad := map[string]bool{}
	for _, e := range probs {
		if e.opt != "" {
			bad[e.opt] = true
		}
	}
	refs := map[string]map[string]bool{}
	refsOf := func(opt string) map[string]bool {
		r, ok := refs[opt]
		if !ok {
			r = jm.refs(jail, opt)
			refs[opt] = r
		}
		return r
	}
	out := probs[:0:0]
	for _, e := range probs {
		follows := false
		if e.opt != "" {
			for o := range refsOf(e.opt) {
				if o != e.opt && bad[o] && !refsOf(o)[e.opt] {
					follows = true
					break
				}
			}
		}
		if !follows {
			out = append(out, e)
		}
	}
	return out
}

func sourceOf(m *merged, jail string) string {
	if s := m.secs[jail]; s != nil && s.file != "" {
		return fmt.Sprintf("%s:%d", s.file, s.line)
	}
	return ""
}
