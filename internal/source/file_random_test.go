package source_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/logenc"
	"github.com/wardenipd/warden/internal/source"
)

// TestFilesRandomWrites writes random bytes (line ends, NULs, invalid
// UTF-8, lines longer than MaxLine) in random pieces and checks that the
// lines received are the file's whole lines, the long ones left out.
func TestFilesRandomWrites(t *testing.T) {
	const maxLine = 100
	enc, err := logenc.Lookup("utf-8")
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var b strings.Builder
		for b.Len() < 20_000 {
			n := rng.IntN(3 * maxLine)
			if rng.IntN(10) == 0 {
				n = rng.IntN(5000)
			}
			for range n {
				switch rng.IntN(20) {
				case 0:
					b.WriteByte(byte(rng.IntN(256)))
				case 1:
					b.WriteByte(0)
				case 2:
					b.WriteByte('\r')
				default:
					b.WriteByte(byte('a' + rng.IntN(26)))
				}
			}
			b.WriteByte('\n')
		}
		data := b.String()
		var want []string
		rest := data
		for {
			i := strings.IndexByte(rest, '\n')
			if i < 0 {
				break
			}
			if i <= maxLine {
				want = append(want, strings.TrimRight(enc.Decode(rest[:i]), "\r\n"))
			}
			rest = rest[i+1:]
		}

		p := logPath(t, "x.log")
		writeFile(t, p, "")
		h := start(t, source.ModePolling, source.FileConfig{Paths: head(p), MaxLine: maxLine})
		for rest := data; rest != ""; {
			n := min(len(rest), 1+rng.IntN(3000))
			appendFile(t, p, rest[:n])
			rest = rest[n:]
			h.tick()
		}
		var got []string
		for _, l := range h.take(len(h.lines)) {
			got = append(got, l.Text)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: got %d lines, want %d", seed, len(got), len(want))
		}
		h.stop()
	}
}
