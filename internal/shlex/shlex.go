// Package shlex splits a command line into words as Python's shlex.split
// does: fail2ban's journalmatch lines and Warden's command backend.
package shlex

import (
	"errors"
	"strings"
)

// Split splits a command line into its arguments as Python's
// shlex.split does (a POSIX shell's quoting, without any expansion):
// blanks separate words; 'single quotes' keep everything; in "double
// quotes" a backslash escapes only " and \; elsewhere a backslash escapes
// any character. fail2ban splits each line of journalmatch this way, and
// the command backend splits its command so.
func Split(s string) ([]string, error) {
	var (
		out  []string
		word strings.Builder
		in   bool // a word has started (quotes start one even when empty)
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\r', '\n':
			if in {
				out = append(out, word.String())
				word.Reset()
				in = false
			}
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("no escaped character")
			}
			i++
			word.WriteByte(s[i])
			in = true
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("no closing quotation")
			}
			word.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					if i+1 >= len(s) {
						return nil, errors.New("no escaped character")
					}
					if s[i+1] == '"' || s[i+1] == '\\' {
						i++
					}
				}
				word.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("no closing quotation")
			}
			in = true
		default:
			word.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, word.String())
	}
	return out, nil
}
