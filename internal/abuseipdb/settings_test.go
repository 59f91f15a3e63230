package abuseipdb

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSettingsFromParams(t *testing.T) {
	const key = "k3y0000000000000000000000000000000000000000000000000000000000000000000000000000"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "abuseipdb.key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(n string) string {
			if n == KeyEnv {
				return v
			}
			return ""
		}
	}
	// The seed line of issue 12, verbatim parameters.
	s, err := SettingsFromParams(map[string]string{"abuseipdb_apikey": key, "abuseipdb_category": "18,21"}, dir, nil)
	if err != nil || s.Key != key || !slices.Equal(s.Categories, []int{18, 21}) || s.URL != DefaultBaseURL || s.KeyFrom != "abuseipdb_apikey" {
		t.Fatalf("seed params: %+v, %v", s, err)
	}
	if s.CheckDays != 30 || s.BanScore != 0 || s.HideUsers {
		t.Errorf("defaults: %+v", s)
	}
	// The file wins over the parameter and the environment; relative to
	// the configuration directory.
	s, err = SettingsFromParams(map[string]string{"abuseipdb_apikey_file": "abuseipdb.key", "abuseipdb_apikey": "other",
		"abuseipdb_category": "ssh,brute-force", "abuseipdb_url": "http://127.0.0.1:1/api/v2", "abuseipdb_ban_score": "90",
		"abuseipdb_hide_users": "yes"}, dir, env("envkey"))
	if err != nil || s.Key != key || s.URL != "http://127.0.0.1:1/api/v2" || s.BanScore != 90 || !s.HideUsers || len(s.Categories) != 2 {
		t.Fatalf("key file: %+v, %v", s, err)
	}
	s, err = SettingsFromParams(map[string]string{"abuseipdb_category": "18"}, dir, env("envkey"))
	if err != nil || s.Key != "envkey" {
		t.Fatalf("environment: %+v, %v", s, err)
	}
	if _, err := SettingsFromParams(map[string]string{"abuseipdb_category": "18"}, dir, env("")); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
	for _, bad := range []map[string]string{
		{"abuseipdb_apikey": key},                                                         // no category: fail2ban's 422
		{"abuseipdb_apikey": key, "abuseipdb_category": "99"},                             // no such category
		{"abuseipdb_apikey": key, "abuseipdb_category": "18", "abuseipdb_url": "ftp://x"}, // not http
		{"abuseipdb_apikey": key, "abuseipdb_category": "18", "abuseipdb_ban_score": "101"},
		{"abuseipdb_apikey": key, "abuseipdb_category": "18", "abuseipdb_hide_users": "maybe"},
		{"abuseipdb_apikey": key + " x", "abuseipdb_category": "18"}, // not a header value
		{"abuseipdb_apikey_file": "missing.key", "abuseipdb_category": "18"},
	} {
		_, err := SettingsFromParams(bad, dir, nil)
		if err == nil {
			t.Errorf("%v: no error", bad)
			continue
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("%v: the error shows the key: %v", bad, err)
		}
	}
}
