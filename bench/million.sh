#!/usr/bin/env bash
# Memory under a botnet: N distinct addresses (default 1,000,000) each fail
# once against `warden run --dry-run` (maxretry 5: nobody is banned), the
# lines appended to a watched log in blocks of 100,000. Prints the time to
# read them all, the failures counted, the addresses still tracked and
# evicted (the cap on tracked failures), and the daemon's RSS idle and at
# peak (VmHWM), the idle RSS split into anonymous memory and file-backed
# pages (the binary's code). Goal (issue 10): peak RSS under 200 MB.
# Usage: bench/million.sh [ADDRESSES]
set -euo pipefail
n=${1:-1000000}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
wpid=
cleanup() { [ -z "$wpid" ] || kill "$wpid" 2>/dev/null || true; sleep 0.3; rm -rf "$work"; }
trap cleanup EXIT
. "$here/bench/lib.sh"
build_warden "$work/warden"
mkdir -p "$work/etc/filter.d" "$work/state"
cp "$f2b/etc/fail2ban/filter.d/sshd.conf" "$f2b/etc/fail2ban/filter.d/common.conf" "$work/etc/filter.d/"
printf '[sshd]\nenabled = true\nlogpath = %s/auth.log\nmaxretry = 5\nfindtime = 1h\n' "$work" > "$work/etc/jail.local"
: > "$work/auth.log"
"$work/warden" run --dry-run --config "$work/etc" --state-dir "$work/state" --socket "$work/w.sock" --ban-log "" 2> "$work/run.out" &
wpid=$!
/usr/bin/python3 - "$work" "$n" "$wpid" <<'PY'
import json, os, subprocess, sys, time
work, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rss(key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
def status():
    out = subprocess.run([f"{work}/warden", "status", "--socket", f"{work}/w.sock", "--json", "sshd"], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else None
end = time.time() + 60
while status() is None:
    if time.time() > end:
        sys.exit("warden did not start")
    time.sleep(0.05)
time.sleep(1)
idle, idle_anon, idle_file = rss("VmRSS"), rss("RssAnon"), rss("RssFile")
stamp = time.strftime("%b %e %H:%M:%S")
t0 = time.time()
with open(f"{work}/auth.log", "a") as f:
    for start in range(0, n, 100_000):
        f.write("".join(f"{stamp} bench sshd[{1000 + i % 30000}]: Failed password for invalid user u from "
                        f"{10 + (i >> 24) % 200}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255} port 22 ssh2\n"
                        for i in range(start, min(n, start + 100_000))))
        f.flush()
st = status()
while st["total_failed"] < n and time.time() - t0 < 900:
    time.sleep(0.5)
    st = status()
took = time.time() - t0
print(f"warden: {st['total_failed']}/{n} failures counted in {took:.1f} s ({n / took:,.0f} lines/s); "
      f"{st['currently_failed']} addresses tracked, {st['evicted']} evicted")
print(f"warden: RSS idle {idle:.1f} MB ({idle_anon:.1f} MB anonymous, {idle_file:.1f} MB file-backed: the binary's pages), peak {rss('VmHWM'):.1f} MB (goal: under 200 MB)")
PY
