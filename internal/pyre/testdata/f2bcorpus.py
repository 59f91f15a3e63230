#!/usr/bin/env python3
"""Extract the effective regular expressions of fail2ban's stock filters.

Usage: f2bcorpus.py FAIL2BAN_ROOT

FAIL2BAN_ROOT is an unpacked fail2ban Debian package (dpkg -x). The script
loads every filter in etc/fail2ban/filter.d with fail2ban's own reader and
records every str pattern that gets compiled (failregex, ignoreregex,
prefregex, datepattern and the default date templates, after fail2ban's
tag expansion), together with sample log lines for that filter from
fail2ban's test logs. It writes a JSON list of
{"filter": name, "pattern": str, "flags": int, "inputs": [str]}.
"""
import glob
import json
import os
import re
import sys

MAX_LINES = 40


def main():
    root = sys.argv[1]
    pkg = os.path.join(root, "usr/lib/python3/dist-packages")
    sys.path.insert(0, pkg)
    recorded = []
    orig = re.compile

    def recording(pattern, flags=0):
        r = orig(pattern, flags)
        if isinstance(pattern, str):
            recorded.append((pattern, r.flags))
        return r

    re.compile = recording
    from fail2ban.client.filterreader import FilterReader
    from fail2ban.server.filter import Filter
    from fail2ban.server.datedetector import DateDetector

    confdir = os.path.join(root, "etc/fail2ban")
    logdir = os.path.join(pkg, "fail2ban/tests/files/logs")

    def lines_of(name):
        path = os.path.join(logdir, name)
        out = []
        if not os.path.isfile(path):
            return out
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if not line or line.startswith("#") or "\ud800" <= max(line) <= "\udfff":
                    continue
                out.append(line)
                if len(out) >= MAX_LINES:
                    break
        return out

    all_lines = []
    per_filter = []
    for path in sorted(glob.glob(os.path.join(confdir, "filter.d", "*.conf"))):
        name = os.path.basename(path)[:-5]
        del recorded[:]
        try:
            reader = FilterReader(name, "jail", {}, share_config={}, basedir=confdir)
            if not reader.read():
                continue
            reader.getOptions({})
            stream = reader.convert()
            flt = Filter(None)
            for cmd in stream:
                if cmd[0] == "multi-set":
                    values = cmd[3]
                elif cmd[0] == "set":
                    values = [cmd[3]]
                else:
                    continue
                opt = cmd[2]
                for v in values:
                    if opt == "addfailregex":
                        flt.addFailRegex(v)
                    elif opt == "addignoreregex":
                        flt.addIgnoreRegex(v)
                    elif opt == "prefregex":
                        flt.prefRegex = v
                    elif opt == "datepattern":
                        flt.setDatePattern(v)
        except Exception as e:  # a filter needing a backend we lack
            print("skip %s: %s" % (name, e), file=sys.stderr)
        lines = lines_of(name)
        all_lines += lines[:8]
        seen = set()
        for p, fl in recorded:
            if (p, fl) not in seen:
                seen.add((p, fl))
                per_filter.append({"filter": name, "pattern": p, "flags": fl,
                                   "inputs": lines})
    del recorded[:]
    dd = DateDetector()
    dd.addDefaultTemplate()
    for t in dd.templates:
        t.matchDate("")  # compiles lazily
    seen = set()
    for p, fl in recorded:
        if (p, fl) not in seen:
            seen.add((p, fl))
            per_filter.append({"filter": "datedetector", "pattern": p, "flags": fl,
                               "inputs": all_lines})
    json.dump(per_filter, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
