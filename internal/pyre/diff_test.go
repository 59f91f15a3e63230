package pyre

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// semanticInputs exercise Unicode classes, case folding, newlines and
// boundaries.
var semanticInputs = []string{
	"", "a", "A", "ab", "abc", "aab", "abab", "a\n", "a\nb", "a\nb\n", "\n", "\n\n",
	"foo bar", "foo  bar\n", "x1 y22 z333", "Kk\u212a", "i I \u0130 \u0131", "s S \u017f",
	"caf\u00e9 na\u00efve", "\u0663\u0664 \u00b2 \u2167", "\u00a0x\u2003y\u3000", "\x1c\x1d\x1e\x1f\x85",
	"\u00e9t\u00e9", "\u03a3\u03c3\u03c2", "\u00b5\u03bc", "\U00010400\U00010428", "_x_", "\u203f",
	"tab\there", "user root from 192.168.0.1 port 22", "Failed password for invalid user admin from ::1 port 4242 ssh2",
	"ABCabc123", "a:b a:a:c b:c bc :y x:y ab", "fe80::1 ::1 1:2:3::", "\u0300a\u0301", "\u1680", "\u00aa\u00ba", "\u2070\u00b9",
}

var semanticPatterns = []string{
	`a`, `^a`, `a$`, `a\Z`, `\Aa`, `^$`, `$`, `\n$`, `a$\n`, `.`, `.+`, `(?s).+`, `(?m)^\w+$`, `(?m)^`, `(?m)$`,
	`\d+`, `\D+`, `\w+`, `\W+`, `\s+`, `\S+`, `[\d]+`, `[^\w\s]+`, `[\w-]+`, `[a-z]+`, `[^a-z]+`,
	`\b\w+\b`, `\B\w`, `\b`, `\B`, `x\b`, `(?a)\b\w+\b`, `(?a)\w+`, `(?a)\d+`, `(?a)\s+`, `(?a)\B`,
	`(?i)k`, `(?i)K+`, `(?i)[k]`, `(?i)[a-z]+`, `(?i)[^a-z]+`, `(?i)s`, `(?i)[s-t]`, `(?i)i`, `(?i)\u0130`, `(?i)\u0131`,
	`(?i)\u03c3`, `(?i)[\u03c2]`, `(?i)\u00b5`, `(?i)\U00010400`, `(?i)[\U00010400]`, `(?i)[\U00010400-\U00010410]`,
	`(?i)[^k]`, `(?ai)k`, `(?ai)[a-z]+`, `(?i:k)K`, `a(?i:b)c`, `(?i)\w+`, `(?i)[\w]`, `(?i)[\Wk]`,
	`(a)|b`, `(a)|(b)`, `(a|ab)(c|bcd)(d*)`, `(a+)(b+)?`, `(a*)*`, `(a*)+`, `(a|)*`, `(|a)*`, `(a?)*?b`,
	`(?:(a)|b)+`, `(?:(a)|(b))+`, `(a)*`, `(a){2}`, `(a){0,2}?`, `a{2,}`, `a{,2}`, `a{}`, `a{1`, `a{x}`,
	`x*`, `x*?`, `x+?`, `x??`, `(ab)+?`, `a++`, `a*+a`, `(?>a+)b`, `(?>a|ab)c`, `a{2}+`,
	`(?=a)`, `(?=(a))\w`, `(?!a)\w`, `(?<=a)b`, `(?<!a)b`, `(?<=(a))b`, `(?<=(.)+)b`, `(?<=\w{2})\w`, `(?<=(a|b)(c|.))\w`,
	`(?<!^)x`, `(?<=\b)\w`, `(?<=^|\s)\w+`, `(?:a:)+(?<=:)b`, `(?:a:|b)+(?<=:)c`, `x?(?<=:)y`, `(?:a:)+(?<!:)b`,
	`(?:a:|b)+(?<!:)c`, `(?<=a)(?<=b)`, `a(?<=a)b`, `a(?<!a)b`, `(?:[0-9a-f]{1,4}::?|::){1,7}(?:[0-9a-f]{1,4}|(?<=:):)`,
	`(\w)\1`, `(?P<x>\w)(?P=x)`, `(?i)(\w)\1`, `(a)?(?(1)b|c)`, `(?P<q>")?\w+(?(q)")`, `(a)?(?(1)b)`,
	`(?x) a b # comment`, `(?x)[ ]a`, `a(?#comment)b`, `(?P<name>a)(?P<name2>b)?`,
	`\x41`, `\u0041`, `\U00000041`, `\101`, `\0`, `\01`, `\12`, `[\b]`, `[\1]`, `\t\n\v\f\r\a`, `\-\.\ `,
	`\q`, `[\q]`, `\N{EM DASH}`, `(`, `)`, `[`, `[]`, `[]]`, `[^]]`, `*a`, `a**`, `a{2}{3}`, `(?P<1>a)`, `(?P<a>a)(?P<a>b)`,
	`\1`, `(a)\2`, `(a\1)`, `(?<=a*)b`, `(?i)(?m)^a`, `a(?i)b`, `(?z)`, `(?L)a`, `(?au)a`, `(?-i:a)`, `(?i-i:a)`,
	`(?(2)a|b)(c)`, `(?(1)a|b|c)`, `[z-a]`, `[\d-z]`, `a{3,2}`, `(?`, `(?<a>x)`, `\`, `a|*`, `^*`, `\b+`, `(?:^)*`,
	`(?:)*`, `(?:a|)+b`, `[a-\d]`, `[-a]`, `[a-]`, `x{1000}`, `x{1001}`, `x{0,1001}?`, `(?:ab){2,4}c`,
	`\s*$`, `^\s*(?:\S+\s+){2}(\S+)`, `(?:.*?)x`, `.*?(\d+)$`,
}

func semanticCases() []oracleCase {
	cases := oracleCases(semanticPatterns, semanticInputs)
	for _, fl := range []Flags{IgnoreCase, Multiline, DotAll, Multiline | DotAll, ASCII, IgnoreCase | ASCII, Verbose} {
		for _, p := range []string{`^\w+$`, `a.$`, `(?m)x$`, `[a-z]+ ?`, `k`, `\bfoo\b`, `a b`} {
			cases = append(cases, oracleCase{Pattern: p, Flags: fl, Inputs: semanticInputs})
		}
	}
	return cases
}

func TestSemanticsAgainstPython(t *testing.T) {
	cases := semanticCases()
	res := runOracle(t, cases)
	st := compareWithOracle(t, cases, res)
	t.Logf("semantic corpus: %v", st)
}

// randomPattern builds a random pattern from a grammar of Python syntax.
func randomPattern(r *rand.Rand, depth int) string {
	atoms := []string{"a", "b", "c", ".", `\d`, `\w`, `\s`, `\W`, "[ab]", "[^a]", "[a-c]", `\n`, "x", " ", "\u00e9", "K", "(?i:k)", `\b`, `\B`, "^", "$", `\A`, `\Z`}
	if depth <= 0 || r.IntN(3) == 0 {
		return atoms[r.IntN(len(atoms))]
	}
	switch r.IntN(9) {
	case 0, 1:
		return randomPattern(r, depth-1) + randomPattern(r, depth-1)
	case 2:
		return randomPattern(r, depth-1) + "|" + randomPattern(r, depth-1)
	case 3:
		return "(" + randomPattern(r, depth-1) + ")"
	case 4:
		return "(?:" + randomPattern(r, depth-1) + ")"
	case 5:
		q := []string{"*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,2}?", "{2,}"}
		return "(?:" + randomPattern(r, depth-1) + ")" + q[r.IntN(len(q))]
	case 6:
		l := []string{"(?=", "(?!", "(?<=", "(?<!"}
		return l[r.IntN(len(l))] + atoms[r.IntN(len(atoms))] + ")"
	case 7:
		return "(" + randomPattern(r, depth-1) + `)\` + "1"
	default:
		return "(" + randomPattern(r, depth-1) + ")" + randomPattern(r, depth-1)
	}
}

func randomInput(r *rand.Rand) string {
	alpha := []string{"a", "b", "c", "x", " ", "\n", "K", "k", "\u00e9", "1", "_", "-"}
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(alpha[r.IntN(len(alpha))])
	}
	return b.String()
}

func TestRandomAgainstPython(t *testing.T) {
	n := 1500
	if trimCorpus() {
		n = 200
	}
	r := rand.New(rand.NewPCG(1, 2))
	var cases []oracleCase
	for range n {
		c := oracleCase{Pattern: randomPattern(r, 4)}
		for range 6 {
			c.Inputs = append(c.Inputs, randomInput(r))
		}
		cases = append(cases, c)
	}
	res := runOracle(t, cases)
	st := compareWithOracle(t, cases, res)
	t.Logf("random corpus: %v", st)
}

// fail2banCorpus returns the effective regexes of fail2ban's stock filters.
func fail2banCorpus(t *testing.T) []oracleCase {
	t.Helper()
	py := f2btest.RequirePython(t)
	root := f2btest.Root(t)
	cmd := exec.Command(py, filepath.Join("testdata", "f2bcorpus.py"), root)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+f2btest.PythonPath(root))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("f2bcorpus.py: %v", err)
	}
	var cases []oracleCase
	if err := json.Unmarshal(out, &cases); err != nil {
		t.Fatalf("decode f2bcorpus output: %v", err)
	}
	if len(cases) < 100 {
		t.Fatalf("only %d fail2ban patterns found", len(cases))
	}
	return cases
}

func TestFail2banFiltersAgainstPython(t *testing.T) {
	cases := fail2banCorpus(t)
	// fail2ban searches "line\n" buffers; test both forms.
	for i := range cases {
		in := cases[i].Inputs
		if trimCorpus() && len(in) > 4 {
			in = in[:4]
			cases[i].Inputs = in
		}
		for _, s := range in {
			cases[i].Inputs = append(cases[i].Inputs, s+"\n")
		}
	}
	res := runOracle(t, cases)
	st := compareWithOracle(t, cases, res)
	t.Logf("fail2ban corpus: %v", st)
}
