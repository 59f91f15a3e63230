package filter

// This file holds what tools such as warden regex report about a filter
// and its failures beside the matching itself: the regexes as written,
// the date templates, a failure's dict in fail2ban's key order.

// FailRegexAsWritten returns the failregexes as given in Options (after
// configuration interpolation, before tag expansion), as fail2ban-regex
// lists them.
func (f *Filter) FailRegexAsWritten() []string {
	return append([]string(nil), f.opt.FailRegex...)
}

// IgnoreRegexAsWritten returns the ignoreregexes as given in Options.
func (f *Filter) IgnoreRegexAsWritten() []string {
	return append([]string(nil), f.opt.IgnoreRegex...)
}

// DateTemplates returns the names of the date templates in their current
// order (the detector moves the templates that hit to the front).
func (f *Filter) DateTemplates() []string {
	return f.dates.Templates()
}

// NumDateTemplates returns how many date templates the filter has,
// without building them.
func (f *Filter) NumDateTemplates() int { return f.dates.NumTemplates() }

// DateTemplate returns the name of date template i in the current order
// (0 <= i < NumDateTemplates), building only that one.
func (f *Filter) DateTemplate(i int) string { return f.dates.TemplateName(i) }

// KeyValue is one key of a failure's dict and its value: a string, nil
// (a group that did not take part), 1 (mlfpending), a []any (a tuple_
// field) or, for "users", a []string (a set, sorted).
type KeyValue struct {
	Key   string
	Value any
}

// Dict returns the keys of failure m's dict, but "matches" and
// "nofail-matches", in the order fail2ban's dict would hold them when the
// failure comes from one line: the prefregex's groups, then the groups
// of the failregex that matched, in the order of the groups in the
// regexes, then the keys fail2ban adds (users, ip, mlfpending). Keys that
// came from earlier lines of the same connection (<F-MLFID>) follow the
// regex's own groups in a fixed order, where fail2ban would have them in
// the order it first saw them.
func (f *Filter) Dict(m Failure) []KeyValue {
	g := m.fields
	if g == nil {
		return nil
	}
	done := make([]bool, len(g.lay.names))
	var out []KeyValue
	add := func(slot int) {
		if slot < 0 || slot >= len(done) || done[slot] {
			return
		}
		done[slot] = true
		if v, ok := g.value(slot); ok {
			out = append(out, KeyValue{g.lay.names[slot], v})
		}
	}
	late := []int{slotIP, slotMLFPending, slotContent}
	for _, s := range late {
		done[s] = true
	}
	users := g.lay.usersSlot
	if users >= 0 {
		done[users] = true
	}
	if f.pref != nil {
		for _, s := range f.pref.slots {
			add(s)
		}
	}
	if m.Regex >= 0 && m.Regex < len(f.fail) {
		// its groups, then its alt_ and tuple_ fields (bind)
		for _, s := range f.fail[m.Regex].written {
			add(s)
		}
	}
	for i := range g.lay.names {
		add(i)
	}
	if u := m.Users(); u != nil {
		out = append(out, KeyValue{"users", u})
	} else if users >= 0 {
		done[users] = false
		add(users)
	}
	for _, s := range late[:2] {
		done[s] = false
		add(s)
	}
	return out
}

// MatchTuples returns the log lines of the failure as fail2ban holds
// them: the text before the date, the date, the text after it.
func (f Failure) MatchTuples() [][3]string {
	if f.fields == nil {
		return nil
	}
	out := make([][3]string, len(f.fields.matches))
	for i, l := range f.fields.matches {
		out[i] = [3]string{l.pre, l.date, l.post}
	}
	return out
}

// PrefGroups returns the prefregex's groups on the last line, in the
// order of the groups in the regex (Python's groupdict()), or nil when the
// prefregex did not match it.
func (f *Filter) PrefGroups() []KeyValue {
	if f.pref == nil || !f.Last.PrefMatched || f.preFields == nil {
		return nil
	}
	var out []KeyValue
	seen := map[int]bool{}
	for _, s := range f.pref.slots {
		if s < 0 || seen[s] {
			continue
		}
		seen[s] = true
		v := f.preFields.at(s)
		if s == slotContent {
			v = f.Last.prefContent
		}
		switch v.kind {
		case valString:
			out = append(out, KeyValue{f.lay.names[s], v.s})
		case valNone:
			out = append(out, KeyValue{f.lay.names[s], nil})
		}
	}
	return out
}
