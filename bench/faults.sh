#!/usr/bin/env bash
# Page faults of `warden regex`, run after run: on the virtual machines
# this project is measured on a fault costs 10 to 20 µs, and the heap's
# randomised base makes the count differ from one run to the next, so
# one `perf stat -r` average hides the runs that take many more.
#
# Builds warden (WARDEN_REV and WARDEN_BUILDFLAGS as in lib.sh; with
# EXPERIMENT set, as GOEXPERIMENT: EXPERIMENT=norandomizedheapbase64
# shows the count without that randomisation) and bench/regex.sh's log of
# LINES sshd lines (default 100000), then runs `warden regex --json` with
# the stock sshd filter RUNS times (default 30) on that log and on an
# empty one, one process each counted by `perf stat -e page-faults`, and
# prints each count in order, the lowest, the median, the highest, and
# how many runs took 900 faults or more.
# Usage: bench/faults.sh [RUNS [LINES]]
set -euo pipefail
runs=${1:-30}
lines=${2:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v perf >/dev/null || { echo "perf is needed (apt-get install -y linux-perf)" >&2; exit 1; }
. "$here/bench/lib.sh"
(
  [ -z "${EXPERIMENT:-}" ] || export GOEXPERIMENT=$EXPERIMENT
  build_warden "$work/warden"
)
bench_log sshd "$lines" "$work/sshd.log"
: > "$work/empty.log"

export TZ=UTC GOMAXPROCS=1
pin_one_core
for log in sshd empty; do
  for _ in $(seq "$runs"); do
    perf stat -x, -e page-faults -o "$work/stat" \
      "$work/warden" regex --json --config "$f2b/etc/fail2ban" "$work/$log.log" sshd > /dev/null
    sed -n 's/^\([0-9]*\),.*page-faults.*/\1/p' "$work/stat"
  done > "$work/$log.faults"
done

python3 - "$work" "$runs" "$lines" <<'PY'
import statistics, sys
work, runs, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for log, name in (("sshd", "%d sshd lines" % lines), ("empty", "an empty log")):
    n = sorted(int(x) for x in open("%s/%s.faults" % (work, log)))
    print("warden regex on %s, %d runs: %s" % (name, len(n), " ".join(map(str, n))))
    print("  lowest %d, median %d, highest %d; 900 or more in %d runs" % (n[0], statistics.median_low(n), n[-1], sum(x >= 900 for x in n)))
PY
