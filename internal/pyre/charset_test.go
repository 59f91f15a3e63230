package pyre

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestUnionSharesOnlyWhatHoldsTheOther checks union against the merge of
// its arguments, ranges taken apart, on random sets (sorted or not): the
// result is normal and holds exactly the characters of both; when it is
// one of the arguments, that argument held the other; and neither
// argument is changed, since sets such as categorySet's are shared.
func TestUnionSharesOnlyWhatHoldsTheOther(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := func() charSet {
		s := randomSet(rnd)
		switch rnd.IntN(4) {
		case 0:
			s = normalize(s)
		case 1:
			// many ranges: subset's binary search, the merge's rest
			s = normalize(manyRanges(rnd))
		}
		return s
	}
	has := func(s charSet, c rune) bool {
		for _, r := range s {
			if r.lo <= c && c <= r.hi {
				return true
			}
		}
		return false
	}
	for i := range 20000 {
		a, b := random(), random()
		switch rnd.IntN(8) {
		case 0, 1:
			b = slices.Clone(a[:rnd.IntN(len(a)+1)])
		case 2:
			b = a // the same set, normal or not
		}
		a0, b0 := slices.Clone(a), slices.Clone(b)
		u := union(a, b)
		if !normal(u) {
			t.Fatalf("%d: union(%v, %v) = %v: not normal", i, a0, b0, u)
		}
		aHasB, bHasA := true, true
		for c := rune(-1); c < 400; c++ {
			if has(u, c) != (has(a0, c) || has(b0, c)) {
				t.Fatalf("%d: union(%v, %v) = %v: wrong at %d", i, a0, b0, u, c)
			}
			aHasB = aHasB && (has(a0, c) || !has(b0, c))
			bHasA = bHasA && (has(b0, c) || !has(a0, c))
		}
		shares := func(x, y charSet) bool { return len(x) > 0 && len(y) > 0 && &x[0] == &y[0] }
		if shares(u, a) && !aHasB || shares(u, b) && !bHasA {
			t.Fatalf("%d: union(%v, %v) returned an argument that does not hold the other", i, a0, b0)
		}
		if !slices.Equal(a, a0) || !slices.Equal(b, b0) {
			t.Fatalf("%d: union changed its arguments: %v, %v (were %v, %v)", i, a, b, a0, b0)
		}
	}
}

// TestCategorySetsShared checks that the class escapes' sets are the
// shared ones, that their runeSets are, and that both still say what the
// tables say.
func TestCategorySetsShared(t *testing.T) {
	for c := catDigit; c <= catNotWord; c++ {
		u := categorySet(c, false)
		if &u[0] != &categorySet(c, false)[0] || cap(u) != len(u) {
			t.Errorf("category %d: not one shared, clipped set", c)
		}
		if !normal(u) || !normal(categorySet(c, true)) {
			t.Errorf("category %d: not normal (classSet shares it as it is)", c)
		}
		if sharedRuneSet(u) != sharedRuneSet(categorySet(c, false)) {
			t.Errorf("category %d: runeSet not shared", c)
		}
		if sharedRuneSet(slices.Clone(u)) == sharedRuneSet(u) {
			t.Errorf("category %d: a copy of the set got the shared runeSet", c)
		}
	}
	for _, r := range []rune{'a', '_', '0', ' ', '\u00e9', '\u0660', '\u2003', '-'} {
		if got, want := sharedRuneSet(categorySet(catWord, false)).has(r), isUniWord(r); got != want {
			t.Errorf("\\w has %q: %v, want %v", r, got, want)
		}
		if got, want := sharedRuneSet(categorySet(catNotWord, false)).has(r), !isUniWord(r); got != want {
			t.Errorf("\\W has %q: %v, want %v", r, got, want)
		}
	}
}

// TestOverlaps checks overlaps against intersect on random sets.
func TestOverlaps(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		a, b := normalize(randomSet(rnd)), normalize(randomSet(rnd))
		if got, want := overlaps(a, b), len(intersect(a, b)) > 0; got != want {
			t.Fatalf("%d: overlaps(%v, %v) = %v, want %v", i, a, b, got, want)
		}
	}
}

// manyRanges returns 33 to 80 ranges of code points below 400, in no
// order, overlapping or not.
func manyRanges(rnd *rand.Rand) charSet {
	var s charSet
	for range 33 + rnd.IntN(48) {
		lo := rune(rnd.IntN(390))
		s = append(s, rng{lo, lo + rune(rnd.IntN(4))})
	}
	return s
}

// randomSet returns up to four ranges of small code points, in no order,
// overlapping or not.
func randomSet(rnd *rand.Rand) charSet {
	var s charSet
	for range rnd.IntN(5) {
		lo := rune(rnd.IntN(60))
		s = append(s, rng{lo, lo + rune(rnd.IntN(8))})
	}
	return s
}
