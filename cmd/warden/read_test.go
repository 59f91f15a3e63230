package main

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"

	"github.com/wardenipd/warden/internal/logenc"
)

// chunkReader returns its text in reads of random sizes, as a pipe may.
type chunkReader struct {
	s   string
	rnd *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := min(len(p), len(c.s), 1+c.rnd.IntN(3*readBlock/2))
	n = copy(p, c.s[:n])
	c.s = c.s[n:]
	return n, nil
}

// wantLines splits text the way the reader must: lines keep their
// newline, a last line without one counts only when complete; each line is
// decoded by itself (logenc checks decoding against Python).
func wantLines(text string, complete bool, enc *logenc.Encoding) (lines []string, incomplete bool) {
	for text != "" {
		i := enc.LineLen(text)
		if i == 0 {
			if !complete {
				return lines, true
			}
			i = len(text)
		}
		lines = append(lines, enc.Decode(text[:i]))
		text = text[i:]
	}
	return lines, false
}

// encodeUTF16LE encodes text (its invalid bytes as U+FFFD) in UTF-16LE.
func encodeUTF16LE(text string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(text)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

func TestLogReader(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", readBlock/8) // two blocks
	texts := map[string]string{
		"empty":        "",
		"one":          "a line\n",
		"no last end":  "a\nb\nlast",
		"blank lines":  "\n\n\nx\n\n",
		"long line":    "a\n" + long + "\n" + long + long + "x\nb\n",
		"long last":    "a\n" + long,
		"invalid":      "ok\n\xff\xfe bad \xc3\n\xe2\x82 half\n",
		"split rune":   strings.Repeat("é", readBlock) + "\n" + strings.Repeat("€", readBlock) + "\nz",
		"many lines":   strings.Repeat("Jan  1 00:00:00 host sshd[1]: line\n", 5000),
		"invalid late": strings.Repeat("x", readBlock-1) + "\xff\n" + "\xf0\x9f\x98\n",
	}
	readers := map[string]func(string) io.Reader{
		"whole":    func(s string) io.Reader { return strings.NewReader(s) },
		"one byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"chunks":   func(s string) io.Reader { return &chunkReader{s: s, rnd: rand.New(rand.NewPCG(1, uint64(len(s))))} },
	}
	for name, text := range texts {
		for rname, mk := range readers {
			for _, complete := range []bool{false, true} {
				for _, encName := range []string{"utf-8", "latin-1", "utf-16-le"} {
					enc, err := logenc.Lookup(encName)
					if err != nil {
						t.Fatal(err)
					}
					raw := text
					if encName == "utf-16-le" {
						raw = encodeUTF16LE(text)
					}
					if rname == "one byte" && len(raw) > 3*readBlock {
						continue
					}
					var got []string
					lr := &logReader{enc: enc, line: func(l string) { got = append(got, strings.Clone(l)) }, wait: func() {}}
					incomplete, err := lr.run(context.Background(), mk(raw), complete)
					if err != nil {
						t.Fatalf("%s/%s: %v", name, rname, err)
					}
					want, wantInc := wantLines(raw, complete, enc)
					if incomplete != wantInc || !slices.Equal(got, want) {
						t.Errorf("%s/%s complete=%v %s: %d lines (incomplete %v), want %d (incomplete %v)",
							name, rname, complete, encName, len(got), incomplete, len(want), wantInc)
						for i := range min(len(got), len(want)) {
							if got[i] != want[i] {
								t.Errorf("  line %d: %.40q, want %.40q", i, got[i], want[i])
								break
							}
						}
					}
				}
			}
		}
	}
}

// TestLogReaderError checks that a read error ends the run with the error.
func TestLogReaderError(t *testing.T) {
	lr := &logReader{enc: mustEncoding(t, "utf-8"), line: func(string) {}, wait: func() {}}
	_, err := lr.run(context.Background(), iotest.TimeoutReader(strings.NewReader(strings.Repeat("x\n", readBlock))), true)
	if err == nil || !strings.Contains(err.Error(), "read log") {
		t.Fatalf("err = %v, want a read log error", err)
	}
}

func mustEncoding(t testing.TB, name string) *logenc.Encoding {
	t.Helper()
	enc, err := logenc.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}
