# Runs fail2ban's own classes on the cases read as JSON from stdin and
# prints their results as JSON: the ban time and ban count of a ban
# (Jail.setBanTimeExtra, ObserverThread.banFound/incrBanTime), the failure
# counting of FailManager with the filter's ban check and the observer's
# failureFound, and Filter.inIgnoreIPList on addresses and CIDR entries.
# Usage: python3 f2b_jail.py < cases.json   (PYTHONPATH set to the package)
import json
import logging
import random
import sys

from fail2ban.server.failmanager import FailManager, FailManagerEmpty
from fail2ban.server.filter import Filter
from fail2ban.server.jail import Jail
from fail2ban.server.mytime import MyTime
from fail2ban.server.observer import ObserverThread
from fail2ban.server.ticket import BanTicket, FailTicket

logging.disable(logging.CRITICAL)
cases = json.load(sys.stdin)


class FakeDB:
    def __init__(self, rows):
        self.rows = rows  # {"jail": [count, time, bantime], "all": [...]}

    def getBan(self, ip, jail=None, overalljails=False, **kw):
        r = self.rows.get("all" if overalljails else "jail")
        return [tuple(r)] if r else []

    def addBan(self, jail, ticket):
        pass


class FakeJail:
    name = "test"

    def __init__(self, extra, db, fltr=None):
        self.getBanTimeExtra = extra
        self.database = db
        self.filter = fltr

    def isAlive(self):
        return True


class FakeObserver:
    BanTimeIncr = ObserverThread.BanTimeIncr

    def incrBanTime(self, jail, banTime, ticket):
        return ObserverThread.incrBanTime(self, jail, banTime, ticket)

    def add_timer(self, *a):
        pass

    prolongBan = None


def bantimes(c):
    j = Jail("test", backend=None)
    for opt in ("increment", "factor", "formula", "multipliers", "maxtime", "rndtime", "overalljails"):
        if opt in c["extra"]:
            j.setBanTimeExtra(opt, c["extra"][opt])
    random.random = lambda: c["random"]
    out = []
    now = 1700000000
    for past in c["past"]:
        MyTime.setTime(now)
        rows = {}
        if past is not None:
            rows = {"jail": [past, now - 3600, 600], "all": [past, now - 3600, 600]}
        fj = FakeJail(j.getBanTimeExtra, FakeDB(rows))
        t = BanTicket("192.0.2.1", now)
        t.incrBanCount()  # BanManager.addBanTicket
        ObserverThread.banFound(FakeObserver(), t, fj, c["bantime"])
        out.append([t.getBanTime(c["bantime"]), t.getBanCount()])
    return out


class FakeFilter:
    def __init__(self, fm, bans):
        self.failManager = fm
        self.bans = bans

    def performBan(self, ip=None):
        while True:
            try:
                self.bans.append(self.failManager.toBan(ip))
            except FailManagerEmpty:
                break
            if ip:
                break


def sequence(c):
    fm = FailManager()
    fm.setMaxRetry(c["maxretry"])
    fm.setMaxTime(c["findtime"])
    fm.maxMatches = c["maxmatches"]
    bans = []
    fltr = FakeFilter(fm, bans)
    fj = None
    if c.get("lastban"):
        lb = c["lastban"]
        fj = FakeJail(lambda opt=None: True, FakeDB({"jail": [lb["count"], lb["time"], 600]}), fltr)
    out = []
    for ev in c["events"]:
        now = ev["now"]
        MyTime.setTime(now)
        fm.cleanup(now)  # Warden forgets a failure findtime old at once
        t = min(ev["time"], now)  # Filter.processLineAndAdd
        tick = FailTicket(ev["ip"], t, data={"matches": [ev["line"]]})
        del bans[:]
        if fm.addFailure(tick) >= fm.getMaxRetry():
            fltr.performBan(ev["ip"])
        if fj is not None:
            ObserverThread.failureFound(None, fj, tick)
        res = {"ban": False}
        if bans:
            b = bans[0]
            res = {"ban": True, "ip": str(b.getID()), "failures": b.getAttempt(),
                   "matches": b.getMatches(), "time": b.getTime()}
        res["size"], res["total"] = fm.size(), fm.getFailTotal()
        out.append(res)
    return out


def ignored(c):
    f = Filter(None)
    f.ignoreSelf = False
    for ip in c["ignoreip"]:
        f.addIgnoreIP(ip)
    return [bool(f.inIgnoreIPList(ip, log_ignore=False)) for ip in c["ips"]]


json.dump({
    "bantimes": [bantimes(c) for c in cases["bantimes"]],
    "sequences": [sequence(c) for c in cases["sequences"]],
    "ignored": [ignored(c) for c in cases["ignored"]],
}, sys.stdout)
