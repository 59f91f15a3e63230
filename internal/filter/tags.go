package filter

import (
	"fmt"
	"strings"
	"unicode"
)

// Address patterns behind the host tags, in Python regex syntax.
const (
	reIP4  = `(?:\d{1,3}\.){3}\d{1,3}`
	reIP6  = `(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`
	tagIP4 = `(?:::f{4,6}:)?(?P<ip4>` + reIP4 + `)`
	tagIP6 = `(?P<ip6>` + reIP6 + `)`
	tagDNS = `(?P<dns>[\w\-.^_]*\w)`
	tagCID = `(?P<cidr>\d+)`
)

var (
	tagADDR   = `\[?(?:` + tagIP4 + `|` + tagIP6 + `)\]?`
	tagHOST   = `(?:` + tagADDR + `|` + tagDNS + `)`
	tagSUBNET = `\[?(?:` + tagIP4 + `|` + tagIP6 + `)(?:/` + tagCID + `)?\]?`
)

// simpleTags are the tags that stand for a fixed pattern.
var simpleTags = map[string]string{
	"IP4": tagIP4, "F-IP4/": tagIP4,
	"IP6": tagIP6, "F-IP6/": tagIP6,
	"ADDR": tagADDR, "F-ADDR/": tagADDR,
	"CIDR": tagCID, "F-CIDR/": tagCID,
	"SUBNET": tagSUBNET, "F-SUBNET/": tagSUBNET,
	"DNS": tagDNS, "F-DNS/": tagDNS,
	"F-ID/":   `(?P<fid>\S+)`,
	"F-PORT/": `(?P<fport>\w+)`,
}

// fieldName maps a tag name to its group (and failure field) name.
func fieldName(tag string) string {
	tag = strings.ToLower(tag)
	switch tag {
	case "id":
		return "fid"
	case "port":
		return "fport"
	}
	return tag
}

func isTagNameRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isCustomName reports whether s is an F-NAME tag name (upper case,
// digits, '_' and '-').
func isCustomName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// ExpandTags replaces fail2ban's tags in a failregex with the patterns they
// stand for: <HOST> (an address, or also a host name unless useDNS is
// "no"), <ADDR>, <IP4>, <IP6>, <DNS>, <CIDR>, <SUBNET>, <SKIPLINES>, and the
// field groups <F-NAME>...</F-NAME>. Unknown tags are left as written.
func ExpandTags(regex, useDNS string) string {
	var b strings.Builder
	open := map[string]bool{}
	skip := 0
	i := 0
	for i < len(regex) {
		lt := strings.IndexByte(regex[i:], '<')
		if lt < 0 {
			b.WriteString(regex[i:])
			break
		}
		lt += i
		b.WriteString(regex[i:lt])
		// A tag is '<', an optional '/', name characters, an optional '/', '>'.
		j := lt + 1
		if j < len(regex) && regex[j] == '/' {
			j++
		}
		nameStart := j
		for j < len(regex) {
			r, size := decodeRune(regex, j)
			if !isTagNameRune(r) {
				break
			}
			j += size
		}
		if j == nameStart {
			b.WriteByte('<')
			i = lt + 1
			continue
		}
		if j < len(regex) && regex[j] == '/' {
			j++
		}
		if j >= len(regex) || regex[j] != '>' {
			b.WriteByte('<')
			i = lt + 1
			continue
		}
		tag := regex[lt : j+1]
		b.WriteString(expandTag(tag, useDNS, open, &skip))
		i = j + 1
	}
	return b.String()
}

func expandTag(tag, useDNS string, open map[string]bool, skip *int) string {
	name := tag[1 : len(tag)-1]
	switch name {
	case "HOST":
		if useDNS == "no" {
			return tagADDR
		}
		return tagHOST
	case "SKIPLINES":
		n := *skip
		*skip++
		return fmt.Sprintf(`\n(?P<skiplines%d>(?:(?:.*\n)*?))`, n)
	}
	if p, ok := simpleTags[name]; ok {
		return p
	}
	closing := strings.HasPrefix(name, "/")
	custom := strings.TrimPrefix(name, "/")
	if !strings.HasPrefix(custom, "F-") || !isCustomName(custom[2:]) {
		return tag
	}
	custom = custom[2:]
	if closing {
		if open[custom] {
			return ")"
		}
		return tag
	}
	open[custom] = true
	return "(?P<" + fieldName(custom) + ">"
}
