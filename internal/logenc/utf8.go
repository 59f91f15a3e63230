package logenc

import "unicode/utf8"

// decodeUTF8 returns s when it is valid UTF-8; otherwise each maximal
// invalid subsequence (a stray byte, or the start of a sequence cut short)
// becomes one U+FFFD, as Python's "replace" decoding does.
func decodeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for {
		// The valid run, copied whole.
		i := 0
		for i < len(s) {
			if s[i] < utf8.RuneSelf {
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		b = append(b, s[:i]...)
		if i == len(s) {
			return string(b)
		}
		b = append(b, "\uFFFD"...)
		s = s[i+invalidRun(s[i:]):]
	}
}

// invalidRun returns the length of the maximal subpart of an ill-formed
// sequence at the start of b (Unicode 15, section 3.9): a lead byte and
// the continuation bytes that can follow it, or the one byte that cannot
// start a sequence.
func invalidRun(b string) int {
	lo, hi, n := byte(0x80), byte(0xBF), 0
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		n = 1
	case c == 0xE0:
		lo, n = 0xA0, 2
	case c == 0xED:
		hi, n = 0x9F, 2
	case c >= 0xE1 && c <= 0xEF:
		n = 2
	case c == 0xF0:
		lo, n = 0x90, 3
	case c == 0xF4:
		hi, n = 0x8F, 3
	case c >= 0xF1 && c <= 0xF3:
		n = 3
	}
	i := 1
	for ; i <= n && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}
