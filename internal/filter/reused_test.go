package filter

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestOffsetIn checks that offsetIn finds the parts of a string and only
// them: not an equal copy, not the bytes just before or after it.
func TestOffsetIn(t *testing.T) {
	whole := strings.Repeat("ab", 8) + "cd"
	mem := whole[2:14]
	for i := 0; i <= len(mem); i++ {
		for j := i + 1; j <= len(mem); j++ {
			if off, ok := offsetIn(mem, mem[i:j]); !ok || off != i {
				t.Errorf("mem[%d:%d]: %d, %v", i, j, off, ok)
			}
		}
	}
	for _, s := range []string{"", strings.Clone(mem), strings.Clone(mem[3:5]), whole[:2], whole[14:], whole[1:3], whole[13:15], whole} {
		if off, ok := offsetIn(mem, s); ok {
			t.Errorf("%q (not a part of mem) found at %d", s, off)
		}
	}
	if _, ok := offsetIn("", "x"); ok {
		t.Error("found in nothing")
	}
	// keeper.keep, written out for the inliner, agrees with offsetIn: the
	// copy's part where s is a part of mem, s itself elsewhere.
	k := keeper{mem: mem, kept: strings.Clone(mem)}
	var all []string
	for i := 0; i <= len(whole); i++ {
		for j := i; j <= len(whole); j++ {
			all = append(all, whole[i:j], strings.Clone(whole[i:j]))
		}
	}
	for _, s := range all {
		got := k.keep(s)
		if off, ok := offsetIn(mem, s); ok {
			if unsafe.StringData(got) != unsafe.StringData(k.kept[off:]) || got != s {
				t.Errorf("keep(%q), a part of mem at %d: not the copy's part", s, off)
			}
		} else if unsafe.StringData(got) != unsafe.StringData(s) || got != s {
			t.Errorf("keep(%q), not a part of mem: not itself", s)
		}
		if _, ok := offsetIn(mem, s); k.in(s) != ok {
			t.Errorf("in(%q) = %v, offsetIn %v", s, !ok, ok)
		}
	}
}

// TestReusedLinesAllocs checks that ReusedLines costs a dated line that
// matches nothing no allocation: the date text is kept in the filter's
// buffer, not copied for each line.
func TestReusedLinesAllocs(t *testing.T) {
	f, err := New(Options{FailRegex: []string{`^no such line <HOST>$`}, ReusedLines: true})
	if err != nil {
		t.Fatal(err)
	}
	line := "Jan  5 01:31:41 www sshd[1643]: ROOT LOGIN REFUSED FROM 1.2.3.4\n"
	for range 100 { // the date templates are built lazily
		f.ProcessLineNL(line)
	}
	if n := testing.AllocsPerRun(100, func() { f.ProcessLineNL(line) }); n != 0 {
		t.Errorf("%v allocations a line, want none", n)
	}
}

// describeFailures shows everything a caller can read of failures.
func describeFailures(found []Failure, err error) string {
	var b strings.Builder
	if err != nil {
		b.WriteString("error: " + err.Error() + "\n")
	}
	for _, m := range found {
		fmt.Fprintf(&b, "%d %q %v %v %v", m.Regex, m.ID, m.HasID, m.Time, m.NoTime)
		if m.fields != nil {
			b.WriteString(" " + m.fields.String())
			for _, name := range m.fields.lay.names {
				if v, ok := m.Value(name); ok {
					fmt.Fprintf(&b, " %s=%v", name, v)
				}
			}
		}
		fmt.Fprintf(&b, " matches=%q users=%q nofail=%v\n", m.Matches(), m.Users(), m.NoFail())
	}
	return b.String()
}

// reusedOptions are filters whose connections (<F-MLFID>) are forgotten,
// gained and merged, with one line or a multi-line buffer.
func reusedOptions() []Options {
	var out []Options
	for _, maxLines := range []int{1, 3} {
		for _, all := range []bool{false, true} {
			out = append(out, Options{
				PrefRegex: connPrefRegex,
				FailRegex: connFailRegex(
					`^<F-MLFFORGET>Bye</F-MLFFORGET> \S+ from <HOST>`,
					`^\S+ <F-USER>\S+</F-USER> from <HOST>`,
				),
				IgnoreRegex:   []string{`from 192\.0\.2\.250`},
				MaxLines:      maxLines,
				Now:           func() time.Time { return time.Unix(1124013600, 0) },
				Location:      time.UTC,
				CheckAllRegex: all,
			})
		}
	}
	return out
}

// reusedPair is a filter given lines as copies and one with ReusedLines
// and TransientFailures given them as views of a buffer overwritten
// after each call.
type reusedPair struct {
	opt         Options
	ref, reused *Filter
	buf         []byte
}

func newReusedPairs(t testing.TB) []*reusedPair {
	var out []*reusedPair
	for _, opt := range reusedOptions() {
		ref, err := New(opt)
		if err != nil {
			t.Fatal(err)
		}
		o := opt
		o.ReusedLines, o.TransientFailures = true, true
		reused, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &reusedPair{opt: opt, ref: ref, reused: reused})
	}
	return out
}

// check requires the same results from both filters for each line, read
// right after each call as the options allow.
func (p *reusedPair) check(t *testing.T, lines []string) {
	for i, line := range lines {
		want := describeFailures(p.ref.ProcessLineNL(strings.Clone(line) + "\n"))
		p.buf = append(p.buf[:0], line...)
		p.buf = append(p.buf, '\n')
		// A view of buf, overwritten below: the filter must have copied
		// whatever it keeps.
		view := unsafe.String(&p.buf[0], len(p.buf))
		got := describeFailures(p.reused.ProcessLineNL(view))
		for j := range p.buf {
			p.buf[j] = "1:9 .a\n"[j%7]
		}
		if got != want {
			t.Fatalf("%+v: line %d %q:\n%s\nwith copied lines:\n%s", p.opt, i, line, got, want)
		}
	}
}

func checkReused(t *testing.T, lines []string) {
	for _, p := range newReusedPairs(t) {
		p.check(t, lines)
	}
}

// TestReusedLinesTransient covers a connection forgotten by one
// failregex and found new by the next of the same line (CheckAllRegex):
// the fields the cache drops stay the failure's until the next call.
func TestReusedLinesTransient(t *testing.T) {
	checkReused(t, []string{
		"Jan 23 21:59:58 host sshd[1]: Invalid user x from 192.0.2.1",
		"Jan 23 21:59:59 host sshd[1]: Bye now from 192.0.2.1",
		"Jan 23 21:59:59 host sshd[1]: Failed password for y from 192.0.2.1 port 22 ssh2",
		"no date sshd[2]: Failed password for y from 192.0.2.2 port 22 ssh2",
		"Jan 23 21:59:59 host sshd[1]: Accepted password for z from 192.0.2.1 port 22",
		"Jan 23 21:59:59 host sshd[1]: Connection closed by 192.0.2.1",
		"Jan 23 21:59:59 host sshd[3]: Connection closed by 192.0.2.3",
		"Jan 23 21:59:59 host sshd[3]: Failed password for w from 192.0.2.3 port 22 ssh2",
	})
}

// FuzzReusedLines is TestReusedLinesTransient on any lines, each input
// after the ones before (the filters keep their state).
func FuzzReusedLines(f *testing.F) {
	f.Add("Jan 23 21:59:58 host sshd[1]: Invalid user x from 192.0.2.1\nJan 23 21:59:59 host sshd[1]: Bye now from 192.0.2.1\nx sshd[1]: Failed password for y from 192.0.2.1 port 22 ssh2")
	f.Add("Jan 23 21:59:59 host sshd[1]: Accepted password for z from 192.0.2.1 port 22\nJan 23 21:59:59 host sshd[1]: Connection closed by 192.0.2.1\nJan 23 21:59:59 host sshd[1]: Received disconnect from 192.0.2.1 port 2:11: bye")
	pairs := newReusedPairs(f)
	var filler []string
	for i := range 120 { // connections dropped for room
		filler = append(filler, fmt.Sprintf("Jan 23 21:59:59 host sshd[%d]: Invalid user u%d from 192.0.2.%d", 100+i, i%7, i%250))
	}
	n := 0
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		if n++; n%8 == 0 {
			lines = append(append(lines, filler...), lines...)
		}
		for _, p := range pairs {
			p.check(t, lines)
		}
	})
}

// TestTextArena checks that the arena's copies keep their text whatever
// is copied after them, and that a copy does not share the original's
// memory.
func TestTextArena(t *testing.T) {
	var a textArena
	var orig, copies []string
	for i := range 5000 {
		s := strings.Repeat(string(rune('a'+i%26)), i%(arenaMax+40)) + fmt.Sprint(i)
		c := a.clone(s)
		if _, in := offsetIn(s, c); in {
			t.Fatalf("copy %d shares the original's memory", i)
		}
		orig, copies = append(orig, s), append(copies, c)
	}
	for i := range orig {
		if copies[i] != orig[i] {
			t.Fatalf("copy %d is %q, want %q", i, copies[i], orig[i])
		}
	}
	if n := testing.AllocsPerRun(1000, func() { a.clone("Jan  5 01:31:41 www sshd[1643]: ROOT LOGIN REFUSED") }); n > 0.1 {
		t.Errorf("%v allocations a short copy", n)
	}
}
