#!/usr/bin/env bash
# Instructions (valgrind's callgrind) that compiling the stock sshd filter
# takes, as warden does at start-up (BenchmarkCompileStockSSHD in
# internal/pyre: the prefregex and the 22 failregexes, tags expanded), and
# `warden regex`'s whole start-up on an empty log. For this tree, or for
# the revision $WARDEN_REV names (WARDEN_REV=213ea5c bench/compile.sh for
# the code before pyre.Shared). The compile's count is that of 101 rounds
# less that of 1, divided by 100, with the collector off: the test binary's
# own start-up and set-up drop out.
#
# Usage: bench/compile.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
. "$here/bench/lib.sh"
src=$here
if [ -n "${WARDEN_REV:-}" ]; then
  src=$work/src
  mkdir -p "$src"
  git -C "$here" archive "$WARDEN_REV" | tar -x -C "$src"
fi
(cd "$src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go test -c -o "$work/pyre.test" ./internal/pyre/)
build_warden "$work/warden"
: > "$work/empty.log"

# with the collector off, in UTC
export GOGC=off TZ=UTC
export WARDEN_F2B_CACHE=$cache
one=$(count_instructions "$work/pyre.test" -test.run XXX -test.bench CompileStockSSHD -test.benchtime 1x)
many=$(count_instructions "$work/pyre.test" -test.run XXX -test.bench CompileStockSSHD -test.benchtime 101x)
start=$(count_instructions "$work/warden" regex --json --config "$f2b/etc/fail2ban" "$work/empty.log" sshd)
echo "code: ${WARDEN_REV:-this tree}"
echo "compiling the stock sshd filter: $(( (many - one) / 100 )) instructions"
echo "warden regex start-up (empty log): $start instructions"
