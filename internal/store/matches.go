package store

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// Matches are stored as a JSON array of strings. Invalid UTF-8 in a line
// becomes U+FFFD (encoding/json's rule); lines reach the store decoded.

// encodeMatches is the JSON array of matches, as a TEXT value; NULL for
// none.
func encodeMatches(matches []string) (sql.NullString, error) {
	if len(matches) == 0 {
		return sql.NullString{}, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // fewer escapes: more lines take decodeMatches' quick way
	if err := enc.Encode(matches); err != nil {
		return sql.NullString{}, fmt.Errorf("encode matches: %w", err)
	}
	return sql.NullString{String: strings.TrimSuffix(buf.String(), "\n"), Valid: true}, nil
}

// decodeMatches decodes what encodeMatches wrote. A line without escapes
// (most log lines) is a substring of j, neither copied nor parsed by
// encoding/json, which makes restoring many bans several times faster.
func decodeMatches(j string) ([]string, error) {
	if len(j) < 2 || j[0] != '[' || j[len(j)-1] != ']' {
		return nil, fmt.Errorf("decode matches: not a JSON array: %.40q", j)
	}
	var out []string
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
// as white space, which encodeMatches never writes).
func decodeMatchesSlowly(j string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(j), &out); err != nil {
		return nil, fmt.Errorf("decode matches: %w", err)
	}
	return out, nil
}
