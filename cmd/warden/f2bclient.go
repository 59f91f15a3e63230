package main

import (
	"fmt"
	"strings"
)

// fail2banClientArgs translates a fail2ban-client command line (without
// the program name) into warden's, for the binary invoked through a link
// named fail2ban-client. fail2ban-client's options come before its command
// (Python's getopt stops at the first argument that is not an option);
// those that change nothing here (-v, -q, -x, -b, -f, --async, --timeout,
// -p, --loglevel...) are accepted and dropped. A command Warden does not
// have is wrong usage, said plainly.
func fail2banClientArgs(args []string) ([]string, error) {
	socket, conf := "", ""
	test := false
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		var opt, val string
		hasVal := false
		if strings.HasPrefix(a, "--") {
			name, v, eq := strings.Cut(a[2:], "=")
			long, err := f2bLongOption(name)
			if err != nil {
				return nil, err
			}
			opt = "--" + long.name
			if long.arg {
				switch {
				case eq:
					val = v
				case i+1 < len(args):
					i++
					val = args[i]
				default:
					return nil, f2bUsage("option %s requires an argument", opt)
				}
				hasVal = true
			} else if eq {
				return nil, f2bUsage("option %s must not have an argument", opt)
			}
		} else {
			// Short options, possibly grouped (-vvx) or with their value
			// attached (-s/run/x.sock).
			for j := 1; j < len(a); j++ {
				c := a[j]
				takesArg := strings.IndexByte("csp", c) >= 0
				if strings.IndexByte("hcspxfbdtviqV", c) < 0 {
					return nil, f2bUsage("option -%c not recognized", c)
				}
				if !takesArg {
					switch c {
					case 'h':
						return []string{"--help"}, nil
					case 'V':
						return []string{"version"}, nil
					case 'd':
						return nil, f2bUsage("-d (dump the configuration as server commands) is not supported: use warden config dump")
					case 'i':
						return nil, f2bUsage("-i (interactive mode) is not supported")
					case 't':
						test = true
					}
					continue
				}
				opt = "-" + string(c)
				switch {
				case j+1 < len(a):
					val = a[j+1:]
				case i+1 < len(args):
					i++
					val = args[i]
				default:
					return nil, f2bUsage("option %s requires an argument", opt)
				}
				hasVal = true
				break
			}
		}
		if !hasVal {
			switch opt {
			case "--help":
				return []string{"--help"}, nil
			case "--version":
				return []string{"version"}, nil
			case "--test":
				test = true
			case "--dp", "--dump-pretty":
				return nil, f2bUsage("%s (dump the configuration as server commands) is not supported: use warden config dump", opt)
			}
			continue
		}
		switch opt {
		case "-s", "--socket":
			socket = val
		case "-c", "--conf":
			conf = val
		case "--str2sec":
			return nil, f2bUsage("--str2sec is not supported")
		}
	}
	cmd := args[i:]
	if test {
		out := []string{"config", "check"}
		if conf != "" {
			out = append(out, "--config", conf)
		}
		return out, nil
	}
	if len(cmd) == 0 {
		return nil, f2bUsage("missing command")
	}
	// withSocket is a warden command with --socket right after its name,
	// then flags, then the positional arguments after "--".
	withSocket := func(name string, flags []string, pos ...string) []string {
		out := []string{name}
		if socket != "" {
			out = append(out, "--socket", socket)
		}
		out = append(out, flags...)
		if len(pos) > 0 {
			out = append(append(out, "--"), pos...)
		}
		return out
	}
	name, rest := cmd[0], cmd[1:]
	switch name {
	case "ping":
		// ping [TIMEOUT]: the timeout is fail2ban's own.
		if len(rest) > 1 {
			return nil, f2bUsage("unexpected argument(s) for ping: %s", strings.Join(rest[1:], " "))
		}
		return withSocket("ping", nil), nil
	case "status":
		if len(rest) == 2 && rest[1] != "basic" {
			return nil, f2bUsage("status flavor %q is not supported (only basic)", rest[1])
		}
		if len(rest) > 2 {
			return nil, f2bUsage("unexpected argument(s) for status: %s", strings.Join(rest[2:], " "))
		}
		if len(rest) == 0 {
			return withSocket("status", nil), nil
		}
		return withSocket("status", nil, rest[0]), nil
	case "stop":
		if len(rest) > 0 {
			return nil, f2bUsage("stopping a single jail is not supported (only the daemon: stop)")
		}
		return withSocket("stop", nil), nil
	case "reload":
		var flags []string
		for len(rest) > 0 && strings.HasPrefix(rest[0], "--") && rest[0] != "--all" {
			switch rest[0] {
			case "--unban":
				flags = append(flags, "--unban")
			case "--restart", "--if-exists":
				return nil, f2bUsage("reload %s is not supported", rest[0])
			default:
				return nil, f2bUsage("unexpected argument(s) for reload: %s", strings.Join(rest, " "))
			}
			rest = rest[1:]
		}
		switch {
		case len(rest) > 1:
			return nil, f2bUsage("unexpected argument(s) for reload: %s", strings.Join(rest, " "))
		case len(rest) == 0 || rest[0] == "--all":
			return withSocket("reload", flags), nil
		}
		return withSocket("reload", flags, rest[0]), nil
	case "unban":
		if len(rest) == 1 && rest[0] == "--all" {
			return withSocket("unban", []string{"--all"}), nil
		}
		if len(rest) == 0 {
			return nil, f2bUsage("unban needs addresses or --all")
		}
		return withSocket("unban", nil, rest...), nil
	case "banned":
		return withSocket("banned", nil, rest...), nil
	case "set":
		if len(rest) < 3 {
			if len(rest) >= 1 {
				return nil, f2bUsage("set %s is not supported (only jail settings: set JAIL KEY VALUE)", rest[0])
			}
			return nil, f2bUsage("set needs JAIL KEY VALUE")
		}
		jail, key, vals := rest[0], rest[1], rest[2:]
		switch key {
		case "banip":
			return withSocket("ban", nil, append([]string{jail}, vals...)...), nil
		case "unbanip":
			if vals[0] == "--report-absent" {
				return nil, f2bUsage("set JAIL unbanip --report-absent is not supported")
			}
			return withSocket("unban", []string{"--jail", jail}, vals...), nil
		}
		return withSocket("set", nil, append([]string{jail, key}, vals...)...), nil
	case "get":
		switch {
		case len(rest) < 2:
			if len(rest) == 1 {
				return nil, f2bUsage("get %s is not supported (only jail settings: get JAIL KEY)", rest[0])
			}
			return nil, f2bUsage("get needs JAIL KEY")
		case len(rest) > 2:
			return nil, f2bUsage("get %s %s %s is not supported", rest[0], rest[1], strings.Join(rest[2:], " "))
		}
		return withSocket("get", nil, rest...), nil
	case "version":
		return []string{"version"}, nil
	case "start", "restart":
		return nil, f2bUsage("%s: start the daemon with warden run (or systemctl %s warden)", name, name)
	}
	return nil, f2bUsage("command %q is not supported by warden", strings.Join(cmd, " "))
}

type f2bLong struct {
	name string
	arg  bool
}

// f2bLongOption resolves a long option as Python's getopt does: the
// name, or a prefix of exactly one name.
func f2bLongOption(name string) (f2bLong, error) {
	opts := []f2bLong{{"loglevel", true}, {"logtarget", true}, {"syslogsocket", true}, {"test", false},
		{"async", false}, {"conf", true}, {"pidfile", true}, {"pname", true}, {"socket", true},
		{"timeout", true}, {"str2sec", true}, {"help", false}, {"version", false}, {"dp", false},
		{"dump-pretty", false}}
	var found []f2bLong
	for _, o := range opts {
		if o.name == name {
			return o, nil
		}
		if strings.HasPrefix(o.name, name) {
			found = append(found, o)
		}
	}
	switch {
	case len(found) == 1 && name != "":
		return found[0], nil
	case len(found) > 1 && name != "":
		return f2bLong{}, f2bUsage("option --%s not a unique prefix", name)
	}
	return f2bLong{}, f2bUsage("option --%s not recognized", name)
}

func f2bUsage(format string, a ...any) error {
	return &usageError{msg: "fail2ban-client: " + fmt.Sprintf(format, a...), hint: "warden"}
}
