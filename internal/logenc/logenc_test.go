package logenc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/f2btest"
)

// python runs script with python3, in (as JSON) on its standard input, and
// decodes its JSON output into out. Without python3 the test fails under
// CI=true and is skipped elsewhere.
func python(t *testing.T, script string, in, out any) {
	t.Helper()
	py := f2btest.RequirePython(t)
	f2btest.RunJSON(t, exec.Command(py, "-c", script), in, out)
}

// pythonDecode returns, for each codec of names, Python's "replace"
// decoding of each input.
func pythonDecode(t *testing.T, names, inputs []string) map[string][]string {
	t.Helper()
	var want map[string][]string
	python(t, `import json, sys
d = json.load(sys.stdin)
json.dump({n: [bytes.fromhex(x).decode(n, "replace") for x in d["inputs"]] for n in d["names"]}, sys.stdout)`,
		map[string]any{"names": names, "inputs": hexes(inputs)}, &want)
	return want
}

func hexes(in []string) []string {
	h := make([]string, len(in))
	for i, s := range in {
		h[i] = hex.EncodeToString([]byte(s))
	}
	return h
}

func mustLookup(t testing.TB, name string) *Encoding {
	t.Helper()
	e, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestAliases checks every name of the table, and odd spellings, against
// Python's codecs.lookup: the same codec found (by its name), or none.
func TestAliases(t *testing.T) {
	names := Names()
	for a := range Aliases() {
		names = append(names, a)
	}
	for n := range pythonOnly {
		names = append(names, n)
	}
	names = append(names, "UTF-8", "utf8", "U8", " utf 8 ", "Latin-1", "latin1", "L1", "8859", "cp819", "ISO-8859-1",
		"iso_8859-1:1987", "iso-8859-15", "ISO8859_15", "windows-1252", "Windows 1251", "koi8-r", "KOI8_U", "Shift-JIS",
		"shift_jis", "sjis", "EUC-JP", "euc_kr", "GB18030", "gb-2312", "big5", "big5-hkscs", "utf-16le", "UTF-16-LE",
		"utf_16_be", "UTF16", "utf-32", "mac-roman", "macintosh", "ANSI_X3.4-1968", "ansi_x3.4.1968", "us-ascii",
		"--utf--8--", "utf.8", "utf_8.", "utf\u00e98", "ｕｔｆ８", "cp-1252", "cp 037", "ebcdic-cp-us", "xyz", "",
		"base64", "utf_7", "cp1006", "hp-roman8", "iso8859_1.", "latin_1", "latin 1", "tis620", "thai", "x-mac-japanese")
	var want []*string
	python(t, `import codecs, json, sys
out = []
for n in json.load(sys.stdin):
    try:
        out.append(codecs.lookup(n).name)
    except LookupError:
        out.append(None)
json.dump(out, sys.stdout)`, names, &want)
	for i, n := range names {
		e, err := Lookup(n)
		switch {
		case err != nil && !errors.Is(err, ErrUnknown):
			t.Errorf("Lookup(%q): %v does not wrap ErrUnknown", n, err)
		case want[i] == nil && err == nil:
			t.Errorf("Lookup(%q) = %s, Python has no such codec", n, e.Name())
		case want[i] != nil && err == nil && e.Name() != *want[i]:
			t.Errorf("Lookup(%q) = %s, Python %s", n, e.Name(), *want[i])
		case want[i] != nil && err != nil && !pythonOnly[*want[i]] && !pythonOnly[strings.ReplaceAll(*want[i], "-", "_")]:
			t.Errorf("Lookup(%q): %v; Python has %s", n, err, *want[i])
		}
	}
	if _, err := Lookup("xyz"); err == nil || !strings.Contains(err.Error(), `unknown encoding "xyz"`) || !strings.Contains(err.Error(), "utf_8") {
		t.Errorf(`Lookup("xyz") error %v, want unknown encoding "xyz" with the known names`, err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"UTF-8": "utf_8", "  ISO 8859-1 ": "iso_8859_1", "ANSI_X3.4-1968": "ansi_x3.4_1968",
		"--a--": "a", "": "", "utf\u00e98": "utf_8", "a;#b": "a_b"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSingleByte checks each byte of every single-byte codec, and all 256
// bytes in one line, against Python's decoding.
func TestSingleByte(t *testing.T) {
	var names, inputs []string
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, n := range Names() {
		if mustLookup(t, n).kind == kindTable {
			names = append(names, n)
		}
	}
	inputs = append(inputs, string(all))
	for b := range 256 {
		inputs = append(inputs, string([]byte{byte(b)}))
	}
	want := pythonDecode(t, names, inputs)
	for _, n := range names {
		e := mustLookup(t, n)
		for i, in := range inputs {
			if got := e.Decode(in); got != want[n][i] {
				t.Errorf("%s: Decode(%q) = %q, Python %q", n, in, got, want[n][i])
			}
		}
		if e.Decode(e.Newline()) != "\n" {
			t.Errorf("%s: newline %q decodes to %q", n, e.Newline(), e.Decode(e.Newline()))
		}
	}
}

// TestReplace checks the UTF-8 codecs, ascii and latin-1 against Python's
// "replace" decoding (fail2ban's fallback for undecodable lines), on
// hand-picked ill-formed sequences and random bytes.
func TestReplace(t *testing.T) {
	inputs := []string{"", "plain", "\xff\xfe", "\xe2\x82 x", "\xf0\x9f\x98\n", "\xed\xa0\x80", "\xe0\x80\x80",
		"\xf4\x90", "\xc3", "\xc3\xa9\xc3", "\xf0\x9f", "\xf0\x9f\x98\x80", "\xc0\xaf", "\xf5\x80", "\xe1\x80\xe1",
		"a\x80b", "\xf1\x80\x80\x80\xf1\x80\x80", "\xef\xbf\xbf\xef\xbf", "\xef\xbb\xbfbom", "\xef\xbb\xbf\xef\xbb\xbf", "\xef\xbb"}
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
	names := []string{"utf-8", "utf-8-sig", "latin-1", "ascii"}
	want := pythonDecode(t, names, inputs)
	for _, n := range names {
		e := mustLookup(t, n)
		for i, s := range inputs {
			if got := e.Decode(s); got != want[n][i] {
				t.Errorf("%s: Decode(%q) = %q, Python %q", n, s, got, want[n][i])
			}
			if e.Verbatim(s) && e.Decode(s) != s {
				t.Errorf("%s: Verbatim(%q) but Decode changes it", n, s)
			}
		}
	}
}

// sample has characters of many scripts; each codec is tested on those
// it can encode.
const sample = "Jan 23 21:59:59 host sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2 ~\\ " +
	"éàüß ØæÅ çñ ő ž ł ğ ş İ ā ŵ ț € ‰ ™ … „ “ ” † • ¤ ¦ ¿ ± " +
	"Ошибка входа пользователя ЁёЇїЄєҐґ Αποτυχία σύνδεσης שגיאה خطأ ล้มเหลว " +
	"ログイン失敗 山田太郎 ｶﾀｶﾅ ①№ 로그인 실패 사용자 登录失败 用户 登錄失敗 用戶 囗 😀 \U0010FFFD"

// textSkip are the characters of sample that x/text's Big5 maps elsewhere
// than Python's big5 and cp950 (kana and Cyrillic, there in Python, are
// elsewhere in Big5-HKSCS) or big5hkscs (•); TestMultiByteSweep counts
// all such differences.
var textSkip = map[string]string{
	"big5":      "•①№ОшибкавходапользователяЁёЇїЄєҐґログイン失敗ｶﾀｶﾅ",
	"cp950":     "•①№ОшибкавходапользователяЁёЇїЄєҐґログイン失敗ｶﾀｶﾅ",
	"big5hkscs": "•",
}

// TestText encodes a log line of many scripts in every codec with Python,
// and checks that it decodes to what Python decodes.
func TestText(t *testing.T) {
	names := Names()
	texts := map[string]string{}
	for _, n := range names {
		texts[n] = strings.Map(func(r rune) rune {
			if strings.ContainsRune(textSkip[n], r) {
				return -1
			}
			return r
		}, sample)
	}
	var want map[string][2]string // hex, decoded
	python(t, `import json, sys
out = {}
for n, text in json.load(sys.stdin).items():
    b = text.encode(n, "ignore") + "\n".encode(n)
    out[n] = [b.hex(), b.decode(n)]
json.dump(out, sys.stdout)`, texts, &want)
	for _, n := range names {
		e := mustLookup(t, n)
		raw, _ := hex.DecodeString(want[n][0])
		got := e.Decode(string(raw))
		if got != want[n][1] {
			t.Errorf("%s: Decode(%q)\n = %q\nPython %q", n, raw, got, want[n][1])
		}
		if utf8.RuneCountInString(want[n][1]) < 100 {
			t.Errorf("%s: the sample keeps only %q", n, want[n][1])
		}
		if l := e.LineLen(string(raw)); l != len(raw) {
			t.Errorf("%s: LineLen = %d, want %d (the whole line)", n, l, len(raw))
		}
	}
}

// TestLines cuts a text of several lines, encoded by Python, with LineLen
// and with LastLineEnd over reads of random sizes, and checks the lines
// against Python's decoding of the whole text.
func TestLines(t *testing.T) {
	names := Names()
	lines := []string{"first ü\n", "\n", "second 日本 ż\n", "Ā\u0A00\u0A0A 😀\n", "third\r\n", "no end"}
	var want map[string][][2]string // each line: hex, decoded by Python
	python(t, `import json, sys
d = json.load(sys.stdin)
out = {}
for n in d["names"]:
    raw = [l.encode(n, "ignore") for l in d["lines"]]
    if n in ("utf_16", "utf_32", "utf_8_sig"):  # a BOM starts the text only
        raw = raw[:1] + [r[len("".encode(n)):] for r in raw[1:]]
    out[n] = [[r.hex(), r.decode(n, "replace")] for r in raw]
json.dump(out, sys.stdout)`, map[string]any{"names": names, "lines": lines}, &want)
	for _, n := range names {
		e := mustLookup(t, n)
		var raw, dec []string
		for _, w := range want[n] {
			b, _ := hex.DecodeString(w[0])
			raw = append(raw, string(b))
			if got := e.Decode(string(b)); got != w[1] {
				t.Errorf("%s: Decode(%q) = %q, Python %q", n, b, got, w[1])
			}
			dec = append(dec, w[1])
		}
		if !strings.Contains(strings.Join(dec, ""), "third\r\n") {
			t.Errorf("%s: lines decode to %q", n, dec)
		}
		text := strings.Join(raw, "")
		// LineLen, line after line.
		var got []string
		for s := text; ; {
			l := e.LineLen(s)
			if l == 0 {
				got = append(got, s)
				break
			}
			got = append(got, s[:l])
			s = s[l:]
		}
		if strings.Join(got, "|") != strings.Join(raw, "|") {
			t.Errorf("%s: LineLen cuts %q, want %q", n, got, raw)
		}
		// LastLineEnd over random reads, as a reader cuts.
		rnd := rand.New(rand.NewPCG(1, uint64(len(n))))
		for range 20 {
			var cut []string
			buf := []byte{}
			for rest := text; rest != ""; {
				k := min(1+rnd.IntN(7), len(rest))
				from := len(buf)
				buf = append(buf, rest[:k]...)
				rest = rest[k:]
				if end := e.LastLineEnd(buf, from); end > 0 {
					block := string(buf[:end])
					for block != "" {
						l := e.LineLen(block)
						cut = append(cut, block[:l])
						block = block[l:]
					}
					buf = append(buf[:0], buf[end:]...)
				}
			}
			cut = append(cut, string(buf))
			if strings.Join(cut, "|") != strings.Join(raw, "|") {
				t.Fatalf("%s: LastLineEnd cuts %q, want %q", n, cut, raw)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	names := Names()
	f.Add(uint8(0), []byte("plain line\n"))
	f.Add(uint8(3), []byte("\xff\xfe\x00a\n\x00"))
	f.Add(uint8(40), []byte("\x1b$B\x1b(\x81\x40\x8e"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		e := mustLookup(t, names[int(which)%len(names)])
		s := string(data)
		got := e.Decode(s)
		if !utf8.ValidString(got) {
			t.Fatalf("%s: Decode(%q) = %q, not valid UTF-8", e.Name(), s, got)
		}
		if e.Verbatim(s) && got != s {
			t.Fatalf("%s: Verbatim(%q) but Decode gives %q", e.Name(), s, got)
		}
		n := 0
		for rest := s; ; {
			l := e.LineLen(rest)
			if l == 0 {
				break
			}
			if l < len(e.nl) || l > len(rest) || rest[l-len(e.nl):l] != e.nl {
				t.Fatalf("%s: LineLen(%q) = %d", e.Name(), rest, l)
			}
			n += l
			rest = rest[l:]
		}
		if end := e.LastLineEnd(data, 0); end != n {
			t.Fatalf("%s: LastLineEnd(%q) = %d, lines end at %d", e.Name(), s, end, n)
		}
	})
}

// mapDiffs are the numbers of one- and two-byte sequences that Python
// decodes to other characters (none of them private-use) than x/text:
// documented at Lookup.
var mapDiffs = map[string]int{"shift_jis": 6, "euc_jp": 6, "gb2312": 2, "big5": 260, "cp950": 250, "big5hkscs": 11}

// TestMultiByteSweep decodes every sequence of one or two bytes (a lead
// byte of 0x80 or more) in each multi-byte codec, and compares with
// Python: sequences that Python decodes must decode alike, but for the
// known differences (mapDiffs) and Python's private-use characters; how
// often invalid sequences are replaced otherwise than in Python is logged.
func TestMultiByteSweep(t *testing.T) {
	var names []string
	for _, n := range Names() {
		if e := mustLookup(t, n); e.kind == kindX && e.nl == "\n" {
			names = append(names, n)
		}
	}
	var inputs []string
	for a := range 256 {
		inputs = append(inputs, string([]byte{byte(a)}))
	}
	for a := 0x80; a < 0x100; a++ {
		for b := range 256 {
			inputs = append(inputs, string([]byte{byte(a), byte(b)}))
		}
	}
	var want map[string]struct {
		Text  []string
		Valid []bool
	}
	python(t, `import json, sys
d = json.load(sys.stdin)
inputs = [bytes.fromhex(x) for x in d["inputs"]]
out = {}
for n in d["names"]:
    text, valid = [], []
    for b in inputs:
        try:
            text.append(b.decode(n)); valid.append(True)
        except UnicodeDecodeError:
            text.append(b.decode(n, "replace")); valid.append(False)
    out[n] = {"Text": text, "Valid": valid}
json.dump(out, sys.stdout)`, map[string]any{"names": names, "inputs": hexes(inputs)}, &want)
	pua := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r >= 0xE000 && r <= 0xF8FF })
	}
	for _, n := range names {
		e := mustLookup(t, n)
		var mapped, private, invalid int
		var examples []string
		for i, in := range inputs {
			got, py := e.Decode(in), want[n].Text[i]
			switch {
			case got == py:
			case !want[n].Valid[i]:
				invalid++
			case pua(py):
				private++
			default:
				mapped++
				if len(examples) < 4 {
					examples = append(examples, fmt.Sprintf("%x: %q, Python %q", in, got, py))
				}
			}
		}
		if mapped != mapDiffs[n] {
			t.Errorf("%s: %d sequences decode otherwise than in Python, documented %d; e.g. %s", n, mapped, mapDiffs[n], strings.Join(examples, ", "))
		}
		t.Logf("%s: differs from Python on %d characters, %d private-use characters, %d invalid sequences of %d", n, mapped, private, invalid, len(inputs))
	}
}

// TestWideReplace compares UTF-16 and UTF-32 decoding of ill-formed
// sequences (lone surrogates, odd lengths, code points past U+10FFFF)
// with Python's.
func TestWideReplace(t *testing.T) {
	names := []string{"utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"}
	units := []string{"a\x00", "\x00a", "\x00\xd8", "\xd8\x00", "\x00\xdc", "\xdc\x00", "\xff\xfe", "\xfe\xff", "\n\x00",
		"\x00\x00", "\x11\x00", "\x00\x11", "\xff\xff", "\x3d\xd8\x00\xde", "\xd8\x3d\xde\x00"}
	rnd := rand.New(rand.NewPCG(3, 3))
	inputs := []string{"", "\x00", "a\x00b"}
	for range 400 {
		var sb strings.Builder
		for range rnd.IntN(6) {
			sb.WriteString(units[rnd.IntN(len(units))])
		}
		if rnd.IntN(4) == 0 {
			sb.WriteString(units[rnd.IntN(len(units))][:1])
		}
		inputs = append(inputs, sb.String())
	}
	want := pythonDecode(t, names, inputs)
	for _, n := range names {
		e := mustLookup(t, n)
		bad := 0
		for i, s := range inputs {
			if got := e.Decode(s); got != want[n][i] {
				if bad++; bad <= 5 {
					t.Errorf("%s: Decode(%q) = %q, Python %q", n, s, got, want[n][i])
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d differ", n, bad, len(inputs))
		}
	}
}
