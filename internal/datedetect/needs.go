package datedetect

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
//   - TAI64N starts with '@'.
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
	return m
}

// monthWindow bounds the offset of the month of a line-begin template:
// \W{0,2}, "(?:%z )?" (at most "+01:00 "), "(?:%a )?".
const monthWindow = 2 + 7 + 4

// defaultNeeds holds the needs of the default patterns (templates.go),
// which their line-begin variants share.
var defaultNeeds = map[string]need{
	`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`: {colon: true, digits: 4},
	`(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                              {colon: true, month: true},
	`(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`:                                   {colon: true, month: true, digits: 4},
	`%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S`:                      {colon: true},
	`%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?`:          {colon: true, month: true, digits: 4},
	`%m/%d/%ExY:%H:%M:%S`:                                                    {colon: true, digits: 4},
	`%m-%d-%ExY %k:%M:%S(?:\.%f)?`:                                           {colon: true, digits: 4},
	`EPOCH`:                                                                  {digits: 10},
	`{^LN-BEG}%H:%M:%S`:                                                      {colon: true},
	`^<%m/%d/%Exy@%H:%M:%S>`:                                                 {colon: true},
	`%Exy%Exm%Exd  ?%H:%M:%S`:                                                {colon: true, digits: 6},
	`%b %d, %ExY %I:%M:%S %p`:                                                {colon: true, month: true, digits: 4},
	`^%b-%d-%Exy %k:%M:%S`:                                                   {colon: true, month: true},
	`%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?`:                 {digits: 8},
	`(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                      {colon: true, month: true},
	`(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`:                      {colon: true, month: true},
	`TAI64N`: {at: true},
}

// lineFacts is what one pass over a line finds, for needs.
type lineFacts struct {
	done  bool // computed for the current line
	ascii bool // the line is ASCII: the facts below hold
	colon bool
	at    bool
	// month is the offset of the first month abbreviation at a word
	// start, -1 for none.
	month  int
	digits int // the longest run of ASCII digits
}

// mayHold reports whether the current line (d.facts, computed on first
// use) can hold a match of t: false only if it lacks one of t's needs.
func (d *Detector) mayHold(t *template, line string) bool {
	n := t.need
	if n == (need{}) || d.noFast {
		return true
	}
	f := &d.facts
	if !f.done {
		f.scan(line)
	}
	if !f.ascii {
		return true
	}
	if n.colon && !f.colon || n.at && !f.at || int(n.digits) > f.digits {
		return false
	}
	if n.month && (f.month < 0 || (t.flags&flagLineBegin != 0 && f.month > monthWindow)) {
		return false
	}
	return true
}

// scan computes the facts of line.
func (f *lineFacts) scan(line string) {
	*f = lineFacts{done: true, month: -1}
	run := 0
	prevWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c >= 0x80:
			return // not ASCII: no facts
		case '0' <= c && c <= '9':
			run++
			f.digits = max(f.digits, run)
			prevWord = true
			continue
		case c == ':':
			if run > 0 && i+1 < len(line) && '0' <= line[i+1] && line[i+1] <= '9' {
				f.colon = true
			}
			prevWord = false
		case ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z'):
			if !prevWord && f.month < 0 && i+3 <= len(line) && isMonthAbbr(line[i:i+3]) {
				f.month = i
			}
			prevWord = true
		case c == '@':
			f.at = true
			prevWord = false
		default:
			prevWord = c == '_'
		}
		run = 0
	}
	f.ascii = true
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
