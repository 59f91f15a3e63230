package pyre

import "unsafe"

// Shared holds what compiling a pattern builds that the next patterns
// compiled with it can reuse: the character sets of the classes that
// hold a category (such as [\w\-.^_]), the unions of large sets and
// their matching tables. A filter's regexes share their tags'
// expansions (every failregex of the stock sshd filter holds <HOST>'s
// classes), so that compiling them with one Shared builds each large
// set, union and table once instead of once a regex.
//
// The zero Shared is ready to use. It is not safe for concurrent use: a
// Shared serves the patterns of one goroutine, compiled in turn (a lazy
// program, compiled at its first search, does not use it).
type Shared struct {
	classes  map[classKey]charSet
	unions   map[[2]setRef]charSet
	runeSets map[setRef]*runeSet
	small    map[string]charSet // small sets by their bytes (see canon)
}

// sharedMin is the size (in ranges) from which a set or a union is worth
// looking up: below it, building costs no more than the lookup.
const sharedMin = 16

// classKey is a class as written, with the flags it was parsed with.
type classKey struct {
	text  string
	flags Flags
}

// setRef names a set by its slice: sets are read-only once built, and
// those a Shared keeps are clipped (no append writes next to them).
type setRef struct {
	first *rng
	n     int
}

func refOf(cs charSet) setRef {
	if len(cs) == 0 {
		return setRef{}
	}
	return setRef{&cs[0], len(cs)}
}

// class returns the set of the class written text with flags fl, built
// by build the first time. Unlike union and runeSet, it needs a Shared:
// its caller builds the key only when there is one.
func (sh *Shared) class(text string, fl Flags, build func() charSet) charSet {
	k := classKey{text, fl}
	if cs, ok := sh.classes[k]; ok {
		return cs
	}
	cs := clip(build())
	if sh.classes == nil {
		sh.classes = make(map[classKey]charSet)
	}
	sh.classes[k] = cs
	return cs
}

// union is the package's union of a and b, looked up when they are
// large.
func (sh *Shared) union(a, b charSet) charSet {
	if sh == nil || len(a)+len(b) < sharedMin {
		return union(a, b)
	}
	k := [2]setRef{refOf(sh.canon(a)), refOf(sh.canon(b))}
	if u, ok := sh.unions[k]; ok {
		return u
	}
	u := clip(union(a, b))
	if sh.unions == nil {
		sh.unions = make(map[[2]setRef]charSet)
	}
	sh.unions[k] = u
	return u
}

// canon returns the first set seen with the ranges of cs when it is
// small: a large set's union with a small one made afresh (the first
// characters of an alternation) is then found by its sets' names as well.
func (sh *Shared) canon(cs charSet) charSet {
	if len(cs) == 0 || len(cs) >= sharedMin {
		return cs
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&cs[0])), len(cs)*int(unsafe.Sizeof(rng{})))
	if c, ok := sh.small[string(b)]; ok {
		return c
	}
	if sh.small == nil {
		sh.small = make(map[string]charSet)
	}
	cs = clip(cs)
	sh.small[string(b)] = cs
	return cs
}

// runeSet is sharedRuneSet(cs), looked up when cs is large.
func (sh *Shared) runeSet(cs charSet) *runeSet {
	if sh == nil || len(cs) < sharedMin {
		return sharedRuneSet(cs)
	}
	k := refOf(cs)
	if rs, ok := sh.runeSets[k]; ok {
		return rs
	}
	rs := sharedRuneSet(cs)
	if sh.runeSets == nil {
		sh.runeSets = make(map[setRef]*runeSet)
	}
	sh.runeSets[k] = rs
	return rs
}

// clip returns cs with no room after it: appending to it copies it.
func clip(cs charSet) charSet { return cs[:len(cs):len(cs)] }
