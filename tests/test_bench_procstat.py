"""The bench's start-up CPU time is read to well under a millisecond (``bench.procstat.cpu_seconds``): the
kernel's clock ticks of ``/proc`` (10 ms) are as large as what a change to start-up saves."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.procstat import cpu_seconds

_BUSY = """
import sys, time
start = time.process_time()
while time.process_time() - start < 0.0555:
    pass
print(time.process_time(), flush=True)
time.sleep(30)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and the CPU-time clock of Linux")
def test_a_running_process_s_cpu_time_to_the_millisecond() -> None:
    child = subprocess.Popen([sys.executable, "-c", _BUSY], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        own = float(child.stdout.readline())
        time.sleep(0.05)  # (asleep now: its CPU time stays what it said, give or take its last steps)
        assert abs(cpu_seconds(child.pid) - own) < 0.002
    finally:
        child.kill()
        child.wait()
