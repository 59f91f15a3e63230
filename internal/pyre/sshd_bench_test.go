package pyre_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/datedetect"
	"github.com/wardenipd/warden/internal/f2btest"
	"github.com/wardenipd/warden/internal/filter"
	"github.com/wardenipd/warden/internal/pyre"
)

// sshdContent lines are what the stock sshd failregexes see: the log line
// after the prefregex has taken the prefix off.
const (
	sshdHitBT    = "Failed password for invalid user admin from 203.0.113.7 port 52022 ssh2"
	sshdHitRE2   = "Invalid user admin from 203.0.113.7 port 52022"
	sshdMiss     = "pam_unix(sshd:session): session opened for user root by (uid=0)"
	sshdFailedBT = 3 // index of ^Failed (?:<F-NOFAIL>publickey</F-NOFAIL>|\S+) for ...
	sshdInvalid  = 5 // index of ^[iI](?:llegal|nvalid) user ...
)

// sshdFilter loads the stock sshd filter of the fail2ban package at root.
func sshdFilter(tb testing.TB) (def *config.FilterDef, root string) {
	tb.Helper()
	root = f2btest.Root(tb)
	def, err := config.LoadFilter("sshd", config.FilterOptions{Options: config.Options{
		Dir:       filepath.Join(root, "etc", "fail2ban"),
		NoBuiltin: true,
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return def, root
}

// sshdRegexes compiles the stock sshd filter's prefregex and failregexes
// after tag expansion.
func sshdRegexes(tb testing.TB, opts pyre.Options) (pref *pyre.Regexp, fail []*pyre.Regexp, root string) {
	tb.Helper()
	def, root := sshdFilter(tb)
	compile := func(src string) *pyre.Regexp {
		re, err := pyre.CompileOptions(filter.ExpandTags(src, def.UseDNS), opts)
		if err != nil {
			tb.Fatal(err)
		}
		return re
	}
	for _, src := range def.FailRegex {
		fail = append(fail, compile(src))
	}
	if len(fail) != 22 {
		tb.Fatalf("sshd has %d failregexes, want 22", len(fail))
	}
	return compile(def.PrefRegex), fail, root
}

// sshdSampleContent returns the content group of every line of fail2ban's
// sshd sample log that the prefregex accepts, the date taken out first as
// the filter does.
func sshdSampleContent(tb testing.TB, pref *pyre.Regexp, root string) []string {
	tb.Helper()
	lines, err := f2btest.SampleLines(root, "sshd")
	if err != nil {
		tb.Fatal(err)
	}
	dates, err := datedetect.New(datedetect.Options{Location: time.UTC})
	if err != nil {
		tb.Fatal(err)
	}
	content := pref.SubexpIndex("content")
	var out []string
	for _, line := range lines {
		if m, ok := dates.Detect(line); ok {
			line = datedetect.StripDate(line, m)
		}
		loc, err := pref.Search(line + "\n")
		if err != nil || loc == nil || loc[2*content] < 0 {
			continue
		}
		out = append(out, line[loc[2*content]:loc[2*content+1]]+"\n")
	}
	if len(out) < 100 {
		tb.Fatalf("only %d sample lines", len(out))
	}
	return out
}

func benchOne(b *testing.B, re *pyre.Regexp, input string, want bool) {
	dst := make([]int, 0, 2*(re.NumSubexp()+1))
	b.ReportAllocs()
	for b.Loop() {
		loc, err := re.AppendSearch(dst, input)
		if err != nil || (loc != nil) != want {
			b.Fatalf("AppendSearch(%q) = %v, %v", input, loc, err)
		}
	}
}

// sshdHits counts the lines some failregex matches.
func sshdHits(tb testing.TB, fail []*pyre.Regexp, lines []string) int {
	n := 0
	for _, line := range lines {
		for _, re := range fail {
			loc, err := re.Search(line)
			if err != nil {
				tb.Fatal(err)
			}
			if loc != nil {
				n++
				break
			}
		}
	}
	return n
}

func benchAll(b *testing.B, fail []*pyre.Regexp, lines []string) {
	dst := make([]int, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		for _, line := range lines {
			for _, re := range fail {
				if _, err := re.AppendSearch(dst, line); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}

// BenchmarkStockSSHD measures the stock sshd failregexes on content lines,
// with and without the literal prefilter (BenchmarkSSHD compares the
// engine with the test engines, Go's regexp and regexp2).
func BenchmarkStockSSHD(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts pyre.Options
	}{
		{"prefilter", pyre.Options{}},
		{"noprefilter", pyre.Options{NoPrefilter: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			pref, fail, root := sshdRegexes(b, mode.opts)
			b.Run("failed-bt/hit", func(b *testing.B) { benchOne(b, fail[sshdFailedBT], sshdHitBT+"\n", true) })
			b.Run("failed-bt/miss", func(b *testing.B) { benchOne(b, fail[sshdFailedBT], sshdMiss+"\n", false) })
			b.Run("invalid-re2/hit", func(b *testing.B) { benchOne(b, fail[sshdInvalid], sshdHitRE2+"\n", true) })
			b.Run("invalid-re2/miss", func(b *testing.B) { benchOne(b, fail[sshdInvalid], sshdMiss+"\n", false) })
			b.Run("all22/hit-line", func(b *testing.B) { benchAll(b, fail, []string{sshdHitBT + "\n"}) })
			b.Run("all22/miss-line", func(b *testing.B) { benchAll(b, fail, []string{sshdMiss + "\n"}) })
			b.Run("all22/sample-log", func(b *testing.B) {
				lines := sshdSampleContent(b, pref, root)
				// content lines, not lines the failregexes cannot start on
				if hits := sshdHits(b, fail, lines); 2*hits < len(lines) {
					b.Fatalf("only %d of %d sample content lines hit a failregex", hits, len(lines))
				}
				benchAll(b, fail, lines)
			})
			b.Run("prefregex/hit", func(b *testing.B) {
				// what the filter gives it: the line after its date
				benchOne(b, pref, " belka sshd[31602]: "+sshdHitBT+"\n", true)
			})
		})
	}
}

// TestStockSSHDPrefilters checks that every stock sshd failregex gets an
// anchored prefilter and a StartBytes set, so that a line none of them
// can match costs a few byte comparisons per regex.
func TestStockSSHDPrefilters(t *testing.T) {
	_, fail, _ := sshdRegexes(t, pyre.Options{})
	for i, re := range fail {
		if pf := re.PrefilterString(); !strings.HasPrefix(pf, `^"`) && !strings.HasPrefix(pf, `^(?i)"`) {
			t.Errorf("failregex %d %q: prefilter %s, want an anchored one", i, re, pf)
		}
		if re.MayMatch(sshdMiss + "\n") {
			t.Errorf("failregex %d %q: MayMatch(%q) = true", i, re, sshdMiss)
		}
		if set, ok := re.StartBytes(); !ok {
			t.Errorf("failregex %d %q: no StartBytes", i, re)
		} else {
			var b []byte
			for c, in := range set {
				if in {
					b = append(b, byte(c))
				}
			}
			t.Logf("failregex %d: StartBytes %q", i, b)
		}
	}
}

// BenchmarkCompileStockSSHD compiles the stock sshd prefregex and
// failregexes (after tag expansion), as warden does at start-up: with one
// Shared.
func BenchmarkCompileStockSSHD(b *testing.B) {
	def, _ := sshdFilter(b)
	srcs := []string{filter.ExpandTags(def.PrefRegex, def.UseDNS)}
	for _, src := range def.FailRegex {
		srcs = append(srcs, filter.ExpandTags(src, def.UseDNS))
	}
	b.ReportAllocs()
	for b.Loop() {
		var shared pyre.Shared // one for the filter's regexes, as filter.New has
		for _, src := range srcs {
			if _, err := pyre.CompileOptions(src, pyre.Options{Shared: &shared}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// sshdLogLines is the number of lines of bench/regex.sh's log that
// BenchmarkSSHDLogSearches replays: every kind of line, many times.
const sshdLogLines = 20000

// sshdSearch is one line of that log as the filter gives it to pyre: the
// text the prefregex searches (the line without its date), its content
// (what the failregexes search, "" when the prefregex does not match) and
// the failregexes the filter's first-byte table lets through.
type sshdSearch struct {
	line, content string
	fail          []int
}

// sshdLogSearches builds the searches of sshdLogLines lines, their text in
// one buffer, in order, as the filter reads them.
func sshdLogSearches(b testing.TB, pref *pyre.Regexp, fail []*pyre.Regexp, root string) []sshdSearch {
	b.Helper()
	lines, err := f2btest.SSHDLog(root, sshdLogLines)
	if err != nil {
		b.Fatal(err)
	}
	dates, err := datedetect.New(datedetect.Options{Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	var buf strings.Builder
	ends := make([]int, len(lines))
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\n")
		if m, ok := dates.Detect(line); ok {
			line = datedetect.StripDate(line, m)
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		ends[i] = buf.Len()
	}
	all := buf.String()
	first := make([]*[256]bool, len(fail))
	for i, re := range fail {
		first[i], _ = re.StartBytes()
	}
	content := pref.SubexpIndex("content")
	out := make([]sshdSearch, len(lines))
	start := 0
	for i, end := range ends {
		sr := sshdSearch{line: all[start:end]}
		start = end
		loc, err := pref.Search(sr.line)
		if err != nil {
			b.Fatal(err)
		}
		if loc != nil && loc[2*content] >= 0 {
			sr.content = sr.line[loc[2*content]:]
			for k, set := range first {
				if set == nil || set[sr.content[0]] {
					sr.fail = append(sr.fail, k)
				}
			}
		}
		out[i] = sr
	}
	return out
}

// BenchmarkSSHDLogSearches replays the searches the filter makes with the
// stock sshd filter on bench/regex.sh's log (BenchmarkSSHDLog in
// internal/filter times the whole filter): "pref" runs the prefregex on
// every line, "fail" the failregexes the first-byte table lets through on
// each content (all of them, as fail2ban-regex checks every failregex),
// through Matchers as the filter does. ns/line is per log line.
func BenchmarkSSHDLogSearches(b *testing.B) {
	pref, fail, root := sshdRegexes(b, pyre.Options{})
	searches := sshdLogSearches(b, pref, fail, root)
	prefM := pref.Matcher()
	failM := make([]*pyre.Matcher, len(fail))
	for i, re := range fail {
		failM[i] = re.Matcher()
	}
	dst := make([]int, 0, 64)
	perLine := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(searches)), "ns/line")
	}
	b.Run("pref", func(b *testing.B) {
		for b.Loop() {
			for _, sr := range searches {
				if _, err := prefM.AppendSearch(dst, sr.line); err != nil {
					b.Fatal(err)
				}
			}
		}
		perLine(b)
	})
	b.Run("fail", func(b *testing.B) {
		for b.Loop() {
			for _, sr := range searches {
				for _, k := range sr.fail {
					if _, err := failM[k].AppendSearch(dst, sr.content); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		perLine(b)
	})
}
