package config

import (
	"fmt"
	"strings"
)

// maxTagReplace bounds how often one tag may be substituted into another,
// as fail2ban does, so that mutual references end in an error.
const maxTagReplace = 25

// opts is an ordered string map, like the Python dicts fail2ban builds.
type opts struct {
	keys []string
	vals map[string]string
}

func newOpts() *opts { return &opts{vals: map[string]string{}} }

func (o *opts) set(k, v string) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *opts) clone() *opts {
	c := &opts{keys: append([]string(nil), o.keys...), vals: make(map[string]string, len(o.vals))}
	for k, v := range o.vals {
		c.vals[k] = v
	}
	return c
}

// merge returns o updated with p (p wins), leaving both unchanged.
func (o *opts) merge(p *opts) *opts {
	c := o.clone()
	if p != nil {
		for _, k := range p.keys {
			c.set(k, p.vals[k])
		}
	}
	return c
}

// nextTag finds the next <name> in s at or after from, where name has no
// space, '<' or '>'. It returns the name and its start, or -1.
func nextTag(s string, from int) (string, int) {
	for {
		i := strings.IndexByte(s[from:], '<')
		if i < 0 {
			return "", -1
		}
		i += from
		j := i + 1
		for j < len(s) {
			c := s[j]
			if c == '>' || c == '<' || c == ' ' {
				break
			}
			j++
		}
		if j < len(s) && s[j] == '>' && j > i+1 {
			return s[i+1 : j], i
		}
		from = i + 1
	}
}

// substituteTags replaces <tag> references between the options of tags,
// recursively, as fail2ban's substituteRecursiveTags does: tags in ignore
// are left alone, unknown tags are kept (they may be filled in at ban time,
// like <ip>), and extra resolves tags that are not options. A value that
// refers to itself, or loops, is an error.
func substituteTags(tags *opts, ignore map[string]bool, extra func(string) (string, bool, error)) (*opts, error) {
	out := tags.clone()
	done := map[string]bool{}
	counts := map[string]map[string]int{}
	for {
		again := false
		for _, tag := range out.keys {
			if ignore[tag] || done[tag] {
				continue
			}
			orig := out.vals[tag]
			val := orig
			name, at := nextTag(val, 0)
			if at < 0 {
				done[tag] = !strings.Contains(val, "<")
				continue
			}
			rc := counts[tag]
			if rc == nil {
				rc = map[string]int{}
			}
			for at >= 0 {
				if ignore[name] {
					name, at = nextTag(val, at+len(name)+2)
					continue
				}
				c, seen := rc[name]
				if !seen {
					c = 1
				}
				if name == tag || c > maxTagReplace {
					return nil, fmt.Errorf("option %q refers to itself through <%s> and cannot be resolved", tag, name)
				}
				repl, ok := "", false
				if v, has := out.vals[name]; has {
					repl, ok = v, true
				} else if extra != nil {
					var err error
					repl, ok, err = extra(name)
					if err != nil {
						return nil, err
					}
				}
				if !ok {
					name, at = nextTag(val, at+len(name)+2)
					continue
				}
				val = strings.ReplaceAll(val, val[at:at+len(name)+2], repl)
				rc[name]++
				name, at = nextTag(val, at)
			}
			if val != orig {
				if _, more := nextTag(val, 0); more >= 0 {
					counts[tag] = rc
					again = true
				}
				out.vals[tag] = val
			}
			if !strings.Contains(val, "<") {
				done[tag] = true
			}
		}
		if !again {
			return out, nil
		}
	}
}
