#!/usr/bin/env bash
# Warden against sshguard's parser on a botnet-style sshd log, same run.
#
# Fetches Debian's sshguard package (apt-get download + dpkg -x into
# $WARDEN_SSHG_CACHE, default ~/.cache/warden/sshguard; never installed;
# sshg-parser needs only libc) and builds a syslog sshd log: 5,000
# attackers failing 5 times each (failed passwords, invalid users),
# interleaved with ordinary sshd lines (accepted keys, sessions,
# disconnects), repeated with later times to LINES lines (default
# 250000). It then runs, on one core each, ROUNDS times (default 3)
# alternating: sshguard's flex-generated parser (`sshg-parser`, one line
# of output per attack) and `warden regex --json` with the stock sshd
# filter of the Debian fail2ban 1.0.2 package, and prints the best time,
# lines a second and the ratio, with the number of failures each found.
# Usage: bench/sshguard.sh [LINES [ROUNDS]]
set -euo pipefail
lines=${1:-250000}
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"
parser=$(sshg_parser)
build_warden "$work/warden"

bench_log botnet "$lines" "$work/botnet.log"

export TZ=UTC
: > "$work/times"
pin_one_core
for r in $(seq "$rounds"); do
  t0=$EPOCHREALTIME; "$parser" < "$work/botnet.log" > "$work/sshg.$r"
  t1=$EPOCHREALTIME; GOMAXPROCS=1 "$work/warden" regex --json --config "$f2b/etc/fail2ban" "$work/botnet.log" sshd > "$work/warden.$r"
  t2=$EPOCHREALTIME
  echo "$t0 $t1 $t2" >> "$work/times"
done
python3 - "$work" "$lines" "$rounds" <<'PY'
import sys
work, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
st, wt = [], []
for l in open(work + "/times"):
    t0, t1, t2 = map(float, l.split())
    st.append(t1 - t0)
    wt.append(t2 - t1)
sf = sum(1 for _ in open("%s/sshg.%d" % (work, rounds)))
wf = sum(1 for _ in open("%s/warden.%d" % (work, rounds)))
print("input: %d botnet-style sshd lines (5,000 attackers x 5 failures, interleaved), %d rounds" % (n, rounds))
print("%-44s %10s %14s %10s" % ("", "best s", "best lines/s", "failures"))
print("%-44s %10.3f %14.0f %10d" % ("sshg-parser (sshguard 2.4.2, 1 core)", min(st), n / min(st), sf))
print("%-44s %10.3f %14.0f %10d" % ("warden regex --json, stock sshd (1 core)", min(wt), n / min(wt), wf))
print("warden / sshguard: %.2fx (best against best)" % (min(st) / min(wt)))
PY
