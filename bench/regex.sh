#!/usr/bin/env bash
# Filter speed, Warden against the real fail2ban, same input, same run.
#
# Builds a log of N sshd lines (default 100000) from the sshd sample lines of
# the Debian fail2ban 1.0.2 package, giving each copy other addresses and
# process ids (bench/sshdlog, the log BenchmarkSSHDLog also reads), then
# runs `warden regex --json` and `fail2ban-regex -o row` (the same mode: first
# matching failregex, one record per failure) with the stock sshd filter on
# one core each, ROUNDS times (default 3) alternating, checks that both found
# the same failures (address and time, in order) every time, and prints the
# best and median times, lines per second and the ratio, and the start-up
# time of each (the same command on an empty log). It also times warden on
# the same log with a failregex that matches no line: the work every line
# costs before any filter runs (reading, decoding, finding the date), to
# set against the time a given speed-up allows, in all and after its own
# start-up (the floor command on an empty log).
# Usage: bench/regex.sh [LINES [ROUNDS]]
set -euo pipefail
lines=${1:-100000}
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"
pkg=$f2b/usr/lib/python3/dist-packages
build_warden "$work/warden"

bench_log sshd "$lines" "$work/sshd.log"

export TZ=UTC
# Several rounds, the two tools alternating, so that a slow spell of the
# machine does not favour either; every round's output is checked.
: > "$work/times"
: > "$work/empty.log"
run_warden() { GOMAXPROCS=1 "$work/warden" regex --json --config "$f2b/etc/fail2ban" "$1" sshd > "$2"; }
run_floor() { GOMAXPROCS=1 "$work/warden" regex --json "$1" '^warden-bench-no-such-line <HOST>$' > "$2"; }
run_f2b() { PYTHONPATH=$pkg python3 "$f2b/usr/bin/fail2ban-regex" -o row "$1" "$f2b/etc/fail2ban/filter.d/sshd.conf" > "$2"; }
pin_one_core
for r in $(seq "$rounds"); do
  t0=$EPOCHREALTIME; run_warden "$work/sshd.log" "$work/warden.$r"
  t1=$EPOCHREALTIME; run_f2b "$work/sshd.log" "$work/f2b.$r"
  # start-up alone: the same commands on an empty log
  t2=$EPOCHREALTIME; run_warden "$work/empty.log" /dev/null
  t3=$EPOCHREALTIME; run_f2b "$work/empty.log" /dev/null
  t4=$EPOCHREALTIME; run_floor "$work/sshd.log" "$work/floor.$r"
  t5=$EPOCHREALTIME; run_floor "$work/empty.log" /dev/null
  t6=$EPOCHREALTIME
  [ ! -s "$work/floor.$r" ] || { echo "the floor run found failures" >&2; exit 1; }
  echo "$t0 $t1 $t2 $t3 $t4 $t5 $t6" >> "$work/times"
done

python3 - "$work" "$lines" "$rounds" <<'PY'
import ast, json, statistics, sys
work, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def ftime(t):  # None (null) for a line without a date
    return None if t is None else float(t)

def warden(path):
    return [(d["ip"], ftime(d["time"])) for d in map(json.loads, open(path))]

def fail2ban(path):
    out = []
    for l in open(path):
        l = l.strip()
        if l.startswith("["):
            fid, t, _ = ast.literal_eval(l.rstrip(","))
            out.append((str(fid), ftime(t)))
    return out

same, wn, fn = True, 0, 0
for r in range(1, rounds + 1):
    w, f = warden("%s/warden.%d" % (work, r)), fail2ban("%s/f2b.%d" % (work, r))
    same = same and w == f
    wn, fn = len(w), len(f)
wt, ft, ws, fs, fl, fls = [], [], [], [], [], []
for l in open(work + "/times"):
    t0, t1, t2, t3, t4, t5, t6 = map(float, l.split())
    wt.append(t1 - t0)
    ft.append(t2 - t1)
    ws.append(t3 - t2)
    fs.append(t4 - t3)
    fl.append(t5 - t4)
    fls.append(t6 - t5)
print("input: %d sshd lines, %d rounds; failures: warden %d, fail2ban %d; identical in every round: %s"
      % (n, rounds, wn, fn, "yes" if same else "NO"))
print("%-34s %12s %12s %14s" % ("", "best s", "median s", "best lines/s"))
for name, t in (("warden regex --json (1 core)", wt), ("fail2ban-regex -o row (1 core)", ft)):
    print("%-34s %12.3f %12.3f %14.0f" % (name, min(t), statistics.median(t), n / min(t)))
print("speed-up: %.1fx (best against best), %.1fx (median against median)"
      % (min(ft) / min(wt), statistics.median(ft) / statistics.median(wt)))
print("start-up (empty log), best: warden %.0f ms, fail2ban-regex %.0f ms" % (1000 * min(ws), 1000 * min(fs)))
print("floor: warden with a failregex that matches no line (read, decode, date): %.3f s best, %.2f us a line;"
      % (min(fl), 1e6 * min(fl) / n))
print("       after its start-up (the same command on an empty log, best %.0f ms): %.2f us a line"
      % (1000 * min(fls), 1e6 * max(min(fl) - min(fls), 0) / n))
print("       50x fail2ban-regex's best would be %.3f s in all, %.2f us a line" % (min(ft) / 50, 1e6 * min(ft) / 50 / n))
sys.exit(0 if same else 1)
PY
