package pyre

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// TestLazyEqualsEager checks that a Regexp compiled with Options.Lazy
// answers every query as the eagerly compiled one, whichever query
// comes first.
func TestLazyEqualsEager(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	inputs := startBytesInputs(r)
	patterns := []string{`(?=^|\b|\W)((?P<Y>20[0-2]\d)(?P<_sep>[-/.])(?P<m>0?[1-9]|1[0-2]))(?=\b|\W|$)`,
		`(?iu)^(?:\W{0,2})?((?P<b>jan|feb) (?P<d>\d+))`, `(?P<user>\S+) from (?P<ip>\d+(?:\.\d+){3})`, `x*`, `(a)(?(1)b|c)`}
	for _, p := range startBytesPatterns {
		if p.flags == 0 {
			patterns = append(patterns, p.pattern)
		}
	}
	for _, p := range patterns {
		eager, err := Compile(p)
		if err != nil {
			continue // a pattern Python rejects too
		}
		for first := range 4 {
			lazy, err := CompileOptions(p, Options{Lazy: true})
			if err != nil {
				t.Fatal(err)
			}
			if lazy.NumSubexp() != eager.NumSubexp() || !slices.Equal(lazy.SubexpNames(), eager.SubexpNames()) ||
				lazy.MinLen() != eager.MinLen() || lazy.compiled.Load() {
				t.Fatalf("%q: lazy Regexp differs before its first search, or is compiled", p)
			}
			for i, s := range inputs {
				k := (first + i) % 4
				var got, want any
				switch k {
				case 0:
					got, want = lazy.MayMatch(s), eager.MayMatch(s)
				case 1:
					g, _ := lazy.AppendSearchAt(nil, s, min(1, len(s)))
					w, _ := eager.AppendSearchAt(nil, s, min(1, len(s)))
					got, want = g, w
				case 2:
					gs, gok := lazy.StartBytes()
					ws, wok := eager.StartBytes()
					got, want = [2]any{gok, gs != nil && *gs == *ws}, [2]any{wok, ws != nil}
				default:
					g, _ := lazy.Search(s)
					w, _ := eager.Search(s)
					got, want = g, w
				}
				if !equalAny(got, want) {
					t.Fatalf("%q on %q, query %d: lazy %v, eager %v", p, s, k, got, want)
				}
			}
		}
	}
}

func equalAny(a, b any) bool {
	if x, ok := a.([]int); ok {
		return spansEqual(x, b.([]int))
	}
	return a == b
}

// TestLazyConcurrent runs the first searches of a lazy Regexp from
// several goroutines at once (the race detector checks the compile).
func TestLazyConcurrent(t *testing.T) {
	for range 20 {
		re, err := CompileOptions(`^(?P<user>\S+) from (?P<ip>\d+(?:\.\d+){3})(?: port (\d+))?`, Options{Lazy: true})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				got, err := re.AppendSearchAt(nil, "root from 10.0.0.1 port 22", 0)
				if err != nil || len(got) != 8 || got[1] != 26 {
					t.Errorf("goroutine %d: %v, %v", g, got, err)
				}
			})
		}
		wg.Wait()
	}
}
