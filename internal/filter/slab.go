package filter

// slabs hands out the small objects a matching line keeps (its failure,
// the fields behind it, the list of its lines) as pieces of larger
// arrays, so that a line costs a fraction of an allocation. Pieces never
// overlap and are capped at their length: appending past one allocates,
// as it would have. A piece keeps its array alive, and with it what the
// other pieces of the array hold, until every piece is dropped: arrays
// are small (slabLen pieces) for that reason.
type slabs struct {
	small []fieldsSmall
	large []fieldsLarge
	fails []Failure
	lines []tline
	users []orderedSet
}

// slabLen is the number of pieces of an array.
const slabLen = 16

// fields returns empty fields of layout lay.
func (s *slabs) fields(lay *layout) *fields {
	switch n := len(lay.names); {
	case n <= smallSlots:
		if len(s.small) == 0 {
			s.small = make([]fieldsSmall, slabLen)
		}
		x := &s.small[0]
		s.small = s.small[1:]
		x.lay, x.fields.strs, x.fields.kinds = lay, x.strs[:n:n], x.kinds[:n:n]
		return &x.fields
	case n <= largeSlots:
		if len(s.large) == 0 {
			s.large = make([]fieldsLarge, slabLen)
		}
		x := &s.large[0]
		s.large = s.large[1:]
		x.lay, x.fields.strs, x.fields.kinds = lay, x.strs[:n:n], x.kinds[:n:n]
		return &x.fields
	}
	return newFields(lay)
}

// failure returns an empty list of failures with room for one.
func (s *slabs) failure() []Failure {
	if len(s.fails) == 0 {
		s.fails = make([]Failure, slabLen)
	}
	p := s.fails[:0:1]
	s.fails = s.fails[1:]
	return p
}

// appendLines is append(m, add...), taking a new list from the slab
// when m is empty and add is short.
func (s *slabs) appendLines(m, add []tline) []tline {
	if len(m) == 0 && cap(m) < len(add) && len(add) <= 2 {
		if len(s.lines) < 2 {
			s.lines = make([]tline, 2*slabLen)
		}
		m = s.lines[:0:2]
		s.lines = s.lines[2:]
	}
	return append(m, add...)
}

// userSet returns an empty set of users.
func (s *slabs) userSet() *orderedSet {
	if len(s.users) == 0 {
		s.users = make([]orderedSet, slabLen)
	}
	u := &s.users[0]
	s.users = s.users[1:]
	return u
}
