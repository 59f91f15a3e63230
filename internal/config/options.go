package config

import (
	"fmt"
	"strings"
	"unicode"
)

// Ref is a reference to a filter or an action with its arguments, as written
// in `filter = sshd[mode=aggressive]` or `action = name[key="v, w"][k2=x]`.
type Ref struct {
	Name string
	Args []Arg // in written order; a repeated key keeps its last value
}

// Arg is one key=value argument of a Ref.
type Arg struct{ Key, Value string }

func isOptKeyRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// ParseRef splits "name[k=v, k2="v2"][k3='v3']" into its name and arguments,
// accepting what fail2ban accepts: values double- or single-quoted (taken
// as is) or bare (up to ',' or ']'), groups separated by "][".
func ParseRef(s string) (Ref, error) {
	open := strings.IndexByte(s, '[')
	if open < 0 {
		if s == "" {
			return Ref{}, fmt.Errorf("empty name")
		}
		return Ref{Name: s}, nil
	}
	if open == 0 {
		return Ref{}, fmt.Errorf("missing name before '['")
	}
	closeAt := strings.LastIndexByte(s, ']')
	if closeAt < open || pyStrip(s[closeAt+1:]) != "" {
		return Ref{}, fmt.Errorf("unexpected option syntax in %q: arguments must be enclosed in [...]", truncate(s, 60))
	}
	ref := Ref{Name: s[:open]}
	args, err := parseArgs(s[open+1 : closeAt])
	if err != nil {
		return Ref{}, err
	}
	ref.Args = args
	return ref, nil
}

func parseArgs(in string) ([]Arg, error) {
	var out []Arg
	i := 0
	rs := []rune(in)
	n := len(rs)
	skipSpace := func() {
		for i < n && pyIsSpace(rs[i]) {
			i++
		}
	}
	for {
		start := i
		skipSpace()
		k0 := i
		for i < n && isOptKeyRune(rs[i]) {
			i++
		}
		if i == k0 || i >= n || rs[i] != '=' {
			// Only an optional trailing ',' and blanks may remain.
			i = start
			if i < n && rs[i] == ',' {
				i++
			}
			skipSpace()
			if i == n {
				return out, nil
			}
			return nil, fmt.Errorf("expected key=value at %q", truncate(string(rs[start:]), 25))
		}
		key := string(rs[k0:i])
		i++ // '='
		var val string
		quoted := false
		if i < n && (rs[i] == '"' || rs[i] == '\'') {
			q := rs[i]
			j := i + 1
			for j < n && rs[j] != q {
				j++
			}
			// An unterminated quote is read as part of a bare value.
			if j < n {
				val = string(rs[i+1 : j])
				i = j + 1
				quoted = true
			}
		}
		if !quoted {
			j := i
			for j < n && rs[j] != ',' && rs[j] != ']' {
				j++
			}
			val = string(rs[i:j])
			i = j
		}
		out = append(out, Arg{Key: pyStrip(key), Value: pyStrip(val)})
		// Separator: ',', "]" blanks "[", or the end.
		switch {
		case i == n:
			return out, nil
		case rs[i] == ',':
			i++
		case rs[i] == ']':
			j := i + 1
			for j < n && pyIsSpace(rs[j]) {
				j++
			}
			if j < n && rs[j] == '[' {
				i = j + 1
				continue
			}
			return nil, fmt.Errorf("unexpected syntax after option %q: %s", key, truncate(string(rs[i:]), 25))
		default:
			return nil, fmt.Errorf("unexpected syntax after option %q: %s", key, truncate(string(rs[i:]), 25))
		}
	}
}

// SplitRefs splits an action list into references: separated by blanks or
// new lines, except inside [...] argument lists (quotes protect ',' ']' and
// blanks there).
func SplitRefs(s string) []string {
	rs := []rune(s)
	n := len(rs)
	var out []string
	i := 0
	for i < n {
		if pyIsSpace(rs[i]) {
			i++
			continue
		}
		if end, ok := scanRef(rs, i); ok {
			out = append(out, pyStrip(string(rs[i:end])))
			i = end
			continue
		}
		j := i
		for j < n && !pyIsSpace(rs[j]) {
			j++
		}
		out = append(out, string(rs[i:j]))
		i = j
	}
	return out
}

// scanRef matches name, optional blanks and bracketed argument groups, and
// requires a blank or the end after it.
func scanRef(rs []rune, i int) (int, bool) {
	n := len(rs)
	j := i
	for j < n && rs[j] != '[' && !pyIsSpace(rs[j]) {
		j++
	}
	if j == i {
		return 0, false
	}
	nameEnd := j
	k := j
	for k < n && pyIsSpace(rs[k]) {
		k++
	}
	if k < n && rs[k] == '[' {
		if end, ok := scanArgGroups(rs, k); ok {
			if end == n || pyIsSpace(rs[end]) {
				return end, true
			}
		}
	}
	if nameEnd == n || pyIsSpace(rs[nameEnd]) {
		return nameEnd, true
	}
	return 0, false
}

// scanArgGroups scans "[k=v, ...]" groups (possibly chained "][") from '['.
func scanArgGroups(rs []rune, i int) (int, bool) {
	n := len(rs)
	i++ // '['
	for {
		for i < n && pyIsSpace(rs[i]) {
			i++
		}
		if i < n && rs[i] == ']' {
			return i + 1, true
		}
		k0 := i
		for i < n && isOptKeyRune(rs[i]) {
			i++
		}
		if i == k0 || i >= n || rs[i] != '=' {
			return 0, false
		}
		i++
		quoted := false
		if i < n && (rs[i] == '"' || rs[i] == '\'') {
			q := rs[i]
			j := i + 1
			for j < n && rs[j] != q {
				j++
			}
			if j < n {
				i = j + 1
				quoted = true
			}
		}
		if !quoted {
			for i < n && rs[i] != ',' && rs[i] != ']' {
				i++
			}
		}
		for i < n && pyIsSpace(rs[i]) {
			i++
		}
		if i < n && rs[i] == ',' {
			i++
			continue
		}
		if i < n && rs[i] == ']' {
			j := i + 1
			for j < n && pyIsSpace(rs[j]) {
				j++
			}
			if j < n && rs[j] == '[' {
				i = j + 1
				continue
			}
			return i + 1, true
		}
		if i >= n {
			return 0, false
		}
	}
}

// splitWords splits a list written with blanks, commas or new lines.
func splitWords(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' })
	out := f[:0]
	for _, w := range f {
		if w = pyStrip(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}
