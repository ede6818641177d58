"""Lower a process's CPU priority, so background work on a shared machine waits for the
order pipeline instead of taking its share of the cores under a peak."""

from __future__ import annotations

import os
from pathlib import Path

MAX_NICE = 19


def lower_priority(pid: int, nice: int) -> bool:
    """Run process `pid` (started in a session of its own) at `nice` (0 to 19; 0 leaves it
    as it is). Linux, when `kernel.sched_autogroup_enabled` is on, shares the CPU between
    sessions first and only then between a session's processes, so a process's own nice
    value makes no difference against the other sessions: the session's group gets it too
    (/proc/PID/autogroup). Best effort: True if either was set."""
    if not 0 <= nice <= MAX_NICE:
        raise ValueError(f"nice must be 0 to {MAX_NICE}, not {nice}")
    if nice == 0:
        return False
    done = False
    try:  # the process's main thread: the threads it starts from now on inherit it
        os.setpriority(os.PRIO_PROCESS, pid, nice)
        done = True
    except (AttributeError, OSError):  # no setpriority (Windows), or the process has gone
        pass
    try:
        Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
        done = True
    except OSError:  # not Linux, autogroups off, or not permitted
        pass
    return done
