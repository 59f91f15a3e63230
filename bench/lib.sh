# Shared by the bench scripts: fetches the Debian fail2ban 1.0.2 package
# (apt-get download + dpkg -x, never installed) into the cache the tests use,
# and sets $f2b to its root.
cache=${WARDEN_F2B_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warden/fail2ban-1.0.2}
if [ ! -x "$cache/root/usr/bin/fail2ban-client" ]; then
  mkdir -p "$cache/fetch"
  (cd "$cache/fetch" && apt-get download fail2ban >/dev/null && dpkg -x fail2ban_*.deb "$cache/root")
fi
f2b=$cache/root

# build_warden OUT builds the warden binary to OUT, static as the README
# builds it (CGO_ENABLED=0), from this tree or, when
# $WARDEN_REV names a git revision, from that revision's files (to measure
# the code as it was: `WARDEN_REV=c2f73e0 bench/junk.sh 3` gives the
# "before" figures the README quotes), with the build flags in
# $WARDEN_BUILDFLAGS if any (such as -pgo=off). Needs $here, the
# repository.
build_warden() {
  local flags
  read -r -a flags <<< "${WARDEN_BUILDFLAGS:-}"
  if [ -z "${WARDEN_REV:-}" ]; then
    (cd "$here" && CGO_ENABLED=0 go build "${flags[@]}" -o "$1" ./cmd/warden)
    return
  fi
  local src
  src=$(mktemp -d)
  git -C "$here" archive "$WARDEN_REV" | tar -x -C "$src"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build "${flags[@]}" -o "$1" ./cmd/warden) || { rm -rf "$src"; return 1; }
  rm -rf "$src"
  echo "warden built from revision $WARDEN_REV" >&2
}

# bench_log KIND LINES OUT writes one of the benchmarks' logs: "sshd",
# bench/regex.sh's LINES sshd lines (bench/sshdlog), or "botnet",
# bench/sshguard.sh's botnet-style log (bench/botnet.py; with
# WARDEN_IPV6=1 its attackers have IPv6 addresses).
bench_log() {
  case $1 in
  sshd) (cd "$here" && go run ./bench/sshdlog "$f2b" "$2") > "$3" ;;
  botnet) python3 "$here/bench/botnet.py" "$3" "$2" ${WARDEN_IPV6:+ipv6} ;;
  *) echo "the log is sshd or botnet, not $1" >&2; return 2 ;;
  esac
}

# pin_one_core pins this shell, and so every command it starts from then
# on, to CPU 0 (when taskset is there), so that Warden and fail2ban are
# timed on one core each without a taskset process started inside each
# timing (about 5 ms here, as much as a date process).
pin_one_core() { if command -v taskset >/dev/null; then taskset -pc 0 "$$" >/dev/null; fi; }
# The scripts read the time from bash's $EPOCHREALTIME (no process started
# between two readings), with "." as its decimal point.
export LC_NUMERIC=C

# sshg_parser prints the path of sshguard's parser (sshg-parser), fetched
# from Debian's sshguard package (apt-get download + dpkg -x into
# $WARDEN_SSHG_CACHE, default ~/.cache/warden/sshguard; never installed;
# it needs only libc).
sshg_parser() {
  local sshg=${WARDEN_SSHG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warden/sshguard}
  local parser=$sshg/root/usr/libexec/sshguard/sshg-parser
  if [ ! -x "$parser" ]; then
    mkdir -p "$sshg/fetch"
    (cd "$sshg/fetch" && apt-get download sshguard >/dev/null && dpkg -x sshguard_*.deb "$sshg/root")
  fi
  echo "$parser"
}

# count_instructions CMD... prints the instructions valgrind's callgrind
# counted for CMD, run on one thread. valgrind does not know RDTSCP, which
# Go's runtime runs when a lock is contended (more often on a busy
# machine): a run that dies of it is tried again.
count_instructions() {
  local out try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    if out=$(GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null); then
      sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' <<< "$out"
      return
    fi
  done
  echo "callgrind: $1 failed 10 times:" >&2
  grep -v '^==' <<< "$out" | head -5 >&2
  return 1
}
