package logenc

import "unicode/utf8"

// UTF-16 and UTF-32 are decoded here, as Python's codecs do with
// errors="replace", which x/text's decoders do not quite: a lone
// surrogate is one U+FFFD, a high surrogate that the data ends after is
// one U+FFFD with what follows it, and so are the 1 to 3 bytes of a cut
// UTF-32 code unit (x/text drops them).

// wideCodec makes a UTF-16 (size 2) or UTF-32 (size 4) encoding, of the
// byte order be, or, with bom, of the order of a byte order mark that
// starts the line (dropped), else little-endian, as Python's utf_16 and
// utf_32 on a little-endian machine.
func wideCodec(name string, size int, be, bom bool) func() *Encoding {
	return func() *Encoding {
		k := kindUTF16
		if size == 4 {
			k = kindUTF32
		}
		nl := make([]byte, size)
		if be {
			nl[size-1] = '\n'
		} else {
			nl[0] = '\n'
		}
		return &Encoding{name: name, kind: k, be: be, bom: bom, nl: string(nl)}
	}
}

func decodeUTF16(s string, be, bom bool) string {
	if bom && len(s) >= 2 {
		switch s[:2] {
		case "\xff\xfe":
			be, s = false, s[2:]
		case "\xfe\xff":
			be, s = true, s[2:]
		}
	}
	unit := func(i int) rune {
		if be {
			return rune(s[i])<<8 | rune(s[i+1])
		}
		return rune(s[i+1])<<8 | rune(s[i])
	}
	b := make([]byte, 0, len(s)+len(s)/2)
	for i := 0; i < len(s); {
		if i+2 > len(s) { // truncated data
			b = utf8.AppendRune(b, utf8.RuneError)
			break
		}
		u := unit(i)
		switch {
		case u < 0xD800 || u > 0xDFFF:
			b = utf8.AppendRune(b, u)
			i += 2
		case u >= 0xDC00: // a lone low surrogate
			b = utf8.AppendRune(b, utf8.RuneError)
			i += 2
		case i+4 > len(s): // unexpected end of data
			b = utf8.AppendRune(b, utf8.RuneError)
			i = len(s)
		default:
			if v := unit(i + 2); v >= 0xDC00 && v <= 0xDFFF {
				b = utf8.AppendRune(b, 0x10000+(u-0xD800)<<10+(v-0xDC00))
				i += 4
			} else { // a high surrogate alone
				b = utf8.AppendRune(b, utf8.RuneError)
				i += 2
			}
		}
	}
	return string(b)
}

func decodeUTF32(s string, be, bom bool) string {
	if bom && len(s) >= 4 {
		switch s[:4] {
		case "\xff\xfe\x00\x00":
			be, s = false, s[4:]
		case "\x00\x00\xfe\xff":
			be, s = true, s[4:]
		}
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i += 4 {
		if i+4 > len(s) { // truncated data
			b = utf8.AppendRune(b, utf8.RuneError)
			break
		}
		c := uint32(s[i+3])<<24 | uint32(s[i+2])<<16 | uint32(s[i+1])<<8 | uint32(s[i])
		if be {
			c = uint32(s[i])<<24 | uint32(s[i+1])<<16 | uint32(s[i+2])<<8 | uint32(s[i+3])
		}
		if c > utf8.MaxRune || c >= 0xD800 && c <= 0xDFFF {
			c = utf8.RuneError
		}
		b = utf8.AppendRune(b, rune(c))
	}
	return string(b)
}
