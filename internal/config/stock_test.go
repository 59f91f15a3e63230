package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// f2bDump is what testdata/f2b_dump.py prints.
type f2bDump struct {
	Stream []any `json:"stream"`
	Jails  map[string]struct {
		LogPath *string `json:"logpath"`
		Backend string  `json:"backend"`
	} `json:"jails"`
	Times map[string]map[string]float64 `json:"times"`
}

func runF2BDump(t *testing.T, root, dir string) *f2bDump {
	t.Helper()
	script, err := filepath.Abs("testdata/f2b_dump.py")
	if err != nil {
		t.Fatal(err)
	}
	var d f2bDump
	f2btest.RunJSON(t, f2btest.Script(root, script, dir, filepath.Join(root, "usr", "bin", "fail2ban-client")), nil, &d)
	return &d
}

// jailStream keeps a jail's commands, without the log paths (fail2ban only
// lists files that exist) and the final start.
func jailStream(stream []any, jail string) []any {
	var out []any
	for _, c := range stream {
		l, ok := c.([]any)
		if !ok || len(l) < 2 || l[1] != jail || l[0] == "start" {
			continue
		}
		if len(l) > 2 && l[2] == "addlogpath" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// asJSON round-trips v so that Go and Python values compare alike.
func asJSON(t *testing.T, v any) []any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func compareJail(t *testing.T, name string, want *f2bDump, got *Config) {
	t.Helper()
	var jail *Jail
	for _, j := range got.Jails {
		if j.Name == name {
			jail = j
		}
	}
	if jail == nil {
		t.Fatalf("warden did not resolve jail %s; problems: %v", name, got.Problems)
	}
	ws := jailStream(want.Stream, name)
	gs := jailStream(asJSON(t, got.streams[name]), name)
	if !reflect.DeepEqual(gs, ws) {
		for i := 0; i < len(gs) || i < len(ws); i++ {
			var g, w any
			if i < len(gs) {
				g = gs[i]
			}
			if i < len(ws) {
				w = ws[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("jail %s: command %d differs\n got: %s\nwant: %s", name, i, js(g), js(w))
				break
			}
		}
	}
	info := want.Jails[name]
	if !strings.HasPrefix(info.Backend, "systemd") && info.LogPath != nil {
		var wantPaths []string
		for _, p := range strings.Split(*info.LogPath, "\n") {
			p, _ = splitLogPath(p)
			wantPaths = append(wantPaths, p)
		}
		if !reflect.DeepEqual(jail.LogPath, wantPaths) {
			t.Errorf("jail %s: logpath = %q, want %q", name, jail.LogPath, wantPaths)
		}
	}
	if tm, ok := want.Times[name]; ok {
		if jail.FindTime != tm["findtime"] || jail.BanTime != tm["bantime"] {
			t.Errorf("jail %s: findtime, bantime = %v, %v; want %v, %v", name, jail.FindTime, jail.BanTime, tm["findtime"], tm["bantime"])
		}
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func stockJails(t testing.TB, dir string) []string {
	t.Helper()
	f, err := parseINI("jail.conf", mustRead(t, filepath.Join(dir, "jail.conf")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range f.sections {
		if s.name != "INCLUDES" {
			names = append(names, s.name)
		}
	}
	return names
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStockJailsMatchFail2ban enables each jail of the Debian fail2ban
// package's own configuration tree, one at a time, and checks that Warden
// resolves it to the same commands `fail2ban-client -d` prints.
func TestStockJailsMatchFail2ban(t *testing.T) {
	f2btest.RequirePython(t)
	root := f2btest.Root(t)
	base := f2btest.CopyTree(t, root)
	names := stockJails(t, base)
	if len(names) != 91 {
		t.Fatalf("the stock jail.conf has %d jails, expected 91", len(names))
	}
	sem := make(chan struct{}, 4)
	var mu sync.Mutex
	var failed []string
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			dir := f2btest.CopyTree(t, root)
			local := "[sshd]\nenabled = false\n\n"
			if name == "sshd" {
				local = ""
			}
			writeFile(t, filepath.Join(dir, "jail.local"), local+fmt.Sprintf("[%s]\nenabled = true\n", name))
			want := runF2BDump(t, root, dir)
			got, err := Load(Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Jails) != 1 {
				t.Fatalf("warden enabled %d jails, want 1; problems: %v", len(got.Jails), got.Problems)
			}
			compareJail(t, name, want, got)
			if t.Failed() {
				mu.Lock()
				failed = append(failed, name)
				mu.Unlock()
			}
		})
	}
	t.Cleanup(func() {
		sort.Strings(failed)
		if len(failed) > 0 {
			t.Logf("jails differing from fail2ban: %s", strings.Join(failed, " "))
		}
	})
}

// TestAllStockJailsMatchFail2ban enables all 91 stock jails at once, as the
// benchmark does, and compares every one.
func TestAllStockJailsMatchFail2ban(t *testing.T) {
	f2btest.RequirePython(t)
	root := f2btest.Root(t)
	dir := f2btest.CopyTree(t, root)
	names := stockJails(t, dir)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "[%s]\nenabled = true\n", n)
	}
	writeFile(t, filepath.Join(dir, "jail.local"), b.String())
	want := runF2BDump(t, root, dir)
	got, err := Load(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Jails) != len(names) {
		t.Fatalf("warden enabled %d jails, want %d; problems: %v", len(got.Jails), len(names), got.Problems)
	}
	for _, n := range names {
		compareJail(t, n, want, got)
	}
}

// BenchmarkResolveAllStockJails measures resolving the whole stock tree with
// its 91 jails enabled (fail2ban-client -d takes about 0.3 s on it; see
// bench/config.sh for the side-by-side run).
func BenchmarkResolveAllStockJails(b *testing.B) {
	root, err := f2btest.Fetch()
	if err != nil {
		b.Skipf("fail2ban package: %v", err)
	}
	dir := f2btest.CopyTree(b, root)
	names := stockJails(b, dir)
	var sb strings.Builder
	for _, n := range names {
		fmt.Fprintf(&sb, "[%s]\nenabled = true\n", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		c, err := Load(Options{Dir: dir})
		if err != nil || len(c.Jails) != len(names) {
			b.Fatalf("load: %v, %d jails", err, len(c.Jails))
		}
	}
}
