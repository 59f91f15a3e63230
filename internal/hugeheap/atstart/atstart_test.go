package atstart

import "testing"

func TestWanted(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"warden"}, false},
		{[]string{"/usr/bin/warden", "regex", "auth.log", "sshd"}, true},
		{[]string{"warden", "regex"}, true},
		{[]string{"", "regex"}, true},
		{[]string{"./fail2ban-regex"}, true},
		{[]string{"/usr/local/bin/fail2ban-regex", "auth.log", "sshd"}, true},
		{[]string{"fail2ban-regex"}, true},
		{[]string{"warden", "daemon"}, false},
		{[]string{"warden", "status", "regex"}, false},
		{[]string{"fail2ban-client", "regex"}, false},
		{[]string{"warden", "--config", "/etc/fail2ban", "regex"}, false},
	} {
		if got := Wanted(c.args); got != c.want {
			t.Errorf("Wanted(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
