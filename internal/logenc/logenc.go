// Package logenc decodes log lines from the encodings that fail2ban's
// logencoding option and fail2ban-regex's -e accept, named as Python names
// its codecs: utf-8, latin-1, cp1252, iso8859_15, koi8_r, shift_jis, euc_jp,
// gb18030, big5, utf_16_le... with Python's aliases (latin1, L1, 8859,
// windows-1252, u8...) and Python's name normalisation (case, and runs of
// punctuation or spaces, do not matter: "ISO 8859-1" is "iso_8859_1").
//
// A log is cut into lines in its raw bytes, and each line is decoded on its
// own, as fail2ban does; bytes that cannot be decoded are replaced by
// U+FFFD as Python's errors="replace" replaces them (fail2ban's fallback).
//
// Lines end with the encoding's own newline (Newline): the byte 0x0A in
// the ASCII-compatible encodings, 0x25 in the EBCDIC ones (cp037, cp1140),
// the code unit 0x000A in UTF-16 and UTF-32, where it is only looked for at
// a whole code unit from the start of the stream (LineLen, LastLineEnd).
// Cutting the raw bytes, rather than decoding the stream first, keeps every
// line's byte offset, which the daemon records to resume a file. For UTF-16
// and UTF-32 this gives the lines Python gets by decoding the whole text
// (fail2ban itself cuts at every 0x0A byte, then joins what does not
// decode to a line end).
//
// UTF-8, UTF-16, UTF-32 and the single-byte encodings decode exactly as
// Python does, invalid bytes included (tested against python3). The
// multi-byte encodings of East Asia are golang.org/x/text's, which follow
// the WHATWG Encoding Standard; they differ from Python's codecs on a few
// characters and on how many U+FFFD replace an invalid sequence: Lookup
// tells where.
package logenc

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// ErrUnknown is wrapped by the errors of Lookup.
var ErrUnknown = errors.New("unknown encoding")

type kind uint8

const (
	kindUTF8    kind = iota // UTF-8, maximal subparts replaced
	kindUTF8Sig             // UTF-8, a BOM at the start of a line dropped
	kindTable               // one byte, one character: table
	kindX                   // an x/text decoder
	kindUTF16
	kindUTF32
)

// Encoding is a log encoding. It is safe for concurrent use.
type Encoding struct {
	name  string // Python's name of the codec (codecs.lookup(name).name)
	kind  kind
	table *[256]rune        // kindTable
	x     encoding.Encoding // kindX
	// ascii is set when every string of bytes below 0x80 decodes to itself.
	ascii bool
	nl    string // "\n" encoded; lines start at multiples of its length
	// UTF-16 and UTF-32: big-endian; a byte order mark may say otherwise.
	be, bom bool
}

// Name returns Python's name of the codec, as codecs.lookup(name).name
// gives it: "utf-8", "iso8859-1" (for latin-1), "cp1252", "shift_jis".
func (e *Encoding) Name() string { return e.name }

// Newline returns the encoded "\n" that ends a line: "\n" for most
// encodings, "\x25" in EBCDIC, "\n\x00" in UTF-16 little-endian...
func (e *Encoding) Newline() string { return e.nl }

// LineLen returns the length of the first line of s with its newline, or
// 0 when s holds no whole line. s must start at a line start.
func (e *Encoding) LineLen(s string) int {
	if len(e.nl) == 1 {
		return strings.IndexByte(s, e.nl[0]) + 1
	}
	return e.wideLineLen(s)
}

func (e *Encoding) wideLineLen(s string) int {
	u := len(e.nl)
	for i := 0; i+u <= len(s); {
		j := strings.Index(s[i:], e.nl)
		if j < 0 {
			return 0
		}
		j += i
		if j%u == 0 {
			return j + u
		}
		i = j + 1
	}
	return 0
}

// LastLineEnd returns the end of the last whole line of b (the index just
// past its newline), or 0 when b holds none. b must start at a line start,
// and b[:from] is known to hold no whole line: only what follows is
// searched (for a reader, from is where the bytes of the last read begin).
func (e *Encoding) LastLineEnd(b []byte, from int) int {
	if len(e.nl) == 1 {
		if i := bytes.LastIndexByte(b[from:], e.nl[0]); i >= 0 {
			return from + i + 1
		}
		return 0
	}
	u := len(e.nl)
	start := max(from-(u-1), 0)
	start -= start % u
	end := 0
	for i := start; i+u <= len(b); i += u {
		if string(b[i:i+u]) == e.nl {
			end = i + u
		}
	}
	return end
}

// Verbatim reports whether s, and each of its lines, decodes to itself, so
// that its lines can be used as they are: valid UTF-8 in UTF-8, plain
// ASCII in an ASCII-compatible encoding. It is quicker than decoding, and
// for a block of many lines quicker than asking line by line.
func (e *Encoding) Verbatim(s string) bool {
	switch {
	case e.kind == kindUTF8:
		return utf8.ValidString(s)
	case e.kind == kindUTF8Sig:
		return utf8.ValidString(s) && !strings.Contains(s, bom)
	case e.ascii:
		return isASCII(s)
	}
	return s == ""
}

// Decode decodes a line (or any run of whole lines, for the stateless
// encodings), replacing what cannot be decoded with U+FFFD as Python's
// bytes.decode(codec, "replace") does. The result is valid UTF-8; it is s
// itself when Verbatim(s).
func (e *Encoding) Decode(s string) string {
	switch e.kind {
	case kindUTF8:
		return decodeUTF8(s)
	case kindUTF8Sig:
		return decodeUTF8(strings.TrimPrefix(s, bom))
	case kindTable:
		if e.ascii && isASCII(s) {
			return s
		}
		return decodeTable(s, e.table)
	case kindUTF16:
		return decodeUTF16(s, e.be, e.bom)
	case kindUTF32:
		return decodeUTF32(s, e.be, e.bom)
	}
	if e.ascii && isASCII(s) {
		return s
	}
	out, _, err := transform.String(e.x.NewDecoder(), s)
	if err != nil || !utf8.ValidString(out) {
		// x/text's decoders replace what they cannot decode and
		// fail on nothing; should one fail, the line is not lost.
		return strings.ToValidUTF8(out, "\uFFFD")
	}
	return out
}

const bom = "\uFEFF"

// decodeTable maps each byte of s through t.
func decodeTable(s string, t *[256]rune) string {
	b := make([]byte, 0, len(s)+len(s)/2)
	for i := 0; i < len(s); i++ {
		if r := t[s[i]]; r < utf8.RuneSelf {
			b = append(b, byte(r))
		} else {
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// Normalize returns name as Python's codec registry sees it before looking
// it up (CPython's _Py_normalize_encoding, then
// encodings.normalize_encoding): ASCII letters lowercased, each run of
// other characters than ASCII letters, digits and '.' made one '_', none
// at either end. "  ISO 8859-1 " is "iso_8859_1".
func Normalize(name string) string {
	var b strings.Builder
	punct := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.':
		default:
			punct = true
			continue
		}
		if punct && b.Len() > 0 {
			b.WriteByte('_')
		}
		punct = false
		b.WriteByte(c)
	}
	return b.String()
}

// Lookup returns the encoding that Python's codecs.lookup(name) finds,
// when golang.org/x/text can decode it: see Names for the codecs, and the
// aliases table of Python's encodings.aliases for their other names.
//
// UTF-8 (utf_8, utf_8_sig), UTF-16 and UTF-32 (utf_16, utf_16_le,
// utf_16_be, utf_32...), ascii and latin_1 are decoded here; utf_16 and
// utf_32 take the byte order of a byte order mark at the start of a line,
// else little-endian, as Python's codecs decoding a line on a
// little-endian machine (fail2ban decodes line by line: a big-endian log
// with a mark needs utf_16_be). The single-byte codecs use x/text's charmap tables, amended where Python's
// differ (the C1 controls 0x80-0x9F of iso8859_*, cp1255's 0xCA, koi8_u's
// 0xAE and 0xBE; iso8859_11 and tis_620 are cp874 so amended). The
// multi-byte codecs are x/text's WHATWG decoders: shift_jis and cp932 are
// Shift_JIS (Windows-31J), euc_jp EUC-JP, iso2022_jp ISO-2022-JP, euc_kr
// and cp949 EUC-KR (which is Windows-949), gb2312, gbk and cp936 GBK,
// gb18030 GB18030, hz HZ-GB-2312, big5, cp950 and big5hkscs Big5 (which
// is Big5-HKSCS). They decode what Python decodes, except:
//   - a few characters map elsewhere: shift_jis and euc_jp 6 (0x8160
//     is U+FF5E, not Python's U+301C...), gb2312 2, big5hkscs 11, big5
//     260 and cp950 250 (mostly symbols: 0xA145, 0xC6A1-0xC7FC...);
//   - Python's private-use mappings (cp932's user-defined area and its
//     0xA0, 0xFD-0xFF; gb18030's 0xA140-0xA7xx user areas) give U+FFFD;
//   - sequences Python rejects may decode to characters (shift_jis and
//     euc_jp take Microsoft's extensions, euc_kr Windows-949's, gb2312
//     GBK's, gbk 0x80 is the euro sign), and an invalid sequence may
//     give one U+FFFD where Python gives two, or the reverse.
func Lookup(name string) (*Encoding, error) {
	n := Normalize(name)
	mod, ok := aliases[n]
	if !ok {
		mod, ok = aliases[strings.ReplaceAll(n, ".", "_")]
	}
	if !ok {
		mod = n
	}
	c := codecs[mod]
	if c == nil {
		if pythonOnly[mod] {
			return nil, fmt.Errorf("%w %q: Python's codec %s is not supported; use one of %s", ErrUnknown, name, mod, strings.Join(Names(), ", "))
		}
		return nil, fmt.Errorf("%w %q: use a Python codec name or alias, one of %s", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	c.once.Do(func() { c.enc = c.build() })
	return c.enc, nil
}

// Names returns the supported codecs by their Python module names
// (utf_8, latin_1, iso8859_15, cp1252, shift_jis...), sorted.
func Names() []string {
	names := make([]string, 0, len(codecs))
	for n := range codecs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Aliases returns the other names of the supported codecs, as Python's
// encodings.aliases has them (normalised), each with its codec's module
// name.
func Aliases() map[string]string {
	m := make(map[string]string, len(aliases))
	for a, c := range aliases {
		m[a] = c
	}
	return m
}

// isASCII reports whether s has no byte of 0x80 or more.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if x&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

type codec struct {
	once  sync.Once
	enc   *Encoding
	build func() *Encoding
}
