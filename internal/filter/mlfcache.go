package filter

import "hash/maphash"

// mlfSlots is the size of the connections cache's hash table: a power of
// two, at least twice mlfMaxCount, so that probe runs stay short.
const (
	mlfSlots = 256
	mlfMask  = mlfSlots - 1
)

// Compile-time checks: a slot holds an entry's index + 1 in a byte, the
// table has twice as many slots as entries or more, and mlfSlots is a
// power of two (mlfMask).
const (
	_ = uint8(255 - mlfMaxCount)
	_ = uint(mlfSlots - 2*mlfMaxCount)
	_ = uint(-(mlfSlots & mlfMask))
)

// mlfCache is the connections cache (<F-MLFID>): at most mlfMaxCount
// entries by id, in the order they were stored, the oldest first out. A
// Go map did the same with four hashes of the id for every new
// connection once the cache is full (a look-up that misses, the look-up
// and removal of the oldest entry, the store); here the id is hashed once
// (hash), by the caller, and the entries keep their hashes, so that the
// oldest one leaves without its id hashed or compared again.
//
// The table is open addressing with linear probing and removal by
// backward shift (no tombstones), over a fixed array of entries; the ids
// are hashed with a seed of the cache's own, as an attacker writes them.
// At most mlfMaxCount of the mlfSlots slots are ever used, so that a
// look-up reads few slots, and never more than mlfMaxCount + 1.
type mlfCache struct {
	seed  maphash.Seed
	n     int             // entries held
	slots [mlfSlots]uint8 // an entry's index + 1, 0 for none
	ents  [mlfMaxCount]mlfEntry
	free  [mlfMaxCount]uint8 // free[:nfree] are the unused entries
	nfree int
	// head and tail are the oldest and the newest entry, -1 when empty;
	// the entries link each other in the order they were stored.
	head, tail int
}

type mlfEntry struct {
	id         string
	hash       uint64
	fields     *fields
	expires    float64
	prev, next int // the entries stored just before and after, -1 for none
}

// newMLFCache returns an empty cache.
func newMLFCache() *mlfCache {
	c := &mlfCache{seed: maphash.MakeSeed(), head: -1, tail: -1, nfree: mlfMaxCount}
	for i := range c.free {
		c.free[i] = uint8(mlfMaxCount - 1 - i) // entry 0 taken first
	}
	return c
}

// hash returns the hash of id, for lookup, insert and forget.
func (c *mlfCache) hash(id string) uint64 { return maphash.String(c.seed, id) }

// lookup returns the index of the entry of id, whose hash is h, or -1.
func (c *mlfCache) lookup(id string, h uint64) int {
	for s, k := h&mlfMask, 0; k < mlfSlots; s, k = (s+1)&mlfMask, k+1 {
		v := c.slots[s]
		if v == 0 {
			return -1
		}
		if e := &c.ents[v-1]; e.hash == h && e.id == id {
			return int(v - 1)
		}
	}
	return -1
}

// insert stores id, whose hash is h and which the cache does not hold; the
// cache must hold fewer than mlfMaxCount entries.
func (c *mlfCache) insert(id string, h uint64, g *fields, expires float64) {
	c.nfree--
	i := int(c.free[c.nfree])
	c.ents[i] = mlfEntry{id: id, hash: h, fields: g, expires: expires, prev: c.tail, next: -1}
	if c.tail >= 0 {
		c.ents[c.tail].next = i
	} else {
		c.head = i
	}
	c.tail = i
	s := h & mlfMask
	for c.slots[s] != 0 {
		s = (s + 1) & mlfMask
	}
	c.slots[s] = uint8(i + 1)
	c.n++
}

// remove drops entry i.
func (c *mlfCache) remove(i int) {
	e := &c.ents[i]
	if e.prev >= 0 {
		c.ents[e.prev].next = e.next
	} else {
		c.head = e.next
	}
	if e.next >= 0 {
		c.ents[e.next].prev = e.prev
	} else {
		c.tail = e.prev
	}
	s := e.hash & mlfMask
	for c.slots[s] != uint8(i+1) {
		s = (s + 1) & mlfMask
	}
	c.unslot(s)
	*e = mlfEntry{} // no text or fields kept alive
	c.free[c.nfree] = uint8(i)
	c.nfree++
	c.n--
}

// unslot empties slot s, moving back the entries of the run after it
// that could no longer be found past the hole.
func (c *mlfCache) unslot(s uint64) {
	for {
		c.slots[s] = 0
		j := s
		for {
			j = (j + 1) & mlfMask
			v := c.slots[j]
			if v == 0 {
				return
			}
			// v stays at j when its home slot lies cyclically in (s, j]
			home := c.ents[v-1].hash & mlfMask
			if (j > s && (home <= s || home > j)) || (j < s && home <= s && home > j) {
				c.slots[s] = v
				s = j
				break
			}
		}
	}
}
