package config

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// FilterDef is a filter file resolved on its own, as fail2ban-regex and
// fail2ban's sample tests read one: its regexes after interpolation and
// <tag> substitution (host tags are left for the filter engine).
type FilterDef struct {
	Name         string
	Source       string // the file read first
	PrefRegex    string
	FailRegex    []string
	IgnoreRegex  []string
	MaxLines     int
	DatePattern  string
	UseDNS       string
	JournalMatch [][]string
}

// FilterOptions controls LoadFilter.
type FilterOptions struct {
	Options
	// Args are the filter's arguments, as in sshd[mode=aggressive].
	Args []Arg
	// Backend, when set, fills in logtype the way a jail with that backend
	// does (file, or journal for systemd backends).
	Backend string
}

// LoadFilter reads the filter name (from filter.d/, with its .local and
// includes) or, when name is a path (it contains a '/'), that file.
func LoadFilter(name string, opt FilterOptions) (*FilterDef, error) {
	b := opt.Builtin
	if b == nil && !opt.NoBuiltin {
		b = Builtin()
	}
	dir := opt.Dir
	base := path.Join("filter.d", name)
	if strings.Contains(name, "/") {
		abs, err := filepath.Abs(name)
		if err != nil {
			return nil, fmt.Errorf("filter %s: %w", name, err)
		}
		fdir := filepath.Dir(abs)
		name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(abs), ".conf"), ".local")
		if filepath.Base(fdir) == "filter.d" {
			// A file of a configuration tree: read it with that tree.
			dir, base = filepath.Dir(fdir), path.Join("filter.d", name)
		} else {
			// A file elsewhere: it alone, with its .local and includes.
			dir, b, base = fdir, nil, name
		}
	}
	l := &Loader{files: newFiles(dir, b), basedir: dir}
	l.r = newReader(l.files)
	fm, ok := l.r.readBase(base)
	if len(l.r.errs) > 0 {
		return nil, l.r.errs
	}
	if !ok {
		return nil, fmt.Errorf("filter %q %w (no %s.conf or .local in %s)", name, ErrNotFound, base, l.where())
	}
	args := newOpts()
	for _, a := range opt.Args {
		args.set(a.Key, a.Value)
	}
	d := newDefInit(fm, filterOpts, args)
	if opt.Backend != "" {
		d.autoLogtype(opt.Backend)
	}
	if err := d.load(nil, false); err != nil {
		return nil, fmt.Errorf("filter %q: %w", name, locate(err, fm))
	}
	comb, _, err := d.combined()
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", name, locate(err, fm))
	}
	stream, err := fillFilterStream(nil, comb, "jail")
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", name, err)
	}
	j, errs := fold(append([]cmd{{"add", "jail", "auto"}}, stream...))
	if len(errs) > 0 {
		return nil, fmt.Errorf("filter %q: %s", name, errs[0].msg)
	}
	def := &FilterDef{Name: name, PrefRegex: j.PrefRegex, FailRegex: j.FailRegex, IgnoreRegex: j.IgnoreRegex,
		MaxLines: j.MaxLines, DatePattern: j.DatePattern, UseDNS: j.UseDNS, JournalMatch: j.JournalMatch}
	if len(fm.files) > 0 {
		def.Source = fm.files[0]
	}
	return def, nil
}
