"""The import's parse child holds none of its parent's open files (``store.lock.let_go_of_inherited_files``).

A lock the parent holds on a file it has open (tantivy's meta lock on the search index, taken by one of
its threads and let go by closing the file) must be free once the parent closes the file, whatever
child was forked meanwhile: the child's copy of the open file kept it held, and the parent, waiting
for the lock, stopped reading the child's pipe while the child waited on it, full (a hang of the
suite, stop 44)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import pytest

from store import importer
from store.errors import ParseError


def _lock_free(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="the child lets go of files through /proc")
def test_a_lock_the_parent_lets_go_of_is_not_held_by_the_parse_child(tmp_path: Path) -> None:
    lock = tmp_path / ".tantivy-meta.lock"
    held = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)  # (as a tantivy thread holds it while the child is forked)
    source = tmp_path / "records.xml"
    os.mkfifo(source)  # (the child waits on it, alive, until this test writes)
    seen: list[bool] = []

    def idle() -> bool:  # (the child is forked and has sent nothing)
        os.close(held)  # (the parent lets go, as tantivy does, by closing the file)
        # (opened once the child opens it to read: it is then past its start, reading its file)
        with open(source, "wb") as fifo:
            seen.append(_lock_free(lock))
            fifo.write(b'<?xml version="1.0"?>\n<PubmedArticleSet>\n</PubmedArticleSet>\n')
        return False

    with contextlib.suppress(OSError, ParseError):
        for _event in importer._events_from_child(str(source), None, idle):
            pass
    assert seen == [True]
