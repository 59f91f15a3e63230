#!/usr/bin/env bash
# Two builds of warden timed in turn on the same log: what a change is
# worth on a machine whose speed swings more than the change does. Each
# round runs `warden regex --json` with the stock sshd filter once with
# each build on one core, the order flipped every round; it prints each
# build's best time, 10th and 25th percentiles and median, and the
# second's against the first's.
#
# A and B are git revisions, or "." for this tree; FLAGS_A and FLAGS_B
# are build flags for each (FLAGS_B=-pgo=off measures what the profile
# gives), EXPERIMENT_A and EXPERIMENT_B their GOEXPERIMENT (for
# experiments only: EXPERIMENT_B=norandomizedheapbase64 measures what the
# heap's randomised base costs). LOG is "sshd" (bench/regex.sh's log of
# LINES lines, the default) or "botnet" (bench/sshguard.sh's).
# Usage: bench/alternate.sh A B [ROUNDS [LINES [LOG]]]
set -euo pipefail
a=${1:?usage: bench/alternate.sh A B [ROUNDS [LINES [LOG]]]}
b=${2:?usage: bench/alternate.sh A B [ROUNDS [LINES [LOG]]]}
rounds=${3:-30}
lines=${4:-100000}
kind=${5:-sshd}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"
build() { # REV FLAGS OUT [GOEXPERIMENT]
  local rev=$1
  [ "$rev" != "." ] || rev=
  (
    [ -z "${4:-}" ] || export GOEXPERIMENT=$4
    WARDEN_REV=$rev WARDEN_BUILDFLAGS=$2 build_warden "$3"
  )
}
build "$a" "${FLAGS_A:-}" "$work/a" "${EXPERIMENT_A:-}"
build "$b" "${FLAGS_B:-}" "$work/b" "${EXPERIMENT_B:-}"
bench_log "$kind" "$lines" "$work/log"

export TZ=UTC GOMAXPROCS=1
pin_one_core
python3 - "$work" "$rounds" "$f2b/etc/fail2ban" "$a ${FLAGS_A:-}${EXPERIMENT_A:+ GOEXPERIMENT=$EXPERIMENT_A}" "$b ${FLAGS_B:-}${EXPERIMENT_B:+ GOEXPERIMENT=$EXPERIMENT_B}" <<'PY'
import subprocess, sys, time
work, rounds, conf, name_a, name_b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
times = {"a": [], "b": []}
for r in range(rounds):
    for k in ("a", "b") if r % 2 == 0 else ("b", "a"):
        t = time.perf_counter()
        subprocess.run([work + "/" + k, "regex", "--json", "--config", conf, work + "/log", "sshd"],
                       stdout=subprocess.DEVNULL, check=True)
        times[k].append(time.perf_counter() - t)
def q(v, p):
    v = sorted(v)
    return v[int(p * (len(v) - 1))]
print("%-32s %8s %8s %8s %8s" % ("build (%d rounds)" % rounds, "best s", "p10", "p25", "median"))
for k, name in (("a", name_a), ("b", name_b)):
    v = times[k]
    print("%-32s %8.4f %8.4f %8.4f %8.4f" % (name.strip()[:32], q(v, 0), q(v, .1), q(v, .25), q(v, .5)))
print("second / first: %.3f best, %.3f p10, %.3f median" % (
    q(times["b"], 0) / q(times["a"], 0), q(times["b"], .1) / q(times["a"], .1), q(times["b"], .5) / q(times["a"], .5)))
PY
