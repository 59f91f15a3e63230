#!/usr/bin/env bash
# Instructions, not seconds: Warden against sshguard's parser on the
# botnet-style sshd log of bench/sshguard.sh, counted by valgrind's
# callgrind, which gives the same count on a busy machine as on a quiet
# one (the shared VMs this project runs on vary by a third in speed).
#
# Builds the first LINES lines (default 50000) of bench/sshguard.sh's log
# (bench/botnet.py) and counts the instructions of `warden regex --json`
# with the stock sshd filter of the Debian fail2ban 1.0.2 package, of the
# same command on an empty log (its start-up), and of sshguard's
# `sshg-parser` on the log; it prints them, per line, and the ratio. With
# WARDEN_REV=REV, Warden is built from that revision (lib.sh); with
# WARDEN_IPV6=1, the attackers have IPv6 addresses (bench/botnet.py); with
# LOG=sshd, the log is bench/regex.sh's instead (its LINES sshd lines,
# bench/sshdlog), for the figures quoted of that log. Go's preemption
# signals are turned off (GODEBUG=asyncpreemptoff=1): callgrind stops on
# them.
# Usage: [LOG=sshd] bench/instructions.sh [LINES]
set -euo pipefail
lines=${1:-50000}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 1; }
. "$here/bench/lib.sh"
parser=$(sshg_parser)
build_warden "$work/warden"
bench_log "${LOG:-botnet}" "$lines" "$work/log"
what="the first $lines lines of bench/sshguard.sh's botnet-style sshd log${WARDEN_IPV6:+, IPv6 attackers}"
[ "${LOG:-botnet}" = botnet ] || what="bench/regex.sh's log of $lines sshd lines"
: > "$work/empty.log"

export TZ=UTC
w=$(count_instructions "$work/warden" regex --json --config "$f2b/etc/fail2ban" "$work/log" sshd)
ws=$(count_instructions "$work/warden" regex --json --config "$f2b/etc/fail2ban" "$work/empty.log" sshd)
s=$(count_instructions "$parser" < "$work/log")

python3 - "$lines" "$w" "$ws" "$s" "$what" <<'PY'
import sys
n, w, ws, s = (int(x) for x in sys.argv[1:5])
print("input: %s" % sys.argv[5])
print("%-44s %14s %12s" % ("", "instructions", "a line"))
print("%-44s %14d %12.0f" % ("warden regex --json, stock sshd", w, (w - ws) / n))
print("%-44s %14d" % ("  of which start-up (the same on an empty log)", ws))
print("%-44s %14d %12.0f" % ("sshg-parser (sshguard 2.4.2)", s, s / n))
print("warden / sshguard: %.2fx the instructions" % (w / s))
PY
