package ipt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
)

// fakeBin puts stand-ins for the binaries first in PATH: each appends
// "name args" and its standard input to a log, prints the file
// out.NAME.FIRSTARG if there is one, and fails when fail.NAME exists.
// It returns the directory and the log's path.
func fakeBin(t *testing.T) (dir, log string) {
	t.Helper()
	dir = t.TempDir()
	log = filepath.Join(dir, "log")
	script := `#!/bin/sh
n=$(basename "$0")
{ echo "> $n $*"; [ -t 0 ] || cat; } >>"` + log + `"
[ -f "` + dir + `/out.$n.$1" ] && cat "` + dir + `/out.$n.$1"
[ -f "` + dir + `/fail.$n" ] && { echo "$n: it broke" >&2; exit 3; }
exit 0
`
	for _, n := range []string{"iptables", "ip6tables", "iptables-restore", "ip6tables-restore", "ipset"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir, log
}

// TestCommands checks, without privilege, the commands Setup, Apply and
// Teardown run, their order and their input.
func TestCommands(t *testing.T) {
	dir, log := fakeBin(t)
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("out.ipset.list", "other\nwdn-old-4\nwdn-old-6\nwdn-ssh-6\n")
	write("out.iptables.-w", "-P INPUT ACCEPT\n-N wdn-old\n-A INPUT -j wdn-old\n")
	b, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ssh := firewall.Rule{Name: "ssh", Protocols: []string{"tcp"}, Ports: []firewall.PortRange{{From: 22, To: 22}}}
	if err := b.Setup(ctx, []firewall.Rule{ssh}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, []firewall.Change{add("ssh", "192.0.2.1", time.Minute), del("ssh", "2001:db8::/64")}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := `> ipset list -n
> ipset restore -exist
create wdn-ssh-4 hash:net family inet hashsize 1024 maxelem 1048576 timeout 0
> iptables -w -t filter -S
> iptables-restore -w --noflush
*filter
:wdn-ssh - [0:0]
-A wdn-ssh -p tcp -m multiport --dports 22 -m set --match-set wdn-ssh-4 src -j DROP
-D INPUT -j wdn-old
-F wdn-old
-X wdn-old
-I INPUT 1 -j wdn-ssh
COMMIT
> ip6tables -w -t filter -S
> ip6tables-restore -w --noflush
*filter
:wdn-ssh - [0:0]
-A wdn-ssh -p tcp -m multiport --dports 22 -m set --match-set wdn-ssh-6 src -j DROP
-I INPUT 1 -j wdn-ssh
COMMIT
> ipset restore
destroy wdn-old-4
destroy wdn-old-6
> ipset restore -exist
add wdn-ssh-4 192.0.2.1/32 timeout 60
del wdn-ssh-6 2001:db8::/64
`
	if string(got) != want {
		t.Errorf("commands:\n%s\nwant:\n%s", got, want)
	}

	// A failing binary's standard error is in the error; the rules set
	// up are those of the last Setup that ran to the end.
	write("fail.ip6tables-restore", "")
	err = b.Setup(ctx, []firewall.Rule{{Name: "other"}})
	if err == nil || !strings.Contains(err.Error(), "ip6tables-restore: it broke") {
		t.Errorf("Setup with a failing ip6tables-restore: %v", err)
	}
	if err := b.Apply(ctx, []firewall.Change{add("other", "192.0.2.1", 0)}); err == nil {
		t.Errorf("Apply to the rule of a failed Setup: no error")
	}
	if err := b.Apply(ctx, []firewall.Change{add("ssh", "192.0.2.1", 0)}); err != nil {
		t.Errorf("Apply to the rule of the last Setup: %v", err)
	}
}

func TestNewMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "iptables") {
		t.Errorf("New without iptables in PATH: %v", err)
	}
}
