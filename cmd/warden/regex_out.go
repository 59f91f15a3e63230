package main

// The parts of warden regex's output that follow fail2ban-regex's format
// to the character: -o/--out, -v, -D, and Python's repr of the values
// they print.

import (
	"bufio"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/filter"
)

// defaultEncoding is the log encoding without -e; fail2ban-regex's default
// is the locale's, UTF-8 on the systems Warden runs on.
const defaultEncoding = "UTF-8"

// checkLogLevel accepts a -l value as fail2ban does: a level name or a
// number. Warden's filter logs nothing, so the level changes no output.
func checkLogLevel(level string) error {
	if level != "" && strings.Trim(level, "0123456789") == "" {
		return nil
	}
	// Python's logging levels and fail2ban's own, any case.
	switch strings.ToUpper(level) {
	case "CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "NOTICE", "INFO", "MSG", "DEBUG", "TRACEDEBUG", "HEAVYDEBUG", "NOTSET":
		return nil
	}
	return fmt.Errorf("invalid log level %q (use critical, error, warning, notice, info, debug, tracedebug, heavydebug or a number)", level)
}

// logLevelDebug reports whether a -l level shows fail2ban's debug
// messages.
func logLevelDebug(level string) bool {
	if n, err := strconv.Atoi(level); err == nil {
		return n > 0 && n <= 10
	}
	switch strings.ToUpper(level) {
	case "DEBUG", "TRACEDEBUG", "HEAVYDEBUG":
		return true
	}
	return false
}

// realOptionsRepr is what fail2ban-regex prints as "Real  filter options"
// with -vv or -l debug: logtype, datepattern and the options given.
func realOptionsRepr(def *config.FilterDef, args []config.Arg) string {
	kv := []filter.KeyValue{{Key: "logtype", Value: "file"}}
	if def.DatePattern != "" {
		kv = append(kv, filter.KeyValue{Key: "datepattern", Value: def.DatePattern})
	}
	return pyDictRepr(withArgs(kv, args))
}

// datePatternName is what fail2ban-regex prints after a date pattern: the
// name of its template, or "Default Detectors" for the default set.
func datePatternName(f *filter.Filter) string {
	if n := f.NumDateTemplates(); n == 0 || n > 2 {
		return "Default Detectors" // without building the templates
	}
	return f.DateTemplate(0)
}

// pyArgsRepr is Python's repr of the dict of a filter's options.
func pyArgsRepr(args []config.Arg) string {
	return pyDictRepr(withArgs(nil, args))
}

// withArgs sets each option of args in kv, as a Python dict update does:
// a key already there keeps its place, a new one goes last.
func withArgs(kv []filter.KeyValue, args []config.Arg) []filter.KeyValue {
	for _, a := range args {
		i := 0
		for i < len(kv) && kv[i].Key != a.Key {
			i++
		}
		if i < len(kv) {
			kv[i].Value = a.Value
		} else {
			kv = append(kv, filter.KeyValue{Key: a.Key, Value: a.Value})
		}
	}
	return kv
}

// pyDictRepr is Python's repr of a dict.
func pyDictRepr(kv []filter.KeyValue) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range kv {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyStrRepr(x.Key))
		b.WriteString(": ")
		b.WriteString(pyRepr(x.Value))
	}
	b.WriteByte('}')
	return b.String()
}

// pyRepr is Python's repr of the values a failure's dict holds. A set
// (users) is listed sorted: Python's order depends on the process's hash
// seed.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return pyStrRepr(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return pyFloatRepr(x)
	case []string: // a set
		if len(x) == 0 {
			return "set()"
		}
		s := append([]string(nil), x...)
		sort.Strings(s)
		for i := range s {
			s[i] = pyStrRepr(s[i])
		}
		return "{" + strings.Join(s, ", ") + "}"
	case []any:
		s := make([]string, len(x))
		for i, e := range x {
			s[i] = pyRepr(e)
		}
		return "[" + strings.Join(s, ", ") + "]"
	case [][3]string: // matches: a list of tuples
		s := make([]string, len(x))
		for i, t := range x {
			s[i] = "(" + pyStrRepr(t[0]) + ", " + pyStrRepr(t[1]) + ", " + pyStrRepr(t[2]) + ")"
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// pyStr is Python's str(): strings as they are, other values as repr.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyStrRepr is Python 3's repr of a str.
func pyStrRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b := []byte{q}
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r < 0x20 || r == 0x7f || r >= 0x80 && !unicode.IsPrint(r):
			switch {
			case r < 0x100:
				b = fmt.Appendf(b, `\x%02x`, r)
			case r < 0x10000:
				b = fmt.Appendf(b, `\u%04x`, r)
			default:
				b = fmt.Appendf(b, `\U%08x`, r)
			}
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(append(b, q))
}

// pyFloatRepr is Python's repr of a float.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Python writes at least two exponent digits, as Go does.
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// pyRstrip is Python's str.rstrip().
func pyRstrip(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f })
}

// outputFunc returns what -o TOKEN prints of each line's failures, as
// fail2ban-regex's --out does:
//
//	id, fid  the failure id
//	ip       the address (the "ip" field when the id is not one)
//	msg      the failure's log lines
//	row      [id, time, {fields}], in Python syntax
//	NAME     the value of field NAME (user, ip4, F-name ...): "None" when
//	         the failure has none
//
// A TOKEN with tags (<ip> <F-USER>) is filled in for each failure: <fid>,
// <ip>, <time>, <matches> and <msg> (its lines), <F-NAME> (field name);
// other tags are left as they are.
func outputFunc(token string, f *filter.Filter, w *bufio.Writer) func([]filter.Failure) {
	emitLine := func(s string) { w.WriteString(s); w.WriteByte('\n') }
	id := func(m filter.Failure) any {
		if m.HasID {
			return m.ID
		}
		return nil
	}
	switch {
	case token == "id" || token == "fid":
		return func(ms []filter.Failure) {
			for _, m := range ms {
				emitLine(pyStr(id(m)))
			}
		}
	case token == "ip":
		return func(ms []filter.Failure) {
			for _, m := range ms {
				if v, ok := m.Value("ip"); ok {
					emitLine(pyStr(v))
				} else {
					emitLine(pyStr(id(m)))
				}
			}
		}
	case token == "msg":
		return func(ms []filter.Failure) {
			for _, m := range ms {
				for _, l := range m.Matches() {
					emitLine(l)
				}
			}
		}
	case token == "row":
		return func(ms []filter.Failure) {
			for _, m := range ms {
				// fail2ban dates the failures of a line without a date None.
				t := "None"
				if !m.NoTime {
					t = pyFloatRepr(m.Time)
				}
				emitLine(fmt.Sprintf("[%s,\t%s,\t%s],", pyRepr(id(m)), t, pyDictRepr(f.Dict(m))))
			}
		}
	case !strings.Contains(token, "<"):
		return func(ms []filter.Failure) {
			for _, m := range ms {
				emitLine(pyStr(failureValue(f, m, token)))
			}
		}
	}
	return func(ms []filter.Failure) {
		for _, m := range ms {
			lines := m.Matches()
			if len(lines) > 1 && (strings.Contains(token, "<msg>") || strings.Contains(token, "<matches>")) {
				// A tag of several lines: one output line per log line.
				for _, l := range lines {
					emitLine(fillTags(token, f, m, l))
				}
				continue
			}
			emitLine(fillTags(token, f, m, strings.Join(lines, "\n")))
		}
	}
}

// failureValue is fail2ban's failure dict's get(name): nil when absent.
func failureValue(f *filter.Filter, m filter.Failure, name string) any {
	switch name {
	case "matches":
		return m.MatchTuples()
	case "users":
		if u := m.Users(); u != nil {
			return u
		}
		return nil
	}
	for _, kv := range f.Dict(m) {
		if kv.Key == name {
			return kv.Value
		}
	}
	return nil
}

// fillTags fills the tags of an -o template for failure m; msg is the
// text of <msg> and <matches>.
func fillTags(tmpl string, f *filter.Filter, m filter.Failure, msg string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(tmpl[:i])
		tag := tmpl[i+1 : i+j]
		var v any
		known := true
		switch tag {
		case "fid":
			v = m.ID
		case "ip":
			v = m.ID
			if x, ok := m.Value("ip"); ok {
				v = x
			}
		case "time":
			// fail2ban's ticket of a failure without a date is dated now.
			t := m.Time
			if m.NoTime {
				t = float64(time.Now().UnixNano()) / 1e9
			}
			v = pyFloatRepr(t)
		case "msg", "matches":
			v = msg
		default:
			if name, ok := strings.CutPrefix(tag, "F-"); ok && name != "" {
				v = failureValue(f, m, strings.ToLower(name))
				if v == nil {
					v = ""
				}
			} else {
				known = false
			}
		}
		if known {
			b.WriteString(pyStr(v))
		} else {
			b.WriteString(tmpl[i : i+j+1])
		}
		tmpl = tmpl[i+j+1:]
	}
	b.WriteString(tmpl)
	return b.String()
}

// foundFailure is a failure as -v lists it under its regex.
type foundFailure struct {
	id     string
	hasID  bool
	time   float64
	noTime bool // listed at the time of listing, as fail2ban-regex does (time.localtime(None))
	multi  bool // more than one regex matched the line before this one
}

// format lists f; a failure without a date is listed at now, the time
// of listing.
func (f foundFailure) format(now time.Time) string {
	id := "None"
	if f.hasID {
		id = f.id
	}
	sec, frac := math.Modf(f.time)
	tt := time.Unix(int64(sec), int64(frac*1e9))
	if f.noTime {
		tt = now
	}
	t := tt.In(time.Local).Format("Mon Jan 02 15:04:05 2006")
	multi := ""
	if f.multi {
		multi = " (multiple regex matched)"
	}
	return fmt.Sprintf("    %s  %s%s", id, t, multi)
}

// debuggexLines is -D's list of lines: each line with each regex and a
// link that opens both on debuggex.com (the regex with its tags expanded,
// as fail2ban-regex makes the link).
func (r *regexRun) debuggexLines(lines []string, regexes []regexStat) []string {
	useDNS := r.o.usedns
	if useDNS == "" {
		useDNS = "yes"
	}
	var out []string
	for _, l := range lines {
		for _, re := range regexes {
			q := "re=" + url.QueryEscape(filter.ExpandTags(re.re, useDNS)) + "&str=" + url.QueryEscape(l) + "&flavor=python"
			if r.f.MaxLines() > 1 {
				q += "&flags=m"
			}
			out = append(out, pyRstrip(l+" | "+re.re+" |  https://www.debuggex.com/?"+q))
		}
	}
	return out
}
