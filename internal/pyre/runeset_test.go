package pyre

import (
	"reflect"
	"testing"
)

// TestSharedRuneSetEqualsNew checks that sharedRuneSet, which shares the
// ranges above ASCII of the Unicode class escapes, builds the same set as
// newRuneSet: for the class escapes, for classes that add to them or take
// from them below or above ASCII, and for sets it must not share.
func TestSharedRuneSetEqualsNew(t *testing.T) {
	var sets []charSet
	for _, neg := range []bool{false, true} {
		for _, cat := range []category{catDigit, catNotDigit, catSpace, catNotSpace, catWord, catNotWord} {
			for _, extra := range [][]classItem{
				nil,
				{{kind: itemLiteral, lo: '-'}, {kind: itemLiteral, lo: '.'}, {kind: itemLiteral, lo: '^'}},
				{{kind: itemRange, lo: 0, hi: 0x7f}},
				{{kind: itemRange, lo: 'a', hi: 0x80}},
				{{kind: itemLiteral, lo: 0x7f}, {kind: itemLiteral, lo: 0x80}},
				{{kind: itemLiteral, lo: 0x100}},
				{{kind: itemLiteral, lo: 0x10ffff}},
				{{kind: itemCategory, cat: catSpace}},
			} {
				items := append([]classItem{{kind: itemCategory, cat: cat}}, extra...)
				sets = append(sets, classSet(items, neg, 0))
			}
		}
	}
	sets = append(sets, charSet{{'a', 'z'}}, charSet{{0x80, 0x80}}, nil)
	shares := 0
	for _, cs := range sets {
		got, want := sharedRuneSet(cs), newRuneSet(cs)
		for _, u := range uniCategoryRuneSets {
			if len(got.hi) > 0 && &got.hi[0] == &u.hi[0] {
				shares++
			}
		}
		if got.ascii != want.ascii || got.lead != want.lead || !reflect.DeepEqual(got.hi, want.hi) && !(len(got.hi) == 0 && len(want.hi) == 0) {
			t.Errorf("sharedRuneSet(%v) = %+v, want %+v", cs, got, want)
		}
	}
	if shares < 20 {
		t.Errorf("%d of the sets share ranges with a class escape, want at least 20", shares)
	}
}
