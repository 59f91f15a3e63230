#!/usr/bin/env bash
# The daemon's end-to-end speed, Warden against the real fail2ban, same
# attack, same run.
#
# An sshd attack by N addresses (default 5000), F failures each (default 5),
# is appended at once to a watched log, interleaved; each daemon bans at
# maxretry = F. fail2ban 1.0.2 (the Debian package, fetched with apt-get
# download; run with Debian's python3 so that its pyinotify backend works:
# python3-pyinotify is installed when missing) runs with its `dummy` action;
# Warden runs `warden run --dry-run`. Both write a log line per ban in
# fail2ban's format ("NOTICE [sshd] Ban 1.2.3.4"); the script counts those
# lines and prints, for each: the time from the append to the last ban, the
# RSS idle (before the attack) and at peak (VmHWM), and whether both banned
# the same set of addresses. Usage: bench/daemon.sh [ATTACKERS [FAILURES]]
set -euo pipefail
attackers=${1:-5000}
failures=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

. "$here/bench/lib.sh"
if ! /usr/bin/python3 -c 'import pyinotify' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pyinotify >/dev/null
fi
build_warden "$work/warden"

# fail2ban: its own tree, with a jail for the attack and the dummy action.
mkdir -p "$work/f2b/run"
cp -r "$f2b/etc/fail2ban" "$work/f2b/etc"
rm -f "$work/f2b/etc/jail.d/"*
cat > "$work/f2b/etc/fail2ban.local" <<CONF
[Definition]
loglevel = NOTICE
logtarget = $work/f2b/fail2ban.log
socket = $work/f2b/run/f2b.sock
pidfile = $work/f2b/run/f2b.pid
dbfile = $work/f2b/f2b.sqlite3
CONF
jail() {
  cat <<CONF
[sshd]
enabled = true
backend = $1
logpath = $2
maxretry = $failures
findtime = 1h
bantime = 1h
CONF
}
{ jail pyinotify "$work/f2b/auth.log"; echo "action = dummy"; } > "$work/f2b/etc/jail.local"
: > "$work/f2b/auth.log"

# Warden: a configuration directory with the same jail (sshd's filter from
# the fail2ban tree, as Warden has no built-in filters yet).
mkdir -p "$work/w/etc/filter.d" "$work/w/state"
cp "$f2b/etc/fail2ban/filter.d/sshd.conf" "$f2b/etc/fail2ban/filter.d/common.conf" "$work/w/etc/filter.d/"
jail auto "$work/w/auth.log" > "$work/w/etc/jail.local"
: > "$work/w/auth.log"

PYTHONPATH=$f2b/usr/lib/python3/dist-packages /usr/bin/python3 "$f2b/usr/bin/fail2ban-server" -f -x -c "$work/f2b/etc" > "$work/f2b/server.out" 2>&1 &
pids+=($!); f2bpid=$!
"$work/warden" run --dry-run --config "$work/w/etc" --state-dir "$work/w/state" --socket "$work/w/warden.sock" \
  --ban-log "$work/w/warden.log" > "$work/w/run.out" 2>&1 &
pids+=($!); wpid=$!

/usr/bin/python3 - "$work" "$attackers" "$failures" "$f2bpid" "$wpid" <<'PY'
import os, re, sys, time
work, n, per, f2bpid, wpid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def rss(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0

def wait_for(path, pattern, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and (pattern is None or re.search(pattern, open(path, errors="replace").read())):
            return
        time.sleep(0.05)
    sys.exit(f"timed out waiting for {pattern!r} in {path}")

# Both daemons up and watching: their control sockets exist once their
# jails run.
wait_for(f"{work}/f2b/run/f2b.sock", None, 60)
wait_for(f"{work}/w/warden.sock", None, 60)
time.sleep(2)  # let both settle into their idle state
idle = {"fail2ban": rss(f2bpid, "VmRSS"), "warden": rss(wpid, "VmRSS")}

stamp = time.strftime("%b %e %H:%M:%S")
lines = []
for k in range(per):
    for i in range(n):
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        lines.append(f"{stamp} bench sshd[{1000 + i}]: Failed password for invalid user u{i} from {ip} port {40000 + k} ssh2\n")
data = "".join(lines).encode()
want = {f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(n)}

banre = re.compile(r"NOTICE\s+\[sshd\] Ban (\S+)")
def bans(path):
    if not os.path.exists(path):
        return set()
    return set(banre.findall(open(path, errors="replace").read()))

result = {}
for name, log, banlog in (("fail2ban", f"{work}/f2b/auth.log", f"{work}/f2b/fail2ban.log"),
                          ("warden", f"{work}/w/auth.log", f"{work}/w/warden.log")):
    t0 = time.time()
    with open(log, "ab") as f:
        f.write(data)
    got = set()
    while len(got) < n and time.time() - t0 < 1800:
        time.sleep(0.01 if name == "warden" else 0.1)
        got = bans(banlog)
    result[name] = (time.time() - t0, got)

pids = {"fail2ban": f2bpid, "warden": wpid}
for name in ("fail2ban", "warden"):
    t, got = result[name]
    print(f"{name:8s}: {len(got)}/{n} banned in {t:.3f} s; RSS idle {idle[name]:.1f} MB, peak {rss(pids[name], 'VmHWM'):.1f} MB")
tf, tw = result["fail2ban"][0], result["warden"][0]
print(f"ratio   : Warden {tf / tw:.1f}x faster until every attacker is banned")
same = result["fail2ban"][1] == result["warden"][1] == want
print(f"banned sets equal (and every attacker): {same}")
sys.exit(0 if same else 1)
PY
