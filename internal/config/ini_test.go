package config

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseINI(t *testing.T) {
	src := "# comment\n[DEFAULT]\nA = 1 ; inline comment\nb: two;not a comment\n\n[s]\nmulti = first\n   second\n\n   third\n# dropped comment\n  fourth\npct = 100%%\nempty =\n"
	f, err := parseINI("t.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sec, key, want string }{
		{"DEFAULT", "a", "1"},
		{"DEFAULT", "b", "two;not a comment"},
		{"s", "multi", "first\nsecond\n\nthird\nfourth"},
		{"s", "pct", "100%%"},
		{"s", "empty", ""},
	} {
		s := f.defaults
		if tc.sec != "DEFAULT" {
			s = f.section(tc.sec)
		}
		if got := s.vals[tc.key].s; got != tc.want {
			t.Errorf("[%s] %s = %q, want %q", tc.sec, tc.key, got, tc.want)
		}
	}
	if got := f.section("s").vals["pct"].line; got != 13 {
		t.Errorf("line of pct = %d, want 13", got)
	}
}

// TestBadFiles checks that each malformed file gives FILE:LINE: message.
func TestBadFiles(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"no-section", "a = 1\n", "bad.conf:1: option outside of any [section]"},
		{"no-delimiter", "[s]\njunk line\n", "bad.conf:2: expected 'name = value'"},
		{"dup-section", "[s]\na=1\n[s]\nb=2\n", "bad.conf:3: section [s] already defined on line 1"},
		{"dup-option", "[s]\na=1\nA=2\n", "bad.conf:3: option \"a\" in section [s] already set on line 2"},
		{"empty-name", "[s]\n= 2\n", "bad.conf:2: expected 'name = value'"},
		{"bad-utf8", "[s]\na=\xff\n", "bad.conf:2: file is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseINI("bad.conf", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func loadFS(t *testing.T, files map[string]string) *Config {
	t.Helper()
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	c, err := Load(Options{Builtin: m})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBadConfigs checks that each broken configuration is reported with
// the file and line at fault.
func TestBadConfigs(t *testing.T) {
	const filter = "[Definition]\nfailregex = x <HOST>\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown-filter", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = nope\n"},
			`builtin:jail.conf:3: jail [j]: filter "nope" not found`},
		{"unknown-action", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f\naction = nope[a=1]\n", "filter.d/f.conf": filter},
			`builtin:jail.conf:4: jail [j]: action "nope": not found`},
		{"bad-time", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f\nbantime = 10 parsecs\n", "filter.d/f.conf": filter},
			`builtin:jail.conf:4: jail [j]: bantime: bad time value "10 parsecs"`},
		{"bad-int", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f\nmaxretry = five\n", "filter.d/f.conf": filter},
			`builtin:jail.conf:4: [j] maxretry = "five" is not a whole number`},
		{"cycle", map[string]string{"jail.conf": "[DEFAULT]\na = %(b)s\nb = %(a)s\n[j]\nenabled = true\nfilter = %(a)s\n"},
			`builtin:jail.conf:6: option "filter" in [j]: interpolation loops`},
		{"undefined", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = %(nothere)s\n"},
			`builtin:jail.conf:3: option "filter" in [j]: %(nothere)s refers to an undefined option`},
		{"lone-percent", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f\nbantime = 50%\n", "filter.d/f.conf": filter},
			`builtin:jail.conf:4: option "bantime" in [j]: '%' must be followed by '%' or '('`},
		{"unterminated-args", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f[mode=x\n", "filter.d/f.conf": filter},
			`builtin:jail.conf:3: jail [j]: invalid filter definition "f[mode=x"`},
		{"bad-arg-syntax", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f[mode=\"x\" junk]\n", "filter.d/f.conf": filter},
			`unexpected syntax after option "mode"`},
		{"self-tag", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f\n", "filter.d/f.conf": "[Definition]\nfailregex = <failregex>\n"},
			`refers to itself through <failregex>`},
		{"bad-bool", map[string]string{"jail.conf": "[j]\nenabled = treu\n"},
			`builtin:jail.conf:2: [j] enabled = "treu" is not a boolean`},
		{"bad-backend", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f\nbackend = magic\n", "filter.d/f.conf": filter},
			`builtin:jail.conf:4: jail [j]: unknown backend "magic"`},
		{"parse-error-in-filter", map[string]string{"jail.conf": "[j]\nenabled = true\nfilter = f\n", "filter.d/f.conf": "[Definition]\nfailregex\n"},
			`builtin:filter.d/f.conf:2: expected 'name = value'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := loadFS(t, tc.files)
			var all []string
			for _, p := range c.Problems {
				all = append(all, p.Error())
			}
			joined := strings.Join(all, "\n")
			if !strings.Contains(joined, tc.want) {
				t.Fatalf("problems:\n%s\nwant one containing %q", joined, tc.want)
			}
		})
	}
}

func TestMissingJailConf(t *testing.T) {
	_, err := Load(Options{Builtin: fstest.MapFS{}})
	if err == nil || !strings.Contains(err.Error(), "no jail.conf") {
		t.Fatalf("err = %v", err)
	}
}

func TestLayering(t *testing.T) {
	user := t.TempDir()
	writeFile(t, user+"/jail.d/x.local", "[DEFAULT]\nbantime = 1h\n[j]\nenabled = true\n")
	writeFile(t, user+"/filter.d/f.conf", "[INCLUDES]\nbefore = common.conf\n[Definition]\nfailregex = <pfx> user from <HOST>\n")
	base := fstest.MapFS{
		"jail.conf":            {Data: []byte("[DEFAULT]\nbantime = 10m\n[j]\nfilter = f\n")},
		"filter.d/common.conf": {Data: []byte("[Definition]\npfx = sshd:\n")},
		"filter.d/f.conf":      {Data: []byte("[Definition]\nfailregex = hidden\n")},
	}
	c, err := Load(Options{Dir: user, Builtin: base})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Jails) != 1 {
		t.Fatalf("jails: %d, problems %v", len(c.Jails), c.Problems)
	}
	j := c.Jails[0]
	if j.BanTime != 3600 {
		t.Errorf("bantime = %v, want 3600 from the user's jail.d/x.local", j.BanTime)
	}
	if len(j.FailRegex) != 1 || j.FailRegex[0] != "sshd: user from <HOST>" {
		t.Errorf("failregex = %q: want the user's filter including the built-in common.conf", j.FailRegex)
	}
}
