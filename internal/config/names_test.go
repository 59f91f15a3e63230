package config

import (
	"regexp"
	"slices"
	"testing"
)

// The regular expressions the hand-written readers of names.go stand for.
var (
	conditionalRE   = regexp.MustCompile(`^([\p{L}\p{N}_]+)(\?.+)$`)
	sectionOptionRE = regexp.MustCompile(`^([\p{L}\p{N}_\-]+)/([^\s>]+)$`)
	interpolationRE = regexp.MustCompile(`%\(([^)]+)\)s`)
	sectionOptRefRE = regexp.MustCompile(`%\(([\p{L}\p{N}_\-]+/([^)]+))\)s`)
)

// checkNames compares each reader of names.go with its regular
// expression on s.
func checkNames(t *testing.T, s string) {
	t.Helper()
	name, cond, ok := splitConditional(s)
	if g := conditionalRE.FindStringSubmatch(s); (g != nil) != ok || ok && (g[1] != name || g[2] != cond) {
		t.Errorf("splitConditional(%q) = %q, %q, %v; the regexp says %q", s, name, cond, ok, g)
	}
	sec, opt, ok := splitSectionOption(s)
	if g := sectionOptionRE.FindStringSubmatch(s); (g != nil) != ok || ok && (g[1] != sec || g[2] != opt) {
		t.Errorf("splitSectionOption(%q) = %q, %q, %v; the regexp says %q", s, sec, opt, ok, g)
	}
	var want []string
	for _, g := range interpolationRE.FindAllStringSubmatch(s, -1) {
		want = append(want, g[1])
	}
	if got := interpolationRefs(s); !slices.Equal(got, want) {
		t.Errorf("interpolationRefs(%q) = %q; the regexp says %q", s, got, want)
	}
	var wantRefs []sectionOptionRef
	for _, g := range sectionOptRefRE.FindAllStringSubmatch(s, -1) {
		wantRefs = append(wantRefs, sectionOptionRef{ref: g[1], opt: g[2]})
	}
	if got := sectionOptionRefs(s); !slices.Equal(got, wantRefs) {
		t.Errorf("sectionOptionRefs(%q) = %q; the regexp says %q", s, got, wantRefs)
	}
}

var nameSeeds = []string{
	"", "Init", "Init?family=inet6", "Init?", "?x", "Init?a\nb", "Init?a\n", "Ini-t?x", "Init_2?x?y", "Ïnit?ü",
	"a\xffb?x", "Init?\xff", "sshd/port", "known/port", "default/x>y", "a-b/c/d", "a/", "/b", "a/b c", "a/\tb", "a b/c",
	"%(a)s", "%()s", "%(a)", "%(a)x%(b)s", "%(%(a)s", "pre %(sec/opt)s post %(x)s", "%(sec/opt)s", "%(se c/opt)s",
	"%(sec/)s", "%(/opt)s", "%(a-b/c/d)s%(e_f/g)s", "%(%(s/o)s", "%(s/o\n)s", "%(s\xff/o)s", "%(known/x)s)s", "%(a)s)s",
	"%%(a)s", "%(a/b)s%(", "%(\u00e9t\u00e9/x)s", "%(\u0661/x)s",
}

// TestNamesAsRegexps checks the readers of names.go against their
// regular expressions on hand-picked names and references.
func TestNamesAsRegexps(t *testing.T) {
	for _, s := range nameSeeds {
		checkNames(t, s)
	}
}

// FuzzNames checks the readers of names.go against their regular
// expressions on any text.
func FuzzNames(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkNames(t, s) })
}
