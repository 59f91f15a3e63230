package config

import (
	"errors"
	"fmt"
	"strings"
)

type optSpec struct {
	name string
	typ  byte // 's' string, 'i' int, 'b' bool
}

var filterOpts = []optSpec{
	{"usedns", 's'}, {"prefregex", 's'}, {"ignoreregex", 's'}, {"failregex", 's'},
	{"maxlines", 'i'}, {"datepattern", 's'}, {"journalmatch", 's'},
}

var actionOpts = []optSpec{
	{"actionstart", 's'}, {"actionstart_on_demand", 'b'}, {"actionstop", 's'}, {"actionflush", 's'},
	{"actionreload", 's'}, {"actioncheck", 's'}, {"actionrepair", 's'}, {"actionrepair_on_unban", 'b'},
	{"actionban", 's'}, {"actionprolong", 's'}, {"actionreban", 's'}, {"actionunban", 's'},
	{"norestored", 'b'},
}

func specOf(specs []optSpec, name string) (optSpec, bool) {
	for _, s := range specs {
		if s.name == name {
			return s, true
		}
	}
	return optSpec{}, false
}

// defInit reads a filter or action file: its [Definition] options, its
// [Init] defaults, and the arguments given where it is referenced, combined
// the way fail2ban combines them.
type defInit struct {
	m        *merged
	specs    []optSpec
	init     *opts // arguments from the reference, then [Init] defaults
	o        *opts // [Definition] options read
	pOpts    map[string]string
	defCache map[string]*string
}

func newDefInit(m *merged, specs []optSpec, args *opts) *defInit {
	return &defInit{m: m, specs: specs, init: args, o: newOpts(), defCache: map[string]*string{}}
}

// autoLogtype sets the logtype argument from the jail's backend (file, or
// journal for systemd backends) unless it is given or the filter sets it.
func (d *defInit) autoLogtype(backend string) {
	if _, has := d.init.vals["logtype"]; has {
		return
	}
	if def := d.m.secs["Definition"]; def != nil {
		if _, own := def.vals["logtype"]; own {
			return
		}
	}
	lt := "file"
	if strings.HasPrefix(backend, "systemd") {
		lt = "journal"
	}
	d.init.set("logtype", lt)
}

// load reads the options with pOpts (the jail's options) as variables; all
// also reads every other option of [Definition].
func (d *defInit) load(jailOpts *vals, all bool) error {
	p := map[string]string{}
	present := map[string]bool{}
	if jailOpts != nil {
		for _, k := range jailOpts.keys {
			present[k] = true
			if x := jailOpts.m[k]; x.kind != 'n' {
				p[k] = x.str()
			}
		}
	}
	for _, k := range d.init.keys {
		present[k] = true
		p[k] = d.init.vals[k]
	}
	p = lowerKeys(p)
	d.o = newOpts()
	if d.m.secs["Definition"] == nil {
		return fmt.Errorf("no [Definition] section")
	}
	for _, s := range d.specs {
		if present[s.name] {
			continue
		}
		v, err := d.m.get("Definition", s.name, p)
		if errors.Is(err, errNoOption) {
			continue
		}
		if err != nil {
			return err
		}
		d.o.set(s.name, v)
	}
	d.pOpts = p
	if d.m.secs["Init"] != nil {
		for _, k := range d.m.ownOptions("Init") {
			if k == "__name__" {
				continue
			}
			var v *string
			getv := func() (string, error) {
				if v == nil {
					s, err := d.m.get("Init", k, nil)
					if err != nil {
						return "", err
					}
					v = &s
				}
				return *v, nil
			}
			if !strings.HasPrefix(k, "known/") {
				s, err := getv()
				if err != nil {
					return err
				}
				d.init.set("known/"+k, s)
			}
			if _, ok := d.init.vals[k]; !ok {
				s, err := getv()
				if err != nil {
					return err
				}
				d.init.set(k, s)
			}
		}
	}
	if all {
		for _, k := range d.m.ownOptions("Definition") {
			if k == "__name__" {
				continue
			}
			if _, ok := d.o.vals[k]; ok {
				continue
			}
			v, err := d.m.get("Definition", k, nil)
			if err != nil {
				return err
			}
			d.o.set(k, v)
		}
	}
	return nil
}

// combOption resolves a tag that is not an option, from [Definition] or a
// section/option name; unknown tags stay unresolved.
func (d *defInit) combOption(name string) (string, bool, error) {
	if v, ok := d.defCache[name]; ok {
		if v == nil {
			return "", false, nil
		}
		return *v, true, nil
	}
	v, err := d.m.getEx("Definition", name, d.pOpts)
	if errors.Is(err, errNoOption) || errors.Is(err, errNoSection) {
		d.defCache[name] = nil
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	d.defCache[name] = &v
	return v, true, nil
}

// combined returns the options with <tag> references substituted and the
// typed options converted.
func (d *defInit) combined(ignore ...string) (*vals, []string, error) {
	c := d.o.merge(d.init)
	out := newVals()
	if len(c.keys) == 0 {
		return out, nil, nil
	}
	ign := map[string]bool{}
	for _, k := range ignore {
		ign[k] = true
	}
	for _, k := range c.keys {
		if strings.IndexByte(k, '?') < 0 {
			continue
		}
		if base, _, ok := splitConditional(k); ok {
			ign[base] = true
		}
	}
	s, err := substituteTags(c, ign, d.combOption)
	if err != nil {
		return nil, nil, err
	}
	var warns []string
	for _, k := range s.keys {
		v := s.vals[k]
		sp, typed := specOf(d.specs, k)
		switch {
		case typed && sp.typ == 'i':
			n, ok := pyInt(v)
			if !ok {
				warns = append(warns, fmt.Sprintf("%s = %q is not a whole number; ignored", k, v))
				out.set(k, pyv{kind: 'n'})
				continue
			}
			out.set(k, pyv{kind: 'i', i: n})
		case typed && sp.typ == 'b':
			b, _ := pyBool(v)
			out.set(k, pyv{kind: 'b', b: b})
		default:
			out.set(k, pyStr(v))
		}
	}
	return out, warns, nil
}
