package datedetect

import (
	"fmt"
	"strings"
)

// defaultPatterns is fail2ban's built-in template list, in priority
// order. "EPOCH" and "TAI64N" name the special templates.
var defaultPatterns = []string{
	// ISO 8601 and friends: 2005-01-23T21:59:59.981746+01:00, 2005/01/23 21:59:59, 2006.12.21 06:43:20
	`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`,
	// asctime / syslog: [Sun ]Jan 23 21:59:59[.011][ 2005]
	`(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
	// year after the day: [Sun ]Jan 23 2005 21:59:59[.011]
	`(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`,
	// 23/01/2005 21:59:59, 23/01/05 21:59:59, 17-07-2008 17:23:25
	`%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S`,
	// Apache and similar: [31/Oct/2006:09:22:55 -0000], 26-Jul-2007 15:20:52[.252][ +0200]
	`%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?`,
	// cPanel: 05/20/2008:01:57:39
	`%m/%d/%ExY:%H:%M:%S`,
	// 01-27-2012 16:22:44[.252]
	`%m-%d-%ExY %k:%M:%S(?:\.%f)?`,
	// Unix time
	`EPOCH`,
	// time of day only, at line start
	`{^LN-BEG}%H:%M:%S`,
	// <09/16/08@05:03:30>
	`^<%m/%d/%Exy@%H:%M:%S>`,
	// MySQL: 130322 11:46:11
	`%Exy%Exm%Exd  ?%H:%M:%S`,
	// Tomcat: Jan 23, 2005 9:59:59 PM
	`%b %d, %ExY %I:%M:%S %p`,
	// ASSP: Apr-27-13 02:33:06
	`^%b-%d-%Exy %k:%M:%S`,
	// compact ISO 8601: 20050123T215959, 20050123 215959
	`%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?`,
	// zone name first (monit): PDT Apr 16 21:05:29
	`(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
	// zone offset first: +00:00 Jan 23 21:59:59.011 2005
	`(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
	// daemontools
	`TAI64N`,
}

// builder constructs templates the way fail2ban's pattern cache does,
// but without a process-wide cache: every Detector gets its own set.
type builder struct {
	ct       codeTable
	defaults []*template // the plain default templates, in order
	anchored []*template // line-begin variants of unanchored defaults
	// anchoredKeys maps the lookup key of each line-begin variant to it,
	// so that a user pattern naming the same template gets the same
	// weight as fail2ban's shared cache would give it.
	anchoredKeys map[string]*template
}

// newBuilder prepares the default templates without building them: each
// is built (its regex compiled) on first use, see template.build. What
// the template list needs before that (which defaults get a line-begin
// variant, which are line-begin templates) follows from the pattern
// text; TestLazyBuilder checks it against the built templates.
func newBuilder(ct codeTable) *builder {
	b := &builder{ct: ct, anchoredKeys: map[string]*template{}}
	b.defaults = make([]*template, 0, len(defaultPatterns))
	for _, p := range defaultPatterns {
		t := newLazyTemplate(ct, p, defaultIsLineBegin(p))
		t.need = needsOf(p)
		b.defaults = append(b.defaults, t)
	}
	for _, p := range defaultPatterns {
		if defaultIsLineBegin(p) {
			continue // line-begin already: no variant
		}
		a := newLazyTemplate(ct, prefixLineBegin+p, true)
		a.weight = 100
		a.need = needsOf(p)
		b.anchored = append(b.anchored, a)
		b.anchoredKeys[cacheKey(prefixLineBegin+p)] = a
	}
	return b
}

// defaultIsLineBegin tells whether the default template of pattern p is
// anchored at the line begin (its flags have flagLineBegin).
func defaultIsLineBegin(p string) bool {
	return strings.HasPrefix(p, prefixLineBegin) || strings.HasPrefix(p, "^")
}

// newLazyTemplate returns the template of pattern, to be built on first
// use. Only its weight, its line-begin flag and, for %-patterns, its
// pattern are set before.
func newLazyTemplate(ct codeTable, pattern string, lineBegin bool) *template {
	t := &template{weight: 1, lazy: &lazySpec{ct: ct, pattern: pattern}}
	if lineBegin {
		t.flags = flagLineBegin
	}
	if strings.Contains(pattern, "%") {
		t.kind, t.hasPattern, t.pattern = kindPattern, true, pattern
	}
	return t
}

// lazySpec is what building a default template needs.
type lazySpec struct {
	ct      codeTable
	pattern string // as given to buildPattern
}

// build builds t if it has not been built yet. Only default templates
// are built lazily, and they always build: a failure is a bug.
func (t *template) build() {
	if t.lazy != nil {
		t.buildLazy()
	}
}

func (t *template) buildLazy() {
	l := t.lazy
	u, err := buildPattern(l.ct, l.pattern)
	if err != nil {
		panic(fmt.Sprintf("datedetect: build default template %q: %v", l.pattern, err))
	}
	w, n := t.weight, t.need
	*t = *u
	t.weight, t.need = w, n
}

// cacheKey is fail2ban's template cache key: patterns without a
// directive are case-insensitive.
func cacheKey(pattern string) string {
	if !strings.Contains(pattern, "%") {
		return strings.ToUpper(pattern)
	}
	return pattern
}

// fromPattern resolves one template pattern: a line-begin variant of a
// default template, or a template built from it (buildPattern).
func (b *builder) fromPattern(pattern string) (*template, error) {
	if a, ok := b.anchoredKeys[cacheKey(pattern)]; ok {
		return a, nil
	}
	return buildPattern(b.ct, pattern)
}

// buildPattern builds the template of one pattern: the special names
// EPOCH, LEPOCH and TAI64N (optionally with a line-begin prefix),
// patterns with an {EPOCH} field, or a %-directive pattern.
func buildPattern(ct codeTable, pattern string) (*template, error) {
	key := cacheKey(pattern)
	if strings.Contains(key, "EPOCH") {
		if rxFind(reEpochField, pattern) != nil {
			return newEpochTemplate(false, pattern, strings.Contains(key, "LEPOCH"))
		}
		switch key {
		case "EPOCH", prefixLineBegin + "EPOCH", "^EPOCH":
			return newEpochTemplate(key != "EPOCH", "", false)
		case "LEPOCH", prefixLineBegin + "LEPOCH", "^LEPOCH":
			return newEpochTemplate(key != "LEPOCH", "", true)
		}
	}
	switch key {
	case "TAI64N":
		return newTAI64NTemplate(beginNone)
	case prefixLineBegin + "TAI64N", "^TAI64N":
		return newTAI64NTemplate(beginStart)
	}
	return newPatternTemplate(ct, pattern, beginWord, true)
}

// all returns the full default list: line-begin variants first.
func (b *builder) all() []*template {
	out := make([]*template, 0, len(b.anchored)+len(b.defaults))
	out = append(out, b.anchored...)
	return append(out, b.defaults...)
}

// templatesFor resolves a datepattern setting (one pattern per line) to
// the ordered template list of a detector.
func (b *builder) templatesFor(datepattern string) ([]*template, error) {
	var out []*template
	// known holds the names of out[:nKnown]. Names of default templates
	// are only looked up (which builds them) when a later pattern line
	// needs them: the default list has no duplicate names.
	known := map[string]bool{}
	nKnown := 0
	add := func(t *template, ignoreDup bool) error {
		for ; nKnown < len(out); nKnown++ {
			u := out[nKnown]
			u.build()
			known[u.name] = true
		}
		t.build()
		if known[t.name] {
			if ignoreDup {
				return nil
			}
			return fmt.Errorf("duplicate date template %q", t.name)
		}
		known[t.name] = true
		out = append(out, t)
		nKnown = len(out)
		return nil
	}
	if strings.TrimSpace(datepattern) == "" {
		return b.all(), nil
	}
	for _, line := range strings.Split(datepattern, "\n") {
		pattern := strings.TrimFunc(line, func(r rune) bool { return isPySpace(r) })
		if pattern == "" {
			continue
		}
		key := cacheKey(pattern)
		ignoreDup := len(out) > 0
		switch {
		case key == prefixLineBegin || key == "{DEFAULT}":
			first := len(out) == 0
			for _, t := range b.all() {
				if key == prefixLineBegin && t.flags&flagLineBegin == 0 {
					continue
				}
				if first {
					// defaults first: no duplicates, names not needed yet
					out = append(out, t)
					continue
				}
				if err := add(t, ignoreDup); err != nil {
					return nil, err
				}
			}
		case strings.Contains(key, "{DATE}"):
			for _, d := range b.defaults {
				t, err := b.wrapDate(d, pattern)
				if err != nil {
					return nil, err
				}
				if err := add(t, ignoreDup); err != nil {
					return nil, err
				}
			}
		case key == "{NONE}":
			t, err := newPatternTemplate(b.ct, prefixUnbound+"^", beginWord, true)
			if err != nil {
				return nil, err
			}
			if err := add(t, false); err != nil {
				return nil, err
			}
		default:
			t, err := b.fromPattern(pattern)
			if err != nil {
				return nil, err
			}
			if err := add(t, false); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// wrapDate substitutes default template d into each {DATE} of preMatch.
// Templates without a pattern (Epoch, TAI64N) are substituted by name,
// which fail2ban then reads as a literal pattern.
func (b *builder) wrapDate(d *template, preMatch string) (*template, error) {
	wrap := func(s string) string {
		u := unboundPattern(s)
		return rxReplace(reDateField, preMatch, -1, func([]int) string { return u })
	}
	if d.hasPattern {
		return b.fromPattern(wrap(d.pattern))
	}
	d.build()
	return b.fromPattern(wrap(d.name))
}
