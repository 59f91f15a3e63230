# Runs fail2ban's own Filter.processLine on the cases read as JSON from
# stdin and prints, for each case, each line's failures as [id, time]
# (time null for fail2ban's None): how the daemon (checkFindTime, in
# operation or not) and fail2ban-regex (no checkFindTime) date a line
# without a date. The clock is MyTime, set before each line.
# Usage: TZ=UTC python3 f2b_nodate.py < cases.json   (PYTHONPATH set to the package)
import json
import logging
import sys

from fail2ban.server.filter import Filter
from fail2ban.server.mytime import MyTime

logging.disable(logging.CRITICAL)
out = []
for case in json.load(sys.stdin):
    flt = Filter(None)
    flt.addFailRegex(case["failregex"])
    flt.checkFindTime = case["checkFindTime"]
    flt.inOperation = case["inOperation"]
    flt.setFindTime(case["findTime"])
    res = []
    for step in case["steps"]:
        MyTime.setTime(step["now"])
        if step.get("inOperation") is not None:
            flt.inOperation = step["inOperation"]
        res.append([[str(f[1]), f[2]] for f in flt.processLine(step["line"])])
    out.append(res)
MyTime.setTime(None)
print(json.dumps(out))
