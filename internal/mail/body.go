package mail

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxLineLen bounds one log line in a report.
const maxLineLen = 4096

// banBody is the text of a ban report, laid out as fail2ban's.
func banBody(cfg Config, jail, ip string, r Report, withWhois bool, whois string) string {
	var b strings.Builder
	b.WriteString("Hi,\n\n")
	fmt.Fprintf(&b, "The IP %s has just been banned by Warden after\n%d attempts against %s.\n", ip, r.Failures, jail)
	switch {
	case r.BanTime < 0:
		b.WriteString("The ban is permanent.\n")
	case r.BanTime > 0:
		fmt.Fprintf(&b, "The ban lasts %s", r.BanTime)
		if !r.Time.IsZero() {
			fmt.Fprintf(&b, ", until %s", r.Time.Add(r.BanTime).UTC().Format(time.RFC3339))
		}
		b.WriteString(".\n")
	}
	if r.Count > 1 {
		fmt.Fprintf(&b, "This is ban number %d of this address in this jail.\n", r.Count)
	}
	if withWhois {
		fmt.Fprintf(&b, "\nHere is more information about %s :\n\n", ip)
		b.WriteString(cleanText(whois))
		b.WriteString("\n")
	}
	lines := r.Matches
	if cfg.MaxLines > 0 && len(lines) > cfg.MaxLines {
		lines = lines[len(lines)-cfg.MaxLines:]
	}
	switch cfg.Matches {
	case LogLines:
		fmt.Fprintf(&b, "\nLines containing failures of %s (max %d)\n", ip, cfg.MaxLines)
	case JailMatches:
		b.WriteString("\nMatches:\n")
	case IPMatches:
		fmt.Fprintf(&b, "\nMatches of %s in every jail:\n", ip)
	case IPJailMatches:
		fmt.Fprintf(&b, "\nMatches for %s of %s:\n", jail, ip)
	}
	if cfg.Matches != NoMatches {
		for _, l := range lines {
			b.WriteString(cleanLine(l))
			b.WriteString("\n")
		}
	}
	b.WriteString("\nRegards,\n\nWarden\n")
	return b.String()
}

// cleanLine makes one line of untrusted text safe to show: valid UTF-8,
// every control character (line breaks included) and every bidirectional
// override written as a visible escape, and a bounded length.
func cleanLine(s string) string {
	return clean(s, false)
}

// cleanText is cleanLine for several lines: the line breaks stay. Text
// that is not UTF-8 is read as Latin-1, as most whois servers send it.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimRight(s, "\n")
	return clean(s, true)
}

func clean(s string, keepNL bool) string {
	if !utf8.ValidString(s) {
		if keepNL {
			s = latin1(s)
		} else {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == '\n' && keepNL {
			b.WriteByte('\n')
			n = 0
			continue
		}
		if n >= maxLineLen {
			if n == maxLineLen {
				b.WriteString(" [...]")
				n++
			}
			continue
		}
		n++
		switch {
		case r == '\t':
			b.WriteByte('\t')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == utf8.RuneError, isBidi(r), r == '\u2028', r == '\u2029', unicode.Is(unicode.Cf, r) && r != '\u200d':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isBidi(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

func latin1(s string) string {
	rs := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		rs[i] = rune(s[i])
	}
	return string(rs)
}
