#!/usr/bin/env python3
"""Reference oracle for package pyre's differential tests.

Reads a JSON list of cases from stdin, each {"pattern": str, "flags": int,
"inputs": [str]}, and writes a JSON list of results: {"error": str|null,
"groups": int, "names": {name: index}, "search": [spans|null],
"match": [spans|null]} where spans is a flat list of code point offsets
(start, end per group, -1 for groups that did not participate).
"""
import json
import re
import sys


def spans(m, n):
    if m is None:
        return None
    out = []
    for g in range(n + 1):
        s, e = m.span(g)
        out += [s, e]
    return out


def main():
    cases = json.load(sys.stdin)
    results = []
    for c in cases:
        try:
            r = re.compile(c["pattern"], c.get("flags", 0))
        except (re.error, OverflowError, ValueError, RecursionError) as e:
            results.append({"error": str(e) or type(e).__name__})
            continue
        res = {"error": None, "groups": r.groups, "names": dict(r.groupindex),
               "search": [], "match": []}
        for s in c["inputs"]:
            res["search"].append(spans(r.search(s), r.groups))
            res["match"].append(spans(r.match(s), r.groups))
        results.append(res)
    json.dump(results, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
