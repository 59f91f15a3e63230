package datedetect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// eagerBuilder builds every default template at once, as New did before
// templates were built lazily; it is the reference for TestLazyBuilder.
func eagerBuilder(ct codeTable) (*builder, error) {
	b := &builder{ct: ct, anchoredKeys: map[string]*template{}}
	for _, p := range defaultPatterns {
		t, err := b.fromPattern(p)
		if err != nil {
			return nil, fmt.Errorf("build default template %q: %w", p, err)
		}
		b.defaults = append(b.defaults, t)
	}
	for _, t := range b.defaults {
		if strings.HasPrefix(t.name, prefixLineBegin) || strings.HasPrefix(t.name, "^") {
			continue
		}
		a, err := b.fromPattern(prefixLineBegin + patternOrName(t))
		if err != nil {
			return nil, fmt.Errorf("build anchored template %q: %w", t.name, err)
		}
		if a.name == t.name {
			continue
		}
		a.weight = 100
		b.anchored = append(b.anchored, a)
		b.anchoredKeys[cacheKey(prefixLineBegin+patternOrName(t))] = a
	}
	return b, nil
}

func patternOrName(t *template) string {
	if t.hasPattern {
		return t.pattern
	}
	return t.name
}

// eagerTemplatesFor is templatesFor as it was before lazy building.
func (b *builder) eagerTemplatesFor(datepattern string) ([]*template, error) {
	var out []*template
	known := map[string]bool{}
	add := func(t *template, ignoreDup bool) error {
		if known[t.name] {
			if ignoreDup {
				return nil
			}
			return fmt.Errorf("duplicate date template %q", t.name)
		}
		known[t.name] = true
		out = append(out, t)
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
			for _, t := range b.all() {
				if key == prefixLineBegin && t.flags&flagLineBegin == 0 {
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

// describeTemplate renders everything a built template holds.
func describeTemplate(t *template) string {
	fast := "none"
	if f := t.fast; f != nil {
		fast = fmt.Sprintf("shape %d anchored %v direct %v lane %v ncap %d groups %v years %v", f.shape, f.anchored, f.directOK, f.lane, f.ncap, f.groups, f.years)
	}
	re := t.re
	return fmt.Sprintf("kind %d name %q pattern %q/%v regex %q flags %d weight %v long %v epoch %d fields %v fast %s re %q/%d/%v/%d",
		t.kind, t.name, t.pattern, t.hasPattern, t.regex, t.flags, t.weight, t.longEpoch, t.epochGroup, t.fields, fast,
		re.String(), re.NumSubexp(), re.SubexpNames(), re.MinLen())
}

// lazyPatterns are datepatterns for TestLazyBuilder: the default list in
// its variants, combinations that need template names for duplicates,
// and errors.
var lazyPatterns = []string{
	"", " ", "{^LN-BEG}", "{DEFAULT}", "{^ln-beg}", "{default}",
	"{^LN-BEG}\n{DEFAULT}", "{DEFAULT}\n{^LN-BEG}", "{^LN-BEG}\n{^LN-BEG}",
	`^<\d+>\d+\s+{DATE}`, `^[^\[]*\[({DATE})` + "\n{^LN-BEG}", "{^LN-BEG}\n" + `^[^\[]*\[({DATE})`,
	"{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?\n{DEFAULT}",
	"{DEFAULT}\n{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"{^LN-BEG}\n{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?\n{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
	"%Y-%m-%d %H:%M:%S\n{^LN-BEG}", "EPOCH\n{^LN-BEG}", "{^LN-BEG}EPOCH\n{DEFAULT}", "{^LN-BEG}TAI64N\n{^LN-BEG}",
	"LEPOCH", "{NONE}", "{NONE}\n{DEFAULT}", "{^LN-BEG}\n{NONE}", "^%b-%d-%Exy %k:%M:%S\n{^LN-BEG}",
	"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?\n{DEFAULT}",
	"%Q", "(", "%Y\n%Y", "{^LN-BEG}\n%H:%M", "{^LN-BEG}\n(", "{DEFAULT}\n%Q", "{^LN-BEG}\n{DATE} (", "%Y %", "%s",
}

// TestLazyBuilder compares the template lists New builds lazily with
// those of the eager reference, template by template once built, for
// several years (the %ExY regex depends on the year), and checks what a
// lazy template knows before it is built.
func TestLazyBuilder(t *testing.T) {
	for _, year := range []int{2000, 2005, 2019, 2025, 2026, 2030, 2099, 2150} {
		ct := newCodeTable(time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC))
		lb := newBuilder(ct)
		for _, l := range append(slices.Clone(lb.defaults), lb.anchored...) {
			if l.lazy == nil {
				t.Fatalf("%d: default template %q built at once", year, l.pattern)
			}
		}
		if names := map[string]bool{}; true {
			for _, l := range lb.all() {
				l.build()
				if names[l.name] {
					t.Fatalf("%d: duplicate default name %q", year, l.name)
				}
				names[l.name] = true
			}
		}
		for _, dp := range lazyPatterns {
			eb, err := eagerBuilder(ct)
			if err != nil {
				t.Fatal(err)
			}
			want, werr := eb.eagerTemplatesFor(dp)
			lb := newBuilder(ct)
			// what lazy templates know before they are built
			pre := map[*template][3]string{}
			for _, l := range append(slices.Clone(lb.defaults), lb.anchored...) {
				pre[l] = [3]string{fmt.Sprint(l.flags & flagLineBegin), fmt.Sprint(l.hasPattern), l.pattern}
			}
			got, gerr := lb.templatesFor(dp)
			if fmt.Sprint(werr) != fmt.Sprint(gerr) {
				t.Fatalf("%d %q: error %v, want %v", year, dp, gerr, werr)
			}
			if len(got) != len(want) {
				t.Fatalf("%d %q: %d templates, want %d", year, dp, len(got), len(want))
			}
			for i := range got {
				got[i].build()
				if g, w := describeTemplate(got[i]), describeTemplate(want[i]); g != w {
					t.Fatalf("%d %q: template %d:\n%s\nwant\n%s", year, dp, i, g, w)
				}
				// the same sharing of template values
				for j := range i {
					if (got[i] == got[j]) != (want[i] == want[j]) {
						t.Fatalf("%d %q: templates %d and %d shared %v, want %v", year, dp, i, j, got[i] == got[j], want[i] == want[j])
					}
				}
			}
			for l, p := range pre {
				l.build()
				if q := [3]string{fmt.Sprint(l.flags & flagLineBegin), fmt.Sprint(l.hasPattern), l.pattern}; q != p {
					t.Fatalf("%d: lazy template knew %v before it was built, %v after", year, p, q)
				}
			}
		}
	}
}

// TestLazyDetector checks that New builds nothing and that detectors
// with lazily built templates behave like detectors built eagerly.
func TestLazyDetector(t *testing.T) {
	for _, dp := range []string{"", "{^LN-BEG}"} {
		d, err := New(Options{DatePattern: dp, Location: time.UTC, Now: fixedNow, Startup: testStartup})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range d.slots {
			if s.t.lazy == nil {
				t.Fatalf("%q: New built %q", dp, s.t.name)
			}
		}
		if _, ok := d.Detect("Jan 23 21:59:59 host x"); !ok {
			t.Fatal("no date")
		}
		built := 0
		for _, s := range d.slots {
			if s.t.lazy == nil {
				built++
			}
		}
		if built == len(d.slots) {
			t.Errorf("%q: a syslog line built all %d templates", dp, built)
		}
	}
	// eagerly built detectors as reference
	for _, dp := range []string{"", "{^LN-BEG}", `^<\d+>\d+\s+{DATE}`, "{DEFAULT}\n^%H:%M"} {
		lazy, err := New(Options{DatePattern: dp, Location: time.UTC, Now: fixedNow, Startup: testStartup})
		if err != nil {
			t.Fatal(err)
		}
		eager, err := New(Options{DatePattern: dp, Location: time.UTC, Now: fixedNow, Startup: testStartup})
		if err != nil {
			t.Fatal(err)
		}
		eager.Templates() // builds all
		for _, l := range lazyStreamLines(t) {
			gm, gok := lazy.Detect(l)
			wm, wok := eager.Detect(l)
			if gok != wok || gm != wm {
				t.Fatalf("%q on %q: lazy %+v %v, eager %+v %v", dp, l, gm, gok, wm, wok)
			}
			if g, w := strings.Join(lazy.Templates(), "|"), strings.Join(eager.Templates(), "|"); g != w {
				t.Fatalf("%q on %q: template order differs", dp, l)
			}
		}
	}
}

// lazyStreamLines is a mixed stream: the sshd sample log (unless -short;
// see sshdSampleLines), the fast corpus and lines of rarer formats.
func lazyStreamLines(t testing.TB) []string {
	var lines []string
	if testing.Short() {
		lines = append(lines, fastCorpus()...)
	} else {
		lines = append(lines, sshdSampleLines(t)...)
		lines = append(lines, fastCorpus()...)
	}
	return append(lines, "1124013500.123 x", "@4000000042ff1a4c1b2d3e4f x", "130322 11:46:11 x", "Jan 23, 2005 9:59:59 PM x",
		"<09/16/08@05:03:30> x", "Apr-27-13 02:33:06 x", "20050123T215959 x", "PDT Apr 16 21:05:29 x", "+00:00 Jan 23 21:59:59.011 2005 x",
		"21:59:59 x", "05/20/2008:01:57:39 x", "01-27-2012 16:22:44.252 x", "23/01/2005 21:59:59 x", "Jan 23 2005 21:59:59 x")
}
