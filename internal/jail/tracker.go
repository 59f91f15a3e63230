package jail

// entry is the failures of one address: fail2ban's FailTicket.
type entry struct {
	id          string
	first, last int64   // the window's start and the last failure, unix nanoseconds
	retry       float64 // the count compared with maxretry (rescaled, weighted)
	failures    int     // the failures seen
	matches     []string
	seq         uint64 // orders equal last times: the earlier update first
	index       int    // in the heap
}

// tracker holds the entries by address and in a min-heap by last failure,
// so that expiry and eviction take the oldest in O(log n).
type tracker struct {
	byIP    map[string]*entry
	heap    []*entry
	deleted int // deletions since byIP was last rebuilt
}

func (t *tracker) len() int { return len(t.heap) }

// oldest returns the entry whose last failure is the oldest; the tracker
// must not be empty.
func (t *tracker) oldest() *entry { return t.heap[0] }

func (t *tracker) push(e *entry) {
	t.byIP[e.id] = e
	e.index = len(t.heap)
	t.heap = append(t.heap, e)
	t.up(e.index)
}

func (t *tracker) remove(e *entry) {
	delete(t.byIP, e.id)
	// A map never shrinks and its deleted slots slow lookups: under a
	// stream of new addresses, rebuild it now and then (amortized O(1)).
	if t.deleted++; t.deleted > 2*len(t.byIP)+1024 {
		m := make(map[string]*entry, len(t.byIP))
		for k, v := range t.byIP {
			m[k] = v
		}
		t.byIP, t.deleted = m, 0
	}
	i, n := e.index, len(t.heap)-1
	if i != n {
		t.swap(i, n)
	}
	t.heap[n] = nil
	t.heap = t.heap[:n]
	if i != n {
		t.fixAt(i)
	}
	if cap(t.heap) > 1024 && len(t.heap) < cap(t.heap)/4 {
		t.heap = append([]*entry(nil), t.heap...)
	}
}

// fix restores the order after e.last grew.
func (t *tracker) fix(e *entry) { t.fixAt(e.index) }

func (t *tracker) fixAt(i int) {
	if !t.down(i) {
		t.up(i)
	}
}

func (t *tracker) less(i, j int) bool {
	a, b := t.heap[i], t.heap[j]
	if a.last != b.last {
		return a.last < b.last
	}
	return a.seq < b.seq
}

func (t *tracker) swap(i, j int) {
	t.heap[i], t.heap[j] = t.heap[j], t.heap[i]
	t.heap[i].index = i
	t.heap[j].index = j
}

func (t *tracker) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !t.less(j, i) {
			break
		}
		t.swap(i, j)
		j = i
	}
}

func (t *tracker) down(i0 int) bool {
	i, n := i0, len(t.heap)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && t.less(r, l) {
			j = r
		}
		if !t.less(j, i) {
			break
		}
		t.swap(i, j)
		i = j
	}
	return i > i0
}
