// Package source reads the log lines that jails examine: files (a jail's
// logpath globs, followed through inotify or by polling, across
// rotations, resuming where a restart left off), the systemd journal, and
// the standard output of a long-running command.
//
// Each backend is started with Run(ctx, out): it sends every Line to out
// until ctx is done, then returns. It never closes out, which belongs to
// the caller. A line's text is decoded (never invalid UTF-8) and may
// hold anything an attacker wrote: the sources only cut and decode it.
package source
