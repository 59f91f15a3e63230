package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (relative path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

const abuseTestFilter = "[Definition]\nfailregex = ^fail from <HOST>$\n"

func TestAbuseResolveKey(t *testing.T) {
	const key1 = "k1-4f7a0c1d9e8b7a6f5e4d3c2b1a0f9e8d"
	const key2 = "k2-0123456789abcdef0123456789abcdef"
	jail := func(name, action string) string {
		return "[" + name + "]\nenabled = true\nfilter = t\nlogpath = /dev/null\naction = " + action + "\n"
	}
	tests := []struct {
		name     string
		files    map[string]string
		flags    apiFlags // dir is set to the tree when files is not nil
		noConfig bool     // the default directory does not exist
		key      string
		url      string
		from     string // a part of where the key was found
		err      string // a part of the error
		warn     string // a part of stderr
	}{
		{name: "key file without configuration", noConfig: true, flags: apiFlags{keyFile: "KEYFILE"},
			key: key2, url: officialAPIURL, from: "--key-file "},
		{name: "nothing", noConfig: true, err: "no AbuseIPDB key: the configuration directory"},
		{name: "jail parameters", files: map[string]string{
			"filter.d/t.conf": abuseTestFilter,
			"jail.local":      jail("sshd", `abuseipdb[abuseipdb_apikey="`+key1+`", abuseipdb_category="18,22", abuseipdb_url="http://127.0.0.1:9/api/v2"]`),
		}, key: key1, url: "http://127.0.0.1:9/api/v2", from: "jail [sshd] (abuseipdb_apikey)"},
		{name: "key file beats the configuration", files: map[string]string{
			"filter.d/t.conf": abuseTestFilter,
			"jail.local":      jail("sshd", `abuseipdb[abuseipdb_apikey="`+key1+`", abuseipdb_category="18,22"]`),
		}, flags: apiFlags{keyFile: "KEYFILE", url: "http://localhost:8/v2"}, key: key2, url: "http://localhost:8/v2", from: "--key-file"},
		{name: "action.d local with a relative key file", files: map[string]string{
			"action.d/abuseipdb.local": "[Init]\nabuseipdb_apikey_file = secret/abuseipdb.key\nabuseipdb_url = https://proxy.example/api/v2\n",
			"secret/abuseipdb.key":     "\n  " + key1 + "  \n",
		}, key: key1, url: "https://proxy.example/api/v2", from: "action.d/abuseipdb [Init] (abuseipdb_apikey_file "},
		{name: "key file before key", files: map[string]string{
			"filter.d/t.conf": abuseTestFilter,
			"jail.local":      jail("web", `abuseipdb[abuseipdb_apikey="placeholder", abuseipdb_apikey_file="k"]`),
			"k":               key1 + "\n",
		}, key: key1, url: officialAPIURL, from: "jail [web] (abuseipdb_apikey_file"},
		{name: "the jail named", files: map[string]string{
			"filter.d/t.conf": abuseTestFilter,
			"jail.local": jail("a", `abuseipdb[abuseipdb_apikey="`+key1+`"]`) +
				jail("b", `abuseipdb[abuseipdb_apikey="`+key2+`"]`),
		}, flags: apiFlags{jail: "b"}, key: key2, url: officialAPIURL, from: "jail [b]"},
		{name: "two jails, two keys", files: map[string]string{
			"filter.d/t.conf": abuseTestFilter,
			"jail.local": jail("a", `abuseipdb[abuseipdb_apikey="`+key1+`"]`) +
				jail("b", `abuseipdb[abuseipdb_apikey="`+key2+`"]`),
		}, key: key1, url: officialAPIURL, from: "jail [a]", warn: "warning: jail [a] and jail [b] give different AbuseIPDB keys or URLs: using jail [a]'s"},
		{name: "a disabled jail named", files: map[string]string{
			"filter.d/t.conf": abuseTestFilter,
			"jail.local":      strings.Replace(jail("off", `abuseipdb[abuseipdb_apikey="`+key1+`"]`), "true", "false", 1),
		}, flags: apiFlags{jail: "off"}, key: key1, url: officialAPIURL, from: "jail [off]"},
		{name: "a jail without the action", files: map[string]string{
			"filter.d/t.conf": abuseTestFilter,
			"jail.local":      jail("fw", "nftables"),
		}, flags: apiFlags{jail: "fw"}, err: "jail [fw] has no abuseipdb action"},
		{name: "no key set", files: map[string]string{"jail.local": "[DEFAULT]\n"},
			err: "no AbuseIPDB key: action.d/abuseipdb [Init] sets neither abuseipdb_apikey_file nor abuseipdb_apikey"},
		{name: "missing key file", files: map[string]string{"action.d/abuseipdb.local": "[Init]\nabuseipdb_apikey_file = /nonexistent/key\n"},
			err: "action.d/abuseipdb [Init] abuseipdb_apikey_file: read key file: open /nonexistent/key: no such file"},
		{name: "empty key file", noConfig: true, flags: apiFlags{keyFile: "EMPTY"}, err: "is empty"},
		{name: "key file readable by all", noConfig: true, flags: apiFlags{keyFile: "PUBLIC"}, key: key2, url: officialAPIURL,
			from: "--key-file", warn: "warning: the key file PUBLIC is readable by every user (chmod o-r PUBLIC)"},
		{name: "key with a space", files: map[string]string{"action.d/abuseipdb.local": "[Init]\nabuseipdb_apikey = " + key1 + " x\n"},
			err: "the AbuseIPDB key from action.d/abuseipdb [Init] (abuseipdb_apikey): not a key"},
		{name: "bad URL", noConfig: true, flags: apiFlags{keyFile: "KEYFILE", url: "ftp://x/"}, err: `--url "ftp://x/": want an http:// or https:// URL`},
		{name: "bad URL in the configuration", files: map[string]string{"action.d/abuseipdb.local": "[Init]\nabuseipdb_apikey = " + key1 + "\nabuseipdb_url = api.abuseipdb.com\n"},
			err: `action.d/abuseipdb [Init] abuseipdb_url "api.abuseipdb.com": want an http:// or https:// URL`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			keyFile := filepath.Join(tmp, "key")
			writeTree(t, tmp, map[string]string{"key": key2 + "\n", "empty": "\n"})
			s := settings{configDir: filepath.Join(tmp, "etc", "warden")}
			f := tc.flags
			switch f.keyFile {
			case "KEYFILE":
				f.keyFile = keyFile
			case "EMPTY":
				f.keyFile = filepath.Join(tmp, "empty")
			case "PUBLIC":
				f.keyFile = filepath.Join(tmp, "public")
				if err := os.WriteFile(f.keyFile, []byte(key2), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(f.keyFile, 0o644); err != nil { // whatever the umask
					t.Fatal(err)
				}
				tc.warn = strings.ReplaceAll(tc.warn, "PUBLIC", f.keyFile)
			}
			if !tc.noConfig {
				writeTree(t, s.configDir, tc.files)
			}
			var stderr bytes.Buffer
			a, err := f.resolve(s, &stderr)
			for _, k := range []string{key1, key2} {
				if strings.Contains(stderr.String(), k) || (err != nil && strings.Contains(err.Error(), k)) {
					t.Fatalf("the key is in the output: err %v, stderr %q", err, stderr.String())
				}
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v (stderr %q)", err, stderr.String())
			}
			if a.key != tc.key || a.url != tc.url || !strings.Contains(a.from, tc.from) {
				t.Errorf("got key %q url %q from %q, want %q %q %q", a.key, a.url, a.from, tc.key, tc.url, tc.from)
			}
			if tc.warn == "" && stderr.Len() > 0 {
				t.Errorf("stderr %q", stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.warn) {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.warn)
			}
		})
	}
}

func TestAbuseRedactKey(t *testing.T) {
	const key = "s3cr3t-k3y"
	err := redactKey(&os.PathError{Op: "get", Path: "http://x/?key=" + key, Err: os.ErrNotExist}, key)
	if strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "key=[key]") {
		t.Errorf("redacted: %v", err)
	}
	if redactKey(nil, key) != nil {
		t.Error("nil error redacted into an error")
	}
}

func TestAbuseBadgeSVG(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 IPs"}, {1, "1 IP"}, {999, "999 IPs"}, {1000, "1,000 IPs"}, {1234567, "1,234,567 IPs"}} {
		if got := badgeValue(tc.n); got != tc.want {
			t.Errorf("badgeValue(%d) = %q, want %q", tc.n, got, tc.want)
		}
		svg := parseBadge(t, badgeSVG(badgeLabel, badgeValue(tc.n)))
		if got := badgeCount(t, svg); got != tc.n {
			t.Errorf("badge of %d shows %d", tc.n, got)
		}
	}
	// Text that needs escaping stays valid XML and reads back the same.
	svg := parseBadge(t, badgeSVG(`a<b & "c"`, "x>y"))
	if svg.Title != `a<b & "c": x>y` {
		t.Errorf("title %q", svg.Title)
	}
}

// badgeDoc is what a test reads of a badge.
type badgeDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	Width   float64  `xml:"width,attr"`
	Height  float64  `xml:"height,attr"`
	Title   string   `xml:"title"`
	Rects   []struct {
		X     float64 `xml:"x,attr"`
		Width float64 `xml:"width,attr"`
	} `xml:"g>rect"`
	Texts []struct {
		X    float64 `xml:"x,attr"`
		Text string  `xml:",chardata"`
	} `xml:"g>text"`
}

// parseBadge parses a badge strictly and checks its shape: two parts side
// by side, each text centred in its part.
func parseBadge(t *testing.T, b []byte) badgeDoc {
	t.Helper()
	var d badgeDoc
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("badge is not valid XML: %v\n%s", err, b)
	}
	if d.Height != 20 || len(d.Rects) != 3 || len(d.Texts) != 4 {
		t.Fatalf("badge shape: %+v", d)
	}
	lw, vx, vw := d.Rects[0].Width, d.Rects[1].X, d.Rects[1].Width
	if vx != lw || lw+vw != d.Width || d.Rects[2].Width != d.Width {
		t.Errorf("parts %g | %g+%g do not make the width %g", lw, vx, vw, d.Width)
	}
	if d.Texts[1].X != lw/2 || d.Texts[3].X != lw+vw/2 {
		t.Errorf("texts at %g and %g, not centred in %g | %g", d.Texts[1].X, d.Texts[3].X, lw, vw)
	}
	if d.Title != d.Texts[1].Text+": "+d.Texts[3].Text {
		t.Errorf("title %q, texts %q %q", d.Title, d.Texts[1].Text, d.Texts[3].Text)
	}
	return d
}

// badgeCount is the number the badge shows.
func badgeCount(t *testing.T, d badgeDoc) int64 {
	t.Helper()
	v := d.Texts[3].Text
	num, _, _ := strings.Cut(v, " ")
	var n int64
	for _, r := range strings.ReplaceAll(num, ",", "") {
		if r < '0' || r > '9' {
			t.Fatalf("badge value %q is not a count", v)
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

func TestAbuseWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "badge.svg")
	for _, content := range []string{"one", "two"} {
		if err := writeFileAtomic(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != content {
			t.Fatalf("read %q, %v", b, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if err := writeFileAtomic(filepath.Join(dir, "nodir", "b.svg"), nil, 0o644); err == nil {
		t.Error("no error for a missing directory")
	}
}
