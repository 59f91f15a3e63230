package logenc

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

func utf8Codec(name string, k kind) func() *Encoding {
	return func() *Encoding { return &Encoding{name: name, kind: k, ascii: true, nl: "\n"} }
}

// tableCodec makes a single-byte encoding of x/text's table cm (none: all
// U+FFFD), amended by fix. Its newline is the byte that decodes to "\n".
func tableCodec(name string, cm *charmap.Charmap, fix func(*[256]rune)) func() *Encoding {
	return func() *Encoding {
		t := new([256]rune)
		for b := range t {
			t[b] = '\uFFFD'
			if cm != nil {
				t[b] = cm.DecodeByte(byte(b))
			}
		}
		if fix != nil {
			fix(t)
		}
		e := &Encoding{name: name, kind: kindTable, table: t, ascii: true}
		for b, r := range t {
			if b < 0x80 && r != rune(b) {
				e.ascii = false
			}
			if r == '\n' {
				e.nl = string([]byte{byte(b)})
			}
		}
		return e
	}
}

func xCodec(name string, x encoding.Encoding, ascii bool, nl string) func() *Encoding {
	return func() *Encoding { return &Encoding{name: name, kind: kindX, x: x, ascii: ascii, nl: nl} }
}

// Amendments: where Python's tables differ from x/text's.

func latin1(t *[256]rune) {
	for b := range t {
		t[b] = rune(b)
	}
}

func ascii(t *[256]rune) {
	for b := range 0x80 {
		t[b] = rune(b)
	}
}

// c1: Python's iso8859_* decode 0x80-0x9F to the C1 controls, x/text's
// to U+FFFD.
func c1(t *[256]rune) {
	for b := 0x80; b < 0xA0; b++ {
		t[b] = rune(b)
	}
}

// tis620 is iso8859_11 (cp874 without its 0x80-0x9F extras) without
// 0xA0.
func tis620(t *[256]rune) {
	c1(t)
	t[0xA0] = '\uFFFD'
}

// cp1255: 0xCA is undefined in Python's table (U+05BA in x/text's).
func cp1255(t *[256]rune) { t[0xCA] = '\uFFFD' }

// koi8u: Python's koi8_u has box drawings at 0xAE and 0xBE, where x/text
// (KOI8-RU, as WHATWG) has ў and Ў.
func koi8u(t *[256]rune) { t[0xAE], t[0xBE] = '\u255D', '\u256C' }
