package abuseipdb

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// CleanOptions say what CleanComment hides.
type CleanOptions struct {
	// Hostnames are the host's own names (short and fully qualified),
	// replaced by "[host]" wherever they stand as a whole name, ignoring
	// case.
	Hostnames []string
	// Addrs are the host's own addresses, replaced by "[own-ip]" wherever
	// they stand as a whole address.
	Addrs []string
	// HideUsers replaces user names in fail2ban's common forms ("user X",
	// "invalid user X", "for X from", "user=X", "ruser=X") by "[user]".
	HideUsers bool
}

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	// userWordRE is "user NAME" (with "invalid user NAME", "authenticating
	// user NAME", "for user NAME"): the name is the second group.
	userWordRE = regexp.MustCompile(`(?i)(\buser\s+)([^\s\[\]]+)`)
	// userForRE is sshd's "Failed password for NAME from" and "Accepted
	// publickey for NAME from".
	userForRE = regexp.MustCompile(`(?i)(\bfor\s+)([^\s\[\]]+)(\s+from\s)`)
	// userKeyRE is PAM's "user=NAME", "ruser=NAME", "logname=NAME" and the
	// like ("user='NAME'" and "user=<NAME>" of some daemons included).
	userKeyRE = regexp.MustCompile(`(?i)(\b(?:r?user|logname|username|login|sasl_username)=)(?:'[^']*'|"[^"]*"|<[^>]*>|[^\s,;]+)`)
)

// CleanComment makes the comment of a report from the matched log lines:
//
//   - invalid UTF-8 is dropped, tabs become spaces and every other control
//     character is removed; lines are joined with "\n", blank ones
//     skipped;
//   - e-mail addresses become "[email]";
//   - the host's own addresses (o.Addrs) become "[own-ip]" and its names
//     (o.Hostnames, longest first, ignoring case) "[host]", only where they
//     stand whole (10.0.0.1 is not hidden in 10.0.0.12, nor host in
//     host2);
//   - with o.HideUsers, user names in fail2ban's common forms become
//     "[user]";
//   - nothing is escaped: no backslash or quote is added;
//   - the result is cut to MaxCommentBytes bytes on a UTF-8 boundary.
func CleanComment(lines []string, o CleanOptions) string {
	var b strings.Builder
	for _, l := range lines {
		l = cleanLine(l)
		if strings.TrimSpace(l) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		if b.Len() > 4*MaxCommentBytes { // enough to fill a comment after the replacements
			break
		}
	}
	s := emailRE.ReplaceAllString(b.String(), "[email]")
	for _, a := range sortedLongestFirst(o.Addrs) {
		s = replaceWhole(s, a, "[own-ip]", isAddrByte)
	}
	for _, h := range sortedLongestFirst(o.Hostnames) {
		s = replaceWhole(s, h, "[host]", isNameByte)
	}
	if o.HideUsers {
		s = userKeyRE.ReplaceAllString(s, "${1}[user]")
		s = userForRE.ReplaceAllStringFunc(s, func(m string) string {
			g := userForRE.FindStringSubmatch(m)
			if strings.EqualFold(g[2], "invalid") || strings.EqualFold(g[2], "user") {
				return m // "for invalid user X from": userWordRE hides X
			}
			return g[1] + "[user]" + g[3]
		})
		s = userWordRE.ReplaceAllStringFunc(s, func(m string) string {
			g := userWordRE.FindStringSubmatch(m)
			if strings.EqualFold(g[2], "from") {
				return m // "user from 192.0.2.1": no name given
			}
			return g[1] + "[user]"
		})
	}
	return CutUTF8(strings.TrimRightFunc(s, unicode.IsSpace), MaxCommentBytes)
}

// cleanLine drops invalid UTF-8 and control characters, tabs turned into
// spaces.
func cleanLine(l string) string {
	l = strings.ToValidUTF8(l, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', unicode.Is(unicode.Cf, r) && r != '\u200d':
			return -1
		}
		return r
	}, l)
}

func sortedLongestFirst(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return out
}

// isAddrByte is a byte that continues an address: an address next to one
// is part of a longer one.
func isAddrByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
}

// isNameByte is a byte that continues a host name (a dot does not: "host"
// is hidden in "host.example.org" when only the short name is given).
func isNameByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// replaceWhole replaces, ignoring ASCII case, each occurrence of old in s
// not preceded or followed by a byte for which cont is true. A trailing
// dot is not a continuation of an address ("from 10.0.0.1.").
func replaceWhole(s, old, repl string, cont func(byte) bool) string {
	lower, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) { // a case mapping changed lengths: match exactly
		lower, lold = s, old
	}
	var b strings.Builder
	last := 0
	for i := 0; i <= len(s)-len(old); {
		j := strings.Index(lower[i:], lold)
		if j < 0 {
			break
		}
		start, end := i+j, i+j+len(old)
		before := start > 0 && cont(s[start-1])
		after := end < len(s) && cont(s[end]) && !(s[end] == '.' && (end+1 == len(s) || !cont(s[end+1])))
		if before || after {
			i = start + 1
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(repl)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
