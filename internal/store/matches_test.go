package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchesRoundTrip(t *testing.T) {
	for _, m := range [][]string{
		{"Failed password for root from 192.0.2.1 port 22 ssh2"},
		{`GET /?q="a\b" HTTP/1.1`, "<script>&amp;</script>", "tab\tnul\x00 bell\x07", "é ü 漢字 \u2028"},
		{"", "", "x"},
		{`\`, `"`, `\"`},
	} {
		j := string(appendMatches(nil, m))
		got, err := decodeMatches(j)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("decodeMatches(%s) = %q, %v; want %q", j, got, err, m)
		}
	}
}

func TestDecodeMatchesOtherJSON(t *testing.T) {
	for j, want := range map[string][]string{
		`[ "a" , "b" ]`:   {"a", "b"},
		`["a","b\u0041"]`: {"a", "bA"},
		`[]`:              {},
	} {
		got, err := decodeMatches(j)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeMatches(%s) = %q, %v; want %q", j, got, err, want)
		}
	}
	for _, j := range []string{`["a",1]`, `{"a":1}`, `["a"`, `"a"`, ``, `["a\"]`, `["a""b"]`} {
		if got, err := decodeMatches(j); err == nil {
			t.Errorf("decodeMatches(%s) = %q, want an error", j, got)
		}
	}
}

// FuzzMatches checks that appendMatches writes JSON and decodeMatches reads
// it as encoding/json reads it.
func FuzzMatches(f *testing.F) {
	f.Add("a\x00b", `c"d\e`)
	f.Add("\xff\xfe", "\u2028<>&")
	f.Fuzz(func(t *testing.T, a, b string) {
		m := []string{a, b, strings.Repeat(a, 3)}
		j := appendMatches(nil, m)
		var want []string
		if err := json.Unmarshal(j, &want); err != nil {
			t.Fatalf("appendMatches wrote %s: %v", j, err)
		}
		if utf8.ValidString(a) && utf8.ValidString(b) && !reflect.DeepEqual(want, m) {
			t.Errorf("appendMatches(%q) = %s, which reads back as %q", m, j, want)
		}
		got, err := decodeMatches(string(j))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeMatches(%s) = %q, %v; want %q", j, got, err, want)
		}
	})
}
