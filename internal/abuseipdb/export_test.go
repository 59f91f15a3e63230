package abuseipdb

import "time"

// SetIdleHook has Run call f each time it goes to sleep, with the count of
// wake-ups (Enqueue, Kick) its last pass saw and how long it will sleep (0:
// until woken). Set it before Run.
func SetIdleHook(r *Reporter, f func(seen uint64, wait time.Duration)) { r.onIdle = f }

// Kick wakes Run as Enqueue does and returns the count a pass that started
// afterwards sees.
func Kick(r *Reporter) uint64 { return r.kick() }

// SetBulkBytes sets the most bytes of reports one bulk-report carries.
func SetBulkBytes(r *Reporter, n int) { r.bulkBytes = n }
