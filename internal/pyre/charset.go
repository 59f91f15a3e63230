package pyre

import (
	"cmp"
	"slices"
	"sort"
)

const (
	maxRune      = 0x10FFFF
	surrogateLo  = 0xD800
	surrogateHi  = 0xDFFF
	bmpLimit     = 0x10000
	asciiLimit   = 0x80
	pyWhitespace = " \t\n\r\v\f"
)

// rng is an inclusive range of code points.
type rng struct{ lo, hi rune }

// runePair maps one code point to another.
type runePair struct{ from, to rune }

// charSet is a sorted list of disjoint, non-adjacent ranges.
type charSet []rng

// normalize sorts and merges the ranges of s in place and returns it.
func normalize(s charSet) charSet {
	if len(s) < 2 {
		return s
	}
	if !slices.IsSortedFunc(s, cmpLo) {
		slices.SortFunc(s, cmpLo)
	}
	out := s[:1]
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		if r.lo <= last.hi+1 {
			if r.hi > last.hi {
				last.hi = r.hi
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func cmpLo(a, b rng) int { return int(a.lo) - int(b.lo) }

// union returns the union of a and b: a new set, or a or b itself when
// it holds the other (sets are read-only once built). Sets that are not
// normal (see normal) are merged as they are and normalized.
func union(a, b charSet) charSet {
	if !normal(a) || !normal(b) {
		out := make(charSet, 0, len(a)+len(b))
		out = append(out, a...)
		out = append(out, b...)
		return normalize(out)
	}
	switch {
	case len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]):
		return a
	case subset(b, a):
		return a
	case subset(a, b):
		return b
	}
	// merge the sorted lists, joining overlapping and adjacent ranges;
	// once one list is done the other's rest is copied whole (a normal
	// set's ranges never join)
	out := make(charSet, 0, len(a)+len(b))
	add := func(r rng) {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			return
		}
		out = append(out, r)
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i].lo <= b[j].lo {
			add(a[i])
			i++
		} else {
			add(b[j])
			j++
		}
	}
	rest := a[i:]
	if j < len(b) {
		rest = b[j:]
	}
	for len(rest) > 0 && len(out) > 0 && rest[0].lo <= out[len(out)-1].hi+1 {
		add(rest[0])
		rest = rest[1:]
	}
	return append(out, rest...)
}

// negate returns the complement of s over [0, maxRune].
func negate(s charSet) charSet {
	out := make(charSet, 0, len(s)+1)
	next := rune(0)
	for _, r := range s {
		if r.lo > next {
			out = append(out, rng{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= maxRune {
		out = append(out, rng{next, maxRune})
	}
	return out
}

// contains reports whether c is in s.
func (s charSet) contains(c rune) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= c })
	return i < len(s) && s[i].lo <= c
}

// withoutSurrogates removes the surrogate block, which can never occur in
// decoded Go strings and which Go's regexp syntax rejects.
func (s charSet) withoutSurrogates() charSet {
	out := make(charSet, 0, len(s)+1)
	for _, r := range s {
		if r.hi < surrogateLo || r.lo > surrogateHi {
			out = append(out, r)
			continue
		}
		if r.lo < surrogateLo {
			out = append(out, rng{r.lo, surrogateLo - 1})
		}
		if r.hi > surrogateHi {
			out = append(out, rng{surrogateHi + 1, r.hi})
		}
	}
	return out
}

func single(c rune) charSet {
	if c >= 0 && c < asciiLimit {
		return asciiSingles[c : c+1 : c+1]
	}
	return charSet{{c, c}}
}

// asciiSingles holds the one-character set of each ASCII character, so
// that single shares them (read-only, as every set).
var asciiSingles = func() (out [asciiLimit]rng) {
	for c := range out {
		out[c] = rng{rune(c), rune(c)}
	}
	return out
}()

// category identifies one of Python's class escapes.
type category uint8

const (
	catDigit category = iota
	catNotDigit
	catSpace
	catNotSpace
	catWord
	catNotWord
)

var asciiDigit = charSet{{'0', '9'}}
var asciiSpace = charSet{{'\t', '\r'}, {' ', ' '}}
var asciiWord = charSet{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}

// categorySet returns the characters matched by a class escape. The set
// is shared and read-only, as every set is once built: the operations on
// sets return a new set or one of their arguments, never change one.
func categorySet(c category, ascii bool) charSet {
	if ascii {
		return asciiCategories[c]
	}
	return uniCategories[c]
}

// asciiCategories are the sets of the class escapes, indexed by
// category, in ASCII mode (read-only); uniCategories, those in Unicode
// mode, are in tables_derived.go.
var asciiCategories = categories(asciiDigit, asciiSpace, asciiWord)

func categories(digit, space, word charSet) [catNotWord + 1]charSet {
	clip := func(s charSet) charSet { return slices.Clip(slices.Clone(s)) }
	return [...]charSet{
		catDigit: clip(digit), catNotDigit: clip(negate(digit)),
		catSpace: clip(space), catNotSpace: clip(negate(space)),
		catWord: clip(word), catNotWord: clip(negate(word)),
	}
}

// caseMode holds the case-insensitivity helpers of one flag combination,
// mirroring re._compiler._compile.
type caseMode struct {
	ascii bool
}

func (m caseMode) lower(c rune) rune {
	if m.ascii {
		if c >= 'A' && c <= 'Z' {
			return c + ('a' - 'A')
		}
		return c
	}
	i := sort.Search(len(uniLower), func(i int) bool { return uniLower[i].from >= c })
	if i < len(uniLower) && uniLower[i].from == c {
		return uniLower[i].to
	}
	return c
}

func (m caseMode) iscased(c rune) bool {
	if m.ascii {
		return c < asciiLimit && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}
	return charSet(uniCased).contains(c)
}

func (m caseMode) fixes(lo rune) []rune {
	if m.ascii {
		return nil
	}
	var out []rune
	for _, p := range uniExtraCases {
		if p.from == lo {
			out = append(out, p.to)
		}
	}
	return out
}

// lowerPairs lists all (c, lower(c)) with lower(c) != c.
func (m caseMode) lowerPairs() []runePair {
	if m.ascii {
		out := make([]runePair, 0, 26)
		for c := 'A'; c <= 'Z'; c++ {
			out = append(out, runePair{c, c + ('a' - 'A')})
		}
		return out
	}
	return uniLower
}

// preimage returns {x : lower(x) in t}.
func (m caseMode) preimage(t charSet) charSet {
	pairs := m.lowerPairs()
	// Remove the characters that are not their own lowercase.
	self := uniSelfLower
	if m.ascii {
		self = selfLower(pairs)
	}
	out := intersect(t, self)
	if m.ascii {
		for _, p := range pairs {
			if t.contains(p.to) {
				out = append(out, rng{p.from, p.from})
			}
		}
		return normalize(out)
	}
	// the pairs whose lowercase lies in each range of t
	for _, r := range t {
		i := sort.Search(len(uniLowerByTo), func(i int) bool { return uniLowerByTo[i].to >= r.lo })
		for ; i < len(uniLowerByTo) && uniLowerByTo[i].to <= r.hi; i++ {
			out = append(out, rng{uniLowerByTo[i].from, uniLowerByTo[i].from})
		}
	}
	return normalize(out)
}

// uniSelfLower and uniLowerByTo are in tables_derived.go.

// selfLower returns the characters that pairs do not move.
func selfLower(pairs []runePair) charSet {
	moved := make(charSet, 0, len(pairs))
	for _, p := range pairs {
		moved = append(moved, rng{p.from, p.from})
	}
	return negate(normalize(moved))
}

// normal reports whether s is sorted, its ranges disjoint and not
// adjacent, as normalize leaves it.
func normal(s charSet) bool {
	for i := 1; i < len(s); i++ {
		if s[i].lo <= s[i-1].hi+1 {
			return false
		}
	}
	for _, r := range s {
		if r.lo > r.hi {
			return false
		}
	}
	return true
}

// subset reports whether every character of a is in b, both normal. A
// few ranges against many (a class's literals and a Unicode category)
// are looked up by binary search.
func subset(a, b charSet) bool {
	if len(a) <= 4 && len(b) > 32 {
		for _, r := range a {
			k, _ := slices.BinarySearchFunc(b, r.lo, func(x rng, c rune) int { return cmp.Compare(x.hi, c) })
			if k == len(b) || b[k].lo > r.lo || b[k].hi < r.hi {
				return false
			}
		}
		return true
	}
	j := 0
	for _, r := range a {
		for j < len(b) && b[j].hi < r.lo {
			j++
		}
		if j == len(b) || b[j].lo > r.lo || b[j].hi < r.hi {
			return false
		}
	}
	return true
}

// overlaps reports whether a ∩ b is not empty, without building it.
func overlaps(a, b charSet) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if max(a[i].lo, b[j].lo) <= min(a[i].hi, b[j].hi) {
			return true
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return false
}

// intersect returns a ∩ b.
func intersect(a, b charSet) charSet {
	var out charSet
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo := max(a[i].lo, b[j].lo)
		hi := min(a[i].hi, b[j].hi)
		if lo <= hi {
			out = append(out, rng{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// literalSet returns the characters a literal matches under the flags.
func literalSet(c rune, fl Flags) charSet {
	if fl&IgnoreCase == 0 {
		return single(c)
	}
	m := caseMode{ascii: fl&ASCII != 0}
	if !m.iscased(c) {
		return single(c)
	}
	lo := m.lower(c)
	t := charSet{{lo, lo}}
	for _, k := range m.fixes(lo) {
		t = append(t, rng{k, k})
	}
	return m.preimage(normalize(t))
}

// classItem is one element of a parsed character class.
type classItem struct {
	kind   classItemKind
	lo, hi rune
	cat    category
}

type classItemKind uint8

const (
	itemLiteral classItemKind = iota
	itemRange
	itemCategory
)

// classSet resolves a parsed character class to the set of characters it
// matches, following re._compiler._optimize_charset and the IN,
// IN_IGNORE and IN_UNI_IGNORE opcodes of _sre.
func classSet(items []classItem, neg bool, fl Flags) charSet {
	ascii := fl&ASCII != 0
	var t charSet
	if fl&IgnoreCase == 0 {
		var cats []charSet // sorted already: merged by union
		for _, it := range items {
			switch it.kind {
			case itemLiteral:
				t = append(t, rng{it.lo, it.lo})
			case itemRange:
				t = append(t, rng{it.lo, it.hi})
			case itemCategory:
				cats = append(cats, categorySet(it.cat, ascii))
			}
		}
		t = normalize(t)
		for _, cs := range cats {
			if len(t) == 0 {
				t = cs // a category's set is normal: shared as it is
				continue
			}
			t = union(t, cs)
		}
		if neg {
			return negate(t)
		}
		return t
	}
	m := caseMode{ascii: ascii}
	hascased := false
	var extra charSet // tested against lower(x): fixed-up literals and ranges
	for _, it := range items {
		switch it.kind {
		case itemLiteral:
			if it.lo >= bmpLimit {
				hascased = true
				extra = append(extra, rng{it.lo, it.lo})
				continue
			}
			lo := m.lower(it.lo)
			extra = append(extra, rng{lo, lo})
			for _, k := range m.fixes(lo) {
				extra = append(extra, rng{k, k})
			}
			if m.iscased(it.lo) {
				hascased = true
			}
		case itemRange:
			hi := it.hi
			if hi >= bmpLimit {
				hascased = true
				hi = bmpLimit - 1
				// RANGE_UNI_IGNORE: lower(x) in range, or upper(lower(x)) in range.
				extra = append(extra, rng{it.lo, it.hi})
				for _, p := range uniUpperAstral {
					if p.to >= it.lo && p.to <= it.hi {
						extra = append(extra, rng{p.from, p.from})
					}
				}
			}
			if it.lo <= hi {
				extra = append(extra, m.fixupRange(it.lo, hi)...)
				if !hascased && len(intersect(charSet{{it.lo, hi}}, m.casedSet())) > 0 {
					hascased = true
				}
			}
		case itemCategory:
			extra = append(extra, categorySet(it.cat, ascii)...)
		}
	}
	t = normalize(extra)
	if hascased {
		t = m.preimage(t)
	}
	if neg {
		return negate(t)
	}
	return t
}

func (m caseMode) casedSet() charSet {
	if m.ascii {
		return charSet{{'A', 'Z'}, {'a', 'z'}}
	}
	return uniCased
}

// fixupRange returns {lower(c) : c in [lo,hi]} plus the extra cases of
// each such lowercase.
func (m caseMode) fixupRange(lo, hi rune) charSet {
	r := charSet{{lo, hi}}
	var out charSet
	var moved charSet
	for _, p := range m.lowerPairs() {
		if p.from >= lo && p.from <= hi {
			moved = append(moved, rng{p.from, p.from})
			out = append(out, rng{p.to, p.to})
		}
	}
	out = append(out, intersect(r, negate(normalize(moved)))...)
	out = normalize(out)
	if m.ascii {
		return out
	}
	var fixes charSet
	for _, p := range uniExtraCases {
		if out.contains(p.from) {
			fixes = append(fixes, rng{p.to, p.to})
		}
	}
	return union(out, fixes)
}

// isWordASCII reports whether c is an ASCII word character.
func isWordASCII(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
