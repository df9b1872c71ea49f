"""What a look-up costs as the layers pile up (issue 18: an import cost more the larger the library).

Finding which layer holds a document asked each segment in turn, newest first (a binary search
each), and an import asks it of every record a reference list names: with a library's segments and
the import's own batches, a look-up cost grew with the layers. Now a state keeps which segment holds
each document (``store.storage.newest``), made once look-ups have cost about as much. And the document
index's pages stayed in the process's memory once touched (its checksum at opening read its columns
whole, and an import reads heads all over it), so an import's peak memory grew with the library:
``store.residency``.
"""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
import struct
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import store.importer as importer
from store import residency
from store.docindex import DocIndex, IndexFileError, aligned
from store.errors import LibraryFileError
from store.importer import import_paths
from store.library import Library
from store.storage import newest
from store.storage.files import LibraryFiles
from store.storage.generation import Builder
from store.storage.meta import Meta
from store.storage.segment import REMOVED, SegmentFile, SegmentWriter
from store.storage.snapshot import Snapshot
from tests.store.helpers import count_calls
from tests.store.test_bulk_import import _everything
from tests.store.test_segment_damage import footer_of, rewrite_footer
from tests.store.test_tiering import _file, _library_with_a_base

LAYERS = 12
PER = 500  # documents a segment writes


def _segment(folder: Path, number: int, ids: list[int], removed: tuple[int, ...] = ()) -> SegmentFile:
    writer = SegmentWriter(folder / f"g.{number}.seg", "g")
    for doc_id in ids:
        if doc_id in removed:
            writer.remove_doc(doc_id)
            continue
        raw = b'{"pmid": "%d", "title": "Document %d of segment %d"}' % (doc_id, doc_id, number)
        head = b'{"pmid": "%d"}' % doc_id
        writer.add_doc(doc_id, raw, Meta(0, 2000, 0), head, [f"pmid:{doc_id}"])
    writer.finish()
    return SegmentFile(folder / f"g.{number}.seg")


def _layers(tmp_path: Path) -> tuple[Snapshot, dict[int, int]]:
    """A state of LAYERS segments, each writing PER documents of its own and rewriting some of the
    ones before it; and which segment (1 + its number) holds each document's newest version."""
    rng = random.Random(7)
    snap = Snapshot(tmp_path / "library.json", generation="g", next_id=LAYERS * PER + 1001)
    expected: dict[int, int] = {}
    for number in range(1, LAYERS + 1):
        own = range(1 + PER * (number - 1), 1 + PER * number)
        again = rng.sample(sorted(expected), min(len(expected), 50))
        snap.segments.append(_segment(tmp_path, number, sorted({*own, *again})))
        expected.update(dict.fromkeys([*own, *again], number))
    return snap, expected


def test_finding_a_documents_layer_asks_one_segment_however_many_there_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap, expected = _layers(tmp_path)
    asked = count_calls(monkeypatch, SegmentFile, "where")  # (segments asked whether they hold it)
    oldest = [doc_id for doc_id, number in expected.items() if number == 1]
    for doc_id in oldest * 4:  # (enough look-ups that keeping the table is worth it)
        assert snap.layer_of(doc_id)[0] == 1
    asked[0] = 0
    for doc_id, number in expected.items():
        assert snap.layer_of(doc_id)[0] == number
    # Before: a document of the oldest segment asked all twelve (6.5 a document on average here).
    assert asked[0] <= len(expected) * 1.01
    assert snap.layer_of(LAYERS * PER + 1) == (-1, None)  # (in none of them)
    asked[0] = 0
    for doc_id in oldest[:100]:
        assert snap.holders(f"pmid:{doc_id}") == {doc_id}
    assert asked[0] <= 100 * 1.01  # (the candidate's own segment only; before: up to twelve)


def test_the_table_follows_the_segments_added_and_a_new_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap, expected = _layers(tmp_path)
    monkeypatch.setattr(newest, "MIN_PROBES", 0)
    monkeypatch.setattr(newest, "BUILD_SHARE", 1 << 40)  # (made at the first look-up)
    assert snap.layer_of(1)[0] == snap.layer_of(1)[0] == expected[1] and snap._newest._made is not None
    # A batch added to the state (as an import's are): rewrites some, removes one, adds new ones.
    newer = LAYERS * PER + 1
    snap.segments.append(_segment(tmp_path, LAYERS + 1, [1, 2, PER + 1, newer, newer + 500], removed=(2,)))
    assert snap.layer_of(1)[0] == snap.layer_of(newer + 500)[0] == LAYERS + 1
    assert snap.layer_of(2) == (LAYERS + 1, REMOVED) and snap.doc(2) is None
    assert snap.doc(1) is not None and snap.doc(1)["title"] == f"Document 1 of segment {LAYERS + 1}"  # type: ignore[index]
    assert snap.layer_of(3)[0] == expected[3]
    # Another state (as a merge or a fold leaves): the older segments alone, its own table.
    older = dataclasses.replace(snap, segments=snap.segments[:3])
    ids = range(1, newer + 501, 7)
    assert [older.layer_of(i)[0] for i in ids] == [_asked(older.segments, i) for i in ids]
    assert older.layer_of(4 * PER) == older.layer_of(newer) == (-1, None)
    # The same list cut and added to (a state taken in again): answered anew.
    snap.segments[:] = [*snap.segments[:2], snap.segments[-1]]
    assert [snap.layer_of(i)[0] for i in ids] == [_asked(snap.segments, i) for i in ids]
    assert snap.layer_of(PER * 2 + 1) == (-1, None)


def _asked(segments: list[SegmentFile], doc_id: int) -> int:
    """Which segment holds a document, asked of each, newest first (-1: none)."""
    return next((n for n in range(len(segments), 0, -1) if segments[n - 1].where(doc_id) is not None), -1)


def test_an_import_stores_the_same_with_the_table_or_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files imported in batches into a library with a base, re-importing records (a newer layer
    wins): the table made at the first look-up and kept up batch by batch, or never made."""
    path = _library_with_a_base(tmp_path, monkeypatch)
    monkeypatch.setattr(importer, "FLUSH_AT", 80)
    monkeypatch.setattr(newest, "BUILD_SHARE", 1 << 40)
    files = [
        _file(tmp_path / "second.xml", 1100, 300, 1400),
        _file(tmp_path / "third.xml", 1350, 200, 1550, seed=11),
    ]
    stored, tables = [], []
    current = newest.Newest.current

    def spied(self: newest.Newest, *args: Any) -> object:
        made = current(self, *args)
        tables.append(made is not None)
        return made

    monkeypatch.setattr(newest.Newest, "current", spied)
    for made in (False, True):
        tables.clear()
        monkeypatch.setattr(newest, "MIN_PROBES", 0 if made else 1 << 62)
        copy = tmp_path / f"made-{made}" / "library.json"
        shutil.copytree(path.parent, copy.parent, ignore=shutil.ignore_patterns("made-*", "*.xml"))
        lib = Library.open(copy)
        for file in files:
            import_paths(lib, [file])
        assert tables and any(tables) == made
        stored.append(_everything(lib))
        lib.close()
    assert stored[0] == stored[1]


def _resident_kib(name: str) -> int:
    """How much of the mappings of files named ``name`` is in this process's memory (KiB)."""
    total = 0
    for block in re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", Path("/proc/self/smaps").read_text()):
        if block.split("\n", 1)[0].endswith("/" + name):
            found = re.search(r"\nRss:\s+(\d+) kB", block)
            total += int(found.group(1)) if found else 0
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
@pytest.mark.parametrize("check_later", [False, True])
def test_the_index_holds_few_pages_after_its_check_and_a_pass_over_its_heads(
    tmp_path: Path, check_later: bool
) -> None:
    path = tmp_path / "mapped-alone.json"  # (a name no other open index has)
    builder = Builder(LibraryFiles(path, None), 20_000)
    for doc_id in range(1, 20_001):
        head = b'{"pmid": "%d", "title": "%s"}' % (doc_id, b"A title of some length " * 10)
        builder.add_doc(doc_id, b'{"pmid": "%d"}' % doc_id, Meta(0, 2000, 0), head, [f"pmid:{doc_id}"])
    builder.finish(20_001)
    index_path = path.with_name(path.name + ".idx")
    size_kib = index_path.stat().st_size // 1024
    index = DocIndex(index_path, check_later=check_later)
    index.verify()
    at_open = _resident_kib(index_path.name)
    heads = [index.head(doc_id) for doc_id in range(1, 20_001, 3)]
    after = _resident_kib(index_path.name)
    index.close()
    assert len(heads) > 6000 and size_kib > 5000
    # Before: its columns and keys at opening (the checksum read them through the map, 1.4 MB of
    # its 6.1 MB here), and nearly all of it once a third of the heads were read.
    assert at_open <= 128 and after <= 1024 + 128, (at_open, after, size_kib)


# Found reviewing the table (each test seen red on the code before its fix) ----------------------------


def _made_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(newest, "MIN_PROBES", 0)
    monkeypatch.setattr(newest, "BUILD_SHARE", 1 << 40)


def _set_ids(segment: Path, ids: list[int]) -> None:
    """A segment's ``doc_ids`` column made ``ids`` in the file, the segment one written before stop 26
    (no checksums of its tables, which catch this in a newer one: what a flipped bit or a writer's
    fault leaves in an older one)."""
    raw = bytearray(segment.read_bytes())
    footer, _start = footer_of(raw)
    assert footer["docs"] == len(ids)
    footer.pop("crc", None)
    struct.pack_into(f"<{len(ids)}I", raw, footer["at"]["doc_ids"], *ids)
    segment.write_bytes(rewrite_footer(raw, footer))


def test_a_segment_id_past_the_states_next_id_never_sizes_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table is sized by the largest id the segments name. A flipped high bit in a segment's last id
    (no checksum covers the tables of one written before stop 26) asked for gigabytes (two bytes an
    id: 4 GB at 0x7FFFFFF0); here a smaller one, so the test cannot fill the machine. Every id of a
    state is below its next id: a table past it is not made, and the segments are asked one by one,
    as before the table."""
    _made_at_once(monkeypatch)
    snap, expected = _layers(tmp_path)
    _set_ids(tmp_path / "g.1.seg", [*range(1, PER), 20_000_000])
    snap.segments[0] = SegmentFile(tmp_path / "g.1.seg")
    assert all(snap.layer_of(doc_id)[0] == number for doc_id, number in expected.items() if doc_id != PER)
    made = snap._newest._made
    assert made is None or len(made.numbers) <= snap.next_id, len(made.numbers)


@pytest.mark.parametrize("where", ["middle", "past-the-last"])
def test_a_segment_whose_ids_are_out_of_order_is_damage_said_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The table says which segment writes a document from the segment's ids in the order stored; the
    segment finds it by a binary search, which misses it when they are out of order. That was an
    ``assert`` (gone under ``python -O``: the document then read as absent) or, an id in the middle past
    the last one, an IndexError. Now: the one line that says the segment is damaged."""
    _made_at_once(monkeypatch)
    snap, _expected = _layers(tmp_path)
    ids = list(range(1, PER + 1))
    if where == "middle":
        ids[10], ids[20] = ids[20], ids[10]
    else:
        ids[10], ids[-1] = ids[-1], ids[10]
    _set_ids(tmp_path / "g.1.seg", ids)
    snap.segments[0] = SegmentFile(tmp_path / "g.1.seg")
    with pytest.raises(LibraryFileError, match=r"g\.1\.seg is damaged \(.*out of order"):
        for doc_id in range(1, PER + 1):
            snap.doc(doc_id)


def test_an_import_keeps_its_table_as_its_batches_add_new_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import's batches add documents past the state's next id as it was when the import began: the
    import's own state (``Pending.view``) keeps its next id with them, so its table is kept up batch by
    batch, not given up at the first new document."""
    path = _library_with_a_base(tmp_path, monkeypatch)
    monkeypatch.setattr(importer, "FLUSH_AT", 80)
    _made_at_once(monkeypatch)
    tables: list[bool] = []
    current = newest.Newest.current

    def spied(self: newest.Newest, *args: Any) -> object:
        made = current(self, *args)
        tables.append(made is not None)
        return made

    monkeypatch.setattr(newest.Newest, "current", spied)
    lib = Library.open(path)
    import_paths(lib, [_file(tmp_path / "second.xml", 1100, 300, 1400)])
    lib.close()
    assert True in tables and all(tables[tables.index(True) :]), tables  # (made at the second look-up)


@pytest.mark.parametrize("advice", [0x7FFF, None], ids=["refused", "no-madvise"])
@pytest.mark.parametrize("check_later", [False, True])
def test_an_index_opens_and_is_checked_where_letting_go_of_its_pages_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check_later: bool, advice: int | None
) -> None:
    """Letting go of a map's pages is advice: a kernel may refuse it (``madvise`` says EINVAL for locked
    pages, some mappings, advice it does not know) and a platform may not have it. The index is then
    checked all the same: before, opening it raised the ``OSError`` (no ``IndexFileError``: the
    library did not open), or, checked in a thread, the thread died and the index was taken unchecked."""
    path = tmp_path / "refused.json"
    builder = Builder(LibraryFiles(path, None), 10)
    for doc_id in range(1, 11):
        builder.add_doc(doc_id, b'{"pmid": "%d"}' % doc_id, Meta(0, 2000, 0), b"{}", [f"pmid:{doc_id}"])
    builder.finish(11)
    index_path = path.with_name(path.name + ".idx")
    raw = bytearray(index_path.read_bytes())
    (n,) = struct.unpack_from("<I", raw, 8)
    raw[aligned(16 + n) + 9] ^= 0xFF  # (in its columns, which its checksum covers)
    monkeypatch.setattr(residency, "_DONTNEED", advice)  # (0x7FFF: advice no kernel knows, refused)
    index = DocIndex(index_path, check_later=check_later)
    assert index.location(1)  # (checked in a thread: begun at the first read of the columns)
    index.verify()
    index.close()
    index_path.write_bytes(bytes(raw))
    with pytest.raises(IndexFileError, match="damaged"):
        damaged = DocIndex(index_path, check_later=check_later)
        damaged.location(1)
        damaged.verify()


def test_a_look_up_is_answered_while_another_thread_makes_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app reads one state from several threads. The thread that makes the table holds its lock
    while it writes every segment's ids in (a tenth of a second a million ids); a look-up in another
    thread (the screen's) waited for it. It asks each segment meanwhile, as before the table."""
    _made_at_once(monkeypatch)
    snap, expected = _layers(tmp_path)
    answered: list[int] = []
    with snap._newest._lock:  # (as while another thread makes the table)
        reader = threading.Thread(target=lambda: answered.extend(snap.layer_of(d)[0] for d in (1, 2)))
        reader.start()
        reader.join(5)
        while_made = list(answered)
    reader.join()
    assert while_made == [expected[1], expected[2]]
