package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// badgeLabel is the left part of the badge; the right part is the count.
const badgeLabel = "reported to AbuseIPDB"

// badgeValue is the right part of the badge for n distinct addresses:
// "1,234 IPs".
func badgeValue(n int64) string {
	unit := " IPs"
	if n == 1 {
		unit = " IP"
	}
	return groupDigits(n) + unit
}

// groupDigits writes n with a comma between groups of three digits.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// textWidth estimates the width in pixels of s in 11 px Verdana, the
// badges' font: close enough to centre the text, as the common badge
// services do with their own tables.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r == ' ':
			w += 3.9
		case r == 'i' || r == 'l' || r == 'j' || r == '.' || r == ',' || r == ':' || r == ';' || r == '\'' || r == '!' || r == '|':
			w += 3.4
		case r == 'f' || r == 't' || r == 'r' || r == 'I' || r == '(' || r == ')' || r == '-':
			w += 4.9
		case r == 'm' || r == 'w' || r == 'M' || r == 'W':
			w += 10.7
		case r >= 'A' && r <= 'Z':
			w += 7.9
		case r >= '0' && r <= '9':
			w += 7.0
		default:
			w += 6.7
		}
	}
	return w
}

// badgeSVG renders the flat two-part "label | value" badge.
func badgeSVG(label, value string) []byte {
	const pad = 10.0
	lw := float64(int(textWidth(label) + 2*pad + 0.5))
	vw := float64(int(textWidth(value) + 2*pad + 0.5))
	total := lw + vw
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s)) // writes to a buffer: cannot fail
		return b.String()
	}
	l, v := esc(label), esc(value)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="20" role="img" aria-label="%s: %s">`+"\n", total, l, v)
	fmt.Fprintf(&b, "  <title>%s: %s</title>\n", l, v)
	b.WriteString(`  <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` + "\n")
	fmt.Fprintf(&b, `  <clipPath id="r"><rect width="%g" height="20" rx="3" fill="#fff"/></clipPath>`+"\n", total)
	fmt.Fprintf(&b, `  <g clip-path="url(#r)"><rect width="%g" height="20" fill="#555"/><rect x="%g" width="%g" height="20" fill="#c0392b"/><rect width="%g" height="20" fill="url(#s)"/></g>`+"\n", lw, lw, vw, total)
	b.WriteString(`  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` + "\n")
	for _, t := range []struct {
		x    float64
		text string
	}{{lw / 2, l}, {lw + vw/2, v}} {
		fmt.Fprintf(&b, `    <text x="%g" y="15" fill="#010101" fill-opacity=".3">%s</text><text x="%g" y="14">%s</text>`+"\n", t.x, t.text, t.x, t.text)
	}
	b.WriteString("  </g>\n</svg>\n")
	return b.Bytes()
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so that a web server never serves half a badge.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
