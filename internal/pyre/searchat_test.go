package pyre

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// TestAppendSearchAtAgainstPython compares AppendSearchAt with Python's
// pattern.search(s, pos), whose look-behinds, \b and ^ see the text
// before pos.
func TestAppendSearchAtAgainstPython(t *testing.T) {
	py := f2btest.RequirePython(t)
	patterns := []string{`\bab`, `(?<=x)ab`, `^ab`, `(?m)^ab`, `ab`, `a|b`, `(?<!a)b+`, `\Bb`, `(a)?b`, `$`, `(?=b)`, `é.`, `\w+`, `(?:(?<=^)|(?<=\W))\d+`, `\Aa`}
	inputs := []string{"xab ab\nab", "aabab", "bbb", "", "é é\néa", "12 x34 56"}
	type tc struct {
		P   string `json:"p"`
		S   string `json:"s"`
		Pos int    `json:"pos"`
	}
	var cases []tc
	for _, p := range patterns {
		for _, s := range inputs {
			for pos := 0; pos <= len(s); pos++ {
				if pos < len(s) && s[pos]&0xC0 == 0x80 {
					continue // not a character boundary
				}
				cases = append(cases, tc{p, s, pos})
			}
		}
	}
	in, _ := json.Marshal(cases)
	script := `import json, re, sys
out = []
for c in json.loads(sys.stdin.read()):
    s = c["s"]; b = s.encode()
    pos = len(b[:c["pos"]].decode())
    m = re.compile(c["p"]).search(s, pos)
    if m is None:
        out.append(None); continue
    spans = []
    for g in range(m.re.groups + 1):
        a, e = m.span(g)
        spans += [-1, -1] if a < 0 else [len(s[:a].encode()), len(s[:e].encode())]
    out.append(spans)
print(json.dumps(out))`
	cmd := exec.Command(py, "-c", script)
	stdin, _ := cmd.StdinPipe()
	go func() { stdin.Write(in); stdin.Close() }()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var want [][]int
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		re, err := Compile(c.P)
		if err != nil {
			t.Fatalf("compile %q: %v", c.P, err)
		}
		got, err := re.AppendSearchAt(nil, c.S, c.Pos)
		if err != nil {
			t.Fatalf("%q on %q at %d: %v", c.P, c.S, c.Pos, err)
		}
		if len(got) == 0 {
			got = nil
		}
		if !reflect.DeepEqual(got, want[i]) && !(got == nil && want[i] == nil) {
			t.Errorf("%q.search(%q, %d) = %v, Python %v", c.P, c.S, c.Pos, got, want[i])
		}
	}
}
