package datedetect

import (
	"testing"
	"time"
)

func benchDetect(b *testing.B, pattern string, lines []string) {
	d, err := New(Options{DatePattern: pattern, Location: time.UTC, Now: fixedNow, Startup: testStartup})
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range lines {
		d.Detect(l)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := d.Detect(lines[i%len(lines)]); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkDetect(b *testing.B) {
	syslog := []string{
		"Jan 23 21:59:59 host sshd[1234]: Failed password for root from 192.0.2.1 port 22 ssh2",
		"Jan 23 22:00:01 host sshd[1235]: Invalid user admin from 192.0.2.2 port 4242",
	}
	iso := []string{
		"2005-01-23T21:59:59.981746+01:00 host sshd[1234]: Failed password for root from 192.0.2.1",
		"2005-01-23 22:00:01 host sshd[1235]: Invalid user admin from 192.0.2.2",
	}
	apache := []string{
		`192.0.2.1 - - [23/Jan/2005:21:59:59 +0100] "GET /wp-login.php HTTP/1.1" 404 123 "-" "curl"`,
		`192.0.2.2 - - [23/Jan/2005:22:00:01 +0100] "GET /admin HTTP/1.1" 404 123 "-" "curl"`,
	}
	b.Run("syslog/default", func(b *testing.B) { benchDetect(b, "", syslog) })
	b.Run("syslog/lnbeg", func(b *testing.B) { benchDetect(b, "{^LN-BEG}", syslog) })
	b.Run("iso/default", func(b *testing.B) { benchDetect(b, "", iso) })
	b.Run("apache/default", func(b *testing.B) { benchDetect(b, "", apache) })
	b.Run("apache/badbots", func(b *testing.B) { benchDetect(b, "^[^\\[]*\\[({DATE})\n{^LN-BEG}", apache) })
	b.Run("epoch", func(b *testing.B) { benchDetect(b, "{^LN-BEG}EPOCH", []string{"1124013500.123 x", "1124013501.456 y"}) })
}
