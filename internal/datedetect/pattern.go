package datedetect

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/pyre"
)

// Template flags, as fail2ban computes them from the final regex.
const (
	flagLineBegin = 8
	flagLineEnd   = 4
	flagWordBegin = 2
	flagWordEnd   = 1
)

// wordBegin modes of fail2ban's setRegex.
type beginMode uint8

const (
	beginNone  beginMode = iota // no boundary
	beginWord                   // word boundary (default)
	beginStart                  // line start, up to two non-word chars
)

const (
	prefixLineBegin = "{^LN-BEG}"
	prefixUnbound   = "{UNB}"
	wordBeginRegex  = `(?=^|\b|\W)`
	lineBeginRegex  = `^(?:\W{0,2})?`
	wordEndRegex    = `(?=\b|\W|$)`
	epochRegex      = `\d{10,11}\b(?:\.\d{3,6})?`
	longEpochRegex  = `\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?`
)

// Helper expressions applied to pattern text (they need look-behind).
// They decide anchoring and grouping the way fail2ban does. Each is
// compiled on first use: a command that builds no template does not pay
// for them at start-up.
var (
	reGlobalFlags   = lazyRegexp(`\(\?[a-z]+\)`)
	reNoWordBegin   = lazyRegexp(`^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)`)
	reNoWordEnd     = lazyRegexp(`(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$`)
	reHasGroup      = lazyRegexp(`(?<!\(\?)(?<!\\)\((?!\?)`)
	reWrapGroup     = lazyRegexp(`^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)(.*?)(\$?)$`)
	reLineBegin     = lazyRegexp(`^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))`)
	reLineEnd       = lazyRegexp(`(?<![\\|])(?:\$\)?)$`)
	reWordBoundMark = lazyRegexp(`^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$`)
	reUnboundStart  = lazyRegexp(`^\((?:\?:)?\^\|\\b\|\\W\)`)
	reUnboundEnd    = lazyRegexp(`\(\?=\\b\|\\W\|\$\)$`)
	reAlphaCode     = lazyRegexp(`(?<!%)%[aAbBpc]`)
	reEpochField    = lazyRegexp(`(?i)(?<!\\)\{L?EPOCH\}`)
	reDateField     = lazyRegexp(`(?i)(?<!\\)\{DATE\}`)
	reZoneSpec      = lazyRegexp(`^([A-Z](?:[A-Z]{2,4})?)?([+-][01]\d(?::?\d{2})?)?$`)
)

// helperRegexp is a helper expression, compiled on its first use.
type helperRegexp struct{ compiled func() *pyre.Regexp }

// lazyRegexp returns the helper expression src. Compiled regexes are
// immutable and safe for concurrent use; sync.OnceValue makes the first
// use safe too.
func lazyRegexp(src string) helperRegexp {
	return helperRegexp{sync.OnceValue(func() *pyre.Regexp { return pyre.MustCompile(src) })}
}

// re returns the compiled expression.
func (h helperRegexp) re() *pyre.Regexp { return h.compiled() }

// rxFind returns the capture offsets of the first match of h in s, or
// nil. The helper expressions cannot run out of steps on pattern text
// (none backtracks more than linearly).
func rxFind(h helperRegexp, s string) []int {
	loc, _ := h.re().Search(s)
	return loc
}

// rxReplace replaces up to n (all if n < 0) non-overlapping matches of h
// in s with repl(match caps), in the manner of Python's re.sub.
func rxReplace(h helperRegexp, s string, n int, repl func(caps []int) string) string {
	re := h.re()
	var b strings.Builder
	var caps []int
	last, pos := 0, 0
	for count := 0; n < 0 || count < n; count++ {
		caps, _ = re.AppendSearchAt(caps, s, pos)
		if caps == nil {
			break
		}
		st, en := caps[0], caps[1]
		b.WriteString(s[last:st])
		b.WriteString(repl(caps))
		last = en
		if en == st {
			if en >= len(s) {
				break
			}
			_, w := decodeAt(s, en)
			b.WriteString(s[en : en+w])
			last = en + w
			pos = en + w
		} else {
			pos = en
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

func groupText(s string, caps []int, g int) string {
	if 2*g+1 >= len(caps) || caps[2*g] < 0 {
		return ""
	}
	return s[caps[2*g]:caps[2*g+1]]
}

// timeCode describes a strptime directive.
type timeCode struct{ regex, name string }

// codeTable holds the regex fragment and display name of every
// directive. The %ExY fragment depends on the current year, so a table is
// built per Detector.
type codeTable map[string]timeCode

// Month and day names of the C locale, lower case, in locale order.
var (
	monthAbbr = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	monthFull = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	dayAbbr   = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	dayFull   = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

const zoneAbbrRegex = `[A-Z](?:[A-Z]{2,4})?`

func newCodeTable(now time.Time) codeTable {
	t := codeTable{
		"a":   {`(?P<a>mon|tue|wed|thu|fri|sat|sun)`, "DAY"},
		"A":   {`(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)`, "DAYNAME"},
		"b":   {`(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)`, "MON"},
		"B":   {`(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)`, "MONTH"},
		"c":   {`(?P<a>mon|tue|wed|thu|fri|sat|sun)\s+(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])\s+(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)\s+(?P<Y>\d\d\d\d)`, "%c"},
		"d":   {`(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])`, "Day"},
		"f":   {`(?P<f>[0-9]{1,6})`, "Microseconds"},
		"G":   {`(?P<G>\d\d\d\d)`, "%G"},
		"H":   {`(?P<H>[0-1]?\d|2[0-3])`, "24hour"},
		"I":   {`(?P<I>1[0-2]|0[1-9]|[1-9])`, "12hour"},
		"j":   {`(?P<j>36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])`, "Yearday"},
		"k":   {` ?(?P<H>[0-2]?\d)`, "%k"},
		"l":   {` ?(?P<I>1?\d)`, "%l"},
		"m":   {`(?P<m>0?[1-9]|1[0-2])`, "Month"},
		"M":   {`(?P<M>[0-5]?\d)`, "Minute"},
		"p":   {`(?P<p>am|pm)`, "AMPM"},
		"S":   {`(?P<S>[0-5]?\d|6[0-1])`, "Second"},
		"u":   {`(?P<u>[1-7])`, "%u"},
		"U":   {`(?P<U>5[0-3]|[0-4]\d|\d)`, "Yearweek"},
		"V":   {`(?P<V>5[0-3]|0[1-9]|[1-4]\d|\d)`, "%V"},
		"w":   {`(?P<w>[0-6])`, "Weekday"},
		"W":   {`(?P<W>5[0-3]|[0-4]\d|\d)`, "Yearweek"},
		"x":   {`(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])/(?P<y>\d\d)`, "%x"},
		"X":   {`(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)`, "%X"},
		"y":   {`(?P<y>\d\d)`, "Year2"},
		"Y":   {`(?P<Y>\d{4})`, "Year"},
		"z":   {`(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)`, "Zone offset"},
		"Z":   {`(?P<Z>Z|[A-Z]{3,5})`, "Zone name"},
		"%":   {`%`, "%"},
		"ExZ": {`(?P<Z>` + zoneAbbrRegex + `)`, "ExZone name"},
		"Exz": {`(?P<z>(?:` + zoneAbbrRegex + `)?[+-][01]\d(?::?\d{2})?|` + zoneAbbrRegex + `)`, "ExZone offset"},
		"Exd": {`(?P<d>[1-2]\d|0[1-9]|3[0-1])`, "ExDay"},
		"Exm": {`(?P<m>0[1-9]|1[0-2])`, "ExMonth"},
		"ExH": {`(?P<H>[0-1]\d|2[0-3])`, "Ex24hour"},
		"Exk": {` ?(?P<H>[0-1]?\d|2[0-3])`, "%Exk"},
		"Exl": {` ?(?P<I>1[0-2]|\d)`, "%Exl"},
		"ExM": {`(?P<M>[0-5]\d)`, "ExMinute"},
		"ExS": {`(?P<S>[0-5]\d|6[0-1])`, "ExSecond"},
		"ExY": {`(?P<Y>` + yearPrefixRegex(now.Year()) + `\d)`, "ExYear"},
		"Exy": {`(?P<y>\d{2})`, "ExYear2"},
	}
	return t
}

// yearPrefixRegex reproduces the set of accepted year prefixes of %ExY:
// the decades of last year and of three years ahead, plus every third
// year from 2000 up to now (fail2ban keeps its own test dates in 2005
// valid this way).
func yearPrefixRegex(year int) string {
	set := map[string]bool{}
	add := func(y int) {
		s := strconv.Itoa(y)
		if len(s) > 3 {
			s = s[:3]
		}
		set[s] = true
	}
	add(year - 1)
	add(year + 3)
	for y := 2000; y < year+1; y += 3 {
		add(y)
	}
	var parts []string
	for s := range set {
		parts = append(parts, s)
	}
	sortStrings(parts)
	return "(?:" + strings.Join(parts, "|") + ")"
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// expand replaces every %-directive in pattern by its regex and computes
// the template name. A '%' that starts no known directive is an error.
func (ct codeTable) expand(pattern string) (regex, name string, err error) {
	var rb, nb strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c != '%' {
			rb.WriteByte(c)
			nb.WriteByte(c)
			i++
			continue
		}
		key := ""
		if strings.HasPrefix(pattern[i+1:], "Ex") && i+4 <= len(pattern) {
			if _, ok := ct[pattern[i+1:i+4]]; ok {
				key = pattern[i+1 : i+4]
			}
		}
		if key == "" && i+1 < len(pattern) {
			if _, ok := ct[pattern[i+1:i+2]]; ok && pattern[i+1] != 'E' {
				key = pattern[i+1 : i+2]
			}
		}
		if key == "" {
			return "", "", fmt.Errorf("invalid format or unescaped percent char at %d", i)
		}
		code := ct[key]
		rb.WriteString(code.regex)
		nb.WriteString(code.name)
		i += 1 + len(key)
	}
	return rb.String(), nb.String(), nil
}

type templateKind uint8

const (
	kindPattern templateKind = iota
	kindEpoch
	kindTAI64N
)

// template is one compiled date template. A default template starts out
// unbuilt (lazy not nil: only weight, pattern and the line-begin flag are
// set) and is built on first use by its Detector; it is immutable once
// built.
type template struct {
	kind       templateKind
	name       string
	pattern    string // original pattern, for pattern templates
	hasPattern bool
	regex      string
	flags      int
	weight     float64
	longEpoch  bool
	epochGroup int
	re         *pyre.Regexp
	fields     []field      // strptime fields in group order
	fast       *fastMatcher // the direct matcher of lane.go, or nil
	need       need         // what every match contains (needs.go)
	lazy       *lazySpec    // not nil until built
}

func (t *template) anchored() bool { return t.flags&(flagLineBegin|flagLineEnd) != 0 }

// field binds a strptime directive letter to a capture group.
type field struct {
	key   byte // a A b B d f H I j m M p S U w W y Y z Z
	group int
}

// setRegex finishes a template from its raw regex: it adds word or line
// boundaries unless the regex already asks for none, makes sure group 1
// exists and computes the anchoring flags.
func (t *template) setRegex(regex string, begin beginMode, wordEnd bool) error {
	regex = strings.TrimFunc(regex, func(r rune) bool { return isPySpace(r) })
	gf := ""
	if caps := rxFind(reGlobalFlags, regex); caps != nil {
		gf = regex[caps[0]:caps[1]]
		regex = regex[:caps[0]] + regex[caps[1]:]
	}
	boundBegin := begin != beginNone && rxFind(reNoWordBegin, regex) == nil
	boundEnd := wordEnd && rxFind(reNoWordEnd, regex) == nil
	if rxFind(reHasGroup, regex) == nil {
		regex = rxReplace(reWrapGroup, regex, -1, func(c []int) string {
			return groupText(regex, c, 1) + "(" + groupText(regex, c, 2) + ")" + groupText(regex, c, 3)
		})
	}
	t.flags = 0
	if boundBegin {
		if begin == beginStart {
			t.flags |= flagLineBegin
			regex = lineBeginRegex + regex
			if !strings.HasPrefix(t.name, prefixLineBegin) {
				t.name = prefixLineBegin + t.name
			}
		} else {
			t.flags |= flagWordBegin
			regex = wordBeginRegex + regex
		}
	}
	if boundEnd {
		t.flags |= flagWordEnd
		regex += wordEndRegex
	}
	if t.flags&flagLineBegin == 0 && rxFind(reLineBegin, regex) != nil {
		t.flags |= flagLineBegin
	}
	if t.flags&flagLineEnd == 0 && rxFind(reLineEnd, regex) != nil {
		t.flags |= flagLineEnd
	}
	src := regex
	regex = rxReplace(reWordBoundMark, src, -1, func(c []int) string {
		return strings.ReplaceAll(src[c[0]:c[1]], "**", "")
	})
	t.regex = gf + regex
	// Lazy: the matching program is compiled on the first search, which
	// a template whose searches the direct matcher answers never runs.
	re, err := pyre.CompileOptions(t.regex, pyre.Options{Lazy: true})
	if err != nil {
		return fmt.Errorf("compile date regex %q: %w", t.regex, err)
	}
	if re.NumSubexp() < 1 {
		return fmt.Errorf("date regex %q has no group 1", t.regex)
	}
	t.re = re
	names := re.SubexpNames()
	for g := 1; g <= re.NumSubexp(); g++ {
		n := names[g]
		if len(n) == 1 && strings.Contains("aAbBdfHIjmMpSUwWyYzZ", n) {
			t.fields = append(t.fields, field{key: n[0], group: g})
		}
	}
	return nil
}

// newPatternTemplate builds a template from a datepattern with
// %-directives (fail2ban's DatePatternRegex).
func newPatternTemplate(ct codeTable, pattern string, begin beginMode, wordEnd bool) (*template, error) {
	t := &template{kind: kindPattern, pattern: pattern, hasPattern: true, weight: 1}
	p := pattern
	if strings.HasPrefix(p, prefixUnbound) {
		p = p[len(prefixUnbound):]
		begin, wordEnd = beginNone, false
	}
	if begin != beginNone && strings.HasPrefix(p, prefixLineBegin) {
		p = p[len(prefixLineBegin):]
		begin = beginStart
	}
	regex, name, err := ct.expand(p)
	if err != nil {
		return nil, fmt.Errorf("set datepattern %q: %w", pattern, err)
	}
	t.name = name
	if rxFind(reAlphaCode, p) != nil {
		regex = "(?iu)" + regex
	}
	if err := t.setRegex(regex, begin, wordEnd); err != nil {
		return nil, fmt.Errorf("set datepattern %q: %w", pattern, err)
	}
	t.fast = newFastMatcher(ct, t)
	return t, nil
}

// newEpochTemplate builds a Unix-time template. With a pattern, {EPOCH}
// or {LEPOCH} inside it marks the number.
func newEpochTemplate(lineBeginOnly bool, pattern string, long bool) (*template, error) {
	t := &template{kind: kindEpoch, name: "Epoch", weight: 1, longEpoch: long, epochGroup: 1}
	num := epochRegex
	if long {
		t.name = "LongEpoch"
		num = longEpochRegex
	}
	var err error
	switch {
	case pattern != "":
		t.name = pattern
		regex := "(" + rxReplace(reEpochField, pattern, -1, func([]int) string { return "(" + num + ")" }) + ")"
		t.epochGroup = 2
		err = t.setRegex(regex, beginWord, true)
	case !lineBeginOnly:
		regex := `((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))` + num +
			`)(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))`
		err = t.setRegex(regex, beginNone, true)
	default:
		regex := `((?P<square>(?<=^\[))?` + num + `)(?(square)(?=\]))`
		err = t.setRegex(regex, beginStart, true)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// newTAI64NTemplate builds the daemontools TAI64N template.
func newTAI64NTemplate(begin beginMode) (*template, error) {
	t := &template{kind: kindTAI64N, name: "TAI64N", weight: 1}
	if err := t.setRegex(`@[0-9a-f]{24}`, begin, true); err != nil {
		return nil, err
	}
	return t, nil
}

// unboundPattern strips the boundary markers fail2ban adds or accepts at
// the ends of a pattern, for substitution into a {DATE} pre-match.
func unboundPattern(s string) string {
	s = strings.TrimPrefix(s, prefixUnbound)
	s = strings.TrimPrefix(s, prefixLineBegin)
	if c := rxFind(reUnboundStart, s); c != nil {
		s = s[c[1]:]
	}
	if c := rxFind(reUnboundEnd, s); c != nil {
		s = s[:c[0]]
	}
	return s
}
