package daemon

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/mail"
)

// TestNativeNamesAgree: the stock action names config maps to a native
// action are the names that action reads the parameters of, and the
// built-in action.d holds a file for each: the three lists cannot drift.
func TestNativeNamesAgree(t *testing.T) {
	files, err := fs.Glob(config.Builtin(), "action.d/*.conf")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "action.d/"), ".conf")
		if name == "sendmail-common" {
			continue // included by the others, never named in a jail
		}
		seen[name] = true
		native := config.NativeFor(name)
		fw := native == "nftables" || native == "iptables"
		if fw != firewall.KnownAction(name) {
			t.Errorf("%s: config maps it to %q, the firewall knows it: %v", name, native, firewall.KnownAction(name))
		}
		if (native == "mail") != mail.Native(name) {
			t.Errorf("%s: config maps it to %q, the mail action knows it: %v", name, native, mail.Native(name))
		}
		if native == "" {
			t.Errorf("built-in action.d/%s.conf runs no native action", name)
		}
	}
	if len(seen) < 20 {
		t.Fatalf("only %d built-in action files: %v", len(seen), files)
	}
}

// TestStockTreeRunsNative: in fail2ban's own configuration tree (the
// Debian package), whose action files are shell commands, the stock
// firewall, mail and AbuseIPDB names still resolve to Warden's native
// actions, and the seed line's parameters reach the AbuseIPDB settings.
func TestStockTreeRunsNative(t *testing.T) {
	root := f2btest.Root(t)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(root, "etc", "fail2ban"))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "jail.local"), `[sshd]
enabled = true
logpath = /dev/null
action = %(action_mwl)s
         %(action_abuseipdb)s[abuseipdb_apikey="KEY", abuseipdb_category="18,21"]
`)
	cfg, err := config.Load(config.Options{Dir: dir, OnlyJail: "sshd"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Jails) != 1 {
		t.Fatalf("jails: %v, problems: %v", cfg.Jails, cfg.Problems)
	}
	got := map[string]string{}
	for _, a := range cfg.Jails[0].Actions {
		got[a.File] = a.Native
		if a.Native == "abuseipdb" {
			s, err := abuseipdb.SettingsFromParams(stringParams(a.Params), dir, nil)
			if err != nil || s.Key != "KEY" || len(s.Categories) != 2 {
				t.Errorf("AbuseIPDB settings from the stock file: %+v, %v", s, err)
			}
		}
	}
	want := map[string]string{"iptables-multiport": "iptables", "sendmail-whois-lines": "mail", "abuseipdb": "abuseipdb"}
	for file, native := range want {
		if got[file] != native {
			t.Errorf("%s runs %q, want %q (all: %v)", file, got[file], native, got)
		}
	}
	if errs := CheckActions(cfg.Jails[0], dir); len(errs) != 0 {
		t.Errorf("config check of the stock actions: %v", errs)
	}
}
