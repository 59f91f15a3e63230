package action

import "strings"

// quoting is where a position of a shell script stands, as far as a
// variable reference written there is concerned.
type quoting int

const (
	unquoted     quoting = iota // a reference must be double-quoted
	inDouble                    // "...": a bare ${v} expands without splitting
	inSingle                    // '...': nothing expands
	inHeredoc                   // a here-document body: ${v} expands, quotes are text
	inLiteralDoc                // a here-document with a quoted delimiter: nothing expands
	inComment
)

type frame struct {
	q      quoting
	closer byte // for an unquoted frame: ')' of $(...), '`' of `...`, 0 at top level
	depth  int  // open parentheses inside an unquoted frame
}

type heredoc struct {
	delim   string
	strip   bool // <<-: leading tabs are removed
	literal bool
}

// shellLexer follows a POSIX sh script far enough to tell the quoting at a
// position: quotes, backslashes, $(...) and backticks, comments and
// here-documents. It never decides what runs: a script it misreads only
// gets a reference in a form that splits, or prints, a value instead of
// expanding it whole; the value itself is never part of the script.
type shellLexer struct {
	s       string
	i       int
	stack   []frame
	pending []heredoc
	doc     *heredoc
}

func newShellLexer(s string) *shellLexer {
	return &shellLexer{s: s, stack: []frame{{q: unquoted}}}
}

// at returns the quoting at pos; pos never decreases between calls.
func (l *shellLexer) at(pos int) quoting {
	for l.i < pos {
		l.step()
	}
	if l.doc != nil {
		if l.doc.literal {
			return inLiteralDoc
		}
		return inHeredoc
	}
	return l.stack[len(l.stack)-1].q
}

func (l *shellLexer) top() *frame { return &l.stack[len(l.stack)-1] }

func (l *shellLexer) push(q quoting, closer byte) {
	l.stack = append(l.stack, frame{q: q, closer: closer})
}

func (l *shellLexer) pop() {
	if len(l.stack) > 1 {
		l.stack = l.stack[:len(l.stack)-1]
	}
}

// wordStart reports whether s[i] starts a word (for '#').
func (l *shellLexer) wordStart() bool {
	if l.i == 0 {
		return true
	}
	return strings.IndexByte(" \t\n;&|()<>", l.s[l.i-1]) >= 0
}

// step consumes at least one byte.
func (l *shellLexer) step() {
	s, i := l.s, l.i
	c := s[i]
	if l.doc != nil {
		l.stepDoc()
		return
	}
	f := l.top()
	switch f.q {
	case inSingle:
		if c == '\'' {
			l.pop()
		}
		l.i++
	case inComment:
		if c == '\n' {
			l.pop()
			return // the newline is read by the enclosing frame
		}
		l.i++
	case inDouble:
		switch {
		case c == '\\':
			l.i += 2
		case c == '"':
			l.pop()
			l.i++
		case c == '`':
			l.push(unquoted, '`')
			l.i++
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			l.push(unquoted, ')')
			l.i += 2
		default:
			l.i++
		}
	default: // unquoted
		switch {
		case c == '\\':
			l.i += 2
		case c == '\'':
			l.push(inSingle, 0)
			l.i++
		case c == '"':
			l.push(inDouble, 0)
			l.i++
		case c == '`':
			if f.closer == '`' {
				l.pop()
			} else {
				l.push(unquoted, '`')
			}
			l.i++
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			l.push(unquoted, ')')
			l.i += 2
		case c == '(':
			f.depth++
			l.i++
		case c == ')':
			if f.depth > 0 {
				f.depth--
			} else if f.closer == ')' {
				l.pop()
			}
			l.i++
		case c == '#' && l.wordStart():
			l.push(inComment, 0)
			l.i++
		case strings.HasPrefix(s[i:], "<<<"): // a here-string
			l.i += 3
		case strings.HasPrefix(s[i:], "<<"):
			l.i += 2
			l.readDelimiter()
		case c == '\n':
			l.i++
			if len(l.pending) > 0 {
				d := l.pending[0]
				l.pending = l.pending[1:]
				l.doc = &d
				l.endDocLine()
			}
		default:
			l.i++
		}
	}
	if l.i > len(l.s) {
		l.i = len(l.s)
	}
}

// readDelimiter reads the word after << and queues its here-document.
func (l *shellLexer) readDelimiter() {
	d := heredoc{}
	if l.i < len(l.s) && l.s[l.i] == '-' {
		d.strip = true
		l.i++
	}
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
		l.i++
	}
	var w strings.Builder
	for l.i < len(l.s) && strings.IndexByte(" \t\n;&|()<>", l.s[l.i]) < 0 {
		c := l.s[l.i]
		switch c {
		case '\'', '"':
			d.literal = true
			if j := strings.IndexByte(l.s[l.i+1:], c); j >= 0 {
				w.WriteString(l.s[l.i+1 : l.i+1+j])
				l.i += j + 2
				continue
			}
		case '\\':
			d.literal = true
			if l.i+1 < len(l.s) {
				w.WriteByte(l.s[l.i+1])
			}
			l.i += 2
			continue
		default:
			w.WriteByte(c)
		}
		l.i++
	}
	if l.i > len(l.s) {
		l.i = len(l.s)
	}
	if w.Len() > 0 {
		d.delim = w.String()
		l.pending = append(l.pending, d)
	}
}

// stepDoc consumes one byte of a here-document body; after a newline it
// checks whether the next line is the delimiter.
func (l *shellLexer) stepDoc() {
	c := l.s[l.i]
	l.i++
	if c == '\n' {
		l.endDocLine()
	}
}

// endDocLine ends the here-document if the line at l.i is its delimiter,
// consuming that line.
func (l *shellLexer) endDocLine() {
	raw := l.s[l.i:]
	if j := strings.IndexByte(raw, '\n'); j >= 0 {
		raw = raw[:j]
	}
	line := raw
	if l.doc.strip {
		line = strings.TrimLeft(line, "\t")
	}
	if line != l.doc.delim {
		return
	}
	l.i += len(raw)
	l.doc = nil
	if len(l.pending) > 0 && l.i < len(l.s) && l.s[l.i] == '\n' {
		l.i++
		d := l.pending[0]
		l.pending = l.pending[1:]
		l.doc = &d
		l.endDocLine()
	}
}
