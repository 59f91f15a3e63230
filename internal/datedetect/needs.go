package datedetect

import "strings"

// This file lets matchTime refuse a default template on a line without
// building or running it: each default template has needs, pieces of
// text every match of it contains (a time's "d:d", a month name, a run
// of digits), and one pass over an ASCII line (lineFacts) tells which the
// line has. A template whose need the line lacks cannot match it; the
// search is skipped, as if it had run and found nothing.
//
// Why the needs are exact: on an ASCII line Python's \d, \w and case
// folding are those of ASCII (the text has no other characters to
// match), so
//   - every %H, %k, %I, %l ends in a digit and every %M starts with one:
//     a template with "%H:%M" (or %k, %I) matches a ':' between two
//     ASCII digits;
//   - %b is jan..dec ignoring case, and what precedes it in every default
//     template is the line start, \W{0,2}, the (?=^|\b|\W) of a match's
//     start, a space or a date separator: the month starts a word; in a
//     line-begin template it starts within the first monthWindow bytes
//     (\W{0,2}, a zone of at most 6 characters and a space, a day name
//     and a space);
//   - %ExY is four ASCII digits, %Exy%Exm%Exd six, %ExY%Exm%Exd eight,
//     and Unix time ten: a run of at least that many digits;
//   - TAI64N starts with '@', and so does the time of ^<%m/%d/%Exy@...>;
//   - %m and %d end in a digit, %m, %ExY and %Exy start with one (%d may
//     start with a space): in "%m/%d/%ExY" and "^<%m/%d/%Exy@" the '/'
//     before the year stands between two ASCII digits, in "%m-%d-%ExY"
//     the '-', and so do the separator groups of "%d(?P<_sep>[-/])%m"
//     and "%ExY(?P<_sep>[-/.])%m".
//
// Lines with a byte from 0x80 up are never refused. TestNeedsExact and
// FuzzNeeds check every refusal against the template's search.

// need is what every match of a template contains; the zero value
// needs nothing.
type need struct {
	colon  bool  // a ':' between two ASCII digits
	month  bool  // a month abbreviation at a word start (within monthWindow bytes of the start for a line-begin template)
	digits uint8 // a run of at least this many ASCII digits
	at     bool  // an '@'
	// sep: a separator between two ASCII digits, one of these (numSlash,
	// numDash, numDot); 0 needs none.
	sep numSep
}

// numSep is a set of separators between two ASCII digits ("1/2", "1-2",
// "1.2").
type numSep uint8

const (
	numSlash numSep = 1 << iota
	numDash
	numDot
)

// minLen returns the fewest characters a match of a template with needs
// n has (0 for no needs): a time's "d:d" and a month are three, a digit
// run as long as it is.
func (n need) minLen() int {
	m := int(n.digits)
	if n.colon || n.month {
		m = max(m, 3)
	}
	if n.at {
		m = max(m, 1)
	}
	if n.sep != 0 {
		m = max(m, 3)
	}
	return m
}

// monthWindow bounds the offset of the month of a line-begin template:
// \W{0,2}, "(?:%z )?" (at most "+01:00 "), "(?:%a )?".
const monthWindow = 2 + 7 + 4

// defaultNeeds holds the needs of the default patterns (templates.go),
// which their line-begin variants share.
var defaultNeeds = map[string]need{
	`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`: {colon: true, digits: 4, sep: numSlash | numDash | numDot},
	`(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                              {colon: true, month: true},
	`(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`:                                   {colon: true, month: true, digits: 4},
	`%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S`:                      {colon: true, sep: numSlash | numDash},
	`%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?`:          {colon: true, month: true, digits: 4},
	`%m/%d/%ExY:%H:%M:%S`:                                                    {colon: true, digits: 4, sep: numSlash},
	`%m-%d-%ExY %k:%M:%S(?:\.%f)?`:                                           {colon: true, digits: 4, sep: numDash},
	`EPOCH`:                                                                  {digits: 10},
	`{^LN-BEG}%H:%M:%S`:                                                      {colon: true},
	`^<%m/%d/%Exy@%H:%M:%S>`:                                                 {colon: true, at: true, sep: numSlash},
	`%Exy%Exm%Exd  ?%H:%M:%S`:                                                {colon: true, digits: 6},
	`%b %d, %ExY %I:%M:%S %p`:                                                {colon: true, month: true, digits: 4},
	`^%b-%d-%Exy %k:%M:%S`:                                                   {colon: true, month: true},
	`%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?`:                 {digits: 8},
	`(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                      {colon: true, month: true},
	`(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                      {colon: true, month: true},
	`TAI64N`: {at: true},
}

// lineFacts is what is known of the current line, for needs: each fact
// is found the first time a template needs it, with a pass of its own
// (quick ones, IndexByte where it can), so that a long line is not
// walked byte by byte for facts no template asks.
type lineFacts struct {
	known factSet // the facts found so far for the current line
	colon bool
	at    bool
	// month is the offset of the first month abbreviation at a word
	// start, -1 for none; monthEnd is how far it was looked for.
	month, monthEnd int
	digits          int    // the longest run of ASCII digits
	sep             numSep // the separators found between two ASCII digits
}

// factSet says which facts of lineFacts are known.
type factSet uint8

const (
	factColon factSet = 1 << iota
	factAt
	factDigits
	factSep
)

// mayHold reports whether the current line (d.facts, found as needed)
// can hold a match of t: false only if it lacks one of t's needs.
func (d *Detector) mayHold(t *template, line string) bool {
	n := t.need
	if n == (need{}) || d.noFast {
		return true
	}
	// The facts hold on an ASCII line only (Detector.asciiPrefix).
	f := &d.facts
	if !d.asciiPrefix(line, len(line)) {
		return true
	}
	if n.colon && !f.hasColon(line) || n.at && !f.hasAt(line) || n.digits > 0 && int(n.digits) > f.longestDigits(line) ||
		n.sep != 0 && n.sep&f.numSeps(line) == 0 {
		return false
	}
	if n.month {
		limit := len(line)
		if t.flags&flagLineBegin != 0 {
			limit = min(limit, monthWindow+3)
		}
		if m := f.firstMonth(line, limit); m < 0 || (t.flags&flagLineBegin != 0 && m > monthWindow) {
			return false
		}
	}
	return true
}

// reset forgets the facts of the previous line.
func (f *lineFacts) reset() { f.known, f.month, f.monthEnd = 0, -1, 0 }

// hasColon reports whether line has a ':' between two ASCII digits.
func (f *lineFacts) hasColon(line string) bool {
	if f.known&factColon == 0 {
		f.known |= factColon
		f.colon = betweenDigits(line, ':')
	}
	return f.colon
}

// betweenDigits reports whether line has c between two ASCII digits.
func betweenDigits(line string, c byte) bool {
	for i := 1; i < len(line)-1; {
		j := strings.IndexByte(line[i:len(line)-1], c)
		if j < 0 {
			return false
		}
		i += j
		if isDigitByte(line[i-1]) && isDigitByte(line[i+1]) {
			return true
		}
		i++
	}
	return false
}

// numSeps returns the separators ('/', '-', '.') the line has between
// two ASCII digits.
func (f *lineFacts) numSeps(line string) numSep {
	if f.known&factSep == 0 {
		f.known |= factSep
		f.sep = 0
		for _, c := range [...]struct {
			b   byte
			sep numSep
		}{{'/', numSlash}, {'-', numDash}, {'.', numDot}} {
			if betweenDigits(line, c.b) {
				f.sep |= c.sep
			}
		}
	}
	return f.sep
}

func (f *lineFacts) hasAt(line string) bool {
	if f.known&factAt == 0 {
		f.known |= factAt
		f.at = strings.IndexByte(line, '@') >= 0
	}
	return f.at
}

// longestDigits returns the length of the longest run of ASCII digits.
func (f *lineFacts) longestDigits(line string) int {
	if f.known&factDigits == 0 {
		f.known |= factDigits
		best, run := 0, 0
		for i := 0; i < len(line); i++ {
			if line[i]-'0' < 10 {
				run++
				best = max(best, run)
			} else {
				run = 0
			}
		}
		f.digits = best
	}
	return f.digits
}

// firstMonth returns the offset of the first month abbreviation at a
// word start that begins before limit, or -1 when there is none: the
// line is looked at up to limit only, and on from where an earlier call
// stopped.
func (f *lineFacts) firstMonth(line string, limit int) int {
	if f.month >= 0 || f.monthEnd >= limit {
		if f.month >= limit {
			return -1
		}
		return f.month
	}
	for i := f.monthEnd; i < limit; i++ {
		c := line[i] | 0x20
		if c < 'a' || c > 'z' || (i > 0 && isWordByte(line[i-1])) {
			continue
		}
		if i+3 <= len(line) && isMonthAbbr(line[i:i+3]) {
			f.month = i
			break
		}
	}
	if f.month < 0 {
		f.monthEnd = limit
	}
	if f.month >= limit {
		return -1
	}
	return f.month
}

// isMonthAbbr reports whether s (three bytes) is a month abbreviation,
// ignoring ASCII case.
func isMonthAbbr(s string) bool {
	switch uint32(s[0]|0x20)<<16 | uint32(s[1]|0x20)<<8 | uint32(s[2]|0x20) {
	case 'j'<<16 | 'a'<<8 | 'n', 'f'<<16 | 'e'<<8 | 'b', 'm'<<16 | 'a'<<8 | 'r',
		'a'<<16 | 'p'<<8 | 'r', 'm'<<16 | 'a'<<8 | 'y', 'j'<<16 | 'u'<<8 | 'n',
		'j'<<16 | 'u'<<8 | 'l', 'a'<<16 | 'u'<<8 | 'g', 's'<<16 | 'e'<<8 | 'p',
		'o'<<16 | 'c'<<8 | 't', 'n'<<16 | 'o'<<8 | 'v', 'd'<<16 | 'e'<<8 | 'c':
		return true
	}
	return false
}
