package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// nativeActions are the in-process actions Warden implements.
var nativeActions = map[string]bool{"nftables": true, "iptables": true, "mail": true, "abuseipdb": true}

// NativeFor returns the native implementation Warden runs for a stock
// action file name ("nftables", "iptables", "mail", "abuseipdb"), or "".
func NativeFor(file string) string { return stockNative[file] }

// stockNative maps the names of fail2ban's stock action files that Warden
// runs in-process to the native implementation that takes their place, so
// that a fail2ban configuration gets native firewall and mail actions
// unchanged. The file's own parameters (port, protocol, blocktype, chain,
// sender, dest...) are read by the native action. An action file (or its
// .local) that sets "native = no" in [Definition] runs as a shell action
// instead.
var stockNative = map[string]string{
	"nftables": "nftables", "nftables-multiport": "nftables", "nftables-allports": "nftables",
	"iptables": "iptables", "iptables-multiport": "iptables", "iptables-allports": "iptables",
	"iptables-ipset": "iptables", "iptables-ipset-proto4": "iptables",
	"iptables-ipset-proto6": "iptables", "iptables-ipset-proto6-allports": "iptables",
	"sendmail": "mail", "sendmail-whois": "mail", "sendmail-whois-lines": "mail",
	"sendmail-whois-matches": "mail", "sendmail-whois-ipmatches": "mail",
	"sendmail-whois-ipjailmatches": "mail",
	"mail":                         "mail", "mail-whois": "mail", "mail-whois-lines": "mail",
	"abuseipdb": "abuseipdb",
}

// validate checks a resolved jail for what fail2ban would only find out when
// starting it: unknown backends and DNS modes, native actions Warden does not
// have, missing log files. It returns the problems; warnings go to l.
func (l *Loader) validate(jm *merged, j *Jail) Errors {
	var probs Errors
	at := func(opt string) (string, int) { return jm.where(j.Name, opt) }
	problem := func(opt, format string, args ...any) {
		f, ln := at(opt)
		e := errorf(f, ln, "jail [%s]: "+format, append([]any{j.Name}, args...)...)
		e.opt = opt
		probs = append(probs, e)
	}
	b := j.Backend
	if i := strings.IndexByte(b, '['); i >= 0 {
		b = b[:i]
	}
	switch {
	case b == "auto", b == "polling", b == "pyinotify", b == "gamin", b == "systemd":
	case strings.HasPrefix(j.Backend, "command:") && strings.TrimSpace(j.Backend[len("command:"):]) != "":
		// Warden's own: the output of a long-running command.
	default:
		problem("backend", "unknown backend %q (use auto, polling, pyinotify, systemd or command:COMMAND)", j.Backend)
	}
	switch j.UseDNS {
	case "", "yes", "no", "warn", "raw":
	default:
		problem("usedns", "usedns = %q: use yes, no, warn or raw", j.UseDNS)
	}
	for _, bp := range []struct {
		opt string
		max int
	}{{"banprefix.ipv4", 32}, {"banprefix.ipv6", 128}} {
		v, ok := j.Other[bp.opt]
		if !ok {
			continue
		}
		sv := strings.TrimPrefix(strings.TrimSpace(fmt.Sprint(v)), "/")
		if n, err := strconv.Atoi(sv); err != nil || n < 1 || n > bp.max {
			problem(bp.opt, "%s = %v: want a prefix length from 1 to %d", bp.opt, v, bp.max)
		}
	}
	if j.MaxRetry < 0 {
		problem("maxretry", "maxretry must not be negative")
	}
	for _, a := range j.Actions {
		if a.Native != "" && !nativeActions[a.Native] {
			problem("action", "action %q asks for native implementation %q, which Warden does not have", a.Name, a.Native)
		}
		if a.Native == "abuseipdb" {
			k, _ := a.Params["abuseipdb_apikey"].(string)
			kf, _ := a.Params["abuseipdb_apikey_file"].(string)
			if strings.TrimSpace(k) == "" && strings.TrimSpace(kf) == "" && os.Getenv("WARDEN_ABUSEIPDB_KEY") == "" {
				f, ln := at("action")
				l.warnings = append(l.warnings, fmt.Sprintf("%s:%d: jail [%s]: action %q has no abuseipdb_apikey_file, abuseipdb_apikey or $WARDEN_ABUSEIPDB_KEY; nothing will be reported", f, ln, j.Name, a.Name))
			}
		}
	}
	if !strings.HasPrefix(j.Backend, "systemd") {
		found := 0
		for _, p := range j.LogPath {
			m, err := filepath.Glob(p)
			if err != nil {
				problem("logpath", "logpath %q: %v", p, err)
				continue
			}
			found += len(m)
		}
		if found == 0 {
			f, ln := at("logpath")
			// The journal is worth suggesting for a program that logs
			// through syslog: its filter says which entries are its own.
			hint := ""
			if len(j.JournalMatch) > 0 && l.resolveBackend(JournalOrFile) == "systemd" {
				hint = fmt.Sprintf("; this host has a systemd journal: set backend = systemd in [%s] to read it", j.Name)
			}
			l.warnings = append(l.warnings, fmt.Sprintf("%s:%d: jail [%s]: no log file found for logpath %s (yet)%s", f, ln, j.Name, strings.Join(j.LogPath, ", "), hint))
		}
	}
	return probs
}
