"""Shared fixtures: paths to test data, and fresh libraries in a temp folder (never the user's own)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from store.library import Library
from store.storage import reader

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PAGES = DATA / "pages"
SEED = ROOT / "store" / "demo" / "30992990.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"


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


@pytest.fixture
def no_reopen_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Reader.open`` looks again, 39 times 25 ms apart, at a library it could not open whole (a
    compaction may be swapping its files meanwhile): a library damaged on purpose waits out that second
    at each open. Where no compaction runs, the same looks without the waits (what is said is the
    last look's, as before)."""
    monkeypatch.setattr(reader, "time", SimpleNamespace(sleep=lambda _seconds: None))
