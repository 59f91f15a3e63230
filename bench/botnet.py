#!/usr/bin/env python3
"""Writes the botnet-style sshd log of bench/sshguard.sh and
bench/instructions.sh: 5,000 attackers failing 5 times each (failed
passwords, invalid users), interleaved with ordinary sshd lines, repeated
with later times to LINES lines. With "ipv6" after LINES, the attackers
have IPv6 addresses (in 2001:db8::/32). Usage: bench/botnet.py PATH LINES
[ipv6]"""
import random, sys, time
path, total = sys.argv[1], int(sys.argv[2])
ipv6 = sys.argv[3:4] == ["ipv6"]
r = random.Random(14)
if ipv6:
    attackers = ["2001:db8:%x:%x::%x" % (i // 250, 7 * i + 1, i % 250 + 1) for i in range(5000)]
else:
    attackers = ["198.18.%d.%d" % (i // 250, i % 250 + 1) for i in range(5000)]
users = ["root", "admin", "test", "oracle", "ubuntu", "user", "git", "postgres"]
fails = []
for a in attackers:
    for _ in range(5):
        fails.append(a)
r.shuffle(fails)
def failure(a, pid):
    u = r.choice(users)
    port = r.randint(1024, 65535)
    k = r.randrange(3)
    if k == 0:
        return "sshd[%d]: Failed password for %s from %s port %d ssh2" % (pid, u, a, port)
    if k == 1:
        return "sshd[%d]: Invalid user %s from %s port %d" % (pid, u, a, port)
    return "sshd[%d]: Failed password for invalid user %s from %s port %d ssh2" % (pid, u, a, port)
def ordinary(pid):
    c = "192.0.2.%d" % r.randint(1, 254)
    port = r.randint(1024, 65535)
    return r.choice([
        "sshd[%d]: Accepted publickey for deploy from %s port %d ssh2: ED25519 SHA256:Cv1mBqkVnS1Xq7tY2bq0hK3tZ6T9gYpLw8m1bS0e5A4" % (pid, c, port),
        "sshd[%d]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)" % pid,
        "sshd[%d]: Received disconnect from %s port %d:11: disconnected by user" % (pid, c, port),
        "sshd[%d]: Disconnected from user deploy %s port %d" % (pid, c, port),
        "sshd[%d]: pam_unix(sshd:session): session closed for user deploy" % pid,
        "sshd[%d]: Connection closed by %s port %d" % (pid, c, port),
    ])
t = time.mktime((2026, 3, 2, 10, 0, 0, 0, 0, -1))
n, pid = 0, 1000
with open(path, "w") as f:
    while n < total:
        for a in fails:
            for line in (failure(a, pid), ordinary(pid + 1)):
                if n >= total:
                    break
                stamp = time.strftime("%b %e %H:%M:%S", time.localtime(t))
                f.write("%s host %s\n" % (stamp, line))
                n += 1
                t += 0.05
            pid += 2
