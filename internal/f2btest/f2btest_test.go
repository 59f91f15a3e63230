package f2btest

import (
	"regexp"
	"strings"
	"testing"
)

// TestSSHDLog checks the benchmark log: n lines, each copy of the sample
// with its own addresses and process ids, the rest of each line kept.
func TestSSHDLog(t *testing.T) {
	root := Root(t)
	sample, err := SampleLines(root, "sshd")
	if err != nil {
		t.Fatal(err)
	}
	n := 2*len(sample) + 1
	lines, err := SSHDLog(root, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	numbers := regexp.MustCompile(`\d+`)
	for i, l := range lines {
		s := sample[i%len(sample)]
		if !strings.HasSuffix(l, "\n") || numbers.ReplaceAllString(l, "N") != numbers.ReplaceAllString(s, "N")+"\n" {
			t.Fatalf("line %d = %q, from %q: more than numbers changed", i, l, s)
		}
	}
	for _, c := range []struct{ copy, want string }{
		{lines[0], "[113709]"},
		{lines[len(sample)], "[213709]"},
	} {
		if !strings.Contains(c.copy, c.want) {
			t.Errorf("%q lacks %s", c.copy, c.want)
		}
	}
	if !strings.Contains(lines[len(sample)], " from 192.0.1.6") {
		t.Errorf("copy 1 %q: address not moved to 192.0.1.x", lines[len(sample)])
	}
}
