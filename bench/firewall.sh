#!/usr/bin/env bash
# Bans into the kernel, Warden against the real fail2ban, each in a
# network namespace of its own (unshare -n: the host's firewall is never
# touched). Needs root, unshare(1) and nft(8).
#
# Warden: BANS (default 100,000) IPv4 addresses with a timeout, applied
# by the nftables backend (internal/firewall/nft, netlink batches) in one
# Apply, timed by bench/nftbans, which then checks the kernel holds them
# all; three runs, each in a fresh namespace, the median taken.
#
# fail2ban 1.0.2 (the Debian package, fetched by bench/lib.sh, never
# installed): fail2ban-server runs a jail with its stock nftables action
# (action.d/nftables.conf: one `nft add element` shell command per ban),
# and `fail2ban-client set bench banip` hands it SAMPLE addresses (default
# 500); the time runs until nft lists them all in fail2ban's set. Its
# rate is a measured sample, scaled to BANS: doing 100,000 would take
# hours.
# Usage: bench/firewall.sh [BANS] [SAMPLE]
set -euo pipefail
n=${1:-100000}
sample=${2:-500}
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/firewall.sh: needs root (unshare -n, nftables)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/bench/lib.sh"
(cd "$here" && go build -o "$work/nftbans" ./bench/nftbans)

# Warden.
runs=()
for i in 1 2 3; do
  wout=$(unshare -n "$work/nftbans" -n "$n")
  echo "$wout"
  runs+=("$(sed -n 's/.* bans in \([0-9.]*\) s .*/\1/p' <<<"$wout")")
done
wsec=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
echo "warden nftables: median of 3 runs: $n bans in $wsec s"

# fail2ban: its own tree, one jail with the stock nftables action.
mkdir -p "$work/f2b/run"
cp -r "$f2b/etc/fail2ban" "$work/f2b/etc"
rm -f "$work/f2b/etc/jail.d/"*
cat > "$work/f2b/etc/fail2ban.local" <<CONF
[Definition]
loglevel = NOTICE
logtarget = $work/f2b/fail2ban.log
socket = $work/f2b/run/f2b.sock
pidfile = $work/f2b/run/f2b.pid
dbfile = :memory:
CONF
cat > "$work/f2b/etc/jail.local" <<CONF
[bench]
enabled = true
backend = polling
filter = sshd
logpath = $work/f2b/auth.log
bantime = 1h
action = nftables[name=bench, port=ssh, protocol=tcp]
CONF
: > "$work/f2b/auth.log"
export PYTHONPATH=$f2b/usr/lib/python3/dist-packages
unshare -n /usr/bin/python3 - "$work" "$f2b" "$sample" "$n" "$wsec" <<'PY'
import json, os, signal, subprocess, sys, time
work, f2b, sample, n, wsec = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
server = subprocess.Popen(["/usr/bin/python3", f"{f2b}/usr/bin/fail2ban-server", "-f", "-x", "-c", f"{work}/f2b/etc"],
                          stdout=open(f"{work}/f2b/server.out", "w"), stderr=subprocess.STDOUT)
def client(*args):
    return subprocess.run(["/usr/bin/python3", f"{f2b}/usr/bin/fail2ban-client", "-c", f"{work}/f2b/etc", *args],
                          capture_output=True, text=True)
def banned():
    out = subprocess.run(["nft", "-j", "list", "set", "inet", "f2b-table", "addr-set-bench"], capture_output=True, text=True)
    if out.returncode != 0:
        return -1
    for item in json.loads(out.stdout)["nftables"]:
        if "set" in item:
            return len(item["set"].get("elem", []))
    return -1
try:
    end = time.time() + 60
    while client("status", "bench").returncode != 0:
        if time.time() > end or server.poll() is not None:
            sys.exit("fail2ban did not start: " + open(f"{work}/f2b/server.out").read()[-2000:])
        time.sleep(0.1)
    ips = [f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(1, sample + 1)]
    t0 = time.time()
    for i in range(0, sample, 500):
        r = client("set", "bench", "banip", *ips[i:i + 500])
        if r.returncode != 0:
            sys.exit("fail2ban-client: " + r.stderr)
    # The action starts on demand (fail2ban's nftables.conf has a family
    # condition): the first ban makes the table and the set.
    got = banned()
    while got < sample and time.time() - t0 < 900:
        time.sleep(0.2)
        got = banned()
    took = time.time() - t0
finally:
    client("stop")
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
if got != sample:
    sys.exit(f"fail2ban: {got} of {sample} bans in the kernel after {took:.0f} s")
rate = sample / took
print(f"fail2ban nftables action: {sample} bans in {took:.2f} s ({rate:,.0f} bans/s); "
      f"{n} bans at that rate: {n / rate:,.0f} s (scaled from the sample)")
print(f"ratio: fail2ban's time for {n} bans / Warden's = {n / rate / wsec:,.0f}x")
PY
