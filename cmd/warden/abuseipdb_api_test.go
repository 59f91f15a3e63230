package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
)

// abuseKey is the key of the tests: it must never show in any output.
const abuseKey = "e1c0ffee5ecre7a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1"

// runAbuse runs warden with s (a configuration directory of the test's
// own) and fails the test if the key shows anywhere in what it wrote.
func runAbuse(t *testing.T, s settings, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runAbuseIn(t, s, "", args...)
}

// runAbuseIn is runAbuse with stdin.
func runAbuseIn(t *testing.T, s settings, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runWith(context.Background(), s, args, strings.NewReader(stdin), &out, &errb)
	code = exitCode(err, &errb)
	for _, part := range []string{abuseKey, abuseKey[:20], abuseKey[len(abuseKey)-20:]} {
		if strings.Contains(out.String(), part) || strings.Contains(errb.String(), part) {
			t.Errorf("warden %s: the key is in the output:\nstdout: %s\nstderr: %s", strings.Join(args, " "), out.String(), errb.String())
		}
	}
	return out.String(), errb.String(), code
}

// abuseSetup starts a fake accepting abuseKey and writes the key to a
// file and into a configuration directory, with the fake's URL.
func abuseSetup(t *testing.T) (fake *abuseipdbtest.Server, s settings, keyFile, confDir string) {
	t.Helper()
	fake = abuseipdbtest.NewTest(t, abuseipdbtest.Options{Keys: []string{abuseKey}, Quotas: map[string]int{"blacklist": 100}})
	tmp := t.TempDir()
	keyFile = filepath.Join(tmp, "abuseipdb.key")
	confDir = filepath.Join(tmp, "conf")
	writeTree(t, tmp, map[string]string{
		"abuseipdb.key":        abuseKey + "\n",
		"conf/filter.d/t.conf": abuseTestFilter,
		"conf/jail.local": "[sshd]\nenabled = true\nfilter = t\nlogpath = /dev/null\n" +
			`action = abuseipdb[abuseipdb_apikey="` + abuseKey + `", abuseipdb_category="18,22", abuseipdb_url="` + fake.URL() + `"]` + "\n",
	})
	return fake, settings{configDir: filepath.Join(tmp, "nonexistent")}, keyFile, confDir
}

func TestAbuseCommandsAgainstFake(t *testing.T) {
	fake, s, keyFile, confDir := abuseSetup(t)
	fake.SeedEntry("203.0.113.9", abuseipdbtest.Entry{Score: 87, CountryCode: "NL", CountryName: "Netherlands",
		ISP: "Evil\x1b[31m ISP", Hostnames: []string{"scanner.example"}}, abuseipdbtest.Received{Categories: []int{18, 22}, Comment: "sshd\nbrute force"})
	keyArgs := []string{"--key-file", keyFile, "--url", fake.URL()}
	confArgs := []string{"--config", confDir}

	// check: text, with the reports, and JSON; the key from the file or
	// the configuration.
	for _, from := range [][]string{keyArgs, confArgs} {
		out, errs, code := runAbuse(t, s, append([]string{"abuseipdb", "check", "203.0.113.9", "--reports"}, from...)...)
		if code != 0 || errs != "" {
			t.Fatalf("check: exit %d, stderr %q", code, errs)
		}
		for _, want := range []string{"address:           203.0.113.9 (IPv4, public)\n", "confidence score:  87%\n",
			"country:           NL Netherlands\n", "ISP:               Evil\uFFFD[31m ISP\n", "host names:        scanner.example\n",
			"[Brute-Force, SSH]  sshd brute force\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("check lacks %q:\n%s", want, out)
			}
		}
	}
	out, _, code := runAbuse(t, s, append([]string{"abuseipdb", "check", "203.0.113.9", "--json"}, keyArgs...)...)
	var cj map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &cj) != nil || cj["abuseConfidenceScore"] != 87.0 || cj["countryCode"] != "NL" {
		t.Errorf("check --json: exit %d: %s", code, out)
	}

	// report, then the same address again within 15 minutes.
	out, errs, code := runAbuse(t, s, append([]string{"abuseipdb", "report", "203.0.113.50", "--categories", "brute-force,22",
		"--comment", "40 failed logins", "--time", "2026-01-02T03:04:05Z"}, confArgs...)...)
	if code != 0 || !strings.HasPrefix(out, "reported 203.0.113.50 (18 Brute-Force, 22 SSH): its confidence score is now ") {
		t.Fatalf("report: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	got := fake.Reports()
	if len(got) != 1 || got[0].IP != "203.0.113.50" || !slices.Equal(got[0].Categories, []int{18, 22}) ||
		got[0].Comment != "40 failed logins" || got[0].Key != abuseKey || got[0].Timestamp.Unix() != 1767323045 {
		t.Errorf("the fake received %+v", got)
	}
	out, errs, code = runAbuse(t, s, append([]string{"abuseipdb", "report", "203.0.113.50", "--categories", "18"}, keyArgs...)...)
	if code != exitFailure || out != "" || !strings.Contains(errs, "203.0.113.50 was reported less than 15 minutes ago by this account") {
		t.Errorf("second report: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	// The comment from standard input, cut at 1,024 bytes.
	long := strings.Repeat("Dec  1 20:15:00 host sshd[1]: Failed password for root from 203.0.113.51 port 22\n", 30)
	_, errs, code = runAbuseIn(t, s, long, append([]string{"abuseipdb", "report", "203.0.113.51", "--categories", "18", "--comment", "-"}, keyArgs...)...)
	if code != 0 || errs != "note: the comment is cut at 1024 bytes, AbuseIPDB's limit\n" {
		t.Errorf("report --comment -: exit %d, stderr %q", code, errs)
	}
	if got := fake.Reports(); len(got) != 2 || len(got[1].Comment) != 1024 || !strings.HasPrefix(long, got[1].Comment) {
		t.Errorf("the fake received %+v", got)
	}

	// blacklist: addresses alone, or JSON.
	out, errs, code = runAbuse(t, s, append([]string{"abuseipdb", "blacklist", "--min-score", "80"}, keyArgs...)...)
	if code != 0 || errs != "" {
		t.Fatalf("blacklist: exit %d, stderr %q", code, errs)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		if net.ParseIP(l) == nil {
			t.Errorf("blacklist line %q is not an address", l)
		}
	}
	out, _, code = runAbuse(t, s, append([]string{"abuseipdb", "blacklist", "--json"}, keyArgs...)...)
	var bj struct {
		Data []map[string]any `json:"data"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &bj) != nil || bj.Data == nil {
		t.Errorf("blacklist --json: exit %d: %s", code, out)
	}
}

// TestAbuseKeyNeverShown runs every command with the key and makes it
// fail every way it can; runAbuse fails the test if the key shows.
func TestAbuseKeyNeverShown(t *testing.T) {
	fake, s, keyFile, confDir := abuseSetup(t)
	tmp := t.TempDir()
	wrongKey := filepath.Join(tmp, "wrong.key")
	writeTree(t, tmp, map[string]string{"wrong.key": "x" + abuseKey + "\n"})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/api/v2"
	l.Close()

	inject := func(status int, detail string) {
		fake.SetDown(false)
		fake.SetSlow(0)
		for e, n := range map[string]int{"check": 2, "report": 1, "blacklist": 2} { // as many as commands has
			fake.Inject(e, n, abuseipdbtest.Injected{Status: status, Detail: detail})
		}
	}
	commands := [][]string{
		{"check", "203.0.113.9"},
		{"check", "203.0.113.9", "--json", "--reports"},
		{"report", "203.0.113.60", "--categories", "18", "--comment", "key " + abuseKey},
		{"blacklist"},
		{"blacklist", "--json"},
	}
	cases := []struct {
		name    string
		args    []string
		prepare func()
		code    int
		stderr  string
	}{
		{name: "key file", args: []string{"--key-file", keyFile, "--url", fake.URL()}},
		{name: "configuration", args: []string{"--config", confDir}},
		{name: "key in the URL", args: []string{"--key-file", keyFile, "--url", fake.URL() + "?key=" + abuseKey}},
		{name: "401", args: []string{"--key-file", wrongKey, "--url", fake.URL()}, code: 1,
			stderr: "AbuseIPDB rejected the API key from --key-file " + wrongKey + ": abuseipdb: "},
		{name: "unreachable", args: []string{"--config", confDir, "--url", closed}, code: 1,
			stderr: "cannot reach AbuseIPDB at " + closed},
		{name: "down", args: []string{"--config", confDir}, prepare: func() { fake.SetDown(true) }, code: 1,
			stderr: "AbuseIPDB at " + fake.URL() + " is failing; try again later: abuseipdb: "},
		{name: "slow", args: []string{"--config", confDir, "--timeout", "100ms"}, code: 1,
			stderr: "cannot reach AbuseIPDB at " + fake.URL(), prepare: func() { fake.SetDown(false); fake.SetSlow(10 * time.Second) }},
		{name: "403", args: []string{"--config", confDir}, code: 1,
			stderr:  "AbuseIPDB rejected the API key from jail [sshd] (abuseipdb_apikey): abuseipdb: ",
			prepare: func() { inject(403, "Your key was revoked.") }},
		{name: "422", args: []string{"--config", confDir}, code: 1, stderr: "warden: abuseipdb: ",
			prepare: func() { inject(422, "The categories field is required.") }},
		{name: "quota", args: []string{"--config", confDir}, code: 1, stderr: "the daily quota of AbuseIPDB's ",
			prepare: func() {
				fake.SetDown(false)
				for _, e := range []string{"check", "report", "blacklist"} {
					fake.SetQuota(e, 1) // used already
				}
			}},
	}
	for _, tc := range cases {
		if tc.prepare != nil {
			tc.prepare()
		}
		for _, c := range commands {
			args := append(append([]string{"abuseipdb"}, c...), tc.args...)
			out, errs, code := runAbuse(t, s, args...)
			if c[0] == "report" && tc.code == 0 && code == 1 && strings.Contains(errs, "less than 15 minutes") {
				continue // the same address, again
			}
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Errorf("%s: warden %s: exit %d, want %d; stdout %q, stderr %q (want %q)", tc.name, strings.Join(args, " "), code, tc.code, out, errs, tc.stderr)
			}
		}
	}
	// The comment holding the key was sent (the user's choice), but not
	// printed.
	if n := len(fake.Reports()); n != 1 {
		t.Errorf("%d reports received, want 1", n)
	}
}

func TestAbuseUsage(t *testing.T) {
	s := settings{configDir: filepath.Join(t.TempDir(), "none")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "warden abuseipdb check: missing IP"},
		{[]string{"check", "nope"}, `warden abuseipdb check: "nope" is not an IP address`},
		{[]string{"check", "203.0.113.1", "--days", "0"}, "--days 0: between 1 and 365"},
		{[]string{"report", "203.0.113.1"}, "missing --categories"},
		{[]string{"report", "203.0.113.1", "--categories", "99"}, `--categories "99": `},
		{[]string{"report", "192.168.1.1", "--categories", "18"}, "192.168.1.1 is a private address: not reported"},
		{[]string{"report", "100.64.0.1", "--categories", "18"}, "100.64.0.1 is not a public address (100.64.0.0/10)"},
		{[]string{"report", "::1", "--categories", "18"}, "::1 is a loopback address"},
		{[]string{"report", "203.0.113.1", "--categories", "18", "--time", "yesterday"}, `--time "yesterday": not an RFC 3339 time`},
		{[]string{"report", "203.0.113.1", "--categories", "18", "--time", "2999-01-01T00:00:00Z"}, "is in the future"},
		{[]string{"blacklist", "--min-score", "10"}, "--min-score 10: between 25 and 100"},
		{[]string{"blacklist", "--ip-version", "5"}, "--ip-version 5: 4 or 6"},
		{[]string{"blacklist", "x"}, `unexpected argument "x"`},
		{[]string{"stats", "x"}, `unexpected argument "x"`},
		{[]string{}, "warden abuseipdb: missing subcommand (badge, blacklist, check, report, stats)"},
	} {
		out, errs, code := runAbuse(t, s, append([]string{"abuseipdb"}, tc.args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("warden abuseipdb %s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), code, out, errs, tc.want)
		}
	}
}
