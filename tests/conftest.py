"""Shared fixtures: paths to test data, and fresh libraries in a temp folder (never the user's own)."""

from __future__ import annotations

import compileall
import ctypes
import ctypes.util
import gc
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.library import Library

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PAGES = DATA / "pages"
SEED = ROOT / "store" / "demo" / "30992990.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"


def _temp_in_memory() -> None:
    """The tests' temp folders (``tmp_path``, and any temp file of the code under test) on the tmpfs of
    /dev/shm when TMPDIR is not chosen and it has room: the suite commits thousands of times, each
    commit fsyncs, and on a disk each fsync waits (1-3 ms here); on a tmpfs none does. Measured in turn,
    3 rounds, test_journal_segments + test_crash_consistency at -n 0: 34, 29, 31 s in /tmp -> 20, 23,
    25 s (load 5-8, other helpers running).

    What the tests check is the same there. What an fsync buys (the data on the disk if the power goes)
    no test can see: a kill -9 leaves what the kernel has, on a disk or in memory, and the tests of the
    fsyncs' order check the calls (patched), which run alike. The rest behaves alike on both (rename,
    flock, mmap, copy_file_range, nanosecond times); the full disks and read-only media are the tests'
    own small tmpfs mounts (``tests.mounts``) either way. One test depended on its folder's path (its
    length moved a record in the file): mended to find its record whatever the path (882c0ea).
    Costs: memory, the last three runs' temp roots (pytest keeps them), a few hundred MB each.
    Set here, before pytest makes its temp root (and inherited by xdist's workers and any child)."""
    shm = Path("/dev/shm")
    if "TMPDIR" in os.environ or not os.access(shm, os.W_OK):
        return
    try:
        mounts = Path("/proc/mounts").read_text()
        room = os.statvfs(shm)
    except OSError:
        return
    tmpfs = any(line.split()[1:3] == [str(shm), "tmpfs"] for line in mounts.splitlines())
    if tmpfs and room.f_bavail * room.f_frsize >= 4 << 30:
        os.environ["TMPDIR"] = str(shm)
        tempfile.tempdir = None  # (gettempdir() read TMPDIR once already: pytest's capture files)


_temp_in_memory()


def _compiled() -> None:
    """The package's bytecode written once, before the tests start processes: some 40 test files run
    ``python -m tui`` (kill -9 mid-write, two processes at once, the command line), and each such
    process compiles every module it imports again when Python may not write bytecode
    (``PYTHONDONTWRITEBYTECODE``, set on the machines our CI runs on): ~0.1 s of CPU a process.
    ``compileall`` writes the ``__pycache__`` files whatever that says (only the import system heeds
    it), and a file whose bytecode is current is only looked at. Measured in turn, 2 rounds, at -n 0:
    test_crash_consistency + test_killed_then_bulk_import 31.9, 32.3 s -> 23.5, 24.1 s (12.8, 11.5 s
    of CPU -> 8.5, 8.3; load 5-8). Nothing is written when Python may write bytecode anyway."""
    if not sys.dont_write_bytecode:
        return
    for folder in ("store", "tui", "bench"):
        compileall.compile_dir(ROOT / folder, quiet=1)


_compiled()


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if sys.platform == "linux" else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Once a test file is done (its module fixtures torn down), its garbage collected and the heap
    malloc keeps free given back to the system (``malloc_trim``): a worker process runs some 140 files,
    and what their libraries left free stayed resident, ~220 MB at the 4th file to ~400 MB at the 30th
    and 550-700 MB by the suite's end. Each fork of an import's writer child (a batch, a fold's links)
    copies the parent's page tables and tears them down again, a cost in kernel time per resident
    page: one test (test_tiering's merge) took 2.6 s of system time alone and 10.3 s in a process 700
    MB larger. Measured in turn, 31 files of tests/store at -n 0: 277 s of CPU (95 s system) ->
    250 s (78 s system), resident at the end 406 -> 227 MB (load 1.5-2). What a test sees is the
    same: only memory nothing refers to is given back, between files."""
    yield
    if _LIBC is not None and getattr(nextitem, "module", None) is not getattr(item, "module", None):
        gc.collect()
        _LIBC.malloc_trim(0)


def shared(folder: str) -> Path:
    """A folder of ../shared/data, or skip the test when it is not there (a plain clone)."""
    path = SHARED_DATA / folder
    if not path.is_dir():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the real user library or config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("PMBROWSE_DB", raising=False)


@pytest.fixture
def lib_path(tmp_path: Path) -> Path:
    return tmp_path / "library.json"


@pytest.fixture
def empty_library(lib_path: Path) -> Library:
    return Library.open(lib_path, demo=False)


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    """The demo library written (with its search index) and closed: its path."""
    path = tmp_path / "library.json"
    Library.open(path).close()
    return path


@pytest.fixture
def demo_library(lib_path: Path) -> Library:
    return Library.open(lib_path)
