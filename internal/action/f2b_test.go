package action

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// The differential tests run fail2ban 1.0.2's own CommandAction.replaceTag
// and replaceDynamicTags (the Debian package, on Debian's /usr/bin/python3)
// on the same parameters, commands and tickets.

const pythonBin = "/usr/bin/python3"

// f2bScript answers a JSON request on stdin: "static" items are
// replaceTag(query, props, conditional); "dynamic" items are
// replaceDynamicTags(cmd, aInfo) with aInfo built by fail2ban itself from
// the ticket's address (family, ip-rev) and time (a float).
const f2bScript = `
import json, sys
from fail2ban.server import action as A
from fail2ban.server.ipdns import IPAddr
A.ADD_REPL_TAGS['fq-hostname'] = 'gate.example.net'
A.ADD_REPL_TAGS['sh-hostname'] = 'gate'
req = json.load(sys.stdin)
out = {'static': [], 'dynamic': []}
for s in req['static']:
    try:
        out['static'].append({'out': A.CommandAction.replaceTag(s['query'], s['props'], conditional=s['cond'])})
    except ValueError as e:
        out['static'].append({'err': str(e)})
for d in req['dynamic']:
    t = d['ticket']
    ip = IPAddr(t['ip'])
    info = {
        'ip': str(ip), 'family': ip.familyStr, 'ip-rev': ip.getPTR(''), 'ip-host': t['host'],
        'fid': t['fields'].get('fid', str(ip)), 'failures': t['failures'], 'time': float(t['time']),
        'bantime': t['bantime'], 'bancount': t['count'], 'matches': '\n'.join(t['matches']),
        'restored': 1 if t['restored'] else 0, 'F-*': t['fields'],
    }
    out['dynamic'].append(A.CommandAction.replaceDynamicTags(d['cmd'], info))
json.dump(out, sys.stdout)
`

type f2bStatic struct {
	Props map[string]string `json:"props"`
	Query string            `json:"query"`
	Cond  string            `json:"cond"`
}

type f2bTicket struct {
	IP       string            `json:"ip"`
	Host     string            `json:"host"`
	Fields   map[string]string `json:"fields"`
	Failures int               `json:"failures"`
	Time     float64           `json:"time"`
	BanTime  int               `json:"bantime"`
	Count    int               `json:"count"`
	Matches  []string          `json:"matches"`
	Restored bool              `json:"restored"`
}

type f2bDynamic struct {
	Cmd    string    `json:"cmd"`
	Ticket f2bTicket `json:"ticket"`
}

type f2bRequest struct {
	Static  []f2bStatic  `json:"static"`
	Dynamic []f2bDynamic `json:"dynamic"`
}

type f2bResponse struct {
	Static []struct {
		Out *string `json:"out"`
		Err *string `json:"err"`
	} `json:"static"`
	Dynamic []json.RawMessage `json:"dynamic"`
}

// askFail2ban runs the request through fail2ban's code.
func askFail2ban(t *testing.T, req f2bRequest) f2bResponse {
	t.Helper()
	if _, err := os.Stat(pythonBin); err != nil {
		f2btest.Require(t, "Debian's python3: %v", err)
	}
	root := f2btest.Root(t)
	cmd := exec.Command(pythonBin, "-c", f2bScript)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+f2btest.PythonPath(root))
	var resp f2bResponse
	f2btest.RunJSON(t, cmd, req, &resp)
	if len(resp.Static) != len(req.Static) || len(resp.Dynamic) != len(req.Dynamic) {
		t.Fatalf("fail2ban answered %d+%d items for %d+%d", len(resp.Static), len(resp.Dynamic), len(req.Static), len(req.Dynamic))
	}
	return resp
}

// stockActions returns the parameters the config package resolves for
// every action.d file of fail2ban's own configuration, by file.
func stockActions(t *testing.T) map[string]map[string]any {
	t.Helper()
	root := f2btest.Root(t)
	dir := f2btest.CopyTree(t, root)
	files, err := filepath.Glob(filepath.Join(dir, "action.d", "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "[Definition]") {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".conf"))
		}
	}
	jail := "[sshd]\nenabled = true\nlogpath = /dev/null\naction = " + strings.Join(names, "\n  ") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(jail), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.Options{Dir: dir, NoBuiltin: true, OnlyJail: "sshd"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Jails) != 1 {
		t.Fatalf("stock config: %v", c.Problems)
	}
	out := map[string]map[string]any{}
	for _, a := range c.Jails[0].Actions {
		out[a.File] = a.Params
	}
	if len(out) < 50 {
		t.Fatalf("only %d stock actions resolved", len(out))
	}
	return out
}

func testOptions() Options {
	return Options{
		Hostname: func() (string, error) { return "gate", nil },
		FQDN:     func() (string, error) { return "gate.example.net", nil },
	}
}

// TestStaticTagsMatchFail2ban interpolates every command of every stock
// action, for no family, inet4 and inet6, and compares with replaceTag.
// Hand-made parameters add the corner cases: recursion, conditional
// values inside values, the escaped tags, <br> and <sp>.
func TestStaticTagsMatchFail2ban(t *testing.T) {
	t.Parallel()
	stock := stockActions(t)
	stock["corner cases"] = map[string]any{
		"actionban":      "a=<a> b=<b> c=<c><br>m=<matches> <sp>x<sp> <nope> <<a>> <a<b>> <fq-hostname>/<sh-hostname>",
		"actionstart":    "<actionban> and <timeout>",
		"actionunban":    "<x<y>>",
		"actioncheck":    "<c?family=inet6>",
		"a":              "A<b>",
		"b":              "B<c>",
		"c":              "C",
		"c?family=inet6": "C6<b?family=inet6>",
		"b?family=inet6": "B6",
		"matches":        "m;`x`",
		"x1":             "X",
		"y":              "1",
		"timeout":        "5",
	}
	var (
		req  = f2bRequest{Static: []f2bStatic{}, Dynamic: []f2bDynamic{}}
		mine []string
		errs []bool
		what []string
	)
	files := make([]string, 0, len(stock))
	for f := range stock {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		a, err := New(f, stock[f], testOptions())
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, fam := range []string{"", "inet4", "inet6"} {
			for _, op := range operations {
				s, err := a.static(op, fam)
				req.Static = append(req.Static, f2bStatic{Props: a.props, Query: "<" + op + ">", Cond: cond(fam)})
				mine = append(mine, s)
				errs = append(errs, err != nil)
				what = append(what, f+" "+op+" "+fam)
			}
		}
	}
	resp := askFail2ban(t, req)
	for i, r := range resp.Static {
		switch {
		case r.Err != nil || errs[i]:
			if r.Err == nil || !errs[i] {
				t.Errorf("%s: fail2ban error %v, ours %v", what[i], r.Err != nil, errs[i])
			}
		case *r.Out != mine[i]:
			t.Errorf("%s:\n got %q\nwant %q", what[i], mine[i], *r.Out)
		}
	}
	t.Logf("%d commands compared", len(mine))
}

// TestDynamicTagsMatchFail2ban runs commands that print the ticket's tags
// inside double quotes, where fail2ban's own substitution prints every
// value as it is too, with both substitutions, and compares the output.
func TestDynamicTagsMatchFail2ban(t *testing.T) {
	t.Parallel()
	cmds := []string{
		`printf '%s|' "<ip>" "<family>" "<ip-rev>" "<fid>" "<failures>" "<time>" "<bantime>" "<bancount>" "<restored>" "<F-USER>" "<F-ID>" "<F-PORT>" "[<F-NOPE>]" "<matches>" "<ip-host>" "<unknown>" "<br>" "<sp>"`,
		`printf '%s|' <ip> <family> <ip-rev> <time> <bantime> <bancount> <failures> <restored>`,
		`printf '%s\n' "user <F-USER> from <ip>: <matches>"`,
	}
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var tickets []Ticket
	var hosts []string
	for i, p := range payloads() {
		ip := []string{"192.0.2.7", "2001:db8::5:0:1", "203.0.113.0/24", "10.1.2.3"}[i%4]
		tickets = append(tickets, Ticket{
			IP: ip, Time: base.Add(time.Duration(i) * 250 * time.Millisecond), BanTime: time.Duration(i*37) * time.Second,
			Count: i, Failures: i * 3, Matches: []string{p, "next " + p}, Restored: i%2 == 1,
			Fields: map[string]string{"user": p, "fport": "22"},
		})
		if i%3 == 0 {
			tickets[i].Fields["fid"] = p
		}
		if i%5 == 0 {
			tickets[i].BanTime = -1
		}
		hosts = append(hosts, p+".example")
	}
	req := f2bRequest{Static: []f2bStatic{}, Dynamic: []f2bDynamic{}}
	// fail2ban writes a prefix's <ip-rev> with the prefix length inside
	// ("0/24.113.0.203."); Warden writes the address's: not compared.
	cmdFor := func(c string, tk Ticket) string {
		if strings.Contains(tk.IP, "/") {
			c = strings.ReplaceAll(strings.ReplaceAll(c, `"<ip-rev>" `, ""), "<ip-rev> ", "")
		}
		return c
	}
	for _, c := range cmds {
		for i, tk := range tickets {
			bt := int(tk.BanTime / time.Second)
			if tk.BanTime < 0 {
				bt = -1
			}
			req.Dynamic = append(req.Dynamic, f2bDynamic{Cmd: cmdFor(c, tk), Ticket: f2bTicket{
				IP: tk.IP, Host: hosts[i], Fields: tk.Fields, Failures: tk.Failures,
				Time: float64(tk.Time.Unix()) + float64(tk.Time.Nanosecond())/1e9, BanTime: bt, Count: tk.Count, Matches: tk.Matches, Restored: tk.Restored,
			}})
		}
	}
	resp := askFail2ban(t, req)
	dir := t.TempDir()
	n := 0
	for ci, c0 := range cmds {
		for i, tk := range tickets {
			c := cmdFor(c0, tk)
			var theirs []string
			raw := resp.Dynamic[ci*len(tickets)+i]
			var s string
			if json.Unmarshal(raw, &s) == nil {
				theirs = []string{s}
			} else if err := json.Unmarshal(raw, &theirs); err != nil {
				t.Fatal(err)
			}
			want := runSh(t, dir, nil, theirs...)
			opts := testOptions()
			opts.Resolver = fixedResolver(hosts[i])
			a, err := New("diff", map[string]any{"actionban": c}, opts)
			if err != nil {
				t.Fatal(err)
			}
			fam, _ := familyOf(tk.IP)
			env := map[string]string{}
			script := a.dynamic(context.Background(), c, &tk, fam, env)
			got := runSh(t, dir, env, script)
			if got != want {
				t.Errorf("command %d, ticket %d (%q):\n got %q\nwant %q", ci, i, tk.Matches[0], got, want)
			}
			n++
		}
	}
	t.Logf("%d commands compared", n)
}

// payloads are the injection suite's values without NUL (which fail2ban
// cannot pass at all).
func payloads() []string {
	return []string{
		"root", "$(id>pwned)", "`id>pwned`", "x;id>pwned", "x|id>pwned", "x&id>pwned", "'", `"`, `a'b"c`,
		"line1\nid>pwned", "\\", `\"`, `\n`, "$HOME", "*", "?", "[a-z]*", "~", "-n", " lead", "tab\tsep",
		"%s%n%%", "${IFS}", "<F-USER>", "<ip>", "$f2bV_F_user", "é€😀", "\x7f\x01", "", "!", "#x", "a=b",
	}
}

type fixedResolver string

func (r fixedResolver) LookupAddr(context.Context, string) ([]string, error) {
	return []string{string(r)}, nil
}

func (r fixedResolver) LookupHost(context.Context, string) ([]string, error) { return nil, nil }

// runSh runs /bin/sh -c argv[0] argv[1:]... (fail2ban's form of a command
// with its f2bV_ values) with env added, and returns its output.
func runSh(t *testing.T, dir string, env map[string]string, argv ...string) string {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c"}, argv...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sh -c %q: %v: %s", argv, err, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("sh -c %q made a file", argv)
	}
	return out.String()
}

// TestStockMailAction runs fail2ban's own sendmail-whois-matches action,
// as the config package resolves it with mailcmd writing to a file and a
// stand-in whois, for payloads in the matched lines: the mail carries
// them (printf %b, as in fail2ban, reads backslashes in them as escapes,
// so those payloads are left out) and none runs.
func TestStockMailAction(t *testing.T) {
	t.Parallel()
	root := f2btest.Root(t)
	dir := f2btest.CopyTree(t, root)
	jail := "[sshd]\nenabled = true\nlogpath = /dev/null\naction = sendmail-whois-matches[mailcmd=\"cat >> mail\", name=sshd]\n"
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(jail), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.Options{Dir: dir, NoBuiltin: true, OnlyJail: "sshd"})
	if err != nil || len(c.Jails) != 1 {
		t.Fatalf("config: %v %v", err, c.Problems)
	}
	params := c.Jails[0].Actions[0].Params
	work, bin := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "whois"), []byte("#!/bin/sh\necho \"stand-in whois for $1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Dir = work
	opts.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	a, err := New("sendmail-whois-matches", params, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !a.NoRestored() {
		t.Error("the mail action is not norestored")
	}
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(work, "mail"))
	if !strings.Contains(string(b), "Subject: [Fail2Ban] sshd: started on gate.example.net") {
		t.Errorf("start mail:\n%s", b)
	}
	os.Remove(filepath.Join(work, "mail"))
	for _, p := range payloads() {
		if strings.Contains(p, "\\") {
			continue
		}
		tk := Ticket{IP: "192.0.2.7", Time: time.Unix(1796119200, 0), BanTime: time.Hour, Failures: 3, Matches: []string{"m1 " + p, "m2"}}
		if err := a.Ban(ctx, tk); err != nil {
			t.Fatalf("payload %q: %v", p, err)
		}
		b, _ := os.ReadFile(filepath.Join(work, "mail"))
		os.Remove(filepath.Join(work, "mail"))
		mail := string(b)
		for _, want := range []string{"banned 192.0.2.7 from gate.example.net", "after\n3 attempts", "stand-in whois for 192.0.2.7", "Matches:\n\nm1 " + p + "\nm2\n"} {
			if !strings.Contains(mail, want) {
				t.Errorf("payload %q: mail lacks %q:\n%s", p, want, mail)
			}
		}
		if entries, _ := os.ReadDir(work); len(entries) > 0 {
			t.Fatalf("payload %q made a file %s", p, entries[0].Name())
		}
	}
}
