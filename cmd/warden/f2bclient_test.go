package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFail2banClientArgs(t *testing.T) {
	tests := []struct {
		in   string
		want string // warden's command line, or "error: substring"
	}{
		{"status", "status"},
		{"status sshd", "status -- sshd"},
		{"status sshd basic", "status -- sshd"},
		{"-s /tmp/f.sock status sshd", "status --socket /tmp/f.sock -- sshd"},
		{"-s/tmp/f.sock status", "status --socket /tmp/f.sock"},
		{"--socket /tmp/f.sock ping", "ping --socket /tmp/f.sock"},
		{"--socket=/tmp/f.sock ping", "ping --socket /tmp/f.sock"},
		{"--sock /tmp/f.sock ping", "ping --socket /tmp/f.sock"}, // getopt's unique prefix
		{"-vvq -x -s /x.sock --async --timeout 10 -c /etc/fail2ban ping 3", "ping --socket /x.sock"},
		{"-vs /x.sock ping", "ping --socket /x.sock"},
		{"-p /run/f.pid --loglevel DEBUG --logtarget stderr stop", "stop"},
		{"-- status", "status"},
		{"set sshd banip 192.0.2.7 192.0.2.8", "ban -- sshd 192.0.2.7 192.0.2.8"},
		{"set sshd unbanip 192.0.2.7", "unban --jail sshd -- 192.0.2.7"},
		{"unban 192.0.2.7 2001:db8::1", "unban -- 192.0.2.7 2001:db8::1"},
		{"unban --all", "unban --all"},
		{"banned", "banned"},
		{"banned 192.0.2.7", "banned -- 192.0.2.7"},
		{"reload", "reload"},
		{"reload --all", "reload"},
		{"reload sshd", "reload -- sshd"},
		{"reload --unban sshd", "reload --unban -- sshd"},
		{"reload --unban --all", "reload --unban"},
		{"get sshd maxretry", "get -- sshd maxretry"},
		{"set sshd maxretry 3", "set -- sshd maxretry 3"},
		{"set sshd addignoreip 192.0.2.0/24 198.51.100.1", "set -- sshd addignoreip 192.0.2.0/24 198.51.100.1"},
		{"set sshd bantime -1", "set -- sshd bantime -1"},
		{"-s /x.sock set sshd findtime 10m", "set --socket /x.sock -- sshd findtime 10m"},
		{"version", "version"},
		{"-V", "version"},
		{"--version", "version"},
		{"-h", "--help"},
		{"--help", "--help"},
		{"-t", "config check"},
		{"-c /etc/fail2ban -t", "config check --config /etc/fail2ban"},
		{"--test --conf=/etc/fail2ban", "config check --config /etc/fail2ban"},

		{"", "error: missing command"},
		{"-s", "error: option -s requires an argument"},
		{"--socket", "error: option --socket requires an argument"},
		{"-z status", "error: option -z not recognized"},
		{"--frob status", "error: option --frob not recognized"},
		{"--log status", "error: option --log not a unique prefix"},
		{"--help=x", "error: must not have an argument"},
		{"-i", "error: interactive mode"},
		{"-d", "error: use warden config dump"},
		{"start", "error: warden run"},
		{"restart sshd", "error: warden run"},
		{"flushlogs", `error: command "flushlogs" is not supported`},
		{"status sshd cymru", `error: status flavor "cymru" is not supported`},
		{"status a b c", "error: unexpected argument(s) for status"},
		{"stop sshd", "error: stopping a single jail"},
		{"reload --restart sshd", "error: reload --restart is not supported"},
		{"reload a b", "error: unexpected argument(s) for reload"},
		{"unban", "error: unban needs addresses or --all"},
		{"set loglevel DEBUG", "error: set loglevel is not supported"},
		{"set", "error: set needs JAIL KEY VALUE"},
		{"set sshd unbanip --report-absent 192.0.2.7", "error: --report-absent is not supported"},
		{"get loglevel", "error: get loglevel is not supported"},
		{"get sshd banip --with-time", "error: get sshd banip --with-time is not supported"},
		{"ping 1 2", "error: unexpected argument(s) for ping"},
	}
	for _, tt := range tests {
		args := strings.Fields(tt.in)
		got, err := fail2banClientArgs(args)
		if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(ue.msg, want) || !strings.HasPrefix(ue.msg, "fail2ban-client: ") {
				t.Errorf("fail2ban-client %s: %q, %v; want a usage error containing %q", tt.in, got, err, want)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("fail2ban-client %s = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		argv0 string
		args  []string
		want  []string
	}{
		{"warden", []string{"status"}, []string{"status"}},
		{"/usr/bin/fail2ban-regex", []string{"a", "b"}, []string{"regex", "a", "b"}},
		{"/usr/local/bin/fail2ban-client", []string{"status", "sshd"}, []string{"status", "--", "sshd"}},
	}
	for _, tt := range tests {
		got, err := commandLine(tt.argv0, tt.args)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("commandLine(%q, %q) = %q, %v; want %q", tt.argv0, tt.args, got, err, tt.want)
		}
	}
}
