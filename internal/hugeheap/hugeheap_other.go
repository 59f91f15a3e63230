//go:build !linux

package hugeheap

// Advise does nothing outside Linux.
func Advise(obj any) Result { return Result{} }
