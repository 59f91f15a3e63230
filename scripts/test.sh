#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, then runs the
# whole suite: formatting, vet, and the tests with the race detector.
# The compatibility tests download the Debian fail2ban 1.0.2 package with
# `apt-get download` (never installed) and run it with python3 as the oracle.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# System packages the tests use: python3 runs the reference fail2ban; man-db
# renders the man pages and bash-completion loads the completion script in
# the command-line scripts (cmd/warden/testdata/script); systemd gives
# journalctl and systemd-journal-remote writes the journal files the systemd
# backend's tests read (internal/source); nftables, iptables, ipset and
# iproute2 give the firewall backends' kernel tests and the end-to-end tests
# (e2e) their tools and namespaces (nft, iptables, ipset and ip are only
# checked against, never needed by Warden's nftables backend, which talks
# netlink); netbase gives /etc/services for port names. The built-in
# filters are proven against the real daemons in namespaces (e2e/capture_*):
# openssh-server and sshpass, nginx and apache2 (apache2-utils for
# htpasswd) with curl as the client, proftpd-core (vsftpd conflicts with
# it as an ftp-server, so its test unpacks the package instead), postfix
# and dovecot.
PKGS=(python3 ca-certificates man-db bash-completion systemd systemd-journal-remote nftables iptables ipset iproute2 netbase
  openssh-server sshpass curl nginx apache2 apache2-utils proftpd-core postfix dovecot-imapd dovecot-pop3d)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# apt-get download needs current package lists whatever is installed.
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  # The daemons are installed for the tests to start in namespaces: keep
  # their packages from starting them on this host.
  # (A policy-rc.d of the machine's own stays; one made here goes, even
  # when the installation fails.)
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    made_policy=yes
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
  if [ -n "$made_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
fi

export PATH="$PATH:$(go env GOROOT)/bin"
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
echo "== go test -race"
set +e
go test -race -count=1 -timeout 25m ./... 2>&1 | tee /tmp/warden-test.log
status=${PIPESTATUS[0]}
set -e
passed=$(grep -c '^ok ' /tmp/warden-test.log || true)
failed=$(grep -c '^FAIL' /tmp/warden-test.log || true)
echo "packages: $passed passed, $failed failed"
exit "$status"
