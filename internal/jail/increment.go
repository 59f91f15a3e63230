package jail

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultFormula is fail2ban's bantime.formula when none is set.
const DefaultFormula = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor"

// Increment is bantime.increment and its options.
type Increment struct {
	Enabled bool
	// Factor is bantime.factor, a Python number expression as fail2ban
	// evaluates it ("" is "1"); the formula reads it as banFactor and the
	// multipliers are multiplied by it.
	Factor string
	// Formula is bantime.formula, a Python expression of ban.Time (the
	// jail's bantime in seconds), ban.Count (the bans of the address so
	// far) and banFactor ("" is DefaultFormula). Ignored when Multipliers
	// is set.
	Formula string
	// Multipliers is bantime.multipliers (see ParseMultipliers): the n-th
	// ban's time is bantime*factor*Multipliers[n-1], the last one
	// repeating.
	Multipliers []int
	// MaxTime is bantime.maxtime (0: none): the increased ban time is at
	// most this, even when that is shorter than bantime (as in fail2ban).
	MaxTime time.Duration
	// RndTime is bantime.rndtime (0: none): up to this much is added at
	// random to an increased ban time, after MaxTime.
	RndTime time.Duration
	// OverallJails is bantime.overalljails: count the bans of the address
	// in every jail, not only in this one.
	OverallJails bool
}

// ParseMultipliers reads bantime.multipliers as fail2ban does: numbers
// separated by single spaces.
func ParseMultipliers(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var m []int
	for _, f := range strings.Split(s, " ") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bantime.multipliers %q: %q is not an integer", s, f)
		}
		m = append(m, n)
	}
	return m, nil
}

// banTimeFunc computes an increased ban time in seconds: fail2ban's
// evformula.
type banTimeFunc func(banTime pyval, count int64) (pyval, error)

// compileIncrement builds the ban time function of inc, as fail2ban's
// Jail.setBanTimeExtra does.
func compileIncrement(inc Increment, random func() float64) (banTimeFunc, error) {
	factorSrc := inc.Factor
	if strings.TrimSpace(factorSrc) == "" {
		factorSrc = "1"
	}
	fe, err := compileExpr(factorSrc)
	if err != nil {
		return nil, fmt.Errorf("bantime.factor %q: %w", inc.Factor, err)
	}
	factor, err := fe(&exprEnv{})
	if err != nil {
		return nil, fmt.Errorf("bantime.factor %q: %w", inc.Factor, err)
	}
	var f banTimeFunc
	if m := inc.Multipliers; len(m) > 0 {
		f = func(bt pyval, count int64) (pyval, error) {
			k := len(m) - 1
			if count < int64(len(m)) {
				k = int(count)
				if k < 0 { // Python's negative index
					k += len(m)
					if k < 0 {
						return pyval{}, fmt.Errorf("bantime.multipliers: index %d out of range", count)
					}
				}
			}
			v, err := arith("*", bt, factor)
			if err != nil {
				return v, err
			}
			return arith("*", v, pyInt(int64(m[k])))
		}
	} else {
		src := inc.Formula
		if strings.TrimSpace(src) == "" {
			src = DefaultFormula
		}
		e, err := compileExpr(src)
		if err != nil {
			return nil, fmt.Errorf("bantime.formula %q: %w", inc.Formula, err)
		}
		f = func(bt pyval, count int64) (pyval, error) {
			v, err := e(&exprEnv{banTime: bt, banCount: count, factor: factor})
			if err != nil {
				return v, err
			}
			return pick([]pyval{bt, v}, ">") // max(ban.Time, formula)
		}
	}
	if inc.MaxTime != 0 {
		mt, inner := seconds(inc.MaxTime), f
		f = func(bt pyval, count int64) (pyval, error) {
			v, err := inner(bt, count)
			if err != nil {
				return v, err
			}
			return pick([]pyval{v, mt}, "<")
		}
	}
	if inc.RndTime != 0 {
		rt, inner := seconds(inc.RndTime).float(), f
		f = func(bt pyval, count int64) (pyval, error) {
			v, err := inner(bt, count)
			if err != nil {
				return v, err
			}
			return pyFloat(v.float() + random()*rt), nil
		}
	}
	return f, nil
}

// seconds is d in seconds as fail2ban holds it: an int when whole.
func seconds(d time.Duration) pyval {
	if d%time.Second == 0 {
		return pyInt(int64(d / time.Second))
	}
	return pyFloat(d.Seconds())
}

// duration converts seconds back, saturating beyond Go's range.
func duration(v pyval) time.Duration {
	if !v.isFloat {
		if v.i > math.MaxInt64/int64(time.Second) {
			return math.MaxInt64
		}
		if v.i < math.MinInt64/int64(time.Second) {
			return math.MinInt64
		}
		return time.Duration(v.i) * time.Second
	}
	ns := v.f * 1e9
	switch {
	case math.IsNaN(ns):
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(math.Round(ns))
}
