package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// timeUnits lists fail2ban's time unit words in the order they are applied,
// each with its spellings (tried in order) and its length in seconds.
var timeUnits = []struct {
	words []string
	secs  string
}{
	{[]string{"days", "day", "da", "dd", "d"}, "86400"},
	{[]string{"weeks", "week", "wee", "we", "ww", "w"}, "604800"},
	{[]string{"months", "month", "mon", "mo"}, "2629800.0"},
	{[]string{"years", "year", "yea", "ye", "yy", "y"}, "31557600.0"},
	{[]string{"seconds", "second", "sec", "se", "ss", "s"}, "1"},
	{[]string{"minutes", "minute", "min", "mi", "mm", "m"}, "60"},
	{[]string{"hours", "hour", "hou", "ho", "hh", "h"}, "3600"},
}

// ParseTime converts a fail2ban time value such as "600", "10m", "1h30m",
// "1d 12h", "1year-6mo" or "-1" into seconds. Like fail2ban it accepts an
// arithmetic expression of numbers and unit words; unlike fail2ban it never
// evaluates anything else.
func ParseTime(s string) (float64, error) {
	x := expandTimeUnits(s)
	p := &arith{s: x}
	v, err := p.parse()
	if err != nil {
		return 0, fmt.Errorf("bad time value %q (write e.g. 600, 10m, 1h30m, 2d, 1w, -1): %w", s, err)
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("bad time value %q: not a finite number", s)
	}
	return v, nil
}

func isASCIIDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isWordByte(c byte) bool    { return isASCIIDigit(c) || isASCIILetter(c) || c == '_' || c >= 0x80 }
func isBlankByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// expandTimeUnits rewrites unit words into multiplications: "1h 30m" becomes
// "1*3600+30*60".
func expandTimeUnits(s string) string {
	// "1d12h" -> "1d 12h": a blank before a digit that follows a letter.
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && isASCIIDigit(s[i]) && isASCIILetter(s[i-1]) {
			b.WriteByte(' ')
		}
		b.WriteByte(s[i])
	}
	s = b.String()
	for _, u := range timeUnits {
		b.Reset()
		for i := 0; i < len(s); {
			if i > 0 && (isASCIIDigit(s[i-1]) || isBlankByte(s[i-1])) {
				if w := matchUnit(s[i:], u.words); w > 0 {
					b.WriteString("*" + u.secs)
					i += w
					continue
				}
			}
			b.WriteByte(s[i])
			i++
		}
		s = b.String()
	}
	// Blanks between two numbers mean '+'.
	b.Reset()
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if isASCIIDigit(s[i]) {
			j := i + 1
			for j < len(s) && isBlankByte(s[j]) {
				j++
			}
			if j > i+1 && j < len(s) && isASCIIDigit(s[j]) {
				b.WriteByte('+')
				b.WriteByte(s[j])
				i = j
			}
		}
	}
	return b.String()
}

// matchUnit returns the length of the first spelling that starts s
// (ignoring case) and ends at a word boundary, or 0.
func matchUnit(s string, words []string) int {
	for _, w := range words {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) && (len(s) == len(w) || !isWordByte(s[len(w)])) {
			return len(w)
		}
	}
	return 0
}

// arith evaluates + - * / // % ** and parentheses over numbers, with Python's
// precedence.
type arith struct {
	s string
	i int
}

func (p *arith) parse() (float64, error) {
	v, err := p.expr()
	if err != nil {
		return 0, err
	}
	p.blank()
	if p.i != len(p.s) {
		return 0, fmt.Errorf("unexpected %q", truncate(p.s[p.i:], 20))
	}
	return v, nil
}

func (p *arith) blank() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *arith) peek(tok string) bool {
	p.blank()
	return strings.HasPrefix(p.s[p.i:], tok)
}

func (p *arith) expr() (float64, error) {
	v, err := p.term()
	if err != nil {
		return 0, err
	}
	for {
		switch {
		case p.peek("+"):
			p.i++
			w, err := p.term()
			if err != nil {
				return 0, err
			}
			v += w
		case p.peek("-"):
			p.i++
			w, err := p.term()
			if err != nil {
				return 0, err
			}
			v -= w
		default:
			return v, nil
		}
	}
}

func (p *arith) term() (float64, error) {
	v, err := p.factor()
	if err != nil {
		return 0, err
	}
	for {
		var op string
		switch {
		case p.peek("**"):
			return v, nil
		case p.peek("//"):
			op = "//"
		case p.peek("*"), p.peek("/"), p.peek("%"):
			op = p.s[p.i : p.i+1]
		default:
			return v, nil
		}
		p.i += len(op)
		w, err := p.factor()
		if err != nil {
			return 0, err
		}
		switch op {
		case "*":
			v *= w
		case "/", "//", "%":
			if w == 0 {
				return 0, fmt.Errorf("division by zero")
			}
			switch op {
			case "/":
				v /= w
			case "//":
				v = math.Floor(v / w)
			default:
				v = v - w*math.Floor(v/w)
			}
		}
	}
}

func (p *arith) factor() (float64, error) {
	switch {
	case p.peek("+"):
		p.i++
		return p.factor()
	case p.peek("-"):
		p.i++
		v, err := p.factor()
		return -v, err
	}
	v, err := p.atom()
	if err != nil {
		return 0, err
	}
	if p.peek("**") {
		p.i += 2
		w, err := p.factor()
		if err != nil {
			return 0, err
		}
		v = math.Pow(v, w)
	}
	return v, nil
}

func (p *arith) atom() (float64, error) {
	p.blank()
	if p.peek("(") {
		p.i++
		v, err := p.expr()
		if err != nil {
			return 0, err
		}
		if !p.peek(")") {
			return 0, fmt.Errorf("missing ')'")
		}
		p.i++
		return v, nil
	}
	start := p.i
	for p.i < len(p.s) && (isASCIIDigit(p.s[p.i]) || p.s[p.i] == '.' || p.s[p.i] == '_') {
		p.i++
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') && p.i > start {
		j := p.i + 1
		if j < len(p.s) && (p.s[j] == '+' || p.s[j] == '-') {
			j++
		}
		if j < len(p.s) && isASCIIDigit(p.s[j]) {
			p.i = j
			for p.i < len(p.s) && isASCIIDigit(p.s[p.i]) {
				p.i++
			}
		}
	}
	num := p.s[start:p.i]
	if num == "" {
		if p.i >= len(p.s) {
			return 0, fmt.Errorf("missing number")
		}
		return 0, fmt.Errorf("unexpected %q", truncate(p.s[p.i:], 20))
	}
	if strings.Contains(num, "__") || strings.HasPrefix(num, "_") || strings.HasSuffix(num, "_") {
		return 0, fmt.Errorf("bad number %q", num)
	}
	if !strings.ContainsAny(num, ".eE") && len(num) > 1 && num[0] == '0' && strings.Trim(num, "0_") != "" {
		return 0, fmt.Errorf("bad number %q (leading zero)", num)
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(num, "_", ""), 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", num)
	}
	return v, nil
}
