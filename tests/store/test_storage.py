"""The library file on disk: atomic writes, crashes, concurrent writers, files that are not libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from store.errors import LibraryBusyError, LibraryFileError
from store.importer import import_file
from store.library import Library
from store.lock import write_lock
from store.model import Article, Origin
from store.schema import SCHEMA_VERSION
from tests.conftest import PAGES, ROOT
from tests.killed import killed_once_flagged
from tests.store.helpers import FRESH_LIBRARY_FILES


def test_file_records_app_and_schema(lib_path: Path) -> None:
    Library.open(lib_path)
    data = json.loads(lib_path.read_text())
    assert data["_meta"]["1"]["app"] == "pmbrowse" and data["_meta"]["1"]["schema"] == SCHEMA_VERSION
    assert set(data) == {"_meta", "articles", "links"}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"{not json", "invalid JSON at line 1"),
        (b"[1, 2]", "top level is a JSON list"),
        (b'{"_default": {}}', "no pmbrowse header"),
        (b'{"_meta": {"1": {"app": "pmbrowse", "schema": 1}}, "articles": {"x": 1}}', "malformed document"),
    ],
)
def test_a_file_that_is_not_a_library_is_never_overwritten(
    lib_path: Path, content: bytes, words: str
) -> None:
    lib_path.write_bytes(content)
    with pytest.raises(LibraryFileError) as info:
        Library.open(lib_path)
    assert words in str(info.value) and str(lib_path) in str(info.value)
    assert lib_path.read_bytes() == content


def test_a_newer_schema_is_refused(lib_path: Path) -> None:
    content = json.dumps({"_meta": {"1": {"app": "pmbrowse", "schema": SCHEMA_VERSION + 1}}, "articles": {}})
    lib_path.write_text(content)
    with pytest.raises(LibraryFileError, match="newer pmbrowse"):
        Library.open(lib_path)
    assert lib_path.read_text() == content


def test_commits_append_to_the_journal_and_leave_no_temp_files(lib_path: Path) -> None:
    lib = Library.open(lib_path)
    base = lib_path.read_bytes()
    journal = lib_path.with_name("library.json.journal")
    size = journal.stat().st_size
    import_file(lib, PAGES / "zero_citations.txt")
    assert lib_path.read_bytes() == base  # the base is not rewritten for a small commit
    assert journal.stat().st_size > size
    assert sorted(p.name for p in lib_path.parent.iterdir()) == FRESH_LIBRARY_FILES
    assert lib.compact()
    assert lib_path.read_bytes() != base and Library.open(lib_path).get("1000002") is not None
    assert not list(lib_path.parent.glob(".*.tmp"))


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.storage
    from store.importer import import_file
    from store.library import Library

    real_pwrite = os.pwrite
    def torn_pwrite(fd, data, offset):
        if b"#\t" not in data:
            return real_pwrite(fd, data, offset)  # (the lock file's pid)
        # Half the commit reaches the journal: signal, then wait to be killed.
        real_pwrite(fd, data[: len(data) // 2], offset)
        open({marker!r}, "w").close()
        time.sleep(60)
    store.storage.os.pwrite = torn_pwrite
    import_file(Library.open({lib!r}), {page!r})
    """
)


def test_a_writer_killed_mid_write_leaves_the_old_library(lib_path: Path, tmp_path: Path) -> None:
    Library.open(lib_path)
    snapshot = lib_path.read_bytes()
    marker = tmp_path / "writing"
    script = KILLED_WRITER.format(
        root=str(ROOT), marker=str(marker), lib=str(lib_path), page=str(PAGES / "zero_citations.txt")
    )
    killed_once_flagged(subprocess.Popen([sys.executable, "-c", script]), marker, seconds=30)
    assert marker.exists(), "the writer ended before writing"
    assert lib_path.read_bytes() == snapshot
    journal = lib_path.with_name("library.json.journal")
    torn = journal.stat().st_size
    lib = Library.open(lib_path)
    assert lib.get("30992990") is not None and lib.get("1000002") is None
    # The next writer cuts off the torn commit and works normally.
    import_file(lib, PAGES / "zero_citations.txt")
    assert lib.get("1000002") is not None
    assert Library.open(lib_path).get("1000002") is not None
    assert b"#\t" in journal.read_bytes() and journal.stat().st_size < 2 * torn  # the torn half is gone
    assert not list(lib_path.parent.glob(".library.json.*.tmp"))


def test_a_second_writer_gets_a_clear_message(lib_path: Path) -> None:
    lib = Library.open(lib_path, lock_timeout=0.2)
    snapshot = lib_path.read_bytes()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path;"
            "from store.lock import write_lock\n"
            "with write_lock(Path(sys.argv[2])):\n"
            "    print('locked', flush=True); time.sleep(30)",
            str(ROOT),
            str(lib_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LibraryBusyError) as info:
            import_file(lib, PAGES / "zero_citations.txt")
        assert f"pid {holder.pid}" in str(info.value) and "nothing was changed" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    assert lib_path.read_bytes() == snapshot
    assert lib.get("1000002") is None
    import_file(lib, PAGES / "zero_citations.txt")  # the lock is free again
    assert lib.get("1000002") is not None


def test_two_writers_do_not_lose_each_others_changes(lib_path: Path) -> None:
    first = Library.open(lib_path)
    second = Library.open(lib_path)
    import_file(first, PAGES / "zero_citations.txt")
    import_file(second, PAGES / "authors_present.txt")  # sees the file changed, reloads, then adds
    fresh = Library.open(lib_path)
    assert fresh.get("1000002") is not None and fresh.get("1000003") is not None
    assert fresh.get("30992990") is not None


def test_lock_is_reentrant_free_after_use(lib_path: Path) -> None:
    with write_lock(lib_path, timeout=0.1):
        pass
    with write_lock(lib_path, timeout=0.1):
        pass


def test_reads_come_from_memory(lib_path: Path) -> None:
    lib = Library.open(lib_path)
    os.unlink(lib_path)
    assert lib.get("30992990") is not None  # no re-read of a file that is gone


def test_file_permissions_are_kept(lib_path: Path) -> None:
    lib = Library.open(lib_path)
    os.chmod(lib_path, 0o600)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5", title="Five"), Origin("test"))
    assert lib_path.stat().st_mode & 0o777 == 0o600


def test_threads_take_turns_and_lose_nothing(lib_path: Path) -> None:
    import threading

    from store.model import Article, Origin

    lib = Library.open(lib_path, demo=False)
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for n in range(start, start + 20):
                with lib.transaction() as changes:
                    changes.put_article(Article(pmid=str(n), title=f"Record {n}"), Origin("test"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 1000 + 1,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert lib.stats().records == 60
    assert Library.open(lib_path).stats().records == 60


def test_a_failed_write_leaves_memory_as_the_file(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from store.model import Article, Origin

    lib = Library.open(lib_path)
    stats = lib.stats()

    def disk_full(*args) -> None:  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("store.storage.committer.Committer._append", disk_full)
    with pytest.raises(OSError), lib.transaction() as changes:
        changes.put_article(Article(pmid="55", title="Never written"), Origin("test"))
    assert lib.get("55") is None and lib.stats() == stats and lib.lookup("pmid:55") is None
    assert Library.open(lib_path).get("55") is None
