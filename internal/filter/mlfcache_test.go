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
// filter's connection cache and on the plain model, and compares them. Half
// the seeds keep whole seconds, so that entries expire exactly when they
// are looked up or evicted; the clock now and then jumps past every
// entry's expiry, or goes back (a log's dates need not grow).
func TestMLFCacheMatchesModel(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		f := &Filter{mlf: newMLFCache()}
		model := &mlfModel{m: map[string]float64{}}
		now := 1000.0
		ids := 50 + rng.IntN(300)
		whole := seed%2 == 0
		for step := 0; step < 20000; step++ {
			switch r := rng.IntN(1000); {
			case r < 3:
				now += mlfMaxAge + float64(rng.IntN(100))
			case r < 20:
				now -= float64(rng.IntN(2 * mlfMaxAge))
			case whole:
				now += float64(rng.IntN(8))
			default:
				now += rng.Float64() * 10
			}
			id := fmt.Sprintf("c%d", rng.IntN(ids))
			switch op := rng.IntN(10); {
			case op < 5:
				// the filter stores a connection only when it holds
				// none (mlfGet found nothing)
				if _, held := model.m[id]; !held {
					f.mlfAdd(id, f.mlf.hash(id), &fields{}, now)
					model.set(id, now)
				}
			case op < 8:
				if got, want := mlfHeld(f, id, now), model.get(id, now); got != want {
					t.Fatalf("seed %d step %d: get(%s) = %v, model %v", seed, step, id, got, want)
				}
			default:
				if i := f.mlf.lookup(id, f.mlf.hash(id)); i >= 0 {
					f.mlfRemove(i)
				}
				model.unset(id)
			}
			if f.mlf.n != len(model.m) {
				t.Fatalf("seed %d step %d: %d entries, model %d", seed, step, f.mlf.n, len(model.m))
			}
			if err := f.mlf.check(); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			if step%500 == 0 {
				var got, want []string
				for k, e := range f.mlf.entries() {
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
		}
	}
}

// entries returns the cache's entries by id.
func (c *mlfCache) entries() map[string]*mlfEntry {
	m := map[string]*mlfEntry{}
	for i := c.head; i >= 0; i = c.ents[i].next {
		m[c.ents[i].id] = &c.ents[i]
	}
	return m
}

// check returns what is wrong with the cache's structure: the order's
// links, the entries' count, free list and hashes, and that every
// entry's slot is reached from its home slot by its probe run.
func (c *mlfCache) check() error { return c.checkHashes(true) }

// checkHashes is check, which with hashes false takes the entries' hashes
// as they are (a test's own).
func (c *mlfCache) checkHashes(hashes bool) error {
	if c.n > mlfMaxCount || c.n+c.nfree != mlfMaxCount {
		return fmt.Errorf("%d entries and %d free, cap %d", c.n, c.nfree, mlfMaxCount)
	}
	seen := make([]bool, mlfMaxCount)
	n, prev := 0, -1
	for i := c.head; i >= 0; i = c.ents[i].next {
		if seen[i] || n > mlfMaxCount {
			return fmt.Errorf("the order loops at entry %d", i)
		}
		seen[i] = true
		e := &c.ents[i]
		if e.prev != prev {
			return fmt.Errorf("entry %d links back to %d, not %d", i, e.prev, prev)
		}
		if hashes && e.hash != c.hash(e.id) {
			return fmt.Errorf("entry %d (%q) has another id's hash", i, e.id)
		}
		if got := c.lookup(e.id, e.hash); got != i {
			return fmt.Errorf("entry %d (%q) is found as %d", i, e.id, got)
		}
		prev = i
		n++
	}
	if prev != c.tail || n != c.n {
		return fmt.Errorf("the order ends at %d (tail %d) after %d entries, count %d", prev, c.tail, n, c.n)
	}
	for _, i := range c.free[:c.nfree] {
		if seen[i] {
			return fmt.Errorf("entry %d is both held and free", i)
		}
		seen[i] = true
		if c.ents[i] != (mlfEntry{}) {
			return fmt.Errorf("free entry %d still holds %q", i, c.ents[i].id)
		}
	}
	used := 0
	for s, v := range c.slots {
		if v == 0 {
			continue
		}
		used++
		e := &c.ents[v-1]
		// no empty slot between its home and s
		for h := e.hash & mlfMask; h != uint64(s); h = (h + 1) & mlfMask {
			if c.slots[h] == 0 {
				return fmt.Errorf("entry %d at slot %d is cut off from its home slot %d", v-1, s, e.hash&mlfMask)
			}
		}
	}
	if used != c.n {
		return fmt.Errorf("%d slots used for %d entries", used, c.n)
	}
	return nil
}

// TestMLFCacheProbeRuns fills runs of slots with entries of chosen hashes
// (one home slot for many, runs that wrap past the last slot) and removes
// them in every order the seeds give: each entry left is still found, and
// no slot is cut off from its home (the backward shift of remove).
func TestMLFCacheProbeRuns(t *testing.T) {
	homes := []uint64{mlfMask - 2, mlfMask - 1, mlfMask, 0, 1, 5, 6}
	for seed := uint64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		c := newMLFCache()
		held := map[string]uint64{}
		for step := 0; step < 400; step++ {
			if c.n < mlfMaxCount && (len(held) == 0 || rng.IntN(3) > 0) {
				id := fmt.Sprintf("e%d", step)
				h := homes[rng.IntN(len(homes))] | uint64(rng.IntN(1<<20))<<8
				c.insert(id, h, nil, 0)
				held[id] = h
			} else {
				ids := make([]string, 0, len(held))
				for id := range held {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				id := ids[rng.IntN(len(ids))]
				h := held[id]
				i := c.lookup(id, h)
				if i < 0 {
					t.Fatalf("seed %d step %d: %s not found", seed, step, id)
				}
				c.remove(i)
				delete(held, id)
				if c.lookup(id, h) >= 0 {
					t.Fatalf("seed %d step %d: %s found after its removal", seed, step, id)
				}
			}
			if err := c.checkHashes(false); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
	}
}

// mlfHeld reports whether the filter's cache holds connection id now
// (mlfGet, which drops it when expired).
func mlfHeld(f *Filter, id string, now float64) bool {
	g, _ := f.mlfGet(id, f.mlf.hash(id), now)
	return g != nil
}
