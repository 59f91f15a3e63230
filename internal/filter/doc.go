// Package filter finds failures in log lines exactly as fail2ban 1.0.2's
// Filter does: <HOST>-style tag expansion, prefregex, failregex in order,
// ignoreregex, maxlines multi-line buffers with <SKIPLINES>, <F-MLFID>
// correlation of lines by connection with <F-NOFAIL>, <F-MLFFORGET> and
// <F-MLFGAINED>, date detection and address normalisation. Regexes are
// Python's dialect, compiled by package pyre with a time bound per match.
package filter
