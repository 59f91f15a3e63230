package config

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The reference and name forms below are read by hand rather than with
// regular expressions: compiling those (with Unicode classes) cost every
// start of the program about a millisecond. names_test.go checks each
// against the regular expression it stands for.

// nameRune reports whether r may be in a section name: a letter, a
// number, '_', and '-' when dash is set.
func nameRune(r rune, dash bool) bool {
	return r == '_' || dash && r == '-' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// nameRun returns the length of the run of name runes at the start of s.
func nameRun(s string, dash bool) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !nameRune(r, dash) {
			break
		}
		i += n
	}
	return i
}

// splitConditional splits a conditional section or option name such as
// "Init?family=inet6" into "Init" and "?family=inet6"; ok is false for
// other names. It is ^([\p{L}\p{N}_]+)(\?.+)$ in Go's syntax.
func splitConditional(s string) (name, cond string, ok bool) {
	i := nameRun(s, false)
	if i == 0 || i+1 >= len(s) || s[i] != '?' || strings.IndexByte(s[i+1:], '\n') >= 0 {
		return "", "", false
	}
	return s[:i], s[i:], true
}

// splitSectionOption splits "section/option" as get_ex accepts it:
// ^([\p{L}\p{N}_\-]+)/([^\s>]+)$ in Go's syntax.
func splitSectionOption(s string) (sec, opt string, ok bool) {
	i := nameRun(s, true)
	if i == 0 || i+1 >= len(s) || s[i] != '/' || strings.ContainsAny(s[i+1:], "\t\n\f\r >") {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// interpolationRefs returns the names of the %(name)s references in s,
// leftmost first: %\(([^)]+)\)s in Go's syntax.
func interpolationRefs(s string) []string {
	var out []string
	for pos := 0; ; {
		i := strings.Index(s[pos:], "%(")
		if i < 0 {
			return out
		}
		start := pos + i
		j := start + 2
		if k := strings.IndexByte(s[j:], ')'); k > 0 && j+k+1 < len(s) && s[j+k+1] == 's' {
			out = append(out, s[j:j+k])
			pos = j + k + 2
			continue
		}
		pos = start + 1
	}
}

// sectionOptionRef is a %(section/option)s reference: ref is
// "section/option", opt the option.
type sectionOptionRef struct{ ref, opt string }

// sectionOptionRefs returns the %(section/option)s references in s,
// leftmost first: %\(([\p{L}\p{N}_\-]+/([^)]+))\)s in Go's syntax.
func sectionOptionRefs(s string) []sectionOptionRef {
	var out []sectionOptionRef
	for pos := 0; ; {
		i := strings.Index(s[pos:], "%(")
		if i < 0 {
			return out
		}
		start := pos + i
		j := start + 2
		n := nameRun(s[j:], true)
		if o := j + n + 1; n > 0 && o < len(s) && s[j+n] == '/' {
			if k := strings.IndexByte(s[o:], ')'); k > 0 && o+k+1 < len(s) && s[o+k+1] == 's' {
				out = append(out, sectionOptionRef{ref: s[j : o+k], opt: s[o : o+k]})
				pos = o + k + 2
				continue
			}
		}
		pos = start + 1
	}
}
