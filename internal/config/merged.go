package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// maxInterpolationDepth is Python ConfigParser's limit on nested %(name)s.
const maxInterpolationDepth = 10

var (
	errNoSection = errors.New("no such section")
	errNoOption  = errors.New("no such option")
)

// merged is the union of several files read in order, as fail2ban's
// SafeConfigParserWithIncludes builds it: later files override earlier ones,
// and overridden values stay reachable as KNOWN/<section>.
type merged struct {
	defaults *section
	secs     map[string]*section
	order    []string
	files    []string // shown names of the files read, in order
	broken   bool     // a file that should have been read could not be
}

func newMerged() *merged {
	return &merged{defaults: newSection("DEFAULT", "", 0), secs: map[string]*section{}}
}

func (m *merged) addSection(s *section) {
	m.secs[s.name] = s
	m.order = append(m.order, s.name)
}

// sections lists section names in order, without the KNOWN/ copies.
func (m *merged) sections() []string {
	out := make([]string, 0, len(m.order))
	for _, n := range m.order {
		if !strings.HasPrefix(n, "KNOWN/") {
			out = append(out, n)
		}
	}
	return out
}

func (m *merged) merge(f *iniFile) {
	for _, k := range f.defaults.keys {
		m.defaults.set(k, f.defaults.vals[k])
	}
	for _, s := range f.sections {
		name := s.name
		if base, cond, ok := splitConditional(name); ok {
			name = base
			cs := newSection(name, s.file, s.line)
			for _, k := range s.keys {
				cs.set(k+cond, s.vals[k])
			}
			s = cs
		}
		old := m.secs[name]
		if old == nil {
			c := s.clone()
			c.name = name
			m.addSection(c)
			continue
		}
		known := m.secs["KNOWN/"+name]
		for _, k := range old.keys {
			if _, over := s.vals[k]; over {
				if known == nil {
					known = newSection("KNOWN/"+name, old.file, old.line)
					m.addSection(known)
				}
				known.set(k, old.vals[k])
			}
		}
		for _, k := range s.keys {
			old.set(k, s.vals[k])
		}
	}
}

// chain is the lookup map of one interpolation: values mapped while
// interpolating, then caller variables, the section, and [DEFAULT].
type chain struct {
	extra map[string]value
	vars  map[string]string
	sec   *section
	defs  *section
}

func (c *chain) lookup(k string) (value, bool) {
	if v, ok := c.extra[k]; ok {
		return v, true
	}
	if v, ok := c.vars[k]; ok {
		return value{s: v}, true
	}
	if c.sec != nil {
		if v, ok := c.sec.vals[k]; ok {
			return v, true
		}
	}
	v, ok := c.defs.vals[k]
	return v, ok
}

// lowerKeys copies vars with lower-cased names, as ConfigParser does.
func lowerKeys(vars map[string]string) map[string]string {
	if len(vars) == 0 {
		return nil
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[strings.ToLower(k)] = v
	}
	return out
}

func (m *merged) chainFor(sec string, vars map[string]string) (chain, error) {
	c := chain{vars: vars, defs: m.defaults}
	if sec != "DEFAULT" {
		c.sec = m.secs[sec]
		if c.sec == nil {
			return c, errNoSection
		}
	}
	return c, nil
}

// get returns an option's value after %(name)s interpolation, with fail2ban's
// additions: %(__name__)s and %(section/option)s, %(known/option)s. The
// names in vars must be lower case (see lowerKeys).
func (m *merged) get(sec, opt string, vars map[string]string) (string, error) {
	opt = strings.ToLower(opt)
	c, err := m.chainFor(sec, vars)
	if err != nil {
		return "", err
	}
	v, ok := c.lookup(opt)
	if !ok {
		return "", errNoOption
	}
	if !strings.Contains(v.s, "%") {
		return v.s, nil
	}
	var b strings.Builder
	if err := m.interpolate(&b, sec, []frame{{opt, v}}, v.s, &c); err != nil {
		return "", err
	}
	return b.String(), nil
}

// refs returns the names that option opt of section sec refers to by
// %(name)s, directly or through the values of the names it refers to.
func (m *merged) refs(sec, opt string) map[string]bool {
	out := map[string]bool{}
	c, err := m.chainFor(sec, nil)
	if err != nil {
		return out
	}
	var walk func(s string)
	walk = func(s string) {
		if !strings.Contains(s, "%(") {
			return
		}
		for _, ref := range interpolationRefs(s) {
			name := strings.ToLower(ref)
			if out[name] {
				continue
			}
			out[name] = true
			if v, ok := c.lookup(name); ok {
				walk(v.s)
			}
		}
	}
	if v, ok := c.lookup(strings.ToLower(opt)); ok {
		walk(v.s)
	}
	return out
}

// mapSectionOptions makes %(section/option)s references in rest resolvable.
func (m *merged) mapSectionOptions(sec, rest string, c *chain) {
	if !strings.Contains(rest, "/") {
		return
	}
	for _, g := range sectionOptionRefs(rest) {
		sopt, opt := g.ref, g.opt
		if _, ok := c.lookup(sopt); ok {
			continue
		}
		secName := sopt[:len(sopt)-len(opt)-1]
		var (
			v     value
			found bool
		)
		switch strings.ToLower(secName) {
		case "default":
		case "known":
			if ks := m.secs["KNOWN/"+sec]; ks != nil {
				v, found = ks.vals[opt]
			}
		default:
			s := m.secs[secName]
			if s == nil {
				continue
			}
			v, found = s.vals[opt]
		}
		if !found {
			v, found = m.defaults.vals[opt]
			if !found {
				continue
			}
		}
		c.extra[sopt] = v
	}
}

// frame is a value being interpolated: the option it was found under and
// the value itself, with where it was written.
type frame struct {
	name string
	v    value
}

func isBuiltin(file string) bool { return strings.HasPrefix(file, "builtin:") }

// interpError locates a problem found while interpolating stack[0] through
// the values of stack (innermost last). It is shown first at a place the
// user wrote rather than at a built-in default: the first user-written
// value of the loop when there is one (loop >= 0 is where the loop starts
// in stack), else the innermost user-written value on the way to the
// failing one, else the option asked for. The failing value and the option
// asked for follow in the message when they are elsewhere.
func interpError(sec string, stack []frame, loop int, what string) *Error {
	user := func(f frame) bool { return f.v.file != "" && !isBuiltin(f.v.file) }
	blame := -1
	if loop >= 0 {
		for i := loop; i < len(stack); i++ {
			if user(stack[i]) {
				blame = i
				break
			}
		}
	}
	if blame < 0 {
		for i := len(stack) - 1; i >= 0; i-- {
			if user(stack[i]) {
				blame = i
				break
			}
		}
	}
	if blame < 0 {
		blame = 0
	}
	at := stack[blame]
	msg := fmt.Sprintf("option %q in [%s]: %s", at.name, sec, what)
	e := &Error{File: at.v.file, Line: at.v.line, key: sec + "\x00" + at.v.file + "\x00" + strconv.Itoa(at.v.line) + "\x00" + msg}
	var also []string
	place := func(f frame) string {
		if f.v.file == "" {
			return ""
		}
		return fmt.Sprintf(" at %s:%d", f.v.file, f.v.line)
	}
	if last := len(stack) - 1; loop < 0 && last != blame {
		also = append(also, fmt.Sprintf("in the value of %q%s", stack[last].name, place(stack[last])))
	}
	if blame != 0 {
		also = append(also, fmt.Sprintf("reached from option %q%s", stack[0].name, place(stack[0])))
	}
	if len(also) > 0 {
		msg += " (" + strings.Join(also, ", ") + ")"
	}
	e.Msg = msg
	return e
}

func (m *merged) interpolate(b *strings.Builder, sec string, stack []frame, rest string, c *chain) error {
	if len(stack) > maxInterpolationDepth {
		return interpError(sec, stack, -1, fmt.Sprintf("interpolation nests deeper than %d levels", maxInterpolationDepth))
	}
	// Each level sees __name__ and the %(section/option)s references of
	// its own text, on top of what the levels above it mapped.
	if c.extra == nil || (strings.Contains(rest, "/") && strings.Contains(rest, "%(")) {
		extra := make(map[string]value, len(c.extra)+1)
		for k, v := range c.extra {
			extra[k] = v
		}
		extra["__name__"] = value{s: sec}
		c = &chain{extra: extra, vars: c.vars, sec: c.sec, defs: c.defs}
		m.mapSectionOptions(sec, rest, c)
	}
	for rest != "" {
		p := strings.IndexByte(rest, '%')
		if p < 0 {
			b.WriteString(rest)
			return nil
		}
		b.WriteString(rest[:p])
		rest = rest[p:]
		switch {
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			rest = rest[2:]
		case strings.HasPrefix(rest, "%("):
			end := strings.IndexByte(rest, ')')
			if end <= 2 || end+1 >= len(rest) || rest[end+1] != 's' {
				return interpError(sec, stack, -1, fmt.Sprintf("bad interpolation reference %q", truncate(rest, 40)))
			}
			name := strings.ToLower(rest[2:end])
			rest = rest[end+2:]
			v, ok := c.lookup(name)
			if !ok {
				return interpError(sec, stack, -1, fmt.Sprintf("%%(%s)s refers to an undefined option", name))
			}
			if !strings.Contains(v.s, "%") {
				b.WriteString(v.s)
				continue
			}
			// A name resolves to the same value at every level, so one met
			// again on the way down would expand forever (Python stops at
			// its depth limit).
			for i, f := range stack {
				if f.name == name {
					return interpError(sec, stack, i, "interpolation loops: "+loopPath(stack[i:]))
				}
			}
			if err := m.interpolate(b, sec, append(stack[:len(stack):len(stack)], frame{name, v}), v.s, c); err != nil {
				return err
			}
		default:
			return interpError(sec, stack, -1, fmt.Sprintf("'%%' must be followed by '%%' or '(' (write %%%% for a literal %%), found %q", truncate(rest, 40)))
		}
	}
	return nil
}

// loopPath shows an interpolation loop: "%(a)s refers to itself" or
// "a -> b -> a".
func loopPath(cycle []frame) string {
	if len(cycle) == 1 {
		return fmt.Sprintf("%%(%s)s refers to itself", cycle[0].name)
	}
	names := make([]string, 0, len(cycle)+1)
	for _, f := range cycle {
		names = append(names, f.name)
	}
	return strings.Join(append(names, cycle[0].name), " -> ")
}

// getEx is get with "section/option" names resolved first (known/ looks in
// KNOWN/<section> and then in the section itself).
func (m *merged) getEx(sec, opt string, vars map[string]string) (string, error) {
	if strings.Contains(opt, "/") {
		if secName, optName, ok := splitSectionOption(opt); ok {
			var try []string
			switch strings.ToLower(secName) {
			case "known":
				try = []string{"KNOWN/" + sec, sec}
			case "default":
				try = []string{"DEFAULT"}
			default:
				try = []string{secName}
			}
			for _, s := range try {
				v, err := m.get(s, optName, nil)
				if err == nil {
					return v, nil
				}
				if !errors.Is(err, errNoSection) && !errors.Is(err, errNoOption) {
					return "", err
				}
			}
		}
	}
	return m.get(sec, opt, vars)
}

// ownOptions lists the options written in a section, without [DEFAULT].
func (m *merged) ownOptions(sec string) []string {
	s := m.secs[sec]
	if s == nil {
		return nil
	}
	return s.keys
}

// where returns the place an option's raw value was written, or the
// section header when it comes from elsewhere.
func (m *merged) where(sec, opt string) (string, int) {
	if s := m.secs[sec]; s != nil {
		if v, ok := s.vals[opt]; ok {
			return v.file, v.line
		}
		return s.file, s.line
	}
	if v, ok := m.defaults.vals[opt]; ok {
		return v.file, v.line
	}
	return "", 0
}

// viewFor returns a copy of m in which section sec may be changed without
// affecting m or other views.
func (m *merged) viewFor(sec string) *merged {
	s := m.secs[sec]
	if s == nil {
		return m
	}
	secs := make(map[string]*section, len(m.secs))
	for k, v := range m.secs {
		secs[k] = v
	}
	secs[sec] = s.clone()
	return &merged{defaults: m.defaults, secs: secs, order: m.order, files: m.files, broken: m.broken}
}

// reader parses files once and builds merged views by fail2ban's rules.
// It may be used by several goroutines: each file is parsed, and each base
// name merged, exactly once.
type reader struct {
	files *files

	mu     sync.Mutex // guards the maps and errs
	parsed map[string]*parsedFile
	cache  map[string]*baseEntry
	errs   Errors
	seenEr map[string]bool
}

type parsedFile struct {
	once sync.Once
	f    *iniFile
	ok   bool
	bad  bool // it exists but could not be read or parsed
}

type baseEntry struct {
	once sync.Once
	m    *merged
}

func newReader(f *files) *reader {
	return &reader{files: f, parsed: map[string]*parsedFile{}, cache: map[string]*baseEntry{}, seenEr: map[string]bool{}}
}

func (r *reader) report(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range asErrors(err) {
		k := e.Error()
		if !r.seenEr[k] {
			r.seenEr[k] = true
			r.errs = append(r.errs, e)
		}
	}
}

// parse reads and parses one file; a missing file is not an error.
func (r *reader) parse(ref string) (*iniFile, bool) {
	p := r.parseOnce(ref)
	return p.f, p.ok
}

// parseOnce parses ref on first use and returns the outcome.
func (r *reader) parseOnce(ref string) *parsedFile {
	r.mu.Lock()
	p := r.parsed[ref]
	if p == nil {
		p = &parsedFile{}
		r.parsed[ref] = p
	}
	r.mu.Unlock()
	p.once.Do(func() {
		data, shown, err := r.files.read(ref)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return
		case err != nil:
			r.report(&Error{File: shown, Msg: "cannot read file", Err: err})
			p.bad = true
			return
		}
		f, err := parseINI(shown, data)
		if err != nil {
			r.report(err)
			p.bad = true
			return
		}
		p.f, p.ok = f, true
	})
	return p
}

// withLocal adds, after each file, its .local twin when it exists.
func (r *reader) withLocal(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n)
		ext := path.Ext(path.Base(n))
		if strings.HasPrefix(path.Base(n), ".") && ext == path.Base(n) {
			ext = ""
		}
		local := strings.TrimSuffix(n, ext) + ".local"
		if !contains(names, local) && r.files.isFile(local) {
			out = append(out, local)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// includes expands [INCLUDES] before/after recursively.
func (r *reader) includes(names []string, seen []string) []string {
	var out []string
	for _, n := range r.withLocal(names) {
		out = append(out, r.includesOf(n, seen)...)
	}
	return out
}

func (r *reader) includesOf(ref string, seen []string) []string {
	f, ok := r.parse(ref)
	if !ok {
		return []string{ref} // readFiles skips it, noting if it is broken
	}
	dir := path.Dir(ref)
	if filepath.IsAbs(ref) {
		dir = filepath.Dir(ref)
	}
	var before, after []string
	if inc := f.section("INCLUDES"); inc != nil {
		var single *merged
		for _, which := range []string{"before", "after"} {
			raw, has := inc.vals[which]
			if !has {
				continue
			}
			v := raw.s
			if strings.Contains(v, "%") {
				// Include lists may use %(name)s, resolved within this file.
				if single == nil {
					single = newMerged()
					single.merge(f)
				}
				var err error
				if v, err = single.get("INCLUDES", which, nil); err != nil {
					r.report(err)
					continue
				}
			}
			for _, n := range strings.Split(v, "\n") {
				if n == "" {
					continue
				}
				target := n
				if !filepath.IsAbs(n) {
					target = path.Join(dir, n)
				}
				if contains(seen, target) {
					continue
				}
				s := append(append([]string(nil), seen...), ref)
				list := r.includes([]string{target}, s)
				if which == "before" {
					before = append(before, list...)
				} else {
					after = append(after, list...)
				}
			}
		}
	}
	return append(append(before, ref), after...)
}

// readBase reads base.conf, base.d/*.conf, base.local, base.d/*.local with
// their includes, merged in that order. It is cached per base name.
func (r *reader) readBase(base string) (*merged, bool) {
	r.mu.Lock()
	e := r.cache[base]
	if e == nil {
		e = &baseEntry{}
		r.cache[base] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.m = r.readBaseOnce(base) })
	return e.m, e.m != nil
}

func (r *reader) readBaseOnce(base string) *merged {
	names := []string{base + ".conf"}
	names = append(names, r.files.glob(base+".d", ".conf")...)
	names = append(names, base+".local")
	names = append(names, r.files.glob(base+".d", ".local")...)
	var existing []string
	for _, n := range names {
		if r.files.isFile(n) {
			existing = append(existing, n)
		}
	}
	if len(existing) == 0 {
		return nil
	}
	m := r.readFiles(existing)
	if len(m.files) == 0 {
		return nil
	}
	return m
}

func (r *reader) readFiles(names []string) *merged {
	m := newMerged()
	for _, n := range r.includes(names, nil) {
		p := r.parseOnce(n)
		if !p.ok {
			m.broken = m.broken || p.bad
			continue
		}
		m.files = append(m.files, p.f.path)
		m.merge(p.f)
	}
	return m
}
