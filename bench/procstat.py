"""What the kernel says of a running process: its peak memory so far, and its CPU time so far (for
``bench.app``'s start-up, read the moment the first content is on the terminal, the process still
running)."""

from __future__ import annotations

import contextlib
import ctypes
import os


def peak_kib(pid: int) -> int:
    """The process's peak memory so far (``VmHWM``; ``wait4``'s starts from ours: ``bench.rusage``)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, with its children's (waited for, or running).

    The process's own is read from its CPU-time clock (``clock_getcpuclockid``: nanoseconds, its ended
    threads included), where the kernel gives one; ``/proc``'s counts are in clock ticks (10 ms), as
    large as what a change to start-up saves (the app's start takes some 25 ticks). Its children's
    are read from ``/proc``."""

    def fields(pid: str) -> list[str]:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()
        return []

    tick = os.sysconf("SC_CLK_TCK")
    own = fields(str(pid))
    clock = process_cpu_clock(pid)
    if own:
        children = int(own[13]) + int(own[14])  # cutime, cstime
        total = children / tick + (clock if clock is not None else (int(own[11]) + int(own[12])) / tick)
    else:
        total = clock or 0.0
    for entry in (e for e in os.listdir("/proc") if e.isdigit()):
        if (child := fields(entry)) and child[1] == str(pid):
            total += (int(child[11]) + int(child[12])) / tick
    return total


class _Timespec(ctypes.Structure):
    _fields_ = [("seconds", ctypes.c_long), ("nanoseconds", ctypes.c_long)]


def process_cpu_clock(pid: int) -> float | None:
    """The CPU time of process ``pid`` so far, in seconds, to the nanosecond, from its CPU-time clock
    (None: the C library or the kernel gives none)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        clock = ctypes.c_int()
        if libc.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
            return None
        spec = _Timespec()
        if libc.clock_gettime(clock.value, ctypes.byref(spec)) != 0:
            return None
    except (OSError, AttributeError):
        return None
    return float(spec.seconds + spec.nanoseconds / 1e9)
