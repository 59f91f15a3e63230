#!/usr/bin/env bash
# Warden on junk input: what a flood of attacker-written lines costs.
#
# Two inputs: a binary file of at least 10 MB (BIN, default /usr/bin/gdb
# if it is that large, else 12 MB of random bytes), and a log of 8 KB lines
# of random printable ASCII (1,500 lines, about 12 MB). Each goes through
# `warden regex` on one core twice: with a failregex of the user's own
# ('Failed from <HOST>': the default date templates, searched anywhere in
# the line, as the README's Proxmox filter), and with the stock sshd filter
# of the Debian fail2ban 1.0.2 package (--config). Prints seconds and MB a
# second for each (the best of ROUNDS runs, default 3), and the start-up
# time (the same command on an empty log). With F2B=1 it also runs
# fail2ban-regex on the same inputs (at most F2B_TIMEOUT seconds each,
# default 120) for the ratio.
# Usage: bench/junk.sh [ROUNDS]
set -euo pipefail
rounds=${1:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"
pkg=$f2b/usr/lib/python3/dist-packages
build_warden "$work/warden"

bin=${BIN:-/usr/bin/gdb}
if [ -f "$bin" ] && [ "$(stat -c %s "$bin")" -ge 10000000 ]; then
  cp "$bin" "$work/binary"
else
  head -c 12000000 /dev/urandom > "$work/binary"
fi
python3 - "$work/printable.log" <<'PY'
import random, string, sys
r = random.Random(14)
chars = string.printable[:95]  # letters, digits, punctuation, space
with open(sys.argv[1], "w") as f:
    for _ in range(1500):
        f.write("".join(r.choice(chars) for _ in range(8192)) + "\n")
PY
: > "$work/empty.log"

export TZ=UTC
w_own() { GOMAXPROCS=1 "$work/warden" regex "$1" 'Failed from <HOST>' > /dev/null; }
w_sshd() { GOMAXPROCS=1 "$work/warden" regex --config "$f2b/etc/fail2ban" "$1" sshd > /dev/null; }
f_own() { PYTHONPATH=$pkg timeout "${F2B_TIMEOUT:-120}" python3 "$f2b/usr/bin/fail2ban-regex" "$1" 'Failed from <HOST>' > /dev/null; }
f_sshd() { PYTHONPATH=$pkg timeout "${F2B_TIMEOUT:-120}" python3 "$f2b/usr/bin/fail2ban-regex" "$1" "$f2b/etc/fail2ban/filter.d/sshd.conf" > /dev/null; }
best() { # best of $rounds runs of "$@", in seconds
  local b=
  for _ in $(seq "$rounds"); do
    local t0 t1; t0=$EPOCHREALTIME; "$@"; t1=$EPOCHREALTIME
    b=$(python3 -c "import sys; a=float(sys.argv[1]) - float(sys.argv[2]); print(a if sys.argv[3] == '' else min(a, float(sys.argv[3])))" "$t1" "$t0" "$b")
  done
  echo "$b"
}
pin_one_core
printf '%-44s %10s %10s %10s\n' "" "MB" "best s" "MB/s"
for input in binary printable.log; do
  mb=$(python3 -c "import os, sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$work/$input")
  for f in w_own w_sshd; do
    t=$(best "$f" "$work/$input")
    name="warden regex, $input, $([ $f = w_own ] && echo "'Failed from <HOST>'" || echo sshd)"
    python3 -c "import sys; mb, t = float(sys.argv[2]), float(sys.argv[3]); print('%-44s %10.1f %10.3f %10.1f' % (sys.argv[1], mb, t, mb / t))" "$name" "$mb" "$t"
  done
  if [ "${F2B:-0}" = 1 ]; then
    for f in f_own f_sshd; do
      t0=$EPOCHREALTIME; rc=0; "$f" "$work/$input" || rc=$?; t1=$EPOCHREALTIME
      name="fail2ban-regex, $input, $([ $f = f_own ] && echo "'Failed from <HOST>'" || echo sshd)"
      python3 -c "import sys; mb, t = float(sys.argv[2]), float(sys.argv[3]) - float(sys.argv[4]); print('%-44s %10.1f %10.3f %10.1f%s' % (sys.argv[1], mb, t, mb / t, ' (stopped)' if sys.argv[5] == '124' else ''))" "$name" "$mb" "$t1" "$t0" "$rc"
    done
  fi
done
t=$(best w_own "$work/empty.log")
python3 -c "import sys; print('start-up (empty log), best: warden %.0f ms' % (1000 * float(sys.argv[1])))" "$t"
