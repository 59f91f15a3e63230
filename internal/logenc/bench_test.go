package logenc

import (
	"strings"
	"testing"
)

// BenchmarkDecode decodes a block of log lines: Verbatim over the block,
// then each line decoded only when the block is not verbatim, as a reader
// does.
func BenchmarkDecode(b *testing.B) {
	line := "Jan 23 21:59:59 pve sshd[1234]: Failed password for invalid user admin from 192.0.2.7 port 22 ssh2\n"
	for _, c := range []struct{ name, enc, line string }{
		{"utf-8", "utf-8", line},
		{"utf-8 invalid", "utf-8", strings.Replace(line, "admin", "adm\xe9n", 1)},
		{"latin-1 ascii", "latin-1", line},
		{"latin-1", "latin-1", strings.Replace(line, "admin", "adm\xe9n", 1)},
		{"cp1252", "cp1252", strings.Replace(line, "admin", "adm\x80n", 1)},
		{"shift_jis", "shift_jis", strings.Replace(line, "admin", "\x83\x8d\x83O", 1)},
		{"utf-16-le", "utf-16-le", encodeUTF16LE(line)},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := mustLookup(b, c.enc)
			block := strings.Repeat(c.line, 160)
			b.SetBytes(int64(len(block)))
			n := 0
			for b.Loop() {
				verbatim := e.Verbatim(block)
				for s := block; s != ""; {
					i := e.LineLen(s)
					l := s[:i]
					if !verbatim {
						l = e.Decode(l)
					}
					n += len(l)
					s = s[i:]
				}
			}
		})
	}
}

func encodeUTF16LE(s string) string {
	var b []byte
	for _, r := range s { // ASCII only here
		b = append(b, byte(r), 0)
	}
	return string(b)
}
