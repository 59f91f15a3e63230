package source_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/source"
)

// burstLines is the lines of the attack: 5,000 addresses failing
// 5 times each.
const burstLines = 31_250

func burst() string {
	var b strings.Builder
	for i := range burstLines {
		a := i / 5
		fmt.Fprintf(&b, "Jan 23 21:59:59 pve sshd[%d]: Failed password for invalid user admin from 10.%d.%d.%d port 22 ssh2\n",
			1000+i, a>>16&255, a>>8&255, a&255)
	}
	return b.String()
}

// BenchmarkFilesBurst appends the attack's lines to a followed file in
// one write and waits until every line has been received. The write
// itself is not timed: lines/s is from the write's return to the last
// line received.
func BenchmarkFilesBurst(b *testing.B) {
	data := burst()
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			p := logPath(b, "auth.log")
			writeFile(b, p, "")
			h := start(b, mode, source.FileConfig{Paths: head(p)})
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if _, err := f.WriteString(data); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				h.changed()
				h.take(burstLines)
			}
			b.ReportMetric(float64(b.N*burstLines)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/burst")
		})
	}
}
