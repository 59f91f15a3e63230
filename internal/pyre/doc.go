// Package pyre compiles regular expressions written in Python 3's re
// dialect (str patterns, as used by fail2ban filters) into Go matchers
// with Python's matching semantics.
//
// A pattern is parsed with the rules of CPython 3.11's re parser
// (accepting and rejecting the same patterns) into a tree in which every
// character class, case-insensitive literal, \d, \w, \s and . is resolved
// to an explicit set of code points computed from CPython's own
// predicates (see tables_gen.go).
//
// Matching uses pyre's own engine (sre_compile.go and sre_match.go): a
// port of CPython's sre matcher compiled from the tree to an instruction
// array. It keeps sre's control flow and its bookkeeping of capture
// marks, so spans after backtracking, in repeats, around lookarounds and
// in conditionals are Python's, quirks included. It matches the UTF-8
// input in place, does not allocate with AppendSearch, and bounds each
// search by a step budget that grows with the length of the text
// (Options.MaxSteps and StepsPerByte, *StepLimitError wrapping
// ErrBacktrackLimit) instead of a clock.
//
// Offsets are byte offsets into the input, as in package regexp. Inputs
// are decoded as UTF-8; each invalid byte is treated as U+FFFD.
//
// Every search first checks a necessary condition computed at compile
// time (see Regexp.MayMatch): literal text that every match contains, in
// order. Most inputs a pattern cannot match are rejected by a few
// strings.Index calls, without running an engine.
//
// Goroutines: pyre starts none.
//
// The tests keep two translations of the tree, to Go regexp (RE2) syntax
// where that is exact and to github.com/dlclark/regexp2 syntax, and
// compare the engine with both and with Python itself (engines_test.go).
//
// Known differences from Python: \N{name} escapes are rejected as
// unsupported; Unicode tables follow the Python version that generated
// tables_gen.go; a search that exceeds its step budget returns
// ErrBacktrackLimit where Python would eventually answer.
package pyre

//go:generate sh -c "python3 internal/gentables/gentables.py > tables_gen.go"
