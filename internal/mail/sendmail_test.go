package mail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSendmail writes a `sendmail` stand-in into a temporary directory:
// it saves its arguments, one per line, and its standard input, then
// runs tail (shell text, or nothing).
func fakeSendmail(t *testing.T, tail string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "sendmail")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s/argv'\ncat > '%s/stdin'\n%s\n", dir, dir, tail)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

func TestSendmailHostileMatches(t *testing.T) {
	path, dir := fakeSendmail(t, "")
	pwned := filepath.Join(dir, "pwned")
	hostile := []string{
		"Failed password for $(id>" + pwned + "1) from 192.0.2.7",
		"Failed password for `id>" + pwned + "2` from 192.0.2.7",
		"Failed password for x; id>" + pwned + "3; from 192.0.2.7",
		"Failed password for a'b\"c from 192.0.2.7",
		"Failed password for x\r\nBcc: victim@example.net\r\n\r\nfrom 192.0.2.7",
		"line one\nSubject: forged\n.\nQUIT",
		"bidi \u202egnp.exe and \x1b[31mred\x1b[0m and nul \x00 end",
	}
	whois := startWhois(t, "netname: TEST-NET-1\r\ndescr: caf\xe9 latin-1\r\n", false)
	p := stockParams("mailer", "sendmail", "sendmail_path", path, "whois_server", whois.addr)
	m := newMailer(t, "sendmail-whois-lines", p, Options{})
	r := testReport()
	r.Matches = hostile
	if err := m.SendBan(context.Background(), r); err != nil {
		t.Fatalf("SendBan: %v", err)
	}

	argv, err := os.ReadFile(filepath.Join(dir, "argv"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(argv), "-i\n-t\n-f\nroot@"+testHost+"\n"; got != want {
		t.Errorf("argv = %q, want %q", got, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "stdin"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := os.Stat(fmt.Sprintf("%s%d", pwned, i)); err == nil {
			t.Errorf("payload %d ran: %s%d exists", i, pwned, i)
		}
	}
	if strings.Contains(string(raw), "\r") {
		t.Errorf("message to sendmail has a CR: %q", raw)
	}
	msg := parseMessage(t, raw)
	for _, h := range []string{"Bcc", "Cc"} {
		if v := msg.Header.Get(h); v != "" {
			t.Errorf("header %s: %q injected", h, v)
		}
	}
	if to := msg.Header.Get("To"); to != "<root@localhost>" {
		t.Errorf("To = %q", to)
	}
	if s := msg.Header.Get("Subject"); s != "[Warden] sshd: banned 192.0.2.7 from "+testHost {
		t.Errorf("Subject = %q", s)
	}
	// Every payload is in the body, verbatim but for its control
	// characters, which are shown as escapes on the payload's own line.
	for _, want := range []string{
		hostile[0], hostile[1], hostile[2], hostile[3],
		`Failed password for x\r\nBcc: victim@example.net\r\n\r\nfrom 192.0.2.7`,
		`line one\nSubject: forged\n.\nQUIT`,
		`bidi \u202egnp.exe and \x1b[31mred\x1b[0m and nul \x00 end`,
		"descr: café latin-1",
	} {
		if !strings.Contains(msg.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, msg.Body)
		}
	}
	for _, line := range strings.Split(msg.Body, "\n") {
		if strings.HasPrefix(line, "Bcc:") || strings.HasPrefix(line, "Subject:") || line == "." {
			t.Errorf("a payload became a line of its own: %q", line)
		}
	}
}

func TestSendmailFailure(t *testing.T) {
	path, _ := fakeSendmail(t, "echo 'sendmail: cannot reach the queue' >&2\nexit 75")
	m := newMailer(t, "sendmail", stockParams("mailer", "sendmail", "sendmail_path", path), Options{})
	err := m.SendBan(context.Background(), testReport())
	if err == nil || !strings.Contains(err.Error(), "cannot reach the queue") || !strings.Contains(err.Error(), "exit status 75") {
		t.Fatalf("SendBan = %v, want sendmail's exit status and message", err)
	}
}

func TestSendmailStoppedByContext(t *testing.T) {
	// The stand-in starts a child that would outlive it: the whole process
	// group is killed when the send's context ends (a stop, its time-out).
	path, dir := fakeSendmail(t, "sleep 30 &\necho $! > '"+"CHILD"+"'\nsleep 30")
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	childFile := filepath.Join(dir, "child")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(script), "CHILD", childFile)), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newMailer(t, "sendmail", stockParams("mailer", "sendmail", "sendmail_path", path), Options{})
	// The send is stopped once the child runs, however slow the machine.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.SendBan(ctx, testReport()) }()
	var b []byte
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if b, err = os.ReadFile(childFile); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the stand-in did not start its child: %v", err)
		}
	}
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("SendBan = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SendBan did not return after its context ended")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("SendBan took %v to return after its context ended", d)
	}
	pid := strings.TrimSpace(string(b))
	// Dead, or a zombie waiting for a reaper: not running.
	deadline := time.Now().Add(5 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			break
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stand-in's child %s still runs: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSendmailMissing(t *testing.T) {
	m := newMailer(t, "sendmail", stockParams("mailer", "sendmail", "sendmail_path", filepath.Join(t.TempDir(), "none")), Options{})
	if err := m.SendBan(context.Background(), testReport()); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("SendBan = %v, want a missing-file error", err)
	}
}
