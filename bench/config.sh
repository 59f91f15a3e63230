#!/usr/bin/env bash
# Resolves the Debian fail2ban 1.0.2 configuration tree with all of its jails
# enabled, with Warden (`warden config dump --json`) and with the real
# fail2ban (`fail2ban-client -d`), several times each in the same run, and
# prints the mean wall-clock and CPU time of each and their ratio.
# Usage: bench/config.sh [RUNS]   (default 20)
set -euo pipefail
runs=${1:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"
cp -r "$f2b/etc/fail2ban" "$work/tree"
grep -o '^\[[^]]*\]' "$work/tree/jail.conf" | tr -d '[]' | grep -v -x -e INCLUDES -e DEFAULT |
  while read -r j; do printf '[%s]\nenabled = true\n' "$j"; done > "$work/tree/jail.local"
jails=$(grep -c '^\[' "$work/tree/jail.local")

build_warden "$work/warden"

# time_runs NAME CMD...: prints "wall_ms cpu_ms" averaged over $runs runs.
time_runs() {
  local name=$1; shift
  "$@" >/dev/null 2>&1 || { echo "$name failed: $*" >&2; exit 1; }   # warm-up and check
  python3 - "$runs" "$@" <<'PY'
import os, resource, subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
wall = 0.0
before = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall += time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print("%.2f %.2f" % (wall / runs * 1000, cpu / runs * 1000))
PY
}

read -r w_wall w_cpu < <(time_runs warden "$work/warden" config dump --json --config "$work/tree")
read -r f_wall f_cpu < <(time_runs fail2ban env PYTHONPATH="$f2b/usr/lib/python3/dist-packages" python3 "$f2b/usr/bin/fail2ban-client" -c "$work/tree" -d)

# Both must have resolved every jail.
wj=$("$work/warden" config dump --json --config "$work/tree" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jails"]))')
fj=$(PYTHONPATH="$f2b/usr/lib/python3/dist-packages" python3 "$f2b/usr/bin/fail2ban-client" -c "$work/tree" -d 2>/dev/null | grep -c "^\['start'")
echo "jails enabled: $jails; resolved by warden: $wj, by fail2ban: $fj; $runs runs each"
printf '%-28s %10s %10s\n' "" "wall ms" "cpu ms"
printf '%-28s %10s %10s\n' "warden config dump --json" "$w_wall" "$w_cpu"
printf '%-28s %10s %10s\n' "fail2ban-client -d" "$f_wall" "$f_cpu"
python3 -c "import sys; fw,fc,ww,wc=map(float,sys.argv[1:]); print('speed-up: %.1fx wall, %.1fx cpu' % (fw/ww, fc/wc))" "$f_wall" "$f_cpu" "$w_wall" "$w_cpu"
[ "$wj" = "$jails" ] && [ "$fj" = "$jails" ]
