"""Running one measured process: its wall time, its peak memory and the bytes it wrote.

Every figure of the benchmark comes from a fresh process, as a user runs a command. The kernel's
accounting of the child (``wait4``, read by ``bench.rusage``) gives its peak resident memory
(``ru_maxrss``, the largest of the process and the children it waited for, such as the importer's
parser) and the bytes it caused to be written to storage (``ru_oublock``, in 512-byte blocks: the
same count as ``/proc/PID/io`` ``write_bytes``, so it includes files later deleted or rewritten, as
a disk would see them).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
PMBROWSE = str(Path(PYTHON).parent / "pmbrowse")


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    written: int  # bytes written to storage by the process and its children
    output: str
    status: int = 0
    cpu_seconds: float = 0.0  # user and system time, children included


def spawn(argv: Sequence[str], ok: Sequence[int] = (0,), env: Mapping[str, str] | None = None) -> Run:
    """Run a process to its end, measured by ``bench.rusage`` (which see: why not from here); raise
    with its error output if its exit status is not in ``ok``."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    report_r, report_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [PYTHON, "-S", "-m", "bench.rusage", str(report_w), *argv],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            pass_fds=(report_w,),
        )
    finally:
        os.close(report_w)
    with os.fdopen(report_r, "rb") as report_file:
        out, err = proc.communicate()
        report = report_file.read()
    if proc.returncode != 0 or not report:
        raise RuntimeError(
            f"{' '.join(argv)}: could not be measured:\n{err.decode(errors='replace')[-3000:]}"
        )
    data = json.loads(report)
    if data["status"] not in ok:
        error = err.decode(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(argv)} failed (exit {data['status']}):\n{error}")
    return Run(
        data["seconds"],
        data["maxrss_kib"] / 1024,
        data["written"],
        out.decode(errors="replace"),
        data["status"],
        data.get("cpu_seconds", 0.0),
    )


def python(code: str, *args: str) -> Run:
    """Run Python code in a fresh process."""
    return spawn([PYTHON, "-c", textwrap.dedent(code), *args])


def pmbrowse(
    library: Path, *args: str, ok: Sequence[int] = (0,), env: Mapping[str, str] | None = None
) -> Run:
    """``pmbrowse --db LIBRARY ARGS``, the command as installed."""
    return spawn([PMBROWSE, "--db", str(library), *args], ok=ok, env=env)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
