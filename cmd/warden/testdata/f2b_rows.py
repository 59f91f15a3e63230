# Runs the real fail2ban-regex with "-o row" and prints its failures as JSON
# lines: {"ip": ..., "time": ..., "fields": {...}} (sets become sorted lists,
# None values are dropped, "matches" is left out as -o row does).
# Usage: python3 f2b_rows.py FAIL2BAN_REGEX ARGS...   (PYTHONPATH set to the package)
import ast
import json
import subprocess
import sys

run = subprocess.run([sys.executable] + sys.argv[1:], capture_output=True, text=True)
if run.returncode != 0:
    sys.stderr.write(run.stdout + run.stderr)
    sys.exit(run.returncode)
for line in run.stdout.splitlines():
    line = line.strip()
    if not line.startswith("["):
        continue
    fid, t, fields = ast.literal_eval(line.rstrip(","))
    out = {}
    for k, v in fields.items():
        if v is None:
            continue
        if isinstance(v, (set, frozenset, list, tuple)):
            v = sorted(str(x) for x in v)
        elif not isinstance(v, (str, int, float, bool)):
            v = str(v)
        out[k] = v
    print(json.dumps({"ip": None if fid is None else str(fid), "time": t, "fields": out}))
