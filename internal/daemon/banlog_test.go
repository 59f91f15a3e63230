package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
	"github.com/wardenipd/warden/internal/filter"
	"github.com/wardenipd/warden/internal/store"
)

// TestBanLogReadByRecidive: the stock recidive filter of fail2ban 1.0.2
// and Warden's built-in one find the bans of Warden's ban log, and neither its restored bans nor
// its unbans, nor bans of the recidive jail itself.
func TestBanLogReadByRecidive(t *testing.T) {
	root := f2btest.Root(t)
	path := filepath.Join(t.TempDir(), "warden.log")
	bl, err := openBanLog(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []ban.Event{
		{Kind: ban.KindBan, Ban: ban.Ban{Jail: "sshd", IP: "192.0.2.7"}},
		{Kind: ban.KindRestore, Ban: ban.Ban{Jail: "sshd", IP: "192.0.2.8"}},
		{Kind: ban.KindUnban, Ban: ban.Ban{Jail: "sshd", IP: "192.0.2.7"}},
		{Kind: ban.KindBan, Ban: ban.Ban{Jail: "recidive", IP: "192.0.2.9"}},
		{Kind: ban.KindBan, Ban: ban.Ban{Jail: "nginx-http-auth", IP: "2001:db8::5"}},
	} {
		if err := bl.Handle(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	bl.Close()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// fail2ban's stock filter, and Warden's built-in one.
	for _, dir := range []string{filepath.Join(root, "etc", "fail2ban"), t.TempDir()} {
		def, err := config.LoadFilter("recidive", config.FilterOptions{Options: config.Options{Dir: dir}, Backend: "auto"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := filter.New(filter.Options{PrefRegex: def.PrefRegex, FailRegex: def.FailRegex, IgnoreRegex: def.IgnoreRegex, DatePattern: def.DatePattern})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
			found, err := f.ProcessLine(line)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			for _, m := range found {
				got = append(got, m.ID)
			}
		}
		if strings.Join(got, " ") != "192.0.2.7 2001:db8::5" {
			t.Errorf("recidive (over %s) found %q in\n%s", dir, got, text)
		}
	}
}

// TestNotifier: the sd_notify messages reach a socket named by
// NOTIFY_SOCKET; without it nothing is sent.
func TestNotifier(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	if err := NewNotifier().Notify("READY=1\nSTATUS=2 jail(s)"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1\nSTATUS=2 jail(s)" {
		t.Errorf("got %q, %v", buf[:n], err)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if err := NewNotifier().Notify("READY=1"); err != nil {
		t.Errorf("outside systemd: %v", err)
	}
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", "")
	if got := WatchdogInterval(); got != 15*time.Second {
		t.Errorf("WatchdogInterval = %v", got)
	}
}

// TestJailPositions: jails reading the same file keep their own positions.
func TestJailPositions(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, b := jailPositions{st, "sshd"}, jailPositions{st, "sshd-ddos"}
	if err := a.SetPosition("/var/log/auth.log", 100, "fp"); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPosition("/var/log/auth.log", 40, "fp"); err != nil {
		t.Fatal(err)
	}
	if pos, fp, ok, err := a.Position("/var/log/auth.log"); err != nil || !ok || pos != 100 || fp != "fp" {
		t.Errorf("sshd: %d %q %v %v", pos, fp, ok, err)
	}
	if pos, _, ok, err := b.Position("/var/log/auth.log"); err != nil || !ok || pos != 40 {
		t.Errorf("sshd-ddos: %d %v %v", pos, ok, err)
	}
}
