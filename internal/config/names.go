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
	eachRef(s, func(j int) int {
		k := refClose(s, j)
		if k <= j {
			return -1
		}
		out = append(out, s[j:k])
		return k
	})
	return out
}

// sectionOptionRef is a %(section/option)s reference: ref is
// "section/option", opt the option.
type sectionOptionRef struct{ ref, opt string }

// sectionOptionRefs returns the %(section/option)s references in s,
// leftmost first: %\(([\p{L}\p{N}_\-]+/([^)]+))\)s in Go's syntax.
func sectionOptionRefs(s string) []sectionOptionRef {
	var out []sectionOptionRef
	eachRef(s, func(j int) int {
		n := nameRun(s[j:], true)
		o := j + n + 1
		if n == 0 || o >= len(s) || s[j+n] != '/' {
			return -1
		}
		k := refClose(s, o)
		if k <= o {
			return -1
		}
		out = append(out, sectionOptionRef{ref: s[j:k], opt: s[o:k]})
		return k
	})
	return out
}

// eachRef calls match with the offset after each "%(" of s, leftmost
// first, as a regexp's FindAll tries them: match returns the offset of
// the ")s" that ends the reference it took, and the search goes on after
// it; or -1 when none starts there, and the search goes on from the next
// byte.
func eachRef(s string, match func(j int) int) {
	for pos := 0; ; {
		i := strings.Index(s[pos:], "%(")
		if i < 0 {
			return
		}
		start := pos + i
		if k := match(start + 2); k >= 0 {
			pos = k + 2
			continue
		}
		pos = start + 1
	}
}

// refClose returns the offset of the first ')' in s from o when ")s"
// is there, else -1: the end of a reference's [^)]+.
func refClose(s string, o int) int {
	k := strings.IndexByte(s[o:], ')')
	if k < 0 || o+k+1 >= len(s) || s[o+k+1] != 's' {
		return -1
	}
	return o + k
}
