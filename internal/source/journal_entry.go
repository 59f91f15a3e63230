package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/logenc"
)

// journalEntry is what Warden uses of an entry of journalctl --output=json.
type journalEntry struct {
	cursor   string
	realtime int64     // __REALTIME_TIMESTAMP, µs since the epoch
	time     time.Time // the entry's time as fail2ban takes it
	text     string    // the line as fail2ban formats the entry
}

// parseJournalEntry reads one line of journalctl --output=json. Field
// values are JSON strings, arrays of bytes (values that are not printable
// UTF-8), arrays of those (fields that occur more than once), or null.
// Bytes that are not UTF-8 are decoded with enc, as fail2ban decodes them
// with the jail's logencoding.
func parseJournalEntry(b []byte, enc *logenc.Encoding) (journalEntry, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return journalEntry{}, fmt.Errorf("parse journal entry: %w", err)
	}
	f := journalFields{raw: raw, enc: enc}
	e := journalEntry{cursor: f.first("__CURSOR")}
	if e.cursor == "" {
		return journalEntry{}, errors.New("parse journal entry: no __CURSOR")
	}
	rt, ok := parseMicros(f.first("__REALTIME_TIMESTAMP"))
	if !ok {
		return journalEntry{}, errors.New("parse journal entry: no __REALTIME_TIMESTAMP")
	}
	e.realtime = rt
	// fail2ban (getJrnEntTime) prefers the time the entry was made at.
	if st, ok := parseMicros(f.first("_SOURCE_REALTIME_TIMESTAMP")); ok {
		rt = st
	}
	e.time = time.UnixMicro(rt)
	e.text = formatJournalEntry(&f)
	return e, nil
}

// formatJournalEntry builds the line fail2ban's formatJournalEntry builds:
// "HOSTNAME IDENTIFIER[PID]: MESSAGE", each part present only when its
// field is, kernel lines with their monotonic time ("kernel: [
// 12.345678] ..."), new lines shown as "\n". Of a field given more than
// once, MESSAGE joins the values with blanks; the others take the first
// (where fail2ban drops the entry).
func formatJournalEntry(f *journalFields) string {
	var parts []string
	if v := f.first("_HOSTNAME"); v != "" {
		parts = append(parts, v)
	}
	ident := f.first("SYSLOG_IDENTIFIER")
	if ident == "" {
		ident = f.first("_COMM")
	}
	if ident != "" {
		pid := f.first("SYSLOG_PID")
		if pid == "" {
			pid = f.first("_PID")
		}
		if pid != "" {
			ident += "[" + formatPID(pid) + "]"
		}
		ident += ":"
		parts = append(parts, ident)
		if ident == "kernel:" {
			mono, ok := parseMicros(f.first("_SOURCE_MONOTONIC_TIMESTAMP"))
			if !ok {
				mono, ok = parseMicros(f.first("__MONOTONIC_TIMESTAMP"))
			}
			if ok {
				parts = append(parts, fmt.Sprintf("[%12s]", fmt.Sprintf("%d.%06d", mono/1e6, mono%1e6)))
			}
		}
	}
	parts = append(parts, strings.Join(f.all("MESSAGE"), " "))
	return strings.ReplaceAll(strings.Join(parts, " "), "\n", `\n`)
}

// formatPID formats a PID field as fail2ban gets it from python-systemd:
// a decimal number as Python's int() reads it, else a number in Python's
// literal syntax (0x1f, 0o17, 0b1), else the raw bytes' repr (b'...').
func formatPID(s string) string {
	if n, ok := pythonInt(s, false); ok {
		return n
	}
	if n, ok := pythonInt(s, true); ok {
		return n
	}
	return pythonBytesRepr(s)
}

// pythonInt reads s as Python's int(s) (literal: int(s, 0)) does, for
// ASCII digits, and returns the number in decimal.
func pythonInt(s string, literal bool) (string, bool) {
	s = strings.Trim(s, " \t\n\r\v\f")
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return "", false
	}
	base := 10
	if literal {
		base = 0
		if len(body) > 1 && body[0] == '0' && strings.IndexAny(body[1:2], "xXoObB") < 0 {
			// Python has no 0-prefixed octal: only zeros may follow.
			if strings.Trim(body, "0_") != "" {
				return "", false
			}
			base = 10
		}
	} else if strings.Trim(body, "0123456789_") != "" {
		return "", false
	}
	if base == 10 {
		s = strings.ReplaceAll(s, "_", "")
	}
	n, ok := new(big.Int).SetString(s, base)
	if !ok {
		return "", false
	}
	return n.String(), true
}

// pythonBytesRepr returns repr(bytes(s)) as Python 3 writes it.
func pythonBytesRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteString("b")
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// parseMicros reads a journal timestamp (decimal µs).
func parseMicros(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// journalFields reads the fields of an entry.
type journalFields struct {
	raw map[string]json.RawMessage
	enc *logenc.Encoding
}

// first returns the field's first value, "" when it is absent.
func (f *journalFields) first(name string) string {
	if v := f.all(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// all returns the field's values, decoded.
func (f *journalFields) all(name string) []string {
	r, ok := f.raw[name]
	if !ok || len(r) == 0 {
		return nil
	}
	if r[0] != '[' {
		if v, ok := f.value(r); ok {
			return []string{v}
		}
		return nil
	}
	var elems []json.RawMessage
	if json.Unmarshal(r, &elems) != nil || len(elems) == 0 {
		return nil
	}
	if c := elems[0][0]; c >= '0' && c <= '9' { // one value, as bytes
		if v, ok := f.value(r); ok {
			return []string{v}
		}
		return nil
	}
	var out []string
	for _, e := range elems {
		if v, ok := f.value(e); ok {
			out = append(out, v)
		}
	}
	return out
}

// value decodes one value: a string or an array of bytes.
func (f *journalFields) value(r json.RawMessage) (string, bool) {
	switch r[0] {
	case '"':
		var s string
		if json.Unmarshal(r, &s) != nil {
			return "", false
		}
		return s, true
	case '[':
		var bs []byte
		var ints []uint8
		if json.Unmarshal(r, &ints) != nil {
			return "", false
		}
		bs = ints
		if utf8.Valid(bs) {
			return string(bs), true
		}
		return f.enc.Decode(string(bs)), true
	}
	return "", false
}
