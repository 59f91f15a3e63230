package firewall

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxNameLen is the longest Rule name: set and chain names add a prefix
// and a family suffix to it, and ipset's limit is 31 bytes.
const MaxNameLen = 24

// ValidName tells whether name can be a Rule's Name: 1 to MaxNameLen bytes
// of [A-Za-z0-9_.-].
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return false
		}
	}
	return true
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '-'
}

// SafeName maps any jail or action name to a valid Rule name. A valid
// name is returned as it is; any other (too long, empty, or with other
// characters) has its other characters replaced by '_', is cut short, and
// ends with '-' and 8 hex digits of a hash of the whole name, so two
// different names do not meet in one.
func SafeName(name string) string {
	if ValidName(name) {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if nameByte(name[i]) {
			b.WriteByte(name[i])
		} else {
			b.WriteByte('_')
		}
	}
	sum := sha256.Sum256([]byte(name))
	const hashLen = 8
	keep := b.String()
	if len(keep) > MaxNameLen-1-hashLen {
		keep = keep[:MaxNameLen-1-hashLen]
	}
	return keep + "-" + hex.EncodeToString(sum[:])[:hashLen]
}
