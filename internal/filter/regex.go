package filter

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wardenipd/warden/internal/pyre"
)

// tline is a log line split around its date: pre + date + post is the
// line, pre + post is what the regexes see.
type tline struct{ pre, date, post string }

func (t tline) text() string     { return t.pre + t.date + t.post }
func (t tline) stripped() string { return t.pre + t.post }

// joinLines builds the buffer the regexes search: the lines without their
// dates, each followed by "\n".
func joinLines(lines []tline) string {
	n := 0
	for _, l := range lines {
		n += len(l.pre) + len(l.post) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, l := range lines {
		b.WriteString(l.pre)
		b.WriteString(l.post)
		b.WriteByte('\n')
	}
	return b.String()
}

// regex is one compiled failregex, ignoreregex or prefregex. It belongs
// to one Filter: bind gives it that filter's field slots. Filters that
// share compiled patterns share the *pyre.Regexp, never a regex.
type regex struct {
	src    string // after tag expansion, as fail2ban reports it
	re     *pyre.Regexp
	m      *pyre.Matcher // re's, for this regex's filter alone
	names  []string      // group names by index ("" for unnamed)
	alt    [][2]string
	tuple  [][2]string
	slots  []int    // layout slot by group index, -1 for unnamed groups
	altS   [][2]int // alt and tuple as slots
	tupleS [][2]int
	// written lists, once each, the slots the regex's fields can hold:
	// its named groups' in group order, then the alt and tuple fields';
	// matchSlots, for a failregex, those and the prefregex's
	// (fieldsInto's result)
	written, matchSlots []int
	// contentGr is the content group of a prefregex (-1 when it has
	// none); unused on other regexes.
	contentGr int
	skipGr    []int // indexes of skiplinesN groups, in N order
}

// compileRegex expands tags and compiles; multiline sets re.MULTILINE.
// shared is the filter's, for all its regexes (see pyre.Shared).
func compileRegex(src, useDNS string, multiline bool, shared *pyre.Shared) (*regex, error) {
	expanded := ExpandTags(src, useDNS)
	if strings.TrimLeft(expanded, " \t\n\r\f\v") == "" {
		return nil, fmt.Errorf("cannot add empty regex")
	}
	expanded = localizeFlags(expanded)
	var fl pyre.Flags
	if multiline {
		fl |= pyre.Multiline
	}
	re, err := pyre.CompileOptions(expanded, pyre.Options{Flags: fl, Shared: shared})
	if err != nil {
		return nil, fmt.Errorf("unable to compile regular expression %q: %w", src, err)
	}
	r := &regex{src: expanded, re: re, m: re.Matcher(), names: re.SubexpNames()}
	for _, n := range r.names {
		if len(n) <= len("alt_") {
			continue
		}
		for _, pre := range []string{"alt_", "tuple_"} {
			if !strings.HasPrefix(n, pre) {
				continue
			}
			field := fieldName(trimIndexSuffix(n[len(pre):]))
			if pre == "alt_" {
				r.alt = append(r.alt, [2]string{n, field})
			} else {
				r.tuple = append(r.tuple, [2]string{n, field})
			}
		}
	}
	sortPairs(r.alt)
	sortPairs(r.tuple)
	for k := 0; ; k++ {
		i := re.SubexpIndex(fmt.Sprintf("skiplines%d", k))
		if i < 0 {
			break
		}
		r.skipGr = append(r.skipGr, i)
	}
	return r, nil
}

func sortPairs(p [][2]string) {
	sort.Slice(p, func(i, j int) bool {
		if p[i][0] != p[j][0] {
			return p[i][0] < p[j][0]
		}
		return p[i][1] < p[j][1]
	})
}

// trimIndexSuffix drops a trailing _N, as in alt_user_2.
func trimIndexSuffix(s string) string {
	i := strings.LastIndexByte(s, '_')
	if i < 0 || i == len(s)-1 {
		return s
	}
	if strings.Trim(s[i+1:], "0123456789") == "" {
		return s[:i]
	}
	return s
}

// localizeFlags turns "((?i)x)" or "(?:(?i)x)" into "(?i:x)", which fail2ban
// does so that old filters with inline global flags keep compiling.
func localizeFlags(s string) string {
	if !strings.Contains(s, "(?") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '(' && (i == 0 || s[i-1] != '\\') {
			j := i + 1
			if strings.HasPrefix(s[j:], "?:") {
				j += 2
			}
			if strings.HasPrefix(s[j:], "(?") {
				k := j + 2
				for k < len(s) && s[k] >= 'a' && s[k] <= 'z' {
					k++
				}
				if k > j+2 && k < len(s) && s[k] == ')' {
					b.WriteString(s[j:k])
					b.WriteByte(':')
					i = k + 1
					continue
				}
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// hit is the result of one successful search.
type hit struct {
	r         *regex
	buf       string
	loc       []int
	matched   []tline
	unmatched []tline
}

func (h *hit) group(i int) (string, bool) {
	if i < 0 || 2*i+1 >= len(h.loc) || h.loc[2*i] < 0 {
		return "", false
	}
	return h.buf[h.loc[2*i]:h.loc[2*i+1]], true
}

// bind gives the regex's named groups and its alt_ and tuple_ fields
// their slots in lay.
func (r *regex) bind(lay *layout) {
	r.slots = make([]int, len(r.names))
	for i, n := range r.names {
		r.slots[i] = -1
		if n != "" {
			r.slots[i] = lay.slot(n)
		}
	}
	r.altS = r.altS[:0]
	for _, p := range r.alt {
		r.altS = append(r.altS, [2]int{lay.slot(p[0]), lay.slot(p[1])})
	}
	r.tupleS = r.tupleS[:0]
	for _, p := range r.tuple {
		r.tupleS = append(r.tupleS, [2]int{lay.slot(p[0]), lay.slot(p[1])})
	}
	r.written = addSlots(r.written[:0], r.slots...)
	for _, p := range r.altS {
		r.written = addSlots(r.written, p[1])
	}
	for _, p := range r.tupleS {
		r.written = addSlots(r.written, p[1])
	}
}

// addSlots appends to list the slots it does not hold yet, leaving out
// -1 (an unnamed group's).
func addSlots(list []int, slots ...int) []int {
	for _, slot := range slots {
		if slot >= 0 && !slices.Contains(list, slot) {
			list = append(list, slot)
		}
	}
	return list
}

// fieldsInto fills g, which must be empty, with the match's fields
// (Python's groupdict(), with the alt_ and tuple_ groups folded into their
// fields) on top of base (the prefregex's fields, nil for none), which
// holds no slot but those of baseSlots (the prefregex's written): the
// match's own groups, even those that did not take part, replace base's.
func (h *hit) fieldsInto(g, base *fields, baseSlots []int) *fields {
	for i, slot := range h.r.slots {
		if slot < 0 {
			continue
		}
		if v, ok := h.group(i); ok {
			g.strs[slot], g.kinds[slot] = v, valString
		} else {
			g.kinds[slot] = valNone
		}
	}
	for _, p := range h.r.altS {
		if v := g.at(p[0]); v.truthy() && !g.at(p[1]).truthy() {
			g.set(p[1], v)
		}
	}
	for _, p := range h.r.tupleS {
		v, _ := g.value(p[0])
		g.tupleAppend(p[1], v)
	}
	if base != nil {
		for _, i := range baseSlots {
			if k := base.kinds[i]; k != valAbsent && g.kinds[i] == valAbsent {
				g.set(i, base.at(i))
				if k == valTuple {
					if g.tuples == nil {
						g.tuples = map[int][]any{}
					}
					g.tuples[i] = base.tuples[i]
				}
			}
		}
	}
	return g
}

// skipped returns the lines captured by <SKIPLINES>.
func (h *hit) skipped() []string {
	var s strings.Builder
	for _, i := range h.r.skipGr {
		if v, ok := h.group(i); ok {
			s.WriteString(v)
		}
	}
	return pySplitLines(s.String())
}

// pySplitLines is Python's str.splitlines() (no line ends kept).
func pySplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := decodeRune(s, i)
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i])
			if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				size++
			}
			start = i + size
		}
		i += size
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// search runs the regex over buf (the joined lines) and, on a match, works
// out which of orgLines it covered, as fail2ban does for multi-line buffers.
// The hit is *into, overwritten, and its loc reuses into.loc's array.
func (r *regex) search(buf string, orgLines []tline, into *hit) (*hit, error) {
	loc, err := r.m.AppendSearch(into.loc, buf)
	if err != nil || loc == nil {
		return nil, err
	}
	h := into
	// field by field: the whole struct's zeroing first cost more
	h.r, h.buf, h.loc, h.unmatched = r, buf, loc, nil
	if len(orgLines) <= 1 {
		h.matched = orgLines
		return h, nil
	}
	start, end := loc[0], loc[1]
	lineStart := strings.LastIndexByte(buf[:min(start+1, len(buf))], '\n') + 1
	lineEnd := len(buf)
	from := end - 1
	if from < 0 { // Python reads index -1 as the last character
		from = max(len(buf)-1, 0)
	}
	if k := strings.IndexByte(buf[from:], '\n'); k >= 0 {
		lineEnd = from + k + 1
	}
	n1 := strings.Count(buf[:lineStart], "\n")
	n2 := strings.Count(buf[:lineEnd], "\n")
	n1, n2 = min(n1, len(orgLines)), min(n2, len(orgLines))
	h.matched = append([]tline(nil), orgLines[n1:n2]...)
	h.unmatched = append([]tline(nil), orgLines[:n1]...)
	n := 0
	for _, sk := range h.skipped() {
		for m := n; m < len(h.matched); m++ {
			if h.matched[m].stripped() == sk {
				h.unmatched = append(h.unmatched, h.matched[m])
				h.matched = append(h.matched[:m], h.matched[m+1:]...)
				n = m
				break
			}
		}
	}
	h.unmatched = append(h.unmatched, orgLines[n2:]...)
	return h, nil
}
