package action

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// flowScript runs sequences of operations on fail2ban's own CommandAction
// (with a stand-in jail that gives the empty ticket of start, stop, flush
// and reload, and IPv6 allowed) in a directory of their own, and reports
// after each operation the commands' log and whether it failed.
const flowScript = `
import json, os, sys
from fail2ban.server import action as A
from fail2ban.server.action import CommandAction
A.allowed_ipv6 = lambda: True  # as Warden's default, whatever this host says
class FakeActions(object):
    banEpoch = 0
    def _getActionInfo(self, ticket):
        return {'ip': '', 'F-*': {}}
class FakeJail(object):
    # what _executeOperation reads of a jail: the empty ticket's info
    actions = FakeActions()
    def __str__(self): return 'jail'
req = json.load(sys.stdin)
out = []
for i, sc in enumerate(req['scenarios']):
    d = os.path.join(req['dir'], str(i))
    os.makedirs(d)
    os.chdir(d)
    a = CommandAction(FakeJail(), 'flow')
    for k, v in sc['params'].items():
        setattr(a, k, v)
    res = []
    for op in sc['ops']:
        err = False
        info = None
        if len(op) > 1:
            info = {'ip': op[1], 'family': 'inet6' if ':' in op[1] else 'inet4'}
        try:
            if op[0] == 'start': a.start()
            elif op[0] == 'stop': a.stop()
            elif op[0] == 'flush': a.flush()
            elif op[0] == 'reload': a.reload()
            elif op[0] == 'ban': a.ban(info)
            elif op[0] == 'reban': a.reban(info)
            elif op[0] == 'unban': a.unban(info)
            elif op[0] == 'prolong':
                if a._prolongable: a.prolong(info)
            elif op[0] == 'check': err = not a.consistencyCheck()
            elif op[0] == 'break': os.path.exists('ok') and os.remove('ok')
            elif op[0] == 'fix': open('ok', 'w').close()
        except RuntimeError:
            err = True
        log = ''
        if os.path.exists('log'):
            log = open('log').read()
            os.remove('log')
        res.append({'log': log, 'err': err})
    out.append(res)
json.dump(out, sys.stdout)
`

type flowScenario struct {
	Name   string         `json:"-"`
	Params map[string]any `json:"params"`
	Ops    [][]string     `json:"ops"`
}

type flowStep struct {
	Log string `json:"log"`
	Err bool   `json:"err"`
}

func ops(s ...string) [][]string {
	var o [][]string
	for _, x := range s {
		var op []string
		for i, f := range []byte(x) {
			if f == ' ' {
				op = []string{x[:i], x[i+1:]}
				break
			}
		}
		if op == nil {
			op = []string{x}
		}
		o = append(o, op)
	}
	return o
}

var flowScenarios = []flowScenario{
	{Name: "plain", Params: map[string]any{
		"actionstart": "echo start <family> >> log", "actionstop": "echo stop <family> >> log",
		"actionban": "echo ban <ip> <family> >> log", "actionunban": "echo unban <ip> >> log",
		"actionflush": "echo flush <family> >> log", "actionreload": "echo reload <family> >> log",
	}, Ops: ops("unban 192.0.2.1", "start", "ban 192.0.2.1", "ban 2001:db8::1", "reload", "unban 192.0.2.1",
		"flush", "unban 2001:db8::1", "ban 192.0.2.2", "stop", "stop", "start", "start", "stop")},
	{Name: "conditional", Params: map[string]any{
		"actionstart": "echo start <cmd> <family> >> log", "actionstop": "echo stop <cmd> >> log",
		"actionban": "echo <cmd> ban <ip> >> log", "actionunban": "echo <cmd> unban <ip> >> log",
		"actionflush": "echo flush <cmd> >> log",
		"cmd":         "iptables", "cmd?family=inet6": "ip6tables",
	}, Ops: ops("start", "unban 192.0.2.1", "ban 192.0.2.1", "ban 2001:db8::1", "ban 192.0.2.2", "unban 2001:db8::1",
		"flush", "ban 2001:db8::2", "stop", "ban 192.0.2.1", "reload", "stop")},
	{Name: "not on demand", Params: map[string]any{
		"actionstart": "echo start <x> >> log; echo same >> log", "actionstop": "echo stop >> log",
		"actionban": "echo ban <ip> <x> >> log", "x": "four", "x?family=inet6": "six",
		"actionstart_on_demand": false,
	}, Ops: ops("start", "ban 2001:db8::1", "stop", "ban 192.0.2.1", "start", "stop")},
	{Name: "on demand forced", Params: map[string]any{
		"actionstart": "echo start >> log", "actionstop": "echo stop >> log", "actionban": "echo ban <ip> >> log",
		"actionstart_on_demand": true,
	}, Ops: ops("start", "ban 192.0.2.1", "ban 2001:db8::1", "stop")},
	{Name: "repair", Params: map[string]any{
		"actionban": "echo ban >> log; test -e ok", "actionunban": "echo unban >> log; test -e ok",
		"actioncheck": "echo check >> log; test -e ok", "actionrepair": "echo repair <family> >> log; touch ok",
	}, Ops: ops("ban 192.0.2.1", "break", "unban 192.0.2.1", "ban 192.0.2.2", "check", "break", "check", "unban 192.0.2.2")},
	{Name: "repair on unban", Params: map[string]any{
		"actionban": "echo ban >> log; test -e ok", "actionunban": "echo unban >> log; test -e ok",
		"actioncheck": "echo check >> log; test -e ok", "actionrepair": "echo repair >> log; touch ok",
		"actionrepair_on_unban": true,
	}, Ops: ops("fix", "ban 192.0.2.1", "break", "unban 192.0.2.1")},
	{Name: "failed repair", Params: map[string]any{
		"actionban": "echo ban >> log; test -e ok", "actioncheck": "echo check >> log; test -e ok",
		"actionrepair": "echo repair >> log; false", "actionunban": "echo unban >> log",
	}, Ops: ops("ban 192.0.2.1", "fix", "ban 192.0.2.1", "unban 192.0.2.1", "break", "check", "ban 192.0.2.2")},
	{Name: "restart", Params: map[string]any{
		"actionstart": "echo start <family> >> log; touch ok", "actionstop": "echo stop <family> >> log; rm -f ok",
		"actionban": "echo ban >> log; test -e ok", "actioncheck": "echo check >> log; test -e ok",
		"x?family=inet6": "y",
	}, Ops: ops("ban 192.0.2.1", "break", "ban 192.0.2.2", "break", "check", "ban 2001:db8::1", "stop")},
	{Name: "restart not on demand", Params: map[string]any{
		"actionstart": "echo start >> log; touch ok", "actionstop": "echo stop >> log; rm -f ok",
		"actionban": "echo ban >> log; test -e ok", "actioncheck": "echo check >> log; test -e ok",
	}, Ops: ops("start", "break", "ban 192.0.2.1", "check", "stop")},
	{Name: "no check", Params: map[string]any{
		"actionstart": "echo start >> log; test -e ok", "actionban": "echo ban >> log; false",
		"actionunban": "echo unban >> log", "actionstop": "echo stop >> log; false",
		"x?family=inet6": "y",
	}, Ops: ops("ban 192.0.2.1", "fix", "ban 192.0.2.1", "unban 192.0.2.1", "stop", "stop")},
	{Name: "prolong and reban", Params: map[string]any{
		"actionban": "echo ban <ip> >> log", "actionreban": "echo reban <ip> >> log",
		"actionprolong": "echo prolong <ip> >> log", "actionunban": "echo unban <ip> >> log",
	}, Ops: ops("prolong 192.0.2.1", "reban 192.0.2.1", "unban 192.0.2.1", "ban 192.0.2.1", "prolong 192.0.2.1")},
	{Name: "flush families", Params: map[string]any{
		"actionban": "echo ban <ip> >> log", "actionflush": "echo flush <family> >> log; test -e ok",
		"actionunban": "echo unban <ip> >> log", "x?family=inet6": "y",
	}, Ops: ops("flush", "ban 192.0.2.1", "ban 2001:db8::1", "flush", "unban 192.0.2.1", "fix", "flush", "unban 192.0.2.1", "flush")},
	{Name: "empty commands", Params: map[string]any{
		"actionstart": "", "actionban": "", "actioncheck": "",
	}, Ops: ops("start", "ban 192.0.2.1", "unban 192.0.2.1", "check", "flush", "stop")},
}

// TestFlowMatchesFail2ban runs the same sequences of operations on
// fail2ban's CommandAction and on Action, and compares the commands each
// operation ran and whether it failed: starting on demand per family,
// one run of a command the same for both families, retries, checks,
// repairs and restarts, flushes.
func TestFlowMatchesFail2ban(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(pythonBin); err != nil {
		f2btest.Require(t, "Debian's python3: %v", err)
	}
	root := f2btest.Root(t)
	pyDir := t.TempDir()
	cmd := exec.Command(pythonBin, "-c", flowScript)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+f2btest.PythonPath(root))
	var want [][]flowStep
	f2btest.RunJSON(t, cmd, map[string]any{"scenarios": flowScenarios, "dir": pyDir}, &want)
	if len(want) != len(flowScenarios) {
		t.Fatalf("fail2ban ran %d scenarios of %d", len(want), len(flowScenarios))
	}
	ctx := context.Background()
	for i, sc := range flowScenarios {
		dir := filepath.Join(t.TempDir(), strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		a, err := New("flow", sc.Params, Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		for j, op := range sc.Ops {
			var err error
			var tk Ticket
			if len(op) > 1 {
				tk = Ticket{IP: op[1]}
			}
			switch op[0] {
			case "start":
				err = a.Start(ctx)
			case "stop":
				err = a.Stop(ctx)
			case "flush":
				err = a.Flush(ctx)
			case "reload":
				err = a.Reload(ctx)
			case "ban":
				err = a.Ban(ctx, tk)
			case "reban":
				err = a.Reban(ctx, tk)
			case "unban":
				err = a.Unban(ctx, tk)
			case "prolong":
				err = a.Prolong(ctx, tk)
			case "check":
				err = a.Check(ctx)
			case "break":
				if err := os.Remove(filepath.Join(dir, "ok")); err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
			case "fix":
				if err := os.WriteFile(filepath.Join(dir, "ok"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, _ := os.ReadFile(filepath.Join(dir, "log"))
			os.Remove(filepath.Join(dir, "log"))
			got := flowStep{Log: string(b), Err: err != nil}
			if got != want[i][j] {
				t.Errorf("%s, step %d (%v):\n got %+v\nwant %+v", sc.Name, j, op, got, want[i][j])
			}
		}
	}
}
