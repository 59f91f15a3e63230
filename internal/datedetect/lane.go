package datedetect

// This file is Detect's shortcut for the usual line of a log: the
// template that found the date of the previous line has a direct matcher
// (direct.go), and that matcher finds this line's date in the place
// matchTime's "last template first" step looks at. The shortcut then does
// exactly what matchTime and strptime would do, with less work: one
// direct match instead of a general search, and field values read
// straight from text the direct matcher has already checked. Whenever it
// is not sure of that, it changes nothing and Detect takes the general
// path. TestLaneEqualsGeneral and FuzzFastDetector compare both.

// fieldKinds returns the element kinds that capture strptime field
// letter key, nil for a letter no fast matcher captures.
func fieldKinds(key byte) []fastKind {
	switch key {
	case 'a':
		return []fastKind{fkDayName}
	case 'b':
		return []fastKind{fkMonName}
	case 'd':
		return []fastKind{fkDay}
	case 'H':
		return []fastKind{fkHourK, fkHour}
	case 'M':
		return []fastKind{fkMinute}
	case 'S':
		return []fastKind{fkSecond}
	case 'f':
		return []fastKind{fkFrac}
	case 'Y':
		return []fastKind{fkYear, fkYearOpt}
	case 'm':
		return []fastKind{fkMonth}
	case 'z':
		return []fastKind{fkZone}
	}
	return nil
}

// laneFieldsMatch reports whether the strptime fields of t are exactly
// the captures of f's elements that laneFields reads.
func laneFieldsMatch(t *template, f *fastMatcher) bool {
	seen := 0
	for _, fl := range t.fields {
		ok := false
		for _, k := range fieldKinds(fl.key) {
			if f.groups[k] == fl.group {
				ok = true
			}
		}
		if !ok {
			return false
		}
		seen++
	}
	named := 0
	for _, e := range f.elems {
		if len(e.name) == 1 {
			if fieldKinds(e.name[0]) == nil {
				return false
			}
			named++
		}
	}
	return seen == named
}

// matchLast is the first step of matchTime (search the last used
// template, at the date's previous place unless it is anchored) for the
// case that the direct matcher answers it and matchTime would take the
// match without looking at other templates. On true d.m.caps holds the
// match and the search has been counted; on false nothing has changed.
func (d *Detector) matchLast(line string) bool {
	i := d.lastIdx
	if i >= len(d.slots) || d.noFast {
		return false
	}
	s := d.slots[i]
	f := s.t.fast
	if f == nil || !f.lane {
		return false
	}
	pos, end := 0, len(line)
	anchored := s.t.anchored()
	if anchored != f.anchored {
		return false
	}
	if !anchored {
		// matchTime's test for searching only where the date was
		var ok bool
		if pos, end, ok = d.lastPlace(line); !ok {
			return false
		}
		if end > len(line) {
			end = len(line)
		}
		if pos < 0 {
			pos = 0
		}
		// the fast search tries pos first if its byte passes the
		// prefilter
		if pos >= end {
			return false
		}
		c := line[pos]
		if p := f.prog; c >= 0x80 || (!p.firstNone && p.first[c>>6]&(1<<(c&63)) == 0) {
			return false
		}
	}
	if end > 1<<30 || f.maxTryWork > fastWorkLimit {
		return false
	}
	n := 2 * (f.ncap + 1)
	if cap(d.m.caps) < n {
		d.m.caps = make([]int, n)
	}
	d.m.caps = d.m.caps[:n]
	d.m.caps[0] = pos
	if !f.matchDirect(line, pos, end, d.m.caps) {
		return false
	}
	if !anchored && len(d.slots) > 1 &&
		(d.toCP(line, d.m.caps[0]) != d.lastStart.pos || d.toCP(line, d.m.caps[1]) != d.lastEnd.pos) {
		return false
	}
	s.found++
	return true
}

// laneGroups are the capture groups laneFields reads (0: absent).
type laneGroups struct {
	year, month, day, hour, minute, second, weekday, zone int
	monthName                                             bool
}

func newLaneGroups(f *fastMatcher) laneGroups {
	g := &f.groups
	return laneGroups{
		year:      g[fkYear] + g[fkYearOpt], // at most one is set
		month:     g[fkMonName] + g[fkMonth],
		monthName: g[fkMonName] > 0,
		day:       g[fkDay],
		hour:      g[fkHourK] + g[fkHour],
		minute:    g[fkMinute],
		second:    g[fkSecond],
		weekday:   g[fkDayName],
		zone:      g[fkZone],
	}
}

// laneFields is parseFields for a match of a direct matcher: it reads
// the values from the texts the matcher has checked. ok is false when a
// zone needs zoneOffset's general parsing.
func laneFields(line string, lg *laneGroups, caps []int, v *dateFields) bool {
	if s, e, ok := laneSpan(caps, lg.year); ok {
		v.year, v.haveYear = digitsValue(line[s:e]), true
	}
	if s, e, ok := laneSpan(caps, lg.month); ok {
		if lg.monthName {
			v.month = monthAt(line, s, s+3) + 1
		} else {
			v.month = digitsValue(line[s:e])
		}
		v.haveMonth = true
	}
	if s, e, ok := laneSpan(caps, lg.day); ok {
		v.day, v.haveDay = digitsValue(line[s:e]), true
	}
	if s, e, ok := laneSpan(caps, lg.hour); ok {
		v.hour = digitsValue(line[s:e])
	}
	if s, e, ok := laneSpan(caps, lg.minute); ok {
		v.minute = digitsValue(line[s:e])
	}
	if s, e, ok := laneSpan(caps, lg.second); ok {
		v.second = digitsValue(line[s:e])
	}
	if s, _, ok := laneSpan(caps, lg.weekday); ok {
		v.weekday, v.haveWeekday = weekdayAt(line, s, s+3), true
	}
	if s, e, ok := laneSpan(caps, lg.zone); ok {
		z := line[s:e]
		if z == "Z" || z == "UTC" || z == "GMT" {
			v.tzoff = 0
		} else if off, ok := numericZone(z); ok {
			v.tzoff = off
		} else {
			return false
		}
		v.haveTZ = true
	}
	return true
}

// laneSpan returns the span of group g (0: the matcher has none) and
// whether it took part in the match.
func laneSpan(caps []int, g int) (s, e int, ok bool) {
	if g <= 0 || caps[2*g] < 0 {
		return 0, 0, false
	}
	return caps[2*g], caps[2*g+1], true
}

// digitsValue is the value of ASCII digits after at most one space.
func digitsValue(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' {
			v = v*10 + int(c-'0')
		}
	}
	return v
}

// laneConvert is convert for a match found by matchLast.
func (d *Detector) laneConvert(line string, t *template, caps []int, clk *clock) (float64, error) {
	var v dateFields
	if !laneFields(line, &t.fast.laneGroups, caps, &v) {
		return d.convert(line, t, caps, clk)
	}
	return d.resolve(&v, clk)
}
