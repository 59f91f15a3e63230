package pyre

import (
	"fmt"
	"strings"
)

var sreOpNames = [...]string{"FAILURE", "SUCCESS", "BYTE", "RUNE", "STRING", "SET", "ANY", "ANYALL", "AT", "MARK", "JUMP", "BRANCH", "REPEAT_ONE", "MIN_REPEAT_ONE", "POSS_REPEAT_ONE", "REPEAT", "MAX_UNTIL", "MIN_UNTIL", "POSS_REPEAT", "ATOMIC", "GROUPREF", "GROUPREF_AF", "GROUPREF_UF", "GROUPREF_EXISTS", "ASSERT", "ASSERT_NOT", "OPT", "OPT_LAZY", "ASSERT_PLAIN", "ASSERT_NOT_PLAIN", "GUARDED", "POSS_REPEAT_ONE_BYTE", "POSS_REPEAT_ONE_STRING"}

// sreOpLen is the length of the instruction at pc.
func sreOpLen(code []int, pc int) int {
	switch code[pc] {
	case sFailure, sSuccess, sMaxUntil, sMinUntil:
		return 1
	case sBranch:
		return 1
	case sRepeatOne, sMinRepeatOne, sPossRepeatOne, sPossRepeatOneByte, sPossRepeatOneString:
		return 6
	case sRepeat:
		return 5
	case sPossRepeat, sAssert, sAssertNot, sOpt, sOptLazy, sAssertPlain, sAssertNotPlain, sGrouprefExists:
		return 3
	}
	return 2
}

// disasm lists p's code, one instruction a line (alternative headers
// shown as "alt").
func (p *sreProg) disasm() string {
	var b strings.Builder
	code := p.code
	alts := map[int]bool{}
	for pc := 0; pc < len(code); {
		if alts[pc] && code[pc] == 0 {
			fmt.Fprintf(&b, "%4d end-of-branch\n", pc)
			pc++
			continue
		}
		if alts[pc] {
			fmt.Fprintf(&b, "%4d alt next=%d guard=%d\n", pc, code[pc], code[pc+1])
			alts[code[pc]] = true
			pc += 2
			continue
		}
		op := code[pc]
		n := sreOpLen(code, pc)
		name := "?"
		if op < len(sreOpNames) {
			name = sreOpNames[op]
		}
		fmt.Fprintf(&b, "%4d %s %v", pc, name, code[pc+1:pc+n])
		if op == sString {
			fmt.Fprintf(&b, " %q", p.strs[code[pc+1]])
		}
		b.WriteByte('\n')
		if op == sBranch {
			alts[pc+1] = true
		}
		pc += n
	}
	return b.String()
}
