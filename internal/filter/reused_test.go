package filter

import (
	"strings"
	"testing"
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
