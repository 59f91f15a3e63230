package datedetect

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// junkInputs returns lines of the two junk inputs of bench/junk.sh, made
// here: random bytes split at newlines (about 1 MB), and 8 KB lines of
// random printable ASCII (64 of them).
func junkInputs() (binary, printable []string) {
	r := rand.New(rand.NewPCG(14, 14))
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for _, l := range bytes.Split(buf, []byte("\n")) {
		binary = append(binary, string(l))
	}
	for range 64 {
		var sb strings.Builder
		for range 8192 {
			sb.WriteByte(byte(' ' + r.IntN(95)))
		}
		printable = append(printable, sb.String())
	}
	return binary, printable
}

// BenchmarkJunk measures the default templates (searched anywhere in the
// line) on junk input; MB/s is what counts, and it must not fall with the
// length of the lines.
func BenchmarkJunk(b *testing.B) {
	binary, printable := junkInputs()
	for _, in := range []struct {
		name  string
		lines []string
	}{{"binary", binary}, {"printable", printable}} {
		n := 0
		for _, l := range in.lines {
			n += len(l) + 1
		}
		b.Run(in.name, func(b *testing.B) {
			d, err := New(Options{Location: time.UTC, Now: fixedNow, Startup: testStartup})
			if err != nil {
				b.Fatal(err)
			}
			now := fixedNow()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range in.lines {
					d.DetectAt(l, now)
				}
			}
		})
	}
}
