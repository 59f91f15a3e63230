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
// Matching uses pyre's own engine by default (EngineSRE, sre_compile.go
// and sre_match.go): a port of CPython's sre matcher compiled from the
// tree to an instruction array. It keeps sre's control flow and its
// bookkeeping of capture marks, so spans after backtracking, in repeats,
// around lookarounds and in conditionals are Python's, quirks included.
// It matches the UTF-8 input in place, does not allocate with
// AppendSearch, and bounds each search by a step budget that grows with
// the length of the text (Options.MaxSteps and StepsPerByte,
// *StepLimitError wrapping ErrBacktrackLimit) instead of a clock.
//
// Two translations of the tree remain available through Options.Engine,
// for differential tests and benchmarks:
//
//   - as Go regexp (RE2) syntax, when that is exact: no lookaround,
//     backreference, conditional, atomic group or possessive repeat, no
//     repeat over a subpattern that can match empty, and counts <= 1000.
//     Lookbehinds whose outcome is fixed by the preceding pattern (as in
//     fail2ban's IPv6 expansion) are removed first. Python's $ (without
//     MULTILINE) and \b/\B have no exact RE2 form for every input, so such
//     patterns use RE2 only for inputs where it is exact (no "\n" before
//     the last character; ASCII and non-empty input for \b/\B) and the
//     backtracking engine otherwise;
//   - as github.com/dlclark/regexp2 syntax (a backtracking engine), used
//     for everything else, with a per-match timeout (ErrTimeout) and a
//     stack limit (ErrBacktrackLimit).
//
// Offsets are byte offsets into the input, as in package regexp. Inputs
// are decoded as UTF-8; each invalid byte is treated as U+FFFD.
//
// Every search first checks a necessary condition computed at compile
// time (see Regexp.MayMatch): literal text that every match contains, in
// order. Most inputs a pattern cannot match are rejected by a few
// strings.Index calls, without running an engine.
//
// Goroutines: pyre starts none itself. With Options.Engine set to
// EngineRE2 or EngineBacktrack, regexp2 keeps one process-wide
// clock goroutine for its match timeouts, started by the first bounded
// backtracking match and exiting about a second after the last one; tests
// that use go.uber.org/goleak call StopTimeoutClock before checking (or
// ignore github.com/dlclark/regexp2/v2.runClock).
//
// Known differences from Python: \N{name} escapes are rejected as
// unsupported; Unicode tables follow the Python version that generated
// tables_gen.go; a search that exceeds its step budget returns
// ErrBacktrackLimit where Python would eventually answer.
// The regexp2 engine additionally compares case-insensitive
// backreferences with Go's simple case folding instead of Python's
// lowercase mapping (only a few non-ASCII characters such as 'ſ', 'ı' or
// 'µ' differ) and treats repeat counts above 2^30 as unbounded.
package pyre

//go:generate sh -c "python3 internal/gentables/gentables.py > tables_gen.go"
