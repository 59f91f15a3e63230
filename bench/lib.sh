# Shared by the bench scripts: fetches the Debian fail2ban 1.0.2 package
# (apt-get download + dpkg -x, never installed) into the cache the tests use,
# and sets $f2b to its root.
cache=${WARDEN_F2B_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warden/fail2ban-1.0.2}
if [ ! -x "$cache/root/usr/bin/fail2ban-client" ]; then
  mkdir -p "$cache/fetch"
  (cd "$cache/fetch" && apt-get download fail2ban >/dev/null && dpkg -x fail2ban_*.deb "$cache/root")
fi
f2b=$cache/root
