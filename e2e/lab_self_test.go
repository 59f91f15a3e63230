package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestLab checks the lab the capture tests stand on: a program started in
// the server namespace logs through /dev/log into the lab's syslog file
// in the classic format, and both clients reach the server over IPv4 and
// IPv6 while the attacker and the legitimate client are told apart.
func TestLab(t *testing.T) {
	needRootAndTools(t, "logger")
	l := newLab(t)
	p := l.start(t, "logger", []string{"logger", "-t", "wardenlab", "-p", "auth.info", "--id=4242", "hello from the lab"})
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("logger did not finish")
	}
	lines := waitLog(t, "logger's line", l.syslogLines, func(ls []string) bool { return len(ls) > 0 })
	if !syslogTime.MatchString(lines[0]) || !strings.HasSuffix(lines[0], " "+labHost+" wardenlab[4242]: hello from the lab") {
		t.Errorf("syslog line %q, want \"Mmm dd hh:mm:ss %s wardenlab[4242]: hello from the lab\"", lines[0], labHost)
	}
	l.srv.listen(t, "[::]:7777")
	for _, c := range []struct {
		ns  *netns
		src string
	}{{l.attacker, labAttacker4}, {l.legit, labLegit4}, {l.attacker, labAttacker6}, {l.legit, labLegit6}} {
		dst := labSrv4 + ":7777"
		if strings.Contains(c.src, ":") {
			dst = "[" + labSrv6 + "]:7777"
		}
		if !c.ns.connects(t, c.src, dst, 5*time.Second) {
			t.Errorf("%s cannot reach %s", c.src, dst)
		}
	}
	out, err := l.attacker.exec(t, 5*time.Second, "ip", "-brief", "addr")
	if err != nil || !strings.Contains(out, labAttacker4+"/24") {
		t.Errorf("attacker's addresses: %v\n%s", err, out)
	}
}
