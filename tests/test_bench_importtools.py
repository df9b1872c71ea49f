"""The two import-timing tools (``bench.importstages``, ``bench.importtimeline``) count what they wrap.

Both wrap the store's functions through ``bench.stagewrap``; a wrapper that stopped reporting its calls,
or a reading hook that stopped marking the parse child's events, would leave their tables empty and
still exit 0. Each tool runs as its own process: it replaces functions on the store's classes, which
must not leak into the other tests of a worker.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

FILE = Path(__file__).parent / "data" / "pubmed_xml" / "baseline_style.xml"
ROOT = Path(__file__).parent.parent


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _calls(out: str, label: str) -> int:
    """The call count printed at the end of a stage's line."""
    line = next(line for line in out.splitlines() if label in line)
    return int(re.findall(r"[\d,]+", line)[-1].replace(",", ""))


def test_importstages_counts_its_stages_and_marks_the_child(tmp_path: Path) -> None:
    out = _run("bench.importstages", str(FILE))
    assert "into a new library: exit 0" in out
    assert _calls(out, "merging records (put_document)") == 2  # the demo article's and the file's one
    assert _calls(out, "library look-ups (lookup)") > 0
    timeline = next(line for line in out.splitlines() if line.startswith("timeline: "))
    assert "first event" in timeline and "last event" in timeline and "commit end" in timeline


def test_importtimeline_lists_its_stages_and_marks_the_child(tmp_path: Path) -> None:
    library = tmp_path / "library" / "library.json"
    out = _run("bench.importtimeline", str(FILE), str(library))
    assert ": exit 0" in out
    assert re.search(r"records merged \(put_document\)\s+[\d.]+ s wall\s+[\d.]+ s CPU\s+2$", out, re.M)
    listed = out.split("one by one (began at, wall, CPU):")[1]
    assert "the commit" in listed and "the command's end (Library.close)" in listed
    marks = next(line for line in out.splitlines() if line.startswith("marks: "))
    assert "first event" in marks and "last event" in marks
