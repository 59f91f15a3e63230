//go:build !linux

package hugeheap

// Advise does nothing outside Linux.
func Advise(obj any) Result { return Result{} }

// Grow does nothing outside Linux.
func Grow(room uint64) Result { return Result{} }
