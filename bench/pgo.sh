#!/usr/bin/env bash
# Regenerates cmd/warden/default.pgo, the CPU profile the Go toolchain
# uses to optimise the warden binary (profile-guided optimisation: `go
# build` reads a main package's default.pgo by itself). The profile is the
# per-line work of a jail: the stock sshd filter on bench/regex.sh's log
# (BenchmarkSSHDLogTransient) and the floor of dating lines
# (BenchmarkFloorClock), SECONDS seconds each (default 5). Run it again
# after a large change to the filter or the matcher, and compare with
# bench/instructions.sh before and after.
# Usage: bench/pgo.sh [SECONDS]
set -euo pipefail
secs=${1:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"
cd "$here"
go test -run '^$' -bench 'SSHDLogTransient$|FloorClock$' -benchtime "${secs}s" -cpuprofile "$work/cpu.pprof" -o "$work/filter.test" ./internal/filter/
cp "$work/cpu.pprof" cmd/warden/default.pgo
echo "wrote cmd/warden/default.pgo ($(wc -c < cmd/warden/default.pgo) bytes)"
