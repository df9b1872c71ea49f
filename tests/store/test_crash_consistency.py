"""The journalled library under kill -9, two processes at once, and in old and damaged files."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from store import fileformat
from store.errors import LibraryFileError
from store.library import Library
from store.lock import write_lock
from store.model import Article, Origin
from store.schema import SCHEMA_VERSION
from store.search import SearchIndex
from tests.conftest import ROOT
from tests.store.old_libraries import write_v1_library, write_v2_library

ORIGIN = Origin("test", "crash")

# A writer that commits one article per transaction (PMIDs 1, 2, 3...), compacting every few commits,
# and appends each PMID to a file once its commit has returned (acknowledged).
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from store.library import Library
    from store.model import Article, Origin
    from store.model import Link
    lib = Library.open({lib!r}, demo=False)
    n = lib.stats().records
    with open({acks!r}, "a") as acks:
        while True:
            n += 1
            refs = [Link(pmid=str(k), sources=["test"]) for k in (n - 1, n - 2, n - 5, n + 1000) if k > 0]
            with lib.transaction() as changes:
                changes.put_article(Article(pmid=str(n), title=f"Article {{n}}", year=2000,
                    references=refs), Origin("test", "crash"))
            acks.write(f"{{n}}\\n"); acks.flush()
            if n % {every} == 0:
                lib.compact()
    """
)


def assert_links_agree(lib: Library) -> None:
    """Both ends of every link agree, the counts kept agree with the links, and so do the totals."""
    refs = {doc_id: lib.link_ids(doc_id, "references") for doc_id, _doc in lib.iter_docs()}
    cited = {doc_id: lib.link_ids(doc_id, "cited_by") for doc_id in refs}
    for doc_id in refs:
        assert lib.link_counts(doc_id) == (len(refs[doc_id]), len(cited[doc_id]))
        assert all(doc_id in cited[target] for target in refs[doc_id])
        assert all(doc_id in refs[source] for source in cited[doc_id])
    assert lib.stats().links == sum(map(len, refs.values()))


def _acknowledged(acks: Path) -> list[int]:
    if not acks.exists():
        return []
    return [int(line) for line in acks.read_text().split("\n")[:-1] if line]


@pytest.mark.parametrize("every", [3, 1000])  # with frequent compactions, and with none
def test_kill_9_at_random_instants_loses_no_acknowledged_commit(tmp_path: Path, every: int) -> None:
    lib_path = tmp_path / "library.json"
    Library.open(lib_path, demo=False)
    acks = tmp_path / "acks"
    rng = random.Random(9 + every)
    for _round in range(6):
        script = WRITER.format(root=str(ROOT), lib=str(lib_path), acks=str(acks), every=every)
        proc = subprocess.Popen([sys.executable, "-c", script])
        start = _acknowledged(acks)
        deadline = time.monotonic() + 20
        while len(_acknowledged(acks)) < len(start) + 2:  # wait for it to be committing
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        acked = _acknowledged(acks)
        lib = Library.open(lib_path, demo=False, lock_timeout=2)
        present = sorted(int(doc["pmid"]) for _id, doc in lib.iter_docs() if not doc.get("stub"))
        # Every acknowledged commit survived; none is half there (the PMIDs are 1..n without a gap,
        # at most one past the last acknowledgement: a commit sealed just before the kill).
        assert present == list(range(1, len(present) + 1))
        assert acked == present[: len(acked)] and len(present) - len(acked) <= 1
        assert lib.stats().records == len(present)  # the kept counts agree with the documents
        assert_links_agree(lib)
        # The index agrees (rebuilt if the kill left it behind), and the lock is not stuck.
        assert SearchIndex.for_library(lib).search("article").total == len(present)
        with lib.transaction() as changes:
            changes.put_article(Article(pmid=str(len(present) + 1), title="Article after"), ORIGIN)
        acks.write_text("".join(f"{n}\n" for n in range(1, len(present) + 2)))
        # Temp files a killed compaction left are removed by the next writer.
        assert not list(tmp_path.glob(".*.tmp"))


def test_a_reader_during_an_import_sees_old_or_new_links_never_half(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    Library.open(lib_path, demo=False)
    acks = tmp_path / "acks"
    script = WRITER.format(root=str(ROOT), lib=str(lib_path), acks=str(acks), every=4)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        reader = Library.open(lib_path, demo=False)
        seen = set()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline or len(seen) < 5:
            assert proc.poll() is None and time.monotonic() < deadline + 20
            reader.refresh()
            assert_links_agree(reader)  # (each commit's links on both ends, or none of them)
            seen.add(reader.state)
    finally:
        proc.kill()
        proc.wait()


def test_a_reader_sees_one_consistent_state_while_a_writer_commits(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    writer = Library.open(lib_path, demo=False)
    with writer.transaction() as changes:
        changes.put_article(Article(pmid="1", title="First"), ORIGIN)
    reader = Library.open(lib_path, demo=False)
    state = reader.state
    with writer.transaction() as changes:
        changes.put_article(Article(pmid="2", title="Second"), ORIGIN)
        changes.put_article(Article(pmid="1", title="First, revised"), ORIGIN)
    # Until it refreshes, the reader sees the state it opened: both documents as they were.
    assert reader.state == state and reader.get("2") is None and reader.get("1").title == "First"  # type: ignore[union-attr]
    writer.compact()
    assert reader.get("1").title == "First"  # type: ignore[union-attr]  (it still holds the old files)
    assert reader.refresh()
    assert reader.get("2") is not None and reader.get("1").title == "First, revised"  # type: ignore[union-attr]
    assert not reader.refresh()


def test_a_torn_tail_is_ignored_and_cut_off(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", title="Kept"), ORIGIN)
    journal = lib_path.with_name("library.json.journal")
    good = journal.read_bytes()
    # A commit cut mid-seal, longer than the next one: writing over it is not cutting it off.
    torn = b'7\t["pmid:7"]\t{"pmid":"7","title":"' + b"Torn " * 400 + b'"}\n#\t0000'
    with journal.open("ab") as fh:
        fh.write(torn)
    again = Library.open(lib_path, demo=False)
    assert again.get("7") is None and again.get("1") is not None
    with again.transaction() as changes:
        changes.put_article(Article(pmid="2", title="Next"), ORIGIN)
    raw = journal.read_bytes()
    assert raw.startswith(good) and b"Torn" not in raw and raw.endswith(b"}\n")  # (ends with its seal)
    assert Library.open(lib_path).get("2") is not None


@pytest.mark.parametrize("where", [b"Article 1", b"Article 2", b'"journal"'])
def test_a_damaged_journal_is_read_up_to_the_damage_refused_for_writes_and_never_cut(
    tmp_path: Path, where: bytes
) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path, demo=False)
    for n in (1, 2):
        with lib.transaction() as changes:
            changes.put_article(Article(pmid=str(n), title=f"Article {n}"), ORIGIN)
    journal = lib_path.with_name("library.json.journal")
    raw = bytearray(journal.read_bytes())
    raw[raw.index(where) + 1] ^= 0x20  # a flipped bit in a sealed commit, or in the header
    journal.write_bytes(bytes(raw))
    again = Library.open(lib_path, demo=False)
    assert any("journal is damaged" in notice for notice in again.notices)
    assert (again.get("1") is not None) == (where == b"Article 2")  # (read as of the commit before)
    assert again.get("2") is None
    with pytest.raises(LibraryFileError, match="pmbrowse repair"), again.transaction() as changes:
        changes.put_article(Article(pmid="3", title="Article 3"), ORIGIN)
    assert journal.read_bytes() == bytes(raw)
    with contextlib.suppress(LibraryFileError), lib.transaction() as changes:
        # A writer that read the journal before the damage may append after it; it cuts nothing.
        changes.put_article(Article(pmid="3", title="Article 3"), ORIGIN)
    assert journal.read_bytes().startswith(bytes(raw))


def test_a_schema_1_library_is_migrated_on_open_with_a_notice(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    write_v1_library(lib_path)
    lib = Library.open(lib_path)
    assert any("converted" in notice for notice in lib.notices)
    header = json.loads(lib_path.read_text())["_meta"]["1"]
    assert header["schema"] == SCHEMA_VERSION
    citing = lib.find("100")
    assert citing is not None
    refs = lib.links(citing, "references")
    assert [(v.pmid, v.title, v.year) for v in refs] == [
        ("200", "Cited", None),
        (None, "Known only by its citation text", 1999),  # the text lives on, on the stub
    ]
    assert refs[0].sources == ["page"]
    assert [v.pmid for v in lib.links(refs[1].target_id or 0, "cited_by")] == ["100"]
    assert lib.stats().records == 1 and lib.stats().stubs == 2 and lib.stats().links == 2
    assert Library.open(lib_path).notices == []  # once


def test_a_schema_2_library_is_converted_with_its_journal_and_link_sources(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    write_v2_library(lib_path)
    lib = Library.open(lib_path)
    assert [n for n in lib.notices if "converted" in n and "schema 3" in n]
    assert json.loads(lib_path.read_text())["_meta"]["1"]["schema"] == SCHEMA_VERSION
    assert "references" not in lib_path.read_text().split('"links":')[0]  # (links are apart now)
    citing = lib.find("100")
    assert citing is not None
    refs = lib.links(citing, "references")
    assert [(v.pmid, v.title, v.sources) for v in refs] == [
        ("200", "Cited", ["page", "pubmed"]),
        (None, "Known only by its citation text", ["pubmed"]),
    ]
    cited = lib.find("200")
    assert cited is not None
    # The journal's commit (record 400 citing 200, by Europe PMC) came along, sources and all.
    assert [(v.pmid, v.sources) for v in lib.links(cited, "cited_by")] == [
        ("100", ["page", "pubmed"]),
        ("400", ["europepmc"]),
    ]
    assert lib.link_counts(cited) == (0, 2) and lib.stats() == lib.stats().__class__(2, 2, 3)
    assert Library.open(lib_path).notices == []  # once


MIGRATOR = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.storage
    real_replace = os.replace
    def slow_replace(src, dst):
        if str(dst).endswith("library.json"):
            open({marker!r}, "w").close()
            time.sleep({delay})
        return real_replace(src, dst)
    store.storage.os.replace = slow_replace
    from store.library import Library
    Library.open({lib!r})
    """
)


@pytest.mark.parametrize("schema", [1, 2])
@pytest.mark.parametrize("delay", [60, 0])
def test_a_migration_killed_at_its_commit_point_leaves_the_old_or_the_new_library(
    tmp_path: Path, delay: int, schema: int
) -> None:
    lib_path = tmp_path / "library.json"
    (write_v1_library if schema == 1 else write_v2_library)(lib_path)
    old = lib_path.read_bytes()
    marker = tmp_path / "migrating"
    script = MIGRATOR.format(root=str(ROOT), marker=str(marker), lib=str(lib_path), delay=delay)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.05 if delay == 0 else 0.2)
    proc.kill()
    proc.wait()
    if delay:  # killed before its rename: the old library, byte for byte
        assert lib_path.read_bytes() == old
    else:  # killed around its rename: the old library or the new one, whole
        new = json.loads(lib_path.read_text())["_meta"]["1"]["schema"] == SCHEMA_VERSION
        assert lib_path.read_bytes() == old or new
    lib = Library.open(lib_path)
    citing = lib.find("100")
    assert citing is not None and len(lib.links(citing, "references")) == 2


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ({"app": "pmbrowse", "schema": 0}, "schema 0"),
        ({"app": "pmbrowse", "schema": -1}, "schema -1"),
    ],
)
def test_a_header_with_an_impossible_schema_is_refused(
    tmp_path: Path, header: dict[str, object], words: str
) -> None:
    lib_path = tmp_path / "library.json"
    content = fileformat.dump({"_meta": {"1": header}, "articles": {}})
    lib_path.write_bytes(content)
    with pytest.raises(LibraryFileError, match=words):
        Library.open(lib_path)
    assert lib_path.read_bytes() == content


@pytest.mark.parametrize(
    ("doc_id", "doc", "words"),
    [
        ("²", {"title": "x"}, "malformed document"),
        ("1", {"pmid": 30992990}, "'pmid' is not text"),
        ("1", {"title": None}, "'title' is not text"),
        ("1", {"title": ["a"]}, "'title' is not text"),
        ("1", {"references": "none"}, "'references' is not a list"),
        ("1", {"citation_count": "many"}, "'citation_count' is not a count"),
        ("1", {"year": 10**15}, "'year' is not a year"),
    ],
)
def test_damaged_documents_are_refused_naming_the_document(
    tmp_path: Path, doc_id: str, doc: dict[str, object], words: str
) -> None:
    lib_path = tmp_path / "library.json"
    content = fileformat.dump({"_meta": {"1": {"app": "pmbrowse", "schema": 1}}, "articles": {doc_id: doc}})
    lib_path.write_bytes(content)
    with pytest.raises(LibraryFileError, match=words) as info:
        Library.open(lib_path)
    assert str(lib_path) in str(info.value)
    assert lib_path.read_bytes() == content


def test_a_document_damaged_after_writing_is_refused_when_read(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    Library.open(lib_path)
    raw = lib_path.read_bytes()
    damaged = raw.replace(b'"year":2019', b'"year":"19"', 1)
    assert damaged != raw
    lib_path.write_bytes(damaged)  # same length and offsets: only the value is wrong
    with pytest.raises(LibraryFileError, match=r"document 1: 'year' is not a year"):
        Library.open(lib_path)  # (a base changed in place gets its index rebuilt, which reads it all)
    assert lib_path.read_bytes() == damaged


def test_a_library_reached_through_a_symlink_is_written_through_it(tmp_path: Path) -> None:
    real = tmp_path / "real" / "library.json"
    real.parent.mkdir()
    Library.open(real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    lib = Library.open(link)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="55", title="Through the link"), ORIGIN)
    lib.compact()
    assert link.is_symlink()
    assert Library.open(real).get("55") is not None


def test_the_index_file_lost_or_of_another_generation_is_rebuilt(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="55", title="Journalled"), ORIGIN)
    lib_path.with_name("library.json.idx").unlink()
    again = Library.open(lib_path)
    assert again.get("30992990") is not None and again.get("55") is not None
    assert again.stats() == lib.stats()
    assert lib_path.with_name("library.json.idx").exists()


def test_a_read_only_library_opens_and_searches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    SearchIndex.for_library(lib)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file()}

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    # (Tests run as root, who can write to a read-only folder: every write is made to fail instead.)
    monkeypatch.setattr("store.search.index.write_lock", read_only)
    monkeypatch.setattr("store.storage.conversion.write_lock", read_only)
    monkeypatch.setattr("store.storage.files.write_lock", read_only)  # (the index's mends: write_lock_now)
    again = Library.open(lib_path)
    assert SearchIndex.for_library(again).search("exosomes").total == 5  # fresh: no lock needed
    monkeypatch.setattr("store.storage.conversion.write_index", read_only)
    lib_path.with_name("library.json.idx").rename(tmp_path / "elsewhere")  # rebuilt in memory
    (tmp_path / "library.json.index" / "pmbrowse-index.json").rename(tmp_path / "stale")  # and in /tmp
    again = Library.open(lib_path)
    assert again.get("30992990") is not None
    assert SearchIndex.for_library(again).search("exosomes").total == 5
    after = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file() and p.name in before}
    assert after == {k: v for k, v in before.items() if k in after}


def test_commits_cost_what_changed_not_the_library(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path, demo=False)
    with lib.transaction() as changes:
        for n in range(1, 2001):
            changes.put_article(Article(pmid=str(n), title=f"Article {n}", abstract=[]), ORIGIN)
    journal = lib_path.with_name("library.json.journal")
    base = lib_path.stat().st_size
    before = journal.stat().st_size if journal.exists() else 0
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5000", title="One more"), ORIGIN)
    grew = journal.stat().st_size - before
    assert 0 < grew < 1000 and lib_path.stat().st_size == base
    lib.compact()  # and the base, one document per line, is what any JSON reader reads
    doc = orjson.loads(lib_path.read_bytes().split(b"\n")[5].split(b":", 1)[1].rstrip(b","))
    assert doc["pmid"] == "1" and json.loads(lib_path.read_text())["articles"]["2001"]["pmid"] == "5000"


def test_a_base_rewritten_by_another_program_keeps_the_journalled_commits(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="55", title="Journalled"), ORIGIN)
    data = json.loads(lib_path.read_text())
    data["articles"]["1"]["title"] = "Edited by hand"
    lib_path.write_text(json.dumps(data, indent=2))  # another layout, same generation
    again = Library.open(lib_path)
    assert any("converted" in notice for notice in again.notices)
    assert again.article(1).title == "Edited by hand" and again.get("55") is not None


SLOW_CONVERTER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    import store.storage.conversion as storage
    real = storage.read_library_file
    def slow(*args, **kwargs):
        data = real(*args, **kwargs)
        open({marker!r}, "w").close()
        deadline = time.monotonic() + 20  # (a large old library takes seconds to read: until told)
        while not os.path.exists({go!r}) and time.monotonic() < deadline:
            time.sleep(0.005)
        return data
    storage.read_library_file = slow
    from store.library import Library
    Library.open({lib!r})
    """
)


def test_two_processes_converting_one_old_library_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process reads the old library to convert it (under the library's lock) and goes on only once
    the other has come to that lock: the other waits, then opens what the first converted and commits."""
    lib_path = tmp_path / "library.json"
    write_v1_library(lib_path)
    marker, go = tmp_path / "read", tmp_path / "go"
    script = SLOW_CONVERTER.format(root=str(ROOT), marker=str(marker), go=str(go), lib=str(lib_path))
    slow = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert slow.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)

    def at_the_lock(*args: Any, **kwargs: Any) -> Any:
        go.touch()  # (the slow one goes on: this one waits for it at the lock)
        return write_lock(*args, **kwargs)

    monkeypatch.setattr("store.storage.conversion.write_lock", at_the_lock)
    fast = Library.open(lib_path)  # (it waits at the lock, then opens what the slow one converted)
    assert not any("converted" in notice for notice in fast.notices)
    with fast.transaction() as changes:
        changes.put_article(Article(pmid="300", title="Committed meanwhile"), ORIGIN)
    go.touch()  # (a conversion that took no lock came here without waiting)
    assert slow.wait(30) == 0
    again = Library.open(lib_path)
    assert again.get("300") is not None and again.get("100") is not None


def test_a_truncated_base_is_refused_not_compacted(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    lib.compact()
    raw = lib_path.read_bytes()
    lib_path.write_bytes(raw[:-3000])
    with pytest.raises(LibraryFileError):
        again = Library.open(lib_path)
        again.compact()
    assert lib_path.read_bytes() == raw[:-3000]


def test_compaction_keeps_permissions_and_clears_a_killed_ones_temp_files(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    os.chmod(lib_path, 0o600)
    stale = tmp_path / ".library.json.99999.tmp"
    stale.write_bytes(b"x" * 10_000)  # left by a compaction that was killed
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="55", title="Journalled"), ORIGIN)
    assert lib.compact()
    assert lib_path.stat().st_mode & 0o777 == 0o600
    assert lib_path.with_name("library.json.journal").stat().st_mode & 0o777 == 0o600
    assert not stale.exists()


def test_huge_document_ids_are_refused(tmp_path: Path) -> None:
    lib_path = tmp_path / "library.json"
    content = fileformat.dump(
        {"_meta": {"1": {"app": "pmbrowse", "schema": 1}}, "articles": {"1000000000000": {"title": "x"}}}
    )
    lib_path.write_bytes(content)
    with pytest.raises(LibraryFileError, match="document ids"):
        Library.open(lib_path)
    assert lib_path.read_bytes() == content


def test_compaction_copies_unchanged_runs_and_keeps_every_document(tmp_path: Path) -> None:
    from store.importer import import_file
    from tests.conftest import PAGES

    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path)
    with lib.transaction() as changes:
        for n in range(1, 300):
            changes.put_article(Article(pmid=str(n), title=f"Article {n}", year=2000 + n % 20), ORIGIN)
    lib.compact()
    import_file(lib, PAGES / "zero_citations.txt")  # changes some documents in the middle
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="150", title="Article 150, revised"), ORIGIN)
    before = dict(lib.iter_docs())
    assert lib.compact()
    data = json.loads(lib_path.read_text())  # still plain JSON, one document per line
    again = Library.open(lib_path)
    assert dict(again.iter_docs()) == before
    assert {int(k): v for k, v in data["articles"].items()} == before
    assert again.get("150").title == "Article 150, revised"  # type: ignore[union-attr]
    assert again.stats() == lib.stats()
    # Every document is still found by its identifiers, those copied unchanged included.
    assert {n: again.find(str(n)) for n in range(1, 300)} == {n: lib.find(str(n)) for n in range(1, 300)}
    assert None not in {again.find(str(n)) for n in range(1, 300)}


def test_a_commit_is_on_disk_before_it_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit acknowledged must survive a power cut: the journal is fsynced once it holds it."""
    lib_path = tmp_path / "library.json"
    lib = Library.open(lib_path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", title="First"), ORIGIN)
    synced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        st = os.fstat(fd)
        synced.append((st.st_ino, st.st_size))

    monkeypatch.setattr(os, "fsync", fsync)
    for n in (2, 3):
        with lib.transaction() as changes:
            changes.put_article(Article(pmid=str(n), title=f"Article {n}"), ORIGIN)
        journal = lib_path.with_name("library.json.journal").stat()
        assert (journal.st_ino, journal.st_size) in synced  # (the journal, as it is after the commit)
