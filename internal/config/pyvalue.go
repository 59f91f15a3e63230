package config

import (
	"strconv"
	"strings"
	"unicode"
)

// pyv is an option value typed as fail2ban passes it on: a string, an
// integer, a boolean or nothing.
type pyv struct {
	kind byte // 's', 'i', 'b', 'n'
	s    string
	i    int64
	b    bool
}

func pyStr(s string) pyv { return pyv{kind: 's', s: s} }

// str is Python's str() of the value, used when the value is interpolated.
func (v pyv) str() string {
	switch v.kind {
	case 'i':
		return strconv.FormatInt(v.i, 10)
	case 'b':
		if v.b {
			return "True"
		}
		return "False"
	case 'n':
		return "None"
	}
	return v.s
}

// json returns the value as it appears in fail2ban's command stream.
func (v pyv) json() any {
	switch v.kind {
	case 'i':
		return v.i
	case 'b':
		return v.b
	case 'n':
		return nil
	}
	return v.s
}

// pyBool converts like fail2ban's _as_bool; known reports whether the word
// is one of the recognised spellings.
func pyBool(s string) (val, known bool) {
	switch strings.ToLower(s) {
	case "1", "on", "true", "yes":
		return true, true
	case "0", "off", "false", "no", "":
		return false, true
	}
	return false, false
}

// pyInt converts like Python's int(str): blanks around, an optional sign,
// digits with single underscores between them.
func pyInt(s string) (int64, bool) {
	s = pyStrip(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '_':
		case unicode.IsDigit(r):
			b.WriteRune('0' + rune(digitValue(r)))
		default:
			return 0, false
		}
	}
	n, err := strconv.ParseInt(b.String(), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	// Unicode decimal digits come in runs of ten starting at a zero.
	for z := r; z >= r-9; z-- {
		if !unicode.IsDigit(z - 1) {
			return int(r - z)
		}
	}
	return 0
}

// vals is an ordered map of typed values.
type vals struct {
	keys []string
	m    map[string]pyv
}

func newVals() *vals { return &vals{m: map[string]pyv{}} }

func (v *vals) set(k string, x pyv) {
	if _, ok := v.m[k]; !ok {
		v.keys = append(v.keys, k)
	}
	v.m[k] = x
}

func (v *vals) get(k string) (pyv, bool) {
	x, ok := v.m[k]
	return x, ok
}
