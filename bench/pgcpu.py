#!/usr/bin/env python3
"""Print the CPU seconds the local PostgreSQL server has used so far (all its processes).

Usage: bench/pgcpu.py

The postmaster's own time plus the time of the children it has reaped (cutime/cstime: every
finished backend) plus the time of its live children. The difference of two readings is the
server-side CPU of whatever ran in between (plus background noise such as autovacuum), which
/usr/bin/time cannot see because backends are not children of the measured command.
"""
import os
import sys


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    rest = data[data.rindex(")") + 2:].split()
    # fields after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return int(rest[1]), [int(x) for x in rest[11:15]]


def main():
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            procs[int(name)] = stat(name)
        except (OSError, ValueError):
            continue
    masters = [pid for pid, (ppid, _) in procs.items() if procs.get(ppid) is None]
    if not masters:
        print("0.00")
        return 0
    total = 0
    for pid, (ppid, t) in procs.items():
        if pid in masters:
            total += sum(t)
        elif ppid in masters:
            total += t[0] + t[1]
    print(f"{total / tick:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
