package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeFiles returns the configuration files the README's walkthrough
// shows: fenced blocks whose first line is "# /etc/warden/PATH", by PATH,
// without the list's indentation.
func readmeFiles(t *testing.T, readme string) map[string]string {
	t.Helper()
	files := map[string]string{}
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if fence != "```ini" || i+1 >= len(lines) {
			continue
		}
		indent := lines[i][:strings.Index(lines[i], "```")]
		first := strings.TrimPrefix(lines[i+1], indent)
		path, ok := strings.CutPrefix(first, "# /etc/warden/")
		if !ok {
			continue
		}
		var body []string
		for i += 2; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimPrefix(lines[i], indent))
		}
		files[path] = strings.Join(body, "\n") + "\n"
	}
	return files
}

// TestReadmeWalkthrough writes the Proxmox walkthrough's files from the
// README into a configuration directory and runs its commands on them:
// the configuration checks clean, the pvedaemon jail is there with its
// ports and the AbuseIPDB action, and the filter finds the address of the
// README's log line (an IPv4-mapped rhost).
func TestReadmeWalkthrough(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	files := readmeFiles(t, readme)
	for _, want := range []string{"filter.d/pvedaemon.conf", "jail.d/pvedaemon.local", "action.d/abuseipdb.local"} {
		if _, ok := files[want]; !ok {
			t.Fatalf("the README's walkthrough has no /etc/warden/%s block (found %v)", want, files)
		}
	}
	dir := t.TempDir()
	for path, text := range files {
		p := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "/etc/warden/", dir+"/")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "abuseipdb.key"), []byte("YOUR_API_KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildWarden(t)
	warden := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append(args, "--config", dir)...)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := warden("config", "check"); err != nil {
		t.Fatalf("warden config check: %v\n%s", err, out)
	}
	out, err := warden("config", "dump", "--jail", "pvedaemon")
	if err != nil {
		t.Fatalf("warden config dump: %v\n%s", err, out)
	}
	var dump struct {
		Jails []struct {
			Name, Port, Backend string
			MaxRetry            int
			Actions             []struct{ Name, Native string }
		}
	}
	if err := json.Unmarshal([]byte(out), &dump); err != nil || len(dump.Jails) != 1 {
		t.Fatalf("config dump: %v\n%s", err, out)
	}
	j := dump.Jails[0]
	natives := []string{}
	for _, a := range j.Actions {
		natives = append(natives, a.Native)
	}
	if j.Port != "https,http,8006" || j.Backend != "systemd" || j.MaxRetry != 3 || strings.Join(natives, ",") != "nftables,abuseipdb" {
		t.Errorf("the pvedaemon jail: port %q, backend %q, maxretry %d, native actions %v", j.Port, j.Backend, j.MaxRetry, natives)
	}
	m := regexp.MustCompile(`(?m)^\s*warden regex '([^']+)' pvedaemon$`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("the README's walkthrough has no `warden regex 'LINE' pvedaemon`")
	}
	out, err = warden("regex", "--json", m[1], "pvedaemon")
	if err != nil {
		t.Fatalf("warden regex: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"ip":"203.0.113.7"`) || strings.Count(out, "\n") != 1 {
		t.Errorf("warden regex on the README's line: want one failure of 203.0.113.7, got\n%s", out)
	}
}
