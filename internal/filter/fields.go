package filter

import (
	"sort"
	"strings"
	"unsafe"
)

// This file holds a failure's fields: what fail2ban keeps in the dict its
// regexes fill (the named groups) and its own keys beside them (matches,
// users, mlfpending...). fail2ban's code reads and writes that dict by
// name; here every name a filter can produce gets a slot when the filter
// is compiled, so a line costs an array instead of a hash map of boxed
// strings. The dict's rules are kept: a key can be absent, hold None
// (a group that did not take part), a string, or one of fail2ban's own
// values.

// Slots of the names fail2ban's code itself looks at; a layout starts
// with them.
const (
	slotMLFID = iota
	slotNoFail
	slotMLFForget
	slotMLFGained
	slotMLFPending
	slotUser
	slotFID
	slotIP4
	slotIP6
	slotDNS
	slotCIDR
	slotContent
	slotIP
	numFixedSlots
)

// fixedSlotNames returns the names of the fixed slots, by slot.
func fixedSlotNames() [numFixedSlots]string {
	return [numFixedSlots]string{
		slotMLFID:      "mlfid",
		slotNoFail:     "nofail",
		slotMLFForget:  "mlfforget",
		slotMLFGained:  "mlfgained",
		slotMLFPending: "mlfpending",
		slotUser:       "user",
		slotFID:        "fid",
		slotIP4:        "ip4",
		slotIP6:        "ip6",
		slotDNS:        "dns",
		slotCIDR:       "cidr",
		slotContent:    "content",
		slotIP:         "ip",
	}
}

// layout gives every field name of one filter its slot.
type layout struct {
	names  []string // by slot
	index  map[string]int
	sorted []int // slots in name order
	public []int // those of sorted whose names are not internal (isInternal)
	// the slots of the names of fail2ban's lists that a regex group may
	// also have (fields.setSlot), -1 for none: looked up once, not for
	// each failure
	matchesSlot, usersSlot int
}

func newLayout() *layout {
	l := &layout{index: map[string]int{}, matchesSlot: -1, usersSlot: -1}
	for _, n := range fixedSlotNames() {
		l.slot(n)
	}
	return l
}

// slot returns the slot of name, adding one if needed.
func (l *layout) slot(name string) int {
	if i, ok := l.index[name]; ok {
		return i
	}
	i := len(l.names)
	l.names = append(l.names, name)
	l.index[name] = i
	switch name {
	case "matches":
		l.matchesSlot = i
	case "users":
		l.usersSlot = i
	}
	return i
}

// seal orders the slots by name; call it once all names are in.
func (l *layout) seal() {
	l.sorted = make([]int, len(l.names))
	for i := range l.sorted {
		l.sorted[i] = i
	}
	sort.Slice(l.sorted, func(a, b int) bool { return l.names[l.sorted[a]] < l.names[l.sorted[b]] })
	l.public = l.public[:0]
	for _, i := range l.sorted {
		if !isInternal(l.names[i]) {
			l.public = append(l.public, i)
		}
	}
}

// What a slot holds.
const (
	valAbsent uint8 = iota
	valNone         // Python's None: a group that did not take part
	valString
	valOne   // the integer 1 (fail2ban's mlfpending marker)
	valTuple // a tuple_ field: a list in fields.tuples
)

type fval struct {
	s    string
	kind uint8
}

func (v fval) truthy() bool {
	switch v.kind {
	case valString:
		return v.s != ""
	case valOne, valTuple:
		// A tuple field always holds at least two items.
		return true
	}
	return false
}

// fields is one failure's dict.
type fields struct {
	lay   *layout
	strs  []string // by slot: the value of a valString
	kinds []uint8  // by slot: what it holds
	// fail2ban's own list values. A regex group of the same name is a
	// string slot; setting one of these clears that slot and storing the
	// slot clears the list, as assigning the dict key does.
	matches       []tline
	nofailMatches []tline
	users         *orderedSet
	tuples        map[int][]any
	// text holds the copies of line text the fields keep, with
	// Options.ReusedLines and TransientFailures (see keep, keepText);
	// reused with the fields.
	text []byte
}

// Sizes of fields that hold their slots without a second allocation;
// filters rarely have more names.
const (
	smallSlots = 16
	largeSlots = 32
)

type fieldsSmall struct {
	fields
	strs  [smallSlots]string
	kinds [smallSlots]uint8
}

type fieldsLarge struct {
	fields
	strs  [largeSlots]string
	kinds [largeSlots]uint8
}

func newFields(lay *layout) *fields {
	switch n := len(lay.names); {
	case n <= smallSlots:
		x := &fieldsSmall{}
		x.lay, x.fields.strs, x.fields.kinds = lay, x.strs[:n:n], x.kinds[:n:n]
		return &x.fields
	case n <= largeSlots:
		x := &fieldsLarge{}
		x.lay, x.fields.strs, x.fields.kinds = lay, x.strs[:n:n], x.kinds[:n:n]
		return &x.fields
	default:
		return &fields{lay: lay, strs: make([]string, n), kinds: make([]uint8, n)}
	}
}

// reset empties g for reuse. Only the kinds are cleared: a string is
// read only where its kind is valString (a group that did not take part
// leaves one behind too, fieldsInto), and clearing them cost more than a
// percent of a run of warden regex (a write barrier's check per call).
func (g *fields) reset() {
	clear(g.kinds)
	g.matches, g.nofailMatches, g.users, g.tuples = nil, nil, nil, nil
}

func (g *fields) at(slot int) fval { return fval{s: g.strs[slot], kind: g.kinds[slot]} }

func (g *fields) set(slot int, v fval) { g.strs[slot], g.kinds[slot] = v.s, v.kind }

// setSlot is the dict assignment g[name] = v for the slot's name: a value
// under the name of one of fail2ban's lists replaces the list.
func (g *fields) setSlot(slot int, v fval) {
	g.set(slot, v)
	switch slot {
	case g.lay.matchesSlot:
		g.matches = nil
	case g.lay.usersSlot:
		g.users = nil
	}
}

func (g *fields) truthy(slot int) bool { return g.at(slot).truthy() }

// str returns the value of slot when it is a string.
func (g *fields) str(slot int) (string, bool) {
	return g.strs[slot], g.kinds[slot] == valString
}

func (g *fields) setStr(slot int, s string) { g.set(slot, fval{s: s, kind: valString}) }

func (g *fields) del(slot int) { g.set(slot, fval{}) }

func (g *fields) setMatches(m []tline) {
	g.matches = m
	if i := g.lay.matchesSlot; i >= 0 {
		g.del(i)
	}
}

func (g *fields) delMatches() {
	g.setMatches(nil)
}

func (g *fields) setUsers(u *orderedSet) {
	g.users = u
	if i := g.lay.usersSlot; i >= 0 {
		g.del(i)
	}
}

// addUser adds the user of a line to the connection's users, a set
// taken from sl if it has none.
func (g *fields) addUser(user fval, sl *slabs) *orderedSet {
	u := g.users
	if user.kind == valString && user.s != "" {
		if u == nil {
			u = sl.userSet()
			g.setUsers(u)
		}
		u.add(user.s)
	}
	return u
}

// overNonNil is fail2ban's "for k, v in fail.items(): if v is not None:
// g[k] = v" for a dict fresh from a match (strings, None and tuples).
func (g *fields) overNonNil(fail *fields) {
	for i, k := range fail.kinds {
		switch k {
		case valString, valOne:
			g.setSlot(i, fail.at(i))
		case valTuple:
			g.setSlot(i, fail.at(i))
			if g.tuples == nil {
				g.tuples = map[int][]any{}
			}
			g.tuples[i] = fail.tuples[i]
		}
	}
	if fail.matches != nil {
		g.setMatches(fail.matches)
	}
	if fail.nofailMatches != nil {
		g.nofailMatches = fail.nofailMatches
	}
	if fail.users != nil {
		g.setUsers(fail.users)
	}
}

// own returns a copy of g in fields of its own, taken from sl: a match's
// fields are gathered in the filter's scratch fields and copied out only
// when a failure or the connections cache keeps them.
func (g *fields) own(sl *slabs) *fields { return g.copyTo(sl.fields(g.lay)) }

// copyTo is own with the empty fields c (of g's layout); c keeps its text.
func (g *fields) copyTo(c *fields) *fields {
	copy(c.strs, g.strs)
	copy(c.kinds, g.kinds)
	c.matches, c.nofailMatches, c.users = g.matches, g.nofailMatches, g.users
	if g.tuples != nil {
		c.tuples = make(map[int][]any, len(g.tuples))
		for k, v := range g.tuples {
			c.tuples[k] = v
		}
	}
	return c
}

func (g *fields) clone() *fields {
	c := *g
	c.text = nil // g's alone (keep)
	c.strs = append([]string(nil), g.strs...)
	c.kinds = append([]uint8(nil), g.kinds...)
	if g.tuples != nil {
		c.tuples = make(map[int][]any, len(g.tuples))
		for k, v := range g.tuples {
			c.tuples[k] = v
		}
	}
	return &c
}

// Sizes of fields.text: a connection's first chunk, the largest one,
// and the longest text copied into a chunk (longer text is copied on its
// own).
const (
	textChunk    = 512
	textChunkMax = 4 * textChunk
	textMax      = textChunk / 2
)

// keep returns a copy of s in g's text. When the text has no room left,
// a new chunk replaces it, twice as large up to textChunkMax (fields are
// reused: a long connection's chunk serves the next ones); the old one
// stays with the strings made of it.
// g's text is rewritten once g is reused (slabs.fields): only g, and the
// failures that returned g in the call that dropped it, hold strings of
// it (see Options.TransientFailures).
func (g *fields) keep(s string) string {
	if len(s) == 0 || len(s) > textMax {
		return strings.Clone(s)
	}
	if cap(g.text)-len(g.text) < len(s) {
		g.text = make([]byte, 0, min(max(textChunk, 2*cap(g.text)), textChunkMax))
	}
	n := len(g.text)
	g.text = append(g.text, s...)
	// Invariant: the bytes of g.text[:len] are written once, by the
	// append above, and not again while a string made of them is read:
	// they are rewritten only when g is reused (slabs.fields), once
	// nothing holds g or what it returned (Options.TransientFailures).
	// Reuse zeroes them first (slabs.fields), and TestReusedLinesTransient,
	// FuzzReusedLines and cmd/warden's TestRegexReusedLines compare every
	// failure with a filter given copies of the lines.
	return unsafe.String(&g.text[n], len(s))
}

// value returns slot's value the way fail2ban's dict holds it.
func (g *fields) value(slot int) (any, bool) {
	v := g.at(slot)
	switch v.kind {
	case valNone:
		return nil, true
	case valString:
		return v.s, true
	case valOne:
		return 1, true
	case valTuple:
		return g.tuples[slot], true
	}
	return nil, false
}

// get returns the value of a key of the dict.
func (g *fields) get(name string) (any, bool) {
	switch name {
	case "matches":
		if g.matches != nil {
			return g.matches, true
		}
	case "nofail-matches":
		if g.nofailMatches != nil {
			return g.nofailMatches, true
		}
	case "users":
		if g.users != nil {
			return g.users, true
		}
	}
	i, ok := g.lay.index[name]
	if !ok {
		return nil, false
	}
	return g.value(i)
}

// tupleAppend is fail2ban's tuple_ folding: the field becomes a list of
// its old value and v.
func (g *fields) tupleAppend(slot int, v any) {
	if g.tuples == nil {
		g.tuples = map[int][]any{}
	}
	if g.kinds[slot] == valTuple {
		g.tuples[slot] = append(g.tuples[slot], v)
		return
	}
	old, _ := g.value(slot)
	g.tuples[slot] = []any{old, v}
	g.set(slot, fval{kind: valTuple})
}

// Field is one named string field of a failure. Name is a group's name,
// which pyre accepts only as a Python identifier (letters, digits, marks
// and underscores), or one of fail2ban's own: a JSON string holds it as
// it is, with no escape.
type Field struct{ Name, Value string }

// isInternal names the fields that are not reported.
func isInternal(name string) bool {
	return name == "mlfid" || name == "content"
}

// appendPublic appends the string fields in name order, without
// internals.
func (g *fields) appendPublic(dst []Field) []Field {
	for _, i := range g.lay.public {
		if g.kinds[i] == valString {
			dst = append(dst, Field{g.lay.names[i], g.strs[i]})
		}
	}
	return dst
}

// String shows the fields for debugging.
func (g *fields) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for _, i := range g.lay.sorted {
		if v, ok := g.value(i); ok {
			if b.Len() > 1 {
				b.WriteString(", ")
			}
			b.WriteString(g.lay.names[i])
			b.WriteString(": ")
			if s, ok := v.(string); ok {
				b.WriteString(s)
			} else if v == nil {
				b.WriteString("None")
			} else {
				b.WriteString("…")
			}
		}
	}
	b.WriteByte('}')
	return b.String()
}
