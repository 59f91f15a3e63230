package jail

import (
	"math"
	"testing"
)

func TestPyExpr(t *testing.T) {
	env := &exprEnv{banTime: pyInt(600), banCount: 3, factor: pyInt(1)}
	tests := []struct {
		src  string
		want pyval
	}{
		{DefaultFormula, pyInt(4800)},
		{"ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)", pyFloat(600 * math.Exp(4) / math.Exp(1))},
		{"1<<(ban.Count if ban.Count<20 else 20)", pyInt(8)},
		{"7 / 2", pyFloat(3.5)},
		{"7 // 2", pyInt(3)},
		{"-7 // 2", pyInt(-4)},
		{"-7 % 3", pyInt(2)},
		{"7 % -3", pyInt(-2)},
		{"-7.5 // 2", pyFloat(-4)},
		{"-7.5 % 2", pyFloat(0.5)},
		{"2 ** 10", pyInt(1024)},
		{"2 ** -1", pyFloat(0.5)},
		{"-2 ** 2", pyInt(-4)},
		{"2 ** 3 ** 2", pyInt(512)},
		{"(1 + 2) * 3 - 4", pyInt(5)},
		{"1 + 2 * 3 << 1", pyInt(14)},
		{"6 & 3 | 8 ^ 1", pyInt(11)},
		{"~5", pyInt(-6)},
		{"1 < 2 < 3", pyInt(1)},
		{"1 < 3 < 2", pyInt(0)},
		{"3 if 0 else 4", pyInt(4)},
		{"0 or 5", pyInt(5)},
		{"2 and 0", pyInt(0)},
		{"not 0", pyInt(1)},
		{"True + True", pyInt(2)},
		{"min(3, 1.5, 2)", pyFloat(1.5)},
		{"max(2, 2.0)", pyInt(2)},
		{"abs(-3)", pyInt(3)},
		{"int(-3.7)", pyInt(-3)},
		{"round(2.5)", pyInt(2)},
		{"round(3.5)", pyInt(4)},
		{"round(1.2345, 2)", pyFloat(1.23)},
		{"math.floor(2.5)", pyInt(2)},
		{"math.ceil(2.1)", pyInt(3)},
		{"math.sqrt(16)", pyFloat(4)},
		{"math.log(8, 2)", pyFloat(3)},
		{"pow(2, 5)", pyInt(32)},
		{"math.pow(2, 5)", pyFloat(32)},
		{"1_000 + 0x10 + 1e3 + .5", pyFloat(2016.5)},
		{"2 ** 70", pyFloat(math.Pow(2, 70))},
		{"(1 << 62) * 4", pyFloat(math.Pow(2, 64))},
	}
	for _, tt := range tests {
		e, err := compileExpr(tt.src)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		got, err := e(env)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if got.isFloat != tt.want.isFloat || got.i != tt.want.i || math.Abs(got.f-tt.want.f) > 1e-9*math.Abs(tt.want.f) {
			t.Errorf("%s = %+v, want %+v", tt.src, got, tt.want)
		}
	}
}

func TestPyExprErrors(t *testing.T) {
	compileErrs := []string{"", "1 +", "(1", "foo", "os.system('x')", "ban.Time.x", "min(1)", "1 if 2", "'a'", "ban.Time; 1", "[1]", "lambda: 1", "__import__('os')", "1 2"}
	for _, src := range compileErrs {
		if _, err := compileExpr(src); err == nil {
			t.Errorf("%q compiled", src)
		}
	}
	env := &exprEnv{banTime: pyFloat(600.5), banCount: 1, factor: pyInt(1)}
	runErrs := []string{"1/0", "1//0", "1%0", "ban.Time << 1", "1 << -1", "math.log(0)", "math.sqrt(-1)", "math.exp(1000)", "int(math.inf)", "0 ** -1", "10.0 ** 400"}
	for _, src := range runErrs {
		e, err := compileExpr(src)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if v, err := e(env); err == nil {
			t.Errorf("%q = %+v, no error", src, v)
		}
	}
}

func FuzzPyExpr(f *testing.F) {
	for _, s := range []string{DefaultFormula, "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)", "-7 // 2 ** 3", "min(1, 2) if 3 < 4 else max(5, 6)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := compileExpr(src)
		if err != nil {
			return
		}
		for _, c := range []int64{0, 1, 19, 20, 63, 64, math.MaxInt64} {
			e(&exprEnv{banTime: pyInt(600), banCount: c, factor: pyFloat(1.5)}) //nolint:errcheck // only panics matter
		}
	})
}
