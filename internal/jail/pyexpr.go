package jail

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// This file evaluates the Python expressions fail2ban evaluates for
// bantime.formula and bantime.factor: numbers, ban.Time, ban.Count,
// banFactor, the arithmetic, bitwise, comparison and boolean operators,
// "a if c else b", the builtins min, max, abs, int, float, round and pow,
// and the functions and constants of Python's math module. It never runs
// anything else: an unknown name is an error when the expression is
// compiled. Values follow Python's int and float rules (true division,
// floor division and modulo, int shifts); an int that would outgrow 64 bits
// becomes a float.

// pyval is a Python int (or bool) or float.
type pyval struct {
	isFloat bool
	i       int64
	f       float64
}

func pyInt(i int64) pyval     { return pyval{i: i} }
func pyFloat(f float64) pyval { return pyval{isFloat: true, f: f} }

func (v pyval) float() float64 {
	if v.isFloat {
		return v.f
	}
	return float64(v.i)
}

func (v pyval) truth() bool {
	if v.isFloat {
		return v.f != 0
	}
	return v.i != 0
}

func pyBool(b bool) pyval {
	if b {
		return pyInt(1)
	}
	return pyInt(0)
}

// exprEnv holds the names an expression reads.
type exprEnv struct {
	banTime  pyval
	banCount int64
	factor   pyval
}

type expr func(env *exprEnv) (pyval, error)

// compileExpr parses a Python expression.
func compileExpr(src string) (expr, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	e, err := p.test()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, fmt.Errorf("unexpected %q", p.peek().text)
	}
	return e, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tName
	tOp
)

type token struct {
	kind tokKind
	text string
	val  pyval
}

var pyOps = []string{"**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "&", "|", "^", "~", "<", ">", "(", ")", ",", "."}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			isFloat := false
			if c == '0' && i+1 < len(s) && (s[i+1]|0x20) == 'x' {
				j += 2
				for j < len(s) && strings.IndexByte("0123456789abcdefABCDEF_", s[j]) >= 0 {
					j++
				}
			} else {
				for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_' || s[j] == '.') {
					isFloat = isFloat || s[j] == '.'
					j++
				}
				if j < len(s) && (s[j]|0x20) == 'e' {
					k := j + 1
					if k < len(s) && (s[k] == '+' || s[k] == '-') {
						k++
					}
					if k < len(s) && s[k] >= '0' && s[k] <= '9' {
						isFloat = true
						for j = k; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
						}
					}
				}
			}
			text := s[i:j]
			clean := strings.ReplaceAll(text, "_", "")
			var v pyval
			if isFloat {
				f, err := strconv.ParseFloat(clean, 64)
				if err != nil {
					return nil, fmt.Errorf("bad number %q", text)
				}
				v = pyFloat(f)
			} else {
				n, err := strconv.ParseInt(clean, 0, 64)
				if err != nil {
					return nil, fmt.Errorf("bad number %q", text)
				}
				v = pyInt(n)
			}
			toks = append(toks, token{kind: tNum, text: text, val: v})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			toks = append(toks, token{kind: tName, text: s[i:j]})
			i = j
		default:
			found := false
			for _, op := range pyOps {
				if strings.HasPrefix(s[i:], op) {
					toks = append(toks, token{kind: tOp, text: op})
					i += len(op)
					found = true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("unexpected character %q", s[i:i+1])
			}
		}
	}
	return append(toks, token{kind: tEOF, text: "end of expression"}), nil
}

type exprParser struct {
	toks []token
	pos  int
}

func (p *exprParser) peek() token { return p.toks[p.pos] }

func (p *exprParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *exprParser) isOp(ops ...string) (string, bool) {
	t := p.peek()
	if t.kind != tOp && t.kind != tName {
		return "", false
	}
	for _, op := range ops {
		if t.text == op {
			return op, true
		}
	}
	return "", false
}

func (p *exprParser) expect(op string) error {
	if t := p.next(); t.text != op || t.kind == tNum {
		return fmt.Errorf("expected %q, found %q", op, t.text)
	}
	return nil
}

// test: or_test ['if' or_test 'else' test]
func (p *exprParser) test() (expr, error) {
	a, err := p.orTest()
	if err != nil {
		return nil, err
	}
	if _, ok := p.isOp("if"); !ok {
		return a, nil
	}
	p.next()
	cond, err := p.orTest()
	if err != nil {
		return nil, err
	}
	if err := p.expect("else"); err != nil {
		return nil, err
	}
	b, err := p.test()
	if err != nil {
		return nil, err
	}
	return func(env *exprEnv) (pyval, error) {
		c, err := cond(env)
		if err != nil {
			return pyval{}, err
		}
		if c.truth() {
			return a(env)
		}
		return b(env)
	}, nil
}

func (p *exprParser) orTest() (expr, error) {
	a, err := p.andTest()
	for err == nil {
		if _, ok := p.isOp("or"); !ok {
			return a, nil
		}
		p.next()
		var b expr
		if b, err = p.andTest(); err == nil {
			l := a
			a = func(env *exprEnv) (pyval, error) {
				v, err := l(env)
				if err != nil || v.truth() {
					return v, err
				}
				return b(env)
			}
		}
	}
	return nil, err
}

func (p *exprParser) andTest() (expr, error) {
	a, err := p.notTest()
	for err == nil {
		if _, ok := p.isOp("and"); !ok {
			return a, nil
		}
		p.next()
		var b expr
		if b, err = p.notTest(); err == nil {
			l := a
			a = func(env *exprEnv) (pyval, error) {
				v, err := l(env)
				if err != nil || !v.truth() {
					return v, err
				}
				return b(env)
			}
		}
	}
	return nil, err
}

func (p *exprParser) notTest() (expr, error) {
	if _, ok := p.isOp("not"); ok {
		p.next()
		a, err := p.notTest()
		if err != nil {
			return nil, err
		}
		return func(env *exprEnv) (pyval, error) {
			v, err := a(env)
			return pyBool(!v.truth()), err
		}, nil
	}
	return p.comparison()
}

func (p *exprParser) comparison() (expr, error) {
	first, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	var ops []string
	operands := []expr{first}
	for {
		op, ok := p.isOp("<", ">", "<=", ">=", "==", "!=")
		if !ok {
			break
		}
		p.next()
		b, err := p.binary(0)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		operands = append(operands, b)
	}
	if len(ops) == 0 {
		return first, nil
	}
	return func(env *exprEnv) (pyval, error) { // chained: a < b < c
		l, err := operands[0](env)
		if err != nil {
			return pyval{}, err
		}
		for k, op := range ops {
			r, err := operands[k+1](env)
			if err != nil {
				return pyval{}, err
			}
			if !compare(op, l, r) {
				return pyBool(false), nil
			}
			l = r
		}
		return pyBool(true), nil
	}, nil
}

func compare(op string, a, b pyval) bool {
	var c int
	if !a.isFloat && !b.isFloat {
		c = cmpInt(a.i, b.i)
	} else {
		x, y := a.float(), b.float()
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		case x == y:
			c = 0
		default: // NaN: every comparison but != is false
			return op == "!="
		}
	}
	switch op {
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case ">=":
		return c >= 0
	case "==":
		return c == 0
	}
	return c != 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// binary operator levels, loosest first (Python's precedence).
var binaryLevels = [][]string{{"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "//", "%"}}

func (p *exprParser) binary(level int) (expr, error) {
	if level == len(binaryLevels) {
		return p.unary()
	}
	a, err := p.binary(level + 1)
	for err == nil {
		op, ok := p.isOp(binaryLevels[level]...)
		if !ok {
			return a, nil
		}
		p.next()
		var b expr
		if b, err = p.binary(level + 1); err == nil {
			a = binop(op, a, b)
		}
	}
	return nil, err
}

func binop(op string, a, b expr) expr {
	return func(env *exprEnv) (pyval, error) {
		x, err := a(env)
		if err != nil {
			return pyval{}, err
		}
		y, err := b(env)
		if err != nil {
			return pyval{}, err
		}
		return arith(op, x, y)
	}
}

var errZeroDivision = errors.New("division by zero")

func arith(op string, x, y pyval) (pyval, error) {
	ints := !x.isFloat && !y.isFloat
	switch op {
	case "+":
		if ints {
			if s, ok := addInt(x.i, y.i); ok {
				return pyInt(s), nil
			}
		}
		return pyFloat(x.float() + y.float()), nil
	case "-":
		if ints {
			if s, ok := addInt(x.i, -y.i); ok && y.i != math.MinInt64 {
				return pyInt(s), nil
			}
		}
		return pyFloat(x.float() - y.float()), nil
	case "*":
		if ints {
			if m, ok := mulInt(x.i, y.i); ok {
				return pyInt(m), nil
			}
		}
		return pyFloat(x.float() * y.float()), nil
	case "/":
		if y.float() == 0 {
			return pyval{}, errZeroDivision
		}
		return pyFloat(x.float() / y.float()), nil
	case "//", "%":
		if y.float() == 0 {
			return pyval{}, errZeroDivision
		}
		if ints && !(x.i == math.MinInt64 && y.i == -1) {
			q, r := x.i/y.i, x.i%y.i
			if r != 0 && (r < 0) != (y.i < 0) {
				q--
				r += y.i
			}
			if op == "//" {
				return pyInt(q), nil
			}
			return pyInt(r), nil
		}
		a, b := x.float(), y.float()
		r := math.Mod(a, b)
		if r != 0 && (r < 0) != (b < 0) {
			r += b
		}
		if op == "//" {
			return pyFloat(math.Floor((a - r) / b)), nil
		}
		return pyFloat(r), nil
	case "**":
		return power(x, y)
	}
	// bitwise operators take ints only
	if !ints {
		return pyval{}, fmt.Errorf("unsupported operand type(s) for %s: float", op)
	}
	switch op {
	case "&":
		return pyInt(x.i & y.i), nil
	case "|":
		return pyInt(x.i | y.i), nil
	case "^":
		return pyInt(x.i ^ y.i), nil
	case "<<":
		if y.i < 0 {
			return pyval{}, errors.New("negative shift count")
		}
		if x.i == 0 {
			return pyInt(0), nil
		}
		if y.i < 63 {
			if r := x.i << uint(y.i); r>>uint(y.i) == x.i {
				return pyInt(r), nil
			}
		}
		return pyFloat(float64(x.i) * math.Pow(2, float64(y.i))), nil
	case ">>":
		if y.i < 0 {
			return pyval{}, errors.New("negative shift count")
		}
		if y.i > 63 {
			y.i = 63
		}
		return pyInt(x.i >> uint(y.i)), nil
	}
	return pyval{}, fmt.Errorf("unknown operator %s", op)
}

func addInt(a, b int64) (int64, bool) {
	s := a + b
	return s, (a >= 0) != (b >= 0) || (s >= 0) == (a >= 0)
}

func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(uint64(abs64(a)), uint64(abs64(b)))
	if hi != 0 || lo > math.MaxInt64 || a == math.MinInt64 || b == math.MinInt64 {
		return 0, false
	}
	if (a < 0) != (b < 0) {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

func power(x, y pyval) (pyval, error) {
	if !x.isFloat && !y.isFloat && y.i >= 0 {
		r, base, e := int64(1), x.i, y.i
		ok := true
		for e > 0 && ok {
			if e&1 == 1 {
				r, ok = mulInt(r, base)
			}
			e >>= 1
			if e > 0 && ok {
				base, ok = mulInt(base, base)
			}
		}
		if ok {
			return pyInt(r), nil
		}
	}
	if x.float() == 0 && y.float() < 0 {
		return pyval{}, errZeroDivision
	}
	r := math.Pow(x.float(), y.float())
	if math.IsNaN(r) {
		return pyval{}, errors.New("math domain error")
	}
	if math.IsInf(r, 0) && !math.IsInf(x.float(), 0) && !math.IsInf(y.float(), 0) {
		return pyval{}, errors.New("numerical result out of range")
	}
	return pyFloat(r), nil
}

func (p *exprParser) unary() (expr, error) {
	if op, ok := p.isOp("-", "+", "~"); ok && p.peek().kind == tOp {
		p.next()
		a, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(env *exprEnv) (pyval, error) {
			v, err := a(env)
			if err != nil {
				return v, err
			}
			switch op {
			case "-":
				if v.isFloat {
					return pyFloat(-v.f), nil
				}
				if v.i == math.MinInt64 {
					return pyFloat(-float64(v.i)), nil
				}
				return pyInt(-v.i), nil
			case "~":
				if v.isFloat {
					return pyval{}, errors.New("bad operand type for unary ~: float")
				}
				return pyInt(^v.i), nil
			}
			return v, nil
		}, nil
	}
	return p.power()
}

// power: primary ['**' unary]
func (p *exprParser) power() (expr, error) {
	a, err := p.primary()
	if err != nil {
		return nil, err
	}
	if _, ok := p.isOp("**"); !ok {
		return a, nil
	}
	p.next()
	b, err := p.unary()
	if err != nil {
		return nil, err
	}
	return binop("**", a, b), nil
}

func (p *exprParser) primary() (expr, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		v := t.val
		return func(*exprEnv) (pyval, error) { return v, nil }, nil
	case tOp:
		if t.text != "(" {
			return nil, fmt.Errorf("unexpected %q", t.text)
		}
		e, err := p.test()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case tName:
		name := t.text
		for {
			if _, ok := p.isOp("."); !ok || p.peek().kind != tOp {
				break
			}
			p.next()
			n := p.next()
			if n.kind != tName {
				return nil, fmt.Errorf("expected a name after %q", name+".")
			}
			name += "." + n.text
		}
		if _, ok := p.isOp("("); ok && p.peek().kind == tOp {
			p.next()
			var args []expr
			if _, ok := p.isOp(")"); !ok {
				for {
					a, err := p.test()
					if err != nil {
						return nil, err
					}
					args = append(args, a)
					if _, ok := p.isOp(","); !ok {
						break
					}
					p.next()
				}
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return call(name, args)
		}
		return variable(name)
	}
	return nil, errors.New("unexpected end of expression")
}

func variable(name string) (expr, error) {
	var v pyval
	switch name {
	case "ban.Time":
		return func(env *exprEnv) (pyval, error) { return env.banTime, nil }, nil
	case "ban.Count":
		return func(env *exprEnv) (pyval, error) { return pyInt(env.banCount), nil }, nil
	case "banFactor":
		return func(env *exprEnv) (pyval, error) { return env.factor, nil }, nil
	case "True":
		v = pyInt(1)
	case "False":
		v = pyInt(0)
	case "math.pi":
		v = pyFloat(math.Pi)
	case "math.e":
		v = pyFloat(math.E)
	case "math.tau":
		v = pyFloat(2 * math.Pi)
	case "math.inf":
		v = pyFloat(math.Inf(1))
	default:
		return nil, fmt.Errorf("unknown name %q", name)
	}
	return func(*exprEnv) (pyval, error) { return v, nil }, nil
}

type pyfunc struct {
	min, max int // argument counts; max -1: any
	fn       func(args []pyval) (pyval, error)
}

func float1(f func(float64) float64) pyfunc {
	return pyfunc{1, 1, func(a []pyval) (pyval, error) { return mathResult(f(a[0].float()), a[0].float()) }}
}

// mathResult turns Go's NaN and infinities into Python's math errors.
func mathResult(r, in float64) (pyval, error) {
	if math.IsNaN(r) && !math.IsNaN(in) {
		return pyval{}, errors.New("math domain error")
	}
	if math.IsInf(r, 0) && !math.IsInf(in, 0) {
		if in == 0 {
			return pyval{}, errors.New("math domain error")
		}
		return pyval{}, errors.New("math range error")
	}
	return pyFloat(r), nil
}

func toInt(f float64) (pyval, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return pyval{}, errors.New("cannot convert float NaN or infinity to integer")
	}
	if f >= -(1<<63) && f < 1<<63 {
		return pyInt(int64(f)), nil
	}
	return pyFloat(f), nil // beyond 64 bits: stays a float
}

var pyfuncs = map[string]pyfunc{
	"abs": {1, 1, func(a []pyval) (pyval, error) {
		if a[0].isFloat {
			return pyFloat(math.Abs(a[0].f)), nil
		}
		if a[0].i == math.MinInt64 {
			return pyFloat(-float64(a[0].i)), nil
		}
		return pyInt(abs64(a[0].i)), nil
	}},
	"min": {1, -1, func(a []pyval) (pyval, error) { return pick(a, "<") }},
	"max": {1, -1, func(a []pyval) (pyval, error) { return pick(a, ">") }},
	"int": {1, 1, func(a []pyval) (pyval, error) {
		if !a[0].isFloat {
			return a[0], nil
		}
		return toInt(math.Trunc(a[0].f))
	}},
	"float": {1, 1, func(a []pyval) (pyval, error) { return pyFloat(a[0].float()), nil }},
	"round": {1, 2, func(a []pyval) (pyval, error) {
		if len(a) == 1 {
			if !a[0].isFloat {
				return a[0], nil
			}
			return toInt(math.RoundToEven(a[0].f))
		}
		if a[1].isFloat {
			return pyval{}, errors.New("round: ndigits must be an integer")
		}
		if !a[0].isFloat {
			if a[1].i >= 0 {
				return a[0], nil
			}
			p := math.Pow(10, float64(-a[1].i))
			return toInt(math.RoundToEven(float64(a[0].i)/p) * p)
		}
		p := math.Pow(10, float64(a[1].i))
		return pyFloat(math.RoundToEven(a[0].f*p) / p), nil
	}},
	"pow":        {2, 2, func(a []pyval) (pyval, error) { return power(a[0], a[1]) }},
	"math.exp":   float1(math.Exp),
	"math.sqrt":  float1(math.Sqrt),
	"math.log2":  float1(math.Log2),
	"math.log10": float1(math.Log10),
	"math.fabs":  float1(math.Abs),
	"math.log": {1, 2, func(a []pyval) (pyval, error) {
		x := a[0].float()
		if x <= 0 {
			return pyval{}, errors.New("math domain error")
		}
		if len(a) == 1 {
			return pyFloat(math.Log(x)), nil
		}
		b := a[1].float()
		if b <= 0 || b == 1 {
			return pyval{}, errors.New("math domain error")
		}
		return pyFloat(math.Log(x) / math.Log(b)), nil
	}},
	"math.pow": {2, 2, func(a []pyval) (pyval, error) {
		x, y := a[0].float(), a[1].float()
		r := math.Pow(x, y)
		if x == 0 && y < 0 || math.IsNaN(r) && !math.IsNaN(x) && !math.IsNaN(y) {
			return pyval{}, errors.New("math domain error")
		}
		if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			return pyval{}, errors.New("math range error")
		}
		return pyFloat(r), nil
	}},
	"math.floor": {1, 1, func(a []pyval) (pyval, error) {
		if !a[0].isFloat {
			return a[0], nil
		}
		return toInt(math.Floor(a[0].f))
	}},
	"math.ceil": {1, 1, func(a []pyval) (pyval, error) {
		if !a[0].isFloat {
			return a[0], nil
		}
		return toInt(math.Ceil(a[0].f))
	}},
	"math.trunc": {1, 1, func(a []pyval) (pyval, error) {
		if !a[0].isFloat {
			return a[0], nil
		}
		return toInt(math.Trunc(a[0].f))
	}},
}

// pick returns the first least (op "<") or greatest (">") argument, as
// Python's min and max do.
func pick(a []pyval, op string) (pyval, error) {
	best := a[0]
	for _, v := range a[1:] {
		if compare(op, v, best) {
			best = v
		}
	}
	return best, nil
}

func call(name string, args []expr) (expr, error) {
	f, ok := pyfuncs[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	if len(args) < f.min || f.max >= 0 && len(args) > f.max {
		return nil, fmt.Errorf("%s takes %d to %d arguments, not %d", name, f.min, f.max, len(args))
	}
	if name == "min" || name == "max" {
		if len(args) < 2 {
			return nil, fmt.Errorf("%s of a single number is not supported", name)
		}
	}
	return func(env *exprEnv) (pyval, error) {
		vals := make([]pyval, len(args))
		for k, a := range args {
			v, err := a(env)
			if err != nil {
				return v, err
			}
			vals[k] = v
		}
		return f.fn(vals)
	}, nil
}
