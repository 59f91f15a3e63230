package pyre

import (
	"testing"
)

// An sshd-style failregex in the shape fail2ban produces after tag
// expansion (written for these benchmarks).
const (
	benchHost = `(?:\[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))\]?|(?P<dns>[\w\-.^_]*\w))`
	// benchRE2 translates to RE2.
	benchRE2 = `^Failed password for (?:invalid user )?(?P<user>\S+) from ` + benchHost + `(?: port \d+)?(?: ssh\d*)?\s*$`
	// benchBT needs the backtracking engine (tempered dot).
	benchBT = `^Failed \S+ for (?P<user>(?:(?! from ).)*?) from ` + benchHost + `(?: port \d+)?(?: ssh\d*)?\s*$`

	benchHit  = "Failed password for invalid user admin from 203.0.113.7 port 52022 ssh2\n"
	benchMiss = "Accepted publickey for deploy from 198.51.100.23 port 40122 ssh2: ED25519 SHA256:abcdef\n"
)

// searcher is what benchSearch runs: a *Regexp, or a test engine's
// *otherRE.
type searcher interface {
	NumSubexp() int
	AppendSearch(dst []int, s string) ([]int, error)
}

func benchSearch(b *testing.B, pattern string, opts Options, input string, wantMatch bool) {
	re, err := CompileOptions(pattern, opts)
	if err != nil {
		b.Fatal(err)
	}
	benchSearcher(b, re, input, wantMatch)
}

// benchSearchOther is benchSearch on one of the test engines.
func benchSearchOther(b *testing.B, pattern, engine string, input string, wantMatch bool) {
	re, err := compileOther(pattern, otherOptions{Engine: engine})
	if err != nil {
		b.Fatal(err)
	}
	benchSearcher(b, re, input, wantMatch)
}

// benchSearcher times re's search of input, which must match or not as
// wantMatch says.
func benchSearcher(b *testing.B, re searcher, input string, wantMatch bool) {
	dst := make([]int, 0, 2*(re.NumSubexp()+1))
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for range b.N {
		loc, err := re.AppendSearch(dst, input)
		if err != nil || (loc != nil) != wantMatch {
			b.Fatalf("AppendSearch = %v, %v", loc, err)
		}
	}
}

func BenchmarkSSHD(b *testing.B) {
	b.Run("re2/hit", func(b *testing.B) { benchSearch(b, benchRE2, Options{}, benchHit, true) })
	b.Run("re2/miss", func(b *testing.B) { benchSearch(b, benchRE2, Options{}, benchMiss, false) })
	b.Run("backtrack-same-pattern/hit", func(b *testing.B) {
		benchSearchOther(b, benchRE2, EngineBacktrack, benchHit, true)
	})
	b.Run("backtrack-same-pattern/miss", func(b *testing.B) {
		benchSearchOther(b, benchRE2, EngineBacktrack, benchMiss, false)
	})
	b.Run("backtrack-tempered/hit", func(b *testing.B) { benchSearch(b, benchBT, Options{}, benchHit, true) })
	b.Run("backtrack-tempered/miss", func(b *testing.B) { benchSearch(b, benchBT, Options{}, benchMiss, false) })
}

func BenchmarkMatchString(b *testing.B) {
	re := MustCompile(benchRE2)
	b.ReportAllocs()
	for range b.N {
		if ok, _ := re.MatchString(benchMiss); ok {
			b.Fatal("unexpected match")
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := Compile(benchBT); err != nil {
			b.Fatal(err)
		}
	}
}
