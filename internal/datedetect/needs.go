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
//     and "%ExY(?P<_sep>[-/.])%m";
//   - %ExY is four digits and %m starts with one: in
//     "%ExY(?P<_sep>[-/.])%m" the separator follows a run of at least
//     four ASCII digits and precedes a digit;
//   - %H, %k and %I are one or two digits (%k's optional space before
//     them), followed by the ':' of ":%M": what stands right before the
//     hour (its lead) is the character before a "d:d" or, when that is
//     a digit, the one before it. In every default template but
//     "%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H" the lead is a literal of
//     the pattern or %k's space: ' ' ("(?:T|  ?)" adds 'T'; "%ExY:%H"
//     has ':', "%Exy@%H" '@');
//   - in "{^LN-BEG}%H:%M:%S" the hour follows at most two characters
//     (^(?:\W{0,2})?), so its ':' stands within the first five bytes;
//   - TAI64N is '@' and 24 lower-case hex digits.
//
// Lines with a byte from 0x80 up are never refused. TestNeedsExact and
// FuzzNeeds check every refusal against the template's search.

// need is what every match of a template contains; the zero value
// needs nothing.
type need struct {
	any    bool  // any of the others: set by needsOf
	colon  bool  // a ':' between two ASCII digits
	month  bool  // a month abbreviation at a word start (within monthWindow bytes of the start for a line-begin template)
	digits uint8 // a run of at least this many ASCII digits
	at     bool  // an '@'
	// sep: a separator between two ASCII digits, one of these (numSlash,
	// numDash, numDot); 0 needs none.
	sep numSep
	// yearSep: one of these separators after a run of at least four
	// ASCII digits and before a digit; 0 needs none.
	yearSep numSep
	// lead: the character right before the hour of a "d:d" (the hour's
	// lead), one of these; 0 needs none.
	lead  leadSet
	early bool // a ':' between two ASCII digits within the first earlyColon+1 bytes
	tai   bool // an '@' and tai64Hex lower-case hex digits
}

// leadSet is a set of characters that stand before an hour.
type leadSet uint8

const (
	leadSpace leadSet = 1 << iota // ' '
	leadT                         // 'T'
	leadColon                     // ':'
	leadAt                        // '@'
)

// earlyColon is the last offset of the ':' after the hour of a
// "{^LN-BEG}%H:" template: \W{0,2} and two digits before it.
const earlyColon = 4

// tai64Hex is the number of hex digits after the '@' of TAI64N.
const tai64Hex = 24

// numSep is a set of separators between two ASCII digits ("1/2", "1-2",
// "1.2").
type numSep uint8

const (
	numSlash numSep = 1 << iota
	numDash
	numDot
)

// needsOf returns the needs of default pattern p, with any set when it
// has some.
func needsOf(p string) need {
	n := defaultNeeds[p]
	n.any = n != need{}
	return n
}

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
	if n.sep != 0 || n.yearSep != 0 {
		m = max(m, 3)
	}
	if n.yearSep != 0 {
		m = max(m, 6)
	}
	if n.lead != 0 || n.early {
		m = max(m, 4)
	}
	if n.tai {
		m = max(m, 1+tai64Hex)
	}
	return m
}

// monthWindow bounds the offset of the month of a line-begin template:
// \W{0,2}, "(?:%z )?" (at most "+01:00 "), "(?:%a )?".
const monthWindow = 2 + 7 + 4

// defaultNeeds holds the needs of the default patterns (templates.go),
// which their line-begin variants share.
var defaultNeeds = map[string]need{
	`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`: {colon: true, digits: 4, sep: numSlash | numDash | numDot, yearSep: numSlash | numDash | numDot, lead: leadSpace | leadT},
	`(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                              {colon: true, month: true, lead: leadSpace},
	`(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`:                                   {colon: true, month: true, digits: 4, lead: leadSpace},
	`%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S`:                      {colon: true, sep: numSlash | numDash, lead: leadSpace},
	`%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?`:          {colon: true, month: true, digits: 4},
	`%m/%d/%ExY:%H:%M:%S`:                                                    {colon: true, digits: 4, sep: numSlash, lead: leadColon},
	`%m-%d-%ExY %k:%M:%S(?:\.%f)?`:                                           {colon: true, digits: 4, sep: numDash, lead: leadSpace},
	`EPOCH`:                                                                  {digits: 10},
	`{^LN-BEG}%H:%M:%S`:                                                      {colon: true, early: true},
	`^<%m/%d/%Exy@%H:%M:%S>`:                                                 {colon: true, at: true, sep: numSlash, lead: leadAt},
	`%Exy%Exm%Exd  ?%H:%M:%S`:                                                {colon: true, digits: 6, lead: leadSpace},
	`%b %d, %ExY %I:%M:%S %p`:                                                {colon: true, month: true, digits: 4, lead: leadSpace},
	`^%b-%d-%Exy %k:%M:%S`:                                                   {colon: true, month: true, lead: leadSpace},
	`%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?`:                 {digits: 8},
	`(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                      {colon: true, month: true, lead: leadSpace},
	`(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                      {colon: true, month: true, lead: leadSpace},
	`TAI64N`: {at: true, tai: true},
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
	yearSep         numSep // the separators found after four ASCII digits and before one
	// leads are the hours' leads of the "d:d" of the line (when colon),
	// firstColon the offset of its first one.
	leads      leadSet
	firstColon int
	tai        bool
	ascii      bool // the line is ASCII
}

// factSet says which facts of lineFacts are known.
type factSet uint8

const (
	factColon factSet = 1 << iota
	factAt
	factDigits
	factSep
	factTAI
	factASCII
)

// mayHold reports whether the current line (d.facts, found as needed)
// can hold a match of t: false only if it lacks one of t's needs.
func (d *Detector) mayHold(t *template, line string) bool {
	n := &t.need
	if !n.any || d.noFast {
		return true
	}
	// The facts hold on an ASCII line only (Detector.asciiPrefix).
	f := &d.facts
	if f.known&factASCII == 0 {
		f.known |= factASCII
		f.ascii = d.asciiPrefix(line, len(line))
	}
	if !f.ascii {
		return true
	}
	if n.colon || n.lead != 0 || n.early {
		if f.known&factColon == 0 {
			f.findColons(line)
		}
		if n.colon && !f.colon || n.lead != 0 && n.lead&f.leads == 0 || n.early && f.firstColon > earlyColon {
			return false
		}
	}
	if n.digits > 0 {
		if f.known&factDigits == 0 {
			f.findDigits(line)
		}
		if int(n.digits) > f.digits {
			return false
		}
	}
	if n.sep != 0 || n.yearSep != 0 {
		if f.known&factSep == 0 {
			f.findSeps(line)
		}
		if n.sep != 0 && n.sep&f.sep == 0 || n.yearSep != 0 && n.yearSep&f.yearSep == 0 {
			return false
		}
	}
	if n.at && !f.hasAt(line) || n.tai && !f.hasTAI(line) {
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

// findColons finds whether line has a ':' between two ASCII digits,
// the leads of their hours and the offset of the first.
func (f *lineFacts) findColons(line string) {
	f.known |= factColon
	f.colon, f.leads, f.firstColon = false, 0, len(line)
	for i := 1; i < len(line)-1; {
		j := strings.IndexByte(line[i:len(line)-1], ':')
		if j < 0 {
			break
		}
		i += j
		if isDigitByte(line[i-1]) && isDigitByte(line[i+1]) {
			if !f.colon {
				f.colon, f.firstColon = true, i
			}
			// a one-digit hour's lead, or a two-digit one's
			l := i - 2
			if l >= 0 && isDigitByte(line[l]) {
				l--
			}
			if l >= 0 {
				f.leads |= leadOf(line[l])
			}
		}
		i++
	}
}

// leadOf returns the lead set of c (0 for a character no need names).
func leadOf(c byte) leadSet {
	switch c {
	case ' ':
		return leadSpace
	case 'T':
		return leadT
	case ':':
		return leadColon
	case '@':
		return leadAt
	}
	return 0
}

// hasTAI reports whether line has an '@' followed by tai64Hex lower-case
// hex digits.
func (f *lineFacts) hasTAI(line string) bool {
	if f.known&factTAI == 0 {
		f.known |= factTAI
		f.tai = false
		for i := 0; i+tai64Hex < len(line); {
			j := strings.IndexByte(line[i:len(line)-tai64Hex], '@')
			if j < 0 {
				break
			}
			i += j + 1
			k := i
			for k < i+tai64Hex && ('0' <= line[k] && line[k] <= '9' || 'a' <= line[k] && line[k] <= 'f') {
				k++
			}
			if k == i+tai64Hex {
				f.tai = true
				break
			}
		}
	}
	return f.tai
}

// sepAfterDigits reports whether line has c between two ASCII digits,
// and whether it has c after four ASCII digits and before one.
func sepAfterDigits(line string, c byte) (between, year bool) {
	for i := 1; i < len(line)-1; {
		j := strings.IndexByte(line[i:len(line)-1], c)
		if j < 0 {
			break
		}
		i += j
		if isDigitByte(line[i-1]) && isDigitByte(line[i+1]) {
			between = true
			if i >= 4 && isDigitByte(line[i-2]) && isDigitByte(line[i-3]) && isDigitByte(line[i-4]) {
				return true, true
			}
		}
		i++
	}
	return between, false
}

// findSeps finds the separators ('/', '-', '.') the line has between
// two ASCII digits, and those it has after four ASCII digits and before
// one.
func (f *lineFacts) findSeps(line string) {
	f.known |= factSep
	f.sep, f.yearSep = 0, 0
	for _, c := range [...]struct {
		b   byte
		sep numSep
	}{{'/', numSlash}, {'-', numDash}, {'.', numDot}} {
		between, year := sepAfterDigits(line, c.b)
		if between {
			f.sep |= c.sep
		}
		if year {
			f.yearSep |= c.sep
		}
	}
}

func (f *lineFacts) hasAt(line string) bool {
	if f.known&factAt == 0 {
		f.known |= factAt
		f.at = strings.IndexByte(line, '@') >= 0
	}
	return f.at
}

// findDigits finds the length of the longest run of ASCII digits.
func (f *lineFacts) findDigits(line string) {
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
