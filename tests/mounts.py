"""A small tmpfs for tests of full disks and read-only media (root only: skipped elsewhere)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(size: str = "8m") -> Iterator[Path]:
    """A new folder on a tmpfs of ``size``; the test is skipped where mounting is not permitted."""
    folder = Path(tempfile.mkdtemp(prefix="pmbrowse-tmpfs-"))
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        mounted = None
    if mounted is None or mounted.returncode != 0:
        folder.rmdir()
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def remount(folder: Path, *, read_only: bool) -> None:
    """Make the tmpfs at ``folder`` read-only (or writable again): read-only for root too, as media are."""
    mode = "ro" if read_only else "rw"
    subprocess.run(
        ["mount", "-o", f"remount,{mode}", str(folder)], check=True, capture_output=True, timeout=30
    )
