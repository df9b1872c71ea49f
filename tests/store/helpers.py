"""Helpers shared by the storage tests."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from store.library import Library
from store.storage import spilling
from store.storage.snapshot import Snapshot
from tests.store.test_crash_consistency import assert_links_agree

# The files of a library whose commits went to the journal and nothing else: no temp file, no segment, no
# set-aside copy. Tests that a write leaves nothing behind compare a folder's names with this.
FRESH_LIBRARY_FILES = [
    "library.json",
    "library.json.idx",
    "library.json.index",
    "library.json.index.lock",
    "library.json.journal",
    "library.json.lock",
]


def states_read_while(
    proc: subprocess.Popen[bytes], reader: Library, whole: Callable[[int], None]
) -> set[int]:
    """The numbers of records ``reader`` sees, refreshed again and again while ``proc`` (a writer) runs:
    each state's links agree and ``whole`` (given the number) finds it whole. ``proc`` is killed if an
    assertion fails, and must end well; the reader is refreshed once more at the end (links agreeing)."""
    seen = set()
    try:
        while proc.poll() is None:
            reader.refresh()
            records = reader.stats().records
            whole(records)
            assert_links_agree(reader)
            seen.add(records)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0
    reader.refresh()
    assert_links_agree(reader)
    return seen


@contextmanager
def journal_as_segment(lib: Library) -> Iterator[Snapshot]:
    """A transaction of ``lib``'s committer in which the journal's commits are made a segment, as
    compaction makes them: the pending view, for the block to change further (merge, list); committed
    as the block ends, and the library's reader caught up."""
    files = lib._storage.files
    with lib._storage.committer.transaction():
        spilling.start(files, lib._reader.snap)
        assert files.pending.view is not None
        yield files.pending.view
        files.pending.committed = True
    lib._reader.catch_up()


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Count the calls of ``owner.name`` (a method, or a module's function, still run as it is) in the
    one-element list returned (a test sets it back to 0 between its phases)."""
    calls = [0]
    method = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return method(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls
