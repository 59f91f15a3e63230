package datedetect

import (
	"testing"
)

// missLines are cycles of lines each of which changes the date format of
// the line before it (as the sshd sample log and bench/sshdlog's log do
// at their format switches), so that no line is dated by the lane and
// every one goes through matchTime; "nodate" lines have no date at all,
// so that every template is searched over the whole line.
var missLines = map[string][]string{
	"switch": {
		"Jun 21 16:47:48 digital-mlhhyiqscv sshd[13709]: error: PAM: Authentication failure for myhlj1374 from 192.030.0.6",
		"2015-04-16T18:02:50.321974+00:00 host sshd[2716]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112  user=root",
		"<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2",
	},
	"nodate": {
		"sshd[13709]: error: PAM: Authentication failure for myhlj1374 from 192.030.0.6 port 4242 ssh2: RSA SHA256:abcdefghijklmnopq",
		"host sshd[2716]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.112  user=root",
	},
}

// BenchmarkMiss measures lines the lane cannot date (see missLines);
// ns/op is per line.
func BenchmarkMiss(b *testing.B) {
	for _, name := range []string{"switch", "nodate"} {
		lines := missLines[name]
		b.Run(name, func(b *testing.B) {
			d, now := warmDetector(b, lines)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d.DetectAt(lines[i%len(lines)], now)
			}
			b.StopTimer()
			if d.laneHits > len(lines) {
				b.Fatalf("%d lines dated by the lane", d.laneHits)
			}
		})
	}
}
