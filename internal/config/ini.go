package config

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// value is a raw option value with the place it was written.
type value struct {
	s    string
	file string
	line int
}

// section is an ordered set of options. Setting an existing key keeps its
// position, as a Python dict does.
type section struct {
	name string
	file string
	line int
	keys []string
	vals map[string]value
}

func newSection(name, file string, line int) *section {
	return &section{name: name, file: file, line: line, vals: map[string]value{}}
}

func (s *section) set(k string, v value) {
	if _, ok := s.vals[k]; !ok {
		s.keys = append(s.keys, k)
	}
	s.vals[k] = v
}

func (s *section) clone() *section {
	c := &section{name: s.name, file: s.file, line: s.line, keys: append([]string(nil), s.keys...), vals: make(map[string]value, len(s.vals))}
	for k, v := range s.vals {
		c.vals[k] = v
	}
	return c
}

// iniFile is one parsed file: its DEFAULT section and its other sections in order.
type iniFile struct {
	path     string
	defaults *section
	sections []*section
	index    map[string]*section
}

func (f *iniFile) section(name string) *section { return f.index[name] }

// pyIsSpace reports whether r is whitespace for Python's str.isspace.
func pyIsSpace(r rune) bool {
	switch {
	case r >= 0x1c && r <= 0x1f:
		return true
	case r == 0x85 || r == 0xa0:
		return true
	}
	return unicode.IsSpace(r)
}

func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

func pyRstrip(s string) string { return strings.TrimRightFunc(s, pyIsSpace) }

// splitLines splits text into lines the way Python's universal newlines do.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// parseINI parses one file of fail2ban's INI dialect (Python's ConfigParser
// with ';' inline comments, '#'/';' full-line comments, '=' or ':' delimiters,
// lower-cased option names, indented continuation lines, strict duplicate
// checks). display is the name used in error messages.
func parseINI(display string, data []byte) (*iniFile, error) {
	f := &iniFile{path: display, defaults: newSection("DEFAULT", display, 0), index: map[string]*section{}}
	if !utf8.Valid(data) {
		return nil, errorf(display, firstInvalidUTF8Line(data), "file is not valid UTF-8")
	}
	text := strings.TrimPrefix(string(data), "\ufeff")

	type pending struct {
		sec  *section
		key  string
		line int
		vals []string
	}
	var (
		cur         *section
		opt         *pending
		indentLevel = 0
		added       = map[string]bool{}
		errs        Errors
		all         []*pending
	)
	for i, line := range splitLines(text) {
		lineno := i + 1
		commentStart := -1
		if strings.HasPrefix(pyStrip(line), "#") || strings.HasPrefix(pyStrip(line), ";") {
			commentStart = 0
		} else {
			// Inline ';' comments start at a ';' that begins the line or follows whitespace.
			prev := rune(-1)
			for j, r := range line {
				if r == ';' && (j == 0 || pyIsSpace(prev)) {
					commentStart = j
					break
				}
				prev = r
			}
		}
		content := line
		if commentStart >= 0 {
			content = line[:commentStart]
		}
		val := pyStrip(content)
		if val == "" {
			if commentStart < 0 && cur != nil && opt != nil {
				opt.vals = append(opt.vals, "")
			}
			continue
		}
		indent := 0
		for _, r := range line {
			if !pyIsSpace(r) {
				break
			}
			indent++
		}
		if cur != nil && opt != nil && indent > indentLevel {
			opt.vals = append(opt.vals, val)
			continue
		}
		indentLevel = indent
		if name, ok := sectionHeader(val); ok {
			opt = nil
			if name == "DEFAULT" {
				cur = f.defaults
				if cur.line == 0 {
					cur.line = lineno
				}
				continue
			}
			if s := f.index[name]; s != nil {
				errs = append(errs, errorf(display, lineno, "section [%s] already defined on line %d", name, s.line))
				cur = s
				continue
			}
			cur = newSection(name, display, lineno)
			f.index[name] = cur
			f.sections = append(f.sections, cur)
			continue
		}
		if cur == nil {
			errs = append(errs, errorf(display, lineno, "option outside of any [section]: %q", truncate(pyStrip(line), 60)))
			// Python stops at the first missing header; keep reading to report more.
			continue
		}
		k, v, ok := splitOption(val)
		if !ok {
			opt = nil
			errs = append(errs, errorf(display, lineno, "expected 'name = value', got %q", truncate(val, 60)))
			continue
		}
		k = strings.ToLower(pyRstrip(k))
		dupKey := cur.name + "\x00" + k
		if added[dupKey] {
			errs = append(errs, errorf(display, lineno, "option %q in section [%s] already set on line %d", k, cur.name, cur.vals[k].line))
		}
		added[dupKey] = true
		opt = &pending{sec: cur, key: k, line: lineno, vals: []string{pyStrip(v)}}
		all = append(all, opt)
		// Store now so order reflects first appearance; the joined value is set below.
		cur.set(k, value{file: display, line: lineno})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, p := range all {
		p.sec.set(p.key, value{s: pyRstrip(strings.Join(p.vals, "\n")), file: display, line: p.line})
	}
	return f, nil
}

// sectionHeader matches Python's `\[(?P<header>.+)\]` at the start of val
// (greedy, so the header ends at the last ']').
func sectionHeader(val string) (string, bool) {
	if !strings.HasPrefix(val, "[") {
		return "", false
	}
	end := strings.LastIndexByte(val, ']')
	if end <= 1 {
		return "", false
	}
	name := val[1:end]
	if strings.ContainsRune(name, '\n') {
		return "", false
	}
	return name, true
}

// splitOption splits "name = value" at the first '=' or ':'; the name must
// not be empty.
func splitOption(val string) (k, v string, ok bool) {
	i := strings.IndexAny(val, "=:")
	if i <= 0 {
		return "", "", false
	}
	k = pyRstrip(val[:i])
	if k == "" {
		return "", "", false
	}
	return k, val[i+1:], true
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

func firstInvalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}
