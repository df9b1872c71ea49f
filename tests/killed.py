"""A child process killed -9 at a chosen point of its work: the point marked by a file the child writes
(then it sleeps, to be killed there), and, for the commonest points, the code that stops a child at a
step of ``store.atomicwrite`` (a file written, about to be renamed into place, renamed)."""

from __future__ import annotations

import subprocess
import textwrap
import time
from pathlib import Path

from tests.conftest import ROOT


def stopped_at_a_write(step: str, name: str, flag: Path) -> str:
    """Code that makes this process (a child's ``-c``) stop at ``step`` ("written", "renaming",
    "renamed") of writing the file whose name ends with ``name``: ``flag`` written, then a minute's
    sleep, to be killed in. The repository's root is put first on the path."""
    return textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from store import atomicwrite
        def stop(step, path):
            if step == {step!r} and str(path).endswith({name!r}):
                open({str(flag)!r}, "w").close()
                time.sleep(60)  # killed here
        real_write, real_rename = atomicwrite._write_new, atomicwrite.rename
        def write_new(tmp, data, mode):
            real_write(tmp, data, mode)
            stop("written", str(tmp).rsplit(".", 2)[0])
        def rename(source, target):
            stop("renaming", target)
            real_rename(source, target)
            stop("renamed", target)
        atomicwrite._write_new, atomicwrite.rename = write_new, rename
        """
    )


def killed_once_flagged(proc: subprocess.Popen[bytes], flag: Path, seconds: float = 60) -> str:
    """``proc`` killed -9 once it has written ``flag`` (or has ended, or ``seconds`` have passed): what
    it wrote on its stderr (when piped), for the message of an assertion that ``flag`` exists."""
    try:
        deadline = time.monotonic() + seconds
        while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        proc.kill()
        _, err = proc.communicate()
    return (err or b"").decode(errors="replace")


# Code (a ``str.format`` template, part of a child's script) that makes the child stop at the rename of
# the file whose name ends with ``ending`` (a commit point: a base's, a journal's) before it ("before")
# or after it ("after"): ``flag`` written, then a minute's sleep, to be killed in.
STOPPED_AT_ITS_RENAME = textwrap.dedent(
    """
    import os as _os, time as _time
    _real_replace = _os.replace
    def _replace(src, dst):
        if str(dst).endswith({ending!r}):
            if {pause!r} == "after":
                _real_replace(src, dst)
            open({flag!r}, "w").close()
            _time.sleep(60)
        return _real_replace(src, dst)
    _os.replace = _replace
    """
)
