package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/config"
)

// TestConfigDumpHidesSecrets: config dump shows no API key, token or
// password, neither as a parameter nor inside a command that embeds it;
// the files holding them are shown.
func TestConfigDumpHidesSecrets(t *testing.T) {
	j := &config.Jail{Name: "sshd", Actions: []config.Action{{Name: "abuseipdb", Params: map[string]any{
		"abuseipdb_apikey":      "SECRETKEY123",
		"abuseipdb_apikey_file": "/etc/warden/abuseipdb.key",
		"actionban":             `curl -H "Key: SECRETKEY123" https://api.abuseipdb.com`,
		"cftoken":               "TOKEN456",
		"smtp_password":         "PW789",
		"norestored":            true,
	}}}}
	cfg := &config.Config{Jails: []*config.Jail{j}}
	var out, errb bytes.Buffer
	if err := configDump(cfg, "", &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"SECRETKEY123", "TOKEN456", "PW789"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("config dump shows %s:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "/etc/warden/abuseipdb.key") || !strings.Contains(out.String(), "[hidden]") {
		t.Errorf("config dump:\n%s", out.String())
	}
	if j.Actions[0].Params["abuseipdb_apikey"] != "SECRETKEY123" {
		t.Error("hiding changed the loaded configuration")
	}
}
