#!/usr/bin/env bash
# Filter speed, Warden against the real fail2ban, same input, same run.
#
# Builds a log of N sshd lines (default 100000) from the sshd sample lines of
# the Debian fail2ban 1.0.2 package, giving each copy other addresses and
# process ids, then
# runs `warden regex --json` and `fail2ban-regex -o row` (the same mode: first
# matching failregex, one record per failure) with the stock sshd filter on
# one core each, checks that both found the same failures (address and time,
# in order), and prints lines per second for each and the ratio.
# Usage: bench/regex.sh [LINES]
set -euo pipefail
lines=${1:-100000}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"
pkg=$f2b/usr/lib/python3/dist-packages
(cd "$here" && go build -o "$work/warden" ./cmd/warden)

python3 - "$pkg/fail2ban/tests/files/logs/sshd" "$lines" "$work/sshd.log" <<'PY'
import re, sys
src, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sample = [l.rstrip("\n") for l in open(src, encoding="utf-8") if l.strip() and not l.startswith("#")]
ip4 = re.compile(r"\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b")
pid = re.compile(r"\[(\d+)\]")
with open(dst, "w", encoding="utf-8") as out:
    i = 0
    while i < n:
        for l in sample:
            if i >= n:
                break
            k = i // len(sample)
            l = ip4.sub(lambda m: "%s.%d.%d.%s" % (m.group(1), (k >> 8) & 255, k & 255, m.group(4)), l)
            # A new process id for each copy, as a real log has: each copy's
            # connections are new ones.
            l = pid.sub(lambda m: "[%d]" % (int(m.group(1)) + 100000 * (k + 1)), l)
            out.write(l + "\n")
            i += 1
PY

export TZ=UTC
one_core() { if command -v taskset >/dev/null; then taskset -c 0 "$@"; else "$@"; fi; }
t0=$(date +%s.%N)
GOMAXPROCS=1 one_core "$work/warden" regex --json --config "$f2b/etc/fail2ban" "$work/sshd.log" sshd > "$work/warden.out"
t1=$(date +%s.%N)
PYTHONPATH=$pkg one_core python3 "$f2b/usr/bin/fail2ban-regex" -o row "$work/sshd.log" "$f2b/etc/fail2ban/filter.d/sshd.conf" > "$work/f2b.out"
t2=$(date +%s.%N)

python3 - "$work/warden.out" "$work/f2b.out" "$lines" "$t0" "$t1" "$t2" <<'PY'
import ast, json, sys
wout, fout, n, t0, t1, t2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:])
w = [(d["ip"], float(d["time"])) for d in map(json.loads, open(wout))]
f = []
for l in open(fout):
    l = l.strip()
    if l.startswith("["):
        fid, t, _ = ast.literal_eval(l.rstrip(","))
        f.append((str(fid), float(t)))
same = w == f
wt, ft = t1 - t0, t2 - t1
print("input: %d sshd lines; failures: warden %d, fail2ban %d; identical: %s" % (n, len(w), len(f), "yes" if same else "NO"))
print("%-34s %10s %14s" % ("", "seconds", "lines/s"))
print("%-34s %10.2f %14.0f" % ("warden regex --json (1 core)", wt, n / wt))
print("%-34s %10.2f %14.0f" % ("fail2ban-regex -o row (1 core)", ft, n / ft))
print("speed-up: %.1fx" % (ft / wt))
sys.exit(0 if same else 1)
PY
