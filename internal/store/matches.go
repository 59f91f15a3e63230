package store

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Matches are stored as a JSON array of strings. Invalid UTF-8 in a line
// becomes U+FFFD (encoding/json's rule); lines reach the store decoded.

// appendMatches appends the JSON array of matches to buf.
func appendMatches(buf []byte, matches []string) []byte {
	buf = append(buf, '[')
	for i, m := range matches {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, m)
	}
	return append(buf, ']')
}

// appendJSONString appends s as a JSON string: as it is between quotes when
// it is printable ASCII without quotes or backslashes (most log lines),
// otherwise as encoding/json writes it.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			j, _ := json.Marshal(s) // a string always marshals
			return append(buf, j...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// decodeMatches decodes what appendMatches wrote. A line without escapes
// (most log lines) is a substring of j, neither copied nor parsed by
// encoding/json, which makes restoring many bans several times faster.
func decodeMatches(j string) ([]string, error) {
	if len(j) < 2 || j[0] != '[' || j[len(j)-1] != ']' {
		return nil, fmt.Errorf("decode matches: not a JSON array: %.40q", j)
	}
	out := make([]string, 0, strings.Count(j, `","`)+1)
	for i, end := 1, len(j)-1; i < end; {
		if j[i] != '"' {
			return decodeMatchesSlowly(j)
		}
		k, escaped := i+1, false
		for k < end && j[k] != '"' {
			if j[k] == '\\' {
				escaped = true
				k++
			}
			k++
		}
		if k >= end {
			return decodeMatchesSlowly(j)
		}
		line := j[i+1 : k]
		if escaped {
			if err := json.Unmarshal([]byte(j[i:k+1]), &line); err != nil {
				return nil, fmt.Errorf("decode matches: %w", err)
			}
		}
		out = append(out, line)
		switch i = k + 1; {
		case i < end && j[i] == ',':
			i++
		case i != end:
			return decodeMatchesSlowly(j)
		}
	}
	return out, nil
}

// decodeMatchesSlowly decodes JSON that decodeMatches does not expect (such
// as white space, which appendMatches never writes).
func decodeMatchesSlowly(j string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(j), &out); err != nil {
		return nil, fmt.Errorf("decode matches: %w", err)
	}
	return out, nil
}
