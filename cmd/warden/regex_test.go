package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/f2btest"
)

type rowFailure struct {
	IP     *string        `json:"ip"`
	Time   float64        `json:"time"`
	Fields map[string]any `json:"fields"`
}

func buildWarden(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "warden")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func parseRows(t *testing.T, out []byte) []rowFailure {
	t.Helper()
	var rows []rowFailure
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r rowFailure
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		rows = append(rows, r)
	}
	return rows
}

// regexOracle runs warden regex --json and the real fail2ban-regex -o row
// (both with -r: no DNS, there is no network here; TZ=UTC) on the same input.
type regexOracle struct {
	root, bin, script, etc string
	env                    []string
}

func newRegexOracle(t *testing.T) *regexOracle {
	t.Helper()
	f2btest.RequirePython(t)
	root := f2btest.Root(t)
	script, _ := filepath.Abs("testdata/f2b_rows.py")
	return &regexOracle{root: root, bin: buildWarden(t), script: script, etc: filepath.Join(root, "etc", "fail2ban"),
		env: append(os.Environ(), "TZ=UTC", "PYTHONPATH="+f2btest.PythonPath(root))}
}

// run returns fail2ban's and Warden's failures for logFile with the filter
// name[args] (args is "" or "[k=v]").
func (o *regexOracle) run(t *testing.T, logFile, name, args string) (want, got []rowFailure) {
	t.Helper()
	py := exec.Command("python3", o.script, filepath.Join(o.root, "usr", "bin", "fail2ban-regex"), "-r", "-o", "row", logFile, filepath.Join(o.etc, "filter.d", name+".conf")+args)
	py.Env = o.env
	w, err := py.Output()
	if err != nil {
		t.Fatalf("fail2ban-regex: %v %s", err, exitStderr(err))
	}
	wd := exec.Command(o.bin, "regex", "--json", "-r", "--config", o.etc, logFile, name+args)
	wd.Env = o.env
	g, err := wd.Output()
	if err != nil {
		t.Fatalf("warden regex: %v %s", err, exitStderr(err))
	}
	return parseRows(t, w), parseRows(t, g)
}

// TestRegexJSONMatchesFail2banRow runs `warden regex --json` and the real
// `fail2ban-regex -o row` on each stock filter's sample log and requires the
// same failures: same addresses, same times, same order, and the same value
// for every field Warden reports. Both run with -r (no DNS: there is no
// network here) and TZ=UTC.
func TestRegexJSONMatchesFail2banRow(t *testing.T) {
	o := newRegexOracle(t)
	logs := filepath.Join(f2btest.PythonPath(o.root), "fail2ban", "tests", "files", "logs")
	ents, err := os.ReadDir(filepath.Join(o.etc, "filter.d"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sem := make(chan struct{}, 2)
	var mu sync.Mutex
	total, filters := 0, 0
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".conf")
		if !ok || name == "common" {
			continue
		}
		logFile := filepath.Join(logs, name)
		if _, err := os.Stat(logFile); err != nil {
			continue
		}
		filters++
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			wr, gr := o.run(t, logFile, name, "")
			mu.Lock()
			total += len(wr)
			mu.Unlock()
			if len(wr) != len(gr) {
				t.Errorf("%d failures, fail2ban found %d", len(gr), len(wr))
			}
			for i := 0; i < len(wr) && i < len(gr); i++ {
				wi, gi := "", ""
				if wr[i].IP != nil {
					wi = *wr[i].IP
				}
				if gr[i].IP != nil {
					gi = *gr[i].IP
				}
				// A line without a date is dated "now": the two runs differ by the time between them.
				nowish := func(x float64) bool { return x >= float64(start.Unix()-1) && x <= float64(time.Now().Unix()+1) }
				sameTime := wr[i].Time == gr[i].Time || nowish(wr[i].Time) && nowish(gr[i].Time)
				if wi != gi || !sameTime {
					t.Errorf("failure %d: %s at %v, fail2ban: %s at %v", i, gi, gr[i].Time, wi, wr[i].Time)
					break
				}
				for k, v := range gr[i].Fields {
					if wv, ok := wr[i].Fields[k]; !ok || !reflect.DeepEqual(norm(wv), norm(v)) {
						t.Errorf("failure %d (%s): field %s = %v, fail2ban: %v", i, gi, k, v, wv)
					}
				}
			}
		})
	}
	t.Cleanup(func() { t.Logf("%d filters, %d failures compared", filters, total) })
}

func norm(v any) any {
	if l, ok := v.([]any); ok {
		s := make([]string, len(l))
		for i, x := range l {
			s[i], _ = x.(string)
		}
		return s
	}
	return v
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// craftedSSHD are sshd lines an attacker can produce by choosing a user
// name that looks like the rest of a log line.
var craftedSSHD = []string{
	"Failed password for invalid user x from 6.6.6.6 port 1 from 192.0.2.1 port 22 ssh2",
	"Failed password for x from 6.6.6.6 port 1 ssh2 from 192.0.2.2 port 22 ssh2",
	"Failed publickey for invalid user x from 6.6.6.6 port 1 from 192.0.2.3 port 22 ssh2: RSA SHA256:abc",
	"Invalid user x from 6.6.6.6 port 1 from 192.0.2.4 port 4242",
	"Invalid user x from 6.6.6.6 from 192.0.2.5",
	"input_userauth_request: invalid user x from 6.6.6.6 port 1 [preauth]",
	"User x from 6.6.6.6 from 192.0.2.6 not allowed because not listed in AllowUsers",
	"Failed none for invalid user  from 6.6.6.6 port 1 from 192.0.2.7 port 5 ssh2",
	"Failed password for invalid user ::ffff:6.6.6.6 from ::ffff:192.0.2.8 port 22 ssh2",
	"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.9  user=x rhost=6.6.6.6",
	"Authentication failure for x from 6.6.6.6 port 1 from 192.0.2.10",
	"Failed password for invalid user x from 6.6.6.6 port 1 ssh2 from 192.0.2.11 port 22 ssh2",
	"Disconnecting invalid user x 6.6.6.6 port 1 192.0.2.12 port 22: Change of username or service not allowed: (x,ssh-connection) -> (y,ssh-connection) [preauth]",
	"Connection closed by invalid user x 6.6.6.6 port 1 192.0.2.13 port 22 [preauth]",
	"Accepted password for x from 6.6.6.6 port 1 from 192.0.2.14 port 22 ssh2",
	"error: maximum authentication attempts exceeded for invalid user x from 6.6.6.6 port 1 from 192.0.2.15 port 22 ssh2 [preauth]",
	"Received disconnect from 192.0.2.16 port 22:11: x from 6.6.6.6 port 1 [preauth]",
	"User x from 6.6.6.6 not allowed because account is locked from 192.0.2.17",
}

// TestCraftedUserNames feeds lines with attacker-chosen user names to
// warden regex and to the real fail2ban-regex, in each sshd mode, and
// requires the same hosts: an injected address is never banned unless
// fail2ban would ban it too.
func TestCraftedUserNames(t *testing.T) {
	o := newRegexOracle(t)
	var b strings.Builder
	for i, l := range craftedSSHD {
		fmt.Fprintf(&b, "Nov 25 13:%02d:%02d bastion sshd[%d]: %s\n", i/60, i%60, 1000+i, l)
	}
	logFile := filepath.Join(t.TempDir(), "auth.log")
	if err := os.WriteFile(logFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"normal", "ddos", "extra", "aggressive"} {
		t.Run(mode, func(t *testing.T) {
			want, got := o.run(t, logFile, "sshd", "[mode="+mode+"]")
			var wh, gh []string
			for _, r := range want {
				wh = append(wh, *r.IP)
			}
			for _, r := range got {
				gh = append(gh, *r.IP)
				if strings.Contains(*r.IP, "6.6.6.6") && !slices.Contains(wh, *r.IP) {
					t.Errorf("injected address %s reported", *r.IP)
				}
			}
			if !reflect.DeepEqual(gh, wh) {
				t.Errorf("hosts %q, fail2ban %q", gh, wh)
			}
			if len(wh) == 0 {
				t.Errorf("no failure at all: the crafted log no longer exercises the filter")
			}
		})
	}
}

var (
	linesRE = regexp.MustCompile(`(?m)^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed$`)
	hitsRE  = regexp.MustCompile(`(?m)^\|\s+(\d+)\) \[(\d+)\] `)
)

// summaryCounts extracts the line counts and the per-regex hits of a
// fail2ban-regex style summary.
func summaryCounts(out string) (lines string, hits []string) {
	if m := linesRE.FindStringSubmatch(out); m != nil {
		lines = strings.Join(m[1:], " ")
	}
	for _, m := range hitsRE.FindAllStringSubmatch(out, -1) {
		hits = append(hits, m[1]+":"+m[2])
	}
	return lines, hits
}

// TestRegexSummaryMatchesFail2ban compares the summaries (checking every
// failregex on every line, as fail2ban-regex does by default): the same
// tested/ignored/matched/missed line counts and hits per regex, on each
// stock filter's sample log.
func TestRegexSummaryMatchesFail2ban(t *testing.T) {
	o := newRegexOracle(t)
	logs := filepath.Join(f2btest.PythonPath(o.root), "fail2ban", "tests", "files", "logs")
	ents, err := os.ReadDir(filepath.Join(o.etc, "filter.d"))
	if err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, 2)
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".conf")
		logFile := filepath.Join(logs, name)
		if _, err := os.Stat(logFile); !ok || name == "common" || err != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			py := exec.Command("python3", filepath.Join(o.root, "usr", "bin", "fail2ban-regex"), "-r", logFile, filepath.Join(o.etc, "filter.d", name+".conf"))
			py.Env = o.env
			want, err := py.Output()
			if err != nil {
				t.Fatalf("fail2ban-regex: %v %s", err, exitStderr(err))
			}
			wd := exec.Command(o.bin, "regex", "-r", "--config", o.etc, logFile, name)
			wd.Env = o.env
			got, err := wd.Output()
			if err != nil {
				t.Fatalf("warden regex: %v %s", err, exitStderr(err))
			}
			wl, wh := summaryCounts(string(want))
			gl, gh := summaryCounts(string(got))
			if wl == "" {
				t.Fatalf("no Lines: in fail2ban-regex output:\n%s", want)
			}
			if gl != wl {
				t.Errorf("lines tested/ignored/matched/missed = %s, fail2ban: %s", gl, wl)
			}
			if !reflect.DeepEqual(gh, wh) {
				t.Errorf("hits per regex = %v, fail2ban: %v", gh, wh)
			}
		})
	}
}

func TestAppendTime(t *testing.T) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, 1124013600, 1124013600.5, 1e15 - 1, 1e15, -1e15, 1e20, 0.1, -0.25, 1765349746.000001} {
		if got, want := string(appendTime(nil, v)), strconv.FormatFloat(v, 'f', -1, 64); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", v, got, want)
		}
	}
}

// FuzzAppendJSONString checks the JSON strings warden regex writes: they
// decode to the input (valid UTF-8 is assumed, as lines are decoded
// first) and escape what needs it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain text of some length", "a\"b\\c\nd\x7fe\x01f", "éü\u2028 tabs\tand\rcr", strings.Repeat("x\"", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil || got != s {
			t.Fatalf("%q encodes as %s: %q, %v", s, b, got, err)
		}
		for _, c := range b[1 : len(b)-1] {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("%q encodes as %s, with a raw control byte", s, b)
			}
		}
	})
}
