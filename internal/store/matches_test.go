package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestMatchesRoundTrip(t *testing.T) {
	for _, m := range [][]string{
		{"Failed password for root from 192.0.2.1 port 22 ssh2"},
		{`GET /?q="a\b" HTTP/1.1`, "<script>&amp;</script>", "tab\tnul\x00 bell\x07", "é ü 漢字 \u2028"},
		{"", "", "x"},
		{`\`, `"`, `\"`},
	} {
		j, err := encodeMatches(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeMatches(j.String)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("decodeMatches(%s) = %q, %v; want %q", j.String, got, err, m)
		}
	}
}

func TestDecodeMatchesOtherJSON(t *testing.T) {
	for j, want := range map[string][]string{
		`[ "a" , "b" ]`: {"a", "b"},
		`["a",1]`:       nil, // an error
		`[]`:            nil,
		`{"a":1}`:       nil, // an error
		`["a"`:          nil, // an error
	} {
		got, err := decodeMatches(j)
		if want == nil && j != `[]` {
			if err == nil {
				t.Errorf("decodeMatches(%s) = %q, want an error", j, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeMatches(%s) = %q, %v; want %q", j, got, err, want)
		}
	}
}

// FuzzMatches checks that decodeMatches reads what encodeMatches writes as
// encoding/json reads it.
func FuzzMatches(f *testing.F) {
	f.Add("a\x00b", `c"d\e`)
	f.Add("\xff\xfe", "\u2028<>&")
	f.Fuzz(func(t *testing.T, a, b string) {
		m := []string{a, b, strings.Repeat(a, 3)}
		j, err := encodeMatches(m)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if err := json.Unmarshal([]byte(j.String), &want); err != nil {
			t.Fatal(err)
		}
		got, err := decodeMatches(j.String)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeMatches(%s) = %q, %v; want %q", j.String, got, err, want)
		}
	})
}
