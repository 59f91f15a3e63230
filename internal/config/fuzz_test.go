package config

import (
	"strings"
	"testing"
	"testing/fstest"
)

func FuzzParseINI(f *testing.F) {
	for _, s := range []string{
		"[DEFAULT]\na = 1\n[s]\nb = %(a)s\n  more\n",
		"[Init?family=inet6]\nx = 1 ; c\n",
		"a=1", "[s]\n\n  x\n", "[[x]]\n:=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseINI("fuzz.conf", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.conf:") {
				t.Fatalf("error without location: %v", err)
			}
			return
		}
		m := newMerged()
		m.merge(file)
		for _, s := range append(m.sections(), "DEFAULT") {
			opts := m.ownOptions(s)
			if s == "DEFAULT" {
				opts = m.defaults.keys
			}
			for _, k := range opts {
				_, _ = m.get(s, k, nil)
				_, _ = m.getEx(s, "known/"+k, nil)
			}
		}
	})
}

// FuzzInterpolation loads a whole configuration whose jail file is fuzzed:
// interpolation, tags, references and time values must never panic or hang.
func FuzzInterpolation(f *testing.F) {
	f.Add("[DEFAULT]\na = %(b)s\nb = <c>\nc = %(__name__)s\n[j]\nenabled = true\nfilter = f[x=%(a)s]\naction = a[p=\"<c>\"]\nbantime = 1h%(a)s\n")
	f.Add("[j]\nenabled = 1\nfilter = f\nfailregex = %(known/failregex)s\n  <x>\naction = a\n  a[name=n]\n")
	f.Add("[j]\nenabled = yes\nfilter = %(j/filter)s\n")
	f.Fuzz(func(t *testing.T, jail string) {
		fs := fstest.MapFS{
			"jail.conf":       {Data: []byte(jail)},
			"filter.d/f.conf": {Data: []byte("[Init]\nx = 1\n[Definition]\nfailregex = <x> <HOST> <failregex2>\nfailregex2 = %(x)s\n")},
			"action.d/a.conf": {Data: []byte("[Definition]\nactionban = <p> <ip> <name>\n[Init]\np = <name>\n")},
		}
		c, err := Load(Options{Builtin: fs})
		if err != nil {
			return
		}
		for _, p := range c.Problems {
			if p.Msg == "" {
				t.Fatalf("problem without message: %#v", p)
			}
		}
	})
}
