# Reference runner for the differential test: feeds lines to the real
# fail2ban DateDetector and prints what it found, as JSON.
#
# usage: python3 reference.py TZ PYTHONPATH CONFDIR NOW STARTUP < jobs.json
#
# Each job: {"filter": name or null, "datepattern": str or null,
#            "logtimezone": str or null, "lines": [str, ...]}
# Each result: {"datepattern": resolved pattern or null, "error": str or null,
#               "results": [[kind, template, start, end, time], ...]}
# kind is one of none, ok, invalid, empty, rejected; start/end are
# code-point offsets of group 1.

import json
import os
import sys
import time
import types

os.environ["TZ"] = sys.argv[1]
time.tzset()
sys.path.insert(0, sys.argv[2])
confdir = sys.argv[3]
now = float(sys.argv[4])
startup = float(sys.argv[5])

import datetime as _dt

from fail2ban.server import strptime as _sp
from fail2ban.server.mytime import MyTime
from fail2ban.server.datedetector import DateDetector


class _StartupClock(_dt.datetime):
	@classmethod
	def now(cls, tz=None):
		return _dt.datetime.fromtimestamp(startup, tz)


# %ExY depends on the wall clock at import; recompute it for a fixed date.
_orig = _sp.datetime
_sp.datetime = types.SimpleNamespace(datetime=_StartupClock, timedelta=_dt.timedelta)
_sp._updateTimeRE()
_sp.datetime = _orig

MyTime.setTime(now)
# A running daemon has built the shared default template cache.
DateDetector._defCache.templates


def resolve_filter(name):
	from fail2ban.client.filterreader import FilterReader
	r = FilterReader(name, "j", {}, share_config={}, basedir=confdir)
	if not r.read():
		return None
	r.getOptions({})
	for c in r.convert():
		if len(c) > 3 and c[2] == "datepattern":
			return c[3]
	return None


def run(job):
	dp = job.get("datepattern")
	if job.get("filter"):
		dp = resolve_filter(job["filter"])
	out = {"datepattern": dp, "error": None, "results": []}
	dd = DateDetector()
	try:
		if job.get("logtimezone") is not None:
			dd.default_tz = job["logtimezone"]
		if dp is None:
			dd.addDefaultTemplate()
		else:
			for p in filter(bool, map(str.strip, dp.split("\n"))):
				dd.appendTemplate(p)
		for t in dd.templates:
			t.template.hits = 0
			t.template._compileRegex()
	except Exception as e:
		out["error"] = "%s: %s" % (type(e).__name__, e)
		return out
	res = out["results"]
	for line in job["lines"]:
		try:
			m, tmpl = dd.matchTime(line)
		except Exception:
			res.append(["rejected", None, -1, -1, 0])
			continue
		if not m:
			res.append(["none", None, -1, -1, 0])
			continue
		s, e = m.start(1), m.end(1)
		text = line[s:e]
		if not text:
			res.append(["empty", tmpl.name, s, e, 0])
			continue
		try:
			r = dd.getTime(text, (m, tmpl))
		except Exception:
			res.append(["rejected", tmpl.name, s, e, 0])
			continue
		if r is None:
			res.append(["invalid", tmpl.name, s, e, 0])
		else:
			res.append(["ok", tmpl.name, s, e, float(r[0])])
	return out


jobs = json.load(sys.stdin)
json.dump([run(j) for j in jobs], sys.stdout)
