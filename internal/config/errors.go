package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound marks a filter or action that no configuration layer has.
var ErrNotFound = errors.New("not found")

// Error is a configuration problem tied to a place in a file.
type Error struct {
	File string // path as shown to the user; empty when unknown
	Line int    // 1-based; 0 when unknown
	Msg  string
	Err  error // optional cause
	// Jail is the jail this problem makes invalid (see Config.Invalid);
	// empty for a problem in a file as a whole, which may concern several
	// jails or none.
	Jail string

	opt string // the jail option whose value is wrong, when known
	key string // problems of a jail with the same key are one; empty: Error()
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
		if e.Line > 0 {
			fmt.Fprintf(&b, "%d:", e.Line)
		}
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is a list of configuration problems.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap exposes the individual problems to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// asErrors flattens err into a list of located errors.
func asErrors(err error) Errors {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return Errors{{Msg: err.Error()}}
}

func errorf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}
