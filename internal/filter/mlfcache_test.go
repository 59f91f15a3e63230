package filter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// mlfModel is the connection cache written plainly: a map and the list of
// ids in the order they were first stored, scanned on every removal.
type mlfModel struct {
	m     map[string]float64 // id -> expiry
	order []string
}

func (c *mlfModel) unset(id string) {
	if _, ok := c.m[id]; !ok {
		return
	}
	delete(c.m, id)
	c.order = slices.DeleteFunc(c.order, func(k string) bool { return k == id })
}

func (c *mlfModel) get(id string, now float64) bool {
	e, ok := c.m[id]
	if ok && e > now {
		return true
	}
	if ok {
		c.unset(id)
	}
	return false
}

func (c *mlfModel) set(id string, now float64) {
	if len(c.m) >= mlfMaxCount {
		for len(c.order) > 0 {
			k := c.order[0]
			c.order = c.order[1:]
			old, had := c.m[k]
			delete(c.m, k)
			if had && old > now && len(c.m) < mlfMaxCount {
				break
			}
		}
	}
	if _, ok := c.m[id]; !ok {
		c.order = append(c.order, id)
	}
	c.m[id] = now + mlfMaxAge
}

// TestMLFCacheMatchesModel runs random stores, look-ups and removals on the
// filter's connection cache and on the plain model, and compares them.
func TestMLFCacheMatchesModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		f := &Filter{mlf: map[string]mlfEntry{}}
		model := &mlfModel{m: map[string]float64{}}
		now := 1000.0
		ids := 50 + rng.IntN(300)
		for step := 0; step < 20000; step++ {
			now += rng.Float64() * 10
			id := fmt.Sprintf("c%d", rng.IntN(ids))
			switch op := rng.IntN(10); {
			case op < 5:
				// the filter stores a connection only when it holds
				// none (mlfGet found nothing)
				if _, held := model.m[id]; !held {
					f.mlfAdd(id, &fields{}, now)
					model.set(id, now)
				}
			case op < 8:
				if got, want := f.mlfGet(id, now) != nil, model.get(id, now); got != want {
					t.Fatalf("seed %d step %d: get(%s) = %v, model %v", seed, step, id, got, want)
				}
			default:
				if e, ok := f.mlf[id]; ok {
					f.mlfForget(id, e.fields)
				}
				model.unset(id)
			}
			if len(f.mlf) != len(model.m) {
				t.Fatalf("seed %d step %d: %d entries, model %d", seed, step, len(f.mlf), len(model.m))
			}
			if step%500 == 0 {
				var got, want []string
				for k, e := range f.mlf {
					got = append(got, fmt.Sprint(k, e.expires))
				}
				for k, e := range model.m {
					want = append(want, fmt.Sprint(k, e))
				}
				sort.Strings(got)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d: cache %v, model %v", seed, step, got, want)
				}
			}
			if len(f.mlfOrder) > 4*mlfMaxCount+1 {
				t.Fatalf("order list grew to %d", len(f.mlfOrder))
			}
		}
	}
}
