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

	// With Options.TransientFailures, the fields of connections the
	// cache dropped, and their sets of users, once nothing holds them
	// (see Filter.recycle): taken before new pieces.
	freeFields []*fields
	freeUsers  []*orderedSet
	transient  bool // Options.TransientFailures
	// and their lists of lines (and those they replaced), emptied.
	freeLns [][]tline
}

// slabLen is the number of pieces of an array.
const slabLen = 16

// piece cuts the next n elements from *slab, a fresh array of slabLen
// such pieces when it has fewer left, and returns them capped at n.
func piece[T any](slab *[]T, n int) []T {
	if len(*slab) < n {
		*slab = make([]T, slabLen*n)
	}
	p := (*slab)[:n:n]
	*slab = (*slab)[n:]
	return p
}

// fields returns empty fields of layout lay.
func (s *slabs) fields(lay *layout) *fields {
	if n := len(s.freeFields); n > 0 && s.freeFields[n-1].lay == lay {
		g := s.freeFields[n-1]
		s.freeFields[n-1] = nil
		s.freeFields = s.freeFields[:n-1]
		if g.users != nil {
			s.freeUsers = append(s.freeUsers, g.users)
		}
		g.reset()
		// Its text is written again (fields.keep): zeroed first, so
		// that a string of it still read would show.
		clear(g.text)
		g.text = g.text[:0]
		return g
	}
	switch n := len(lay.names); {
	case n <= smallSlots:
		x := &piece(&s.small, 1)[0]
		x.lay, x.fields.strs, x.fields.kinds = lay, x.strs[:n:n], x.kinds[:n:n]
		return &x.fields
	case n <= largeSlots:
		x := &piece(&s.large, 1)[0]
		x.lay, x.fields.strs, x.fields.kinds = lay, x.strs[:n:n], x.kinds[:n:n]
		return &x.fields
	}
	return newFields(lay)
}

// failure returns an empty list of failures with room for one.
func (s *slabs) failure() []Failure { return piece(&s.fails, 1)[:0] }

// appendLines is append(m, add...), taking a new list from the slab
// when m is empty and add is short.
func (s *slabs) appendLines(m, add []tline) []tline {
	if len(m) == 0 && cap(m) < len(add) {
		if n := len(s.freeLns); n > 0 && cap(s.freeLns[n-1]) >= len(add) {
			m = s.freeLns[n-1]
			s.freeLns[n-1] = nil
			s.freeLns = s.freeLns[:n-1]
		} else if len(add) <= 2 {
			m = piece(&s.lines, 2)[:0]
		}
	}
	return append(m, add...)
}

// maxFreeLines bounds the lists of lines kept for reuse.
const maxFreeLines = 2 * mlfMaxCount

// freeLines takes the array of m, which nothing holds any more, for
// reuse (Options.TransientFailures), emptied so that it keeps no text
// alive.
func (s *slabs) freeLines(m []tline) {
	if cap(m) == 0 || len(s.freeLns) >= maxFreeLines {
		return
	}
	m = m[:cap(m)]
	clear(m)
	s.freeLns = append(s.freeLns, m[:0])
}

// sameArray reports whether a and b are slices of one array that run to
// its end (as appended lists do).
func sameArray(a, b []tline) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}

// userSet returns an empty set of users.
func (s *slabs) userSet() *orderedSet {
	if n := len(s.freeUsers); n > 0 {
		u := s.freeUsers[n-1]
		s.freeUsers[n-1] = nil
		s.freeUsers = s.freeUsers[:n-1]
		items, sorted := u.items, u.sorted
		*u = orderedSet{reuse: true}
		// Its arrays are reused, emptied, as the set is (no failure
		// holds them any more, see Options.TransientFailures).
		u.items = u.first[:0]
		if cap(items) > len(u.first) {
			clear(items[:cap(items)])
			u.items = items[:0]
		}
		clear(sorted[:cap(sorted)])
		u.sorted = sorted[:0]
		u.stale = true
		return u
	}
	u := &piece(&s.users, 1)[0]
	u.items, u.reuse = u.first[:0], s.transient
	return u
}
