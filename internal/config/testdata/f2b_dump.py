# Prints, as one JSON object, what the real fail2ban makes of a configuration
# directory: the command stream of `fail2ban-client -c DIR -d`, each enabled
# jail's raw logpath (which -d only lists for files that exist) and findtime
# and bantime in seconds as fail2ban's server computes them.
# Usage: python3 f2b_dump.py CONFDIR FAIL2BAN_CLIENT   (PYTHONPATH set to the package)
import ast
import json
import os
import subprocess
import sys

from fail2ban.client.jailsreader import JailsReader
from fail2ban.server.mytime import MyTime

confdir, client = sys.argv[1], sys.argv[2]
run = subprocess.run([sys.executable, client, "-c", confdir, "-d"],
                     capture_output=True, text=True, env=os.environ)
if run.returncode != 0:
    sys.stderr.write(run.stderr)
    sys.exit(1)
stream = [ast.literal_eval(l) for l in run.stdout.splitlines() if l.startswith("[")]

reader = JailsReader(basedir=confdir, share_config={})
reader.read()
reader.getOptions()
jails = {}
for j in reader.jails:
    o = j.options or {}
    jails[j.getName()] = {"logpath": o.get("logpath"), "backend": o.get("backend")}

times = {}
for c in stream:
    if c[0] == "set" and len(c) == 4 and c[2] in ("findtime", "bantime"):
        times.setdefault(c[1], {})[c[2]] = MyTime.str2seconds(c[3])

json.dump({"stream": stream, "jails": jails, "times": times}, sys.stdout)
