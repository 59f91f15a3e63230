package main

import (
	"context"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wardenipd/warden/internal/f2btest"
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

// wantLines splits text the way the reader must: lines keep their "\n",
// a last line without one counts only when complete; each line is
// decoded by decodeLine (checked against Python by TestDecodeLine).
func wantLines(text string, complete, latin1 bool) (lines []string, incomplete bool) {
	for text != "" {
		i := strings.IndexByte(text, '\n') + 1
		if i == 0 {
			if !complete {
				return lines, true
			}
			i = len(text)
		}
		lines = append(lines, decodeLine(text[:i], latin1))
		text = text[i:]
	}
	return lines, false
}

// TestDecodeLine checks decodeLine against Python's "replace" decoding
// (fail2ban's fallback for undecodable lines) and latin-1 decoding, on
// hand-picked ill-formed sequences and random bytes.
func TestDecodeLine(t *testing.T) {
	py := f2btest.RequirePython(t)
	inputs := []string{"", "plain", "\xff\xfe", "\xe2\x82 x", "\xf0\x9f\x98\n", "\xed\xa0\x80", "\xe0\x80\x80",
		"\xf4\x90", "\xc3", "\xc3\xa9\xc3", "\xf0\x9f", "\xf0\x9f\x98\x80", "\xc0\xaf", "\xf5\x80", "\xe1\x80\xe1",
		"a\x80b", "\xf1\x80\x80\x80\xf1\x80\x80", "\xef\xbf\xbf\xef\xbf"}
	rnd := rand.New(rand.NewPCG(7, 7))
	for range 300 {
		b := make([]byte, rnd.IntN(12))
		for i := range b {
			b[i] = byte(rnd.IntN(256))
			if rnd.IntN(3) == 0 {
				b[i] = 0x80 | byte(rnd.IntN(64))
			}
		}
		inputs = append(inputs, string(b))
	}
	hexes := make([]string, len(inputs))
	for i, s := range inputs {
		hexes[i] = hex.EncodeToString([]byte(s))
	}
	var want struct{ UTF8, Latin1 []string }
	f2btest.RunJSON(t, exec.Command(py, "-c", `import json, sys
h = json.load(sys.stdin)
json.dump({"UTF8": [bytes.fromhex(x).decode("utf-8", "replace") for x in h],
           "Latin1": [bytes.fromhex(x).decode("latin-1") for x in h]}, sys.stdout)`), hexes, &want)
	for i, s := range inputs {
		if got := decodeLine(s, false); got != want.UTF8[i] {
			t.Errorf("decodeLine(%q) = %q, Python %q", s, got, want.UTF8[i])
		}
		if got := decodeLine(s, true); got != want.Latin1[i] {
			t.Errorf("decodeLine(%q, latin-1) = %q, Python %q", s, got, want.Latin1[i])
		}
	}
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
				for _, latin1 := range []bool{false, true} {
					if rname == "one byte" && len(text) > 3*readBlock {
						continue
					}
					var got []string
					lr := &logReader{latin1: latin1, line: func(l string) { got = append(got, strings.Clone(l)) }, wait: func() {}}
					incomplete, err := lr.run(context.Background(), mk(text), complete)
					if err != nil {
						t.Fatalf("%s/%s: %v", name, rname, err)
					}
					want, wantInc := wantLines(text, complete, latin1)
					if incomplete != wantInc || !slices.Equal(got, want) {
						t.Errorf("%s/%s complete=%v latin1=%v: %d lines (incomplete %v), want %d (incomplete %v)",
							name, rname, complete, latin1, len(got), incomplete, len(want), wantInc)
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
	lr := &logReader{line: func(string) {}, wait: func() {}}
	_, err := lr.run(context.Background(), iotest.TimeoutReader(strings.NewReader(strings.Repeat("x\n", readBlock))), true)
	if err == nil || !strings.Contains(err.Error(), "read log") {
		t.Fatalf("err = %v, want a read log error", err)
	}
}
