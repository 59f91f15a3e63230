package config

import (
	"encoding/json"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

var timeCases = []string{
	"600", "-1", "10m", "1h", "1h30m", "1d", "1w", "1d12h", "1d 12h", "0d 1h 30m",
	"1hour+30min", "1year-6mo", "6 months", "1month", "2 weeks", "3 days", "1.5h",
	"90s", "2mm", "1y", "10 minutes", "1 hour 30 minutes", "2*3600", "(1+1)*60", "5M", "1D",
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]float64{"600": 600, "10m": 600, "1h30m": 5400, "1d": 86400, "1w": 604800, "-1": -1, "1year-6mo": 15778800, "1.5h": 5400} {
		got, err := ParseTime(in)
		if err != nil || got != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "10 parsecs", "__import__('os')", "1/0", "1e999"} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

// TestParseTimeMatchesFail2ban compares with fail2ban's own str2seconds.
func TestParseTimeMatchesFail2ban(t *testing.T) {
	f2btest.RequirePython(t)
	root := f2btest.Root(t)
	in, _ := json.Marshal(timeCases)
	script := "import json,sys\nfrom fail2ban.server.mytime import MyTime\nprint(json.dumps([MyTime.str2seconds(v) for v in json.loads(sys.argv[1])]))"
	var want []float64
	f2btest.RunJSON(t, f2btest.Python(root, script, string(in)), nil, &want)
	for i, c := range timeCases {
		got, err := ParseTime(c)
		if err != nil || got != want[i] {
			t.Errorf("ParseTime(%q) = %v, %v; fail2ban says %v", c, got, err, want[i])
		}
	}
}
