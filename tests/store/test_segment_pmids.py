"""Each segment's PMID column (``store.storage.pmids``, since stop 35; issue 18: the tenth file's import
looks most PMIDs of its reference lists up, and some 45% of the candidates are in segments, each read
its head to rule out a hash collision): a key ``pmid:N`` found in a segment is answered from its
column with no head read, with the answers of reading every head (hash collisions made here by a hash
that gives many PMIDs one value); a segment written before the column reads as before, and is mended
as before; every writer (a batch, a merge, mending) makes the column from the heads; ``pmbrowse
check`` finds a column that disagrees with the heads under a good checksum, and repair mends it."""

from __future__ import annotations

import atexit
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import orjson
import pytest

from store import importer
from store.check import check
from store.importer import import_paths
from store.library import Library
from store.repair import repair
from store.storage.mending import mend
from store.storage.pmids import head_pmid
from store.storage.segment import SegmentFile, SegmentWriter
from store.storage.segmentformat import MAGIC
from tests.store.bulk_files import pmid
from tests.store.helpers import count_calls
from tests.store.test_key_lookup import KEYS, _collide, _state, _truth
from tests.store.test_segment_damage import relist
from tests.store.test_tiering import _copy_in_order, _file, _library_with_a_base


def _footer(raw: bytes | bytearray) -> tuple[dict[str, object], int]:
    n = struct.unpack_from("<I", raw, len(raw) - 12)[0]
    return orjson.loads(bytes(raw[len(raw) - 12 - n : len(raw) - 12])), len(raw) - 12 - n


def _rewrite_footer(path: Path, footer: dict[str, object], body: bytes | None = None) -> None:
    raw = path.read_bytes()
    _old, start = _footer(raw)
    new = orjson.dumps(footer)
    path.write_bytes((body if body is not None else raw[:start]) + new + struct.pack("<I", len(new)) + MAGIC)


def _column_agrees(segment: SegmentFile) -> bool:
    pmids = segment.pmids()
    rows = enumerate(segment.ids())
    return pmids is not None and all(
        pmids[i] == (0 if gone else head_pmid(segment.row(i)[2])) for i, (_d, gone) in rows
    )


def test_a_pmids_key_found_in_segments_is_answered_from_their_columns_as_from_their_heads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _collide(monkeypatch)  # (each PMID's key collides with a third of the others)
    snap = _state(tmp_path)  # (three segments: keys rewritten, removals, heads written otherwise)
    segments: list[SegmentFile] = snap.segments  # type: ignore[assignment]
    assert all(_column_agrees(segment) for segment in segments)
    pmids, ids = segments[2].pmids(), list(segments[2].column("doc_ids"))
    assert pmids is not None and [pmids[ids.index(d)] for d in (16, 17, 18, 19, 20, 21)] == [
        0,
        0,
        0,
        1,
        200,
        2,
    ]
    truth = {key: _truth(snap, key) for key in KEYS}
    reads = count_calls(monkeypatch, SegmentFile, "read")
    assert {key: snap.holders(key) for key in KEYS} == truth
    with_column = reads[0]
    (tmp_path / "old").mkdir()
    monkeypatch.setattr(SegmentWriter, "pmids", False)  # (the same segments, as written before the column)
    old = _state(tmp_path / "old")
    assert not any(segment.has_pmids for segment in old.segments)
    reads[0] = 0
    assert {key: old.holders(key) for key in KEYS} == truth
    # Before: each candidate's head read ; now only those whose PMID the column does not
    # keep (the three heads written otherwise, the journal's keys' and the keys not PMIDs).
    assert with_column * 10 < reads[0], (with_column, reads[0])


# Libraries ``_library_with_segments`` built, by the settings they were built under: five tests ask for
# the same one (~1 s of import each, the base's copy aside); each gets a copy (~10 ms).
_BUILT: dict[tuple[object, ...], Path] = {}


def _library_with_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, merged: bool = False) -> Path:
    """A library whose base holds 1,200 records, and 300 more imported as segments (their batches
    merged into one at the command's end, with ``merged``): built once a process for each set of
    settings (as ``_library_with_a_base``: the PMBROWSE_ variables and what the test patched, such as
    ``SegmentWriter.pmids``) and copied, times kept and in the order written, into ``tmp_path``."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    patched = tuple((id(obj), name, repr(getattr(obj, name))) for obj, name, _old in monkeypatch._setattr)
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("PMBROWSE")))
    key = (merged, env, patched)
    if key not in _BUILT:
        folder = Path(tempfile.mkdtemp(prefix="with-segments-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = _library_with_a_base(folder, monkeypatch)
        monkeypatch.setattr(importer, "FLUSH_AT", 60 if merged else 100)
        lib = Library.open(path)
        import_paths(lib, [_file(folder / "second.xml", 1150, 300, 1450)])
        lib.close()
        assert _segments(path)
        _BUILT[key] = folder
    monkeypatch.setattr(importer, "FLUSH_AT", 60 if merged else 100)  # (as the build left it)
    _copy_in_order(_BUILT[key], tmp_path)
    return tmp_path / "library.json"


def _segments(path: Path) -> list[Path]:
    return sorted(path.with_name(path.name + ".segments").iterdir())


def test_every_segment_an_import_and_its_merge_write_keeps_the_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_segments(tmp_path, monkeypatch, merged=True)
    segments = [SegmentFile(p) for p in _segments(path)]
    assert len(segments) == 1  # (the import's five batches merged at its end)
    assert _column_agrees(segments[0])
    assert sum(1 for p in segments[0].pmids() or () if p) >= 300  # (the records, stubs too)
    assert check(path).problems == []


def test_check_finds_a_segments_column_that_disagrees_with_its_heads_and_repair_mends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_segments(tmp_path, monkeypatch)
    segment = _segments(path)[-1]
    raw = bytearray(segment.read_bytes())
    footer, _start = _footer(raw)
    at, count = footer["at"]["doc_pmid"], footer["docs"]  # type: ignore[index]
    pmids = struct.unpack_from(f"<{count}I", raw, at)
    row = next(i for i, p in enumerate(pmids) if p)
    for wrong in range(12345, 13345):  # (another PMID, its checksum made to match, the footer its length)
        struct.pack_into("<I", raw, at + 4 * row, wrong)
        crc = zlib.crc32(bytes(raw[at : at + 4 * count]))
        if len(str(crc)) == len(str(footer["crc"]["doc_pmid"])):  # type: ignore[index]
            break
    footer["crc"]["doc_pmid"] = crc  # type: ignore[index]
    # (its blocks' checksums dropped, as a segment written before them has none: else the block's
    # would find the edit first, and this is a column its writer got wrong, checksums and all)
    footer.pop("block")
    footer["at"] = {k: v for k, v in footer["at"].items() if not k.startswith("block_")}  # type: ignore[union-attr]
    _rewrite_footer(segment, footer, bytes(raw[:_start]))
    relist(segment, segment.stat().st_size)
    problems = check(path).problems
    assert len(problems) == 1 and "PMID column says document" in problems[0], problems
    assert f"is PMID {wrong}, its head PMID {pmids[row]}" in problems[0] and str(segment) in problems[0]
    repair(path)
    assert check(path).problems == []


def test_a_segment_written_before_the_column_reads_and_is_mended_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_segments(tmp_path / "new", monkeypatch)
    monkeypatch.setattr(SegmentWriter, "pmids", False)
    old = _library_with_segments(tmp_path / "old", monkeypatch)
    keys = [f"pmid:{pmid(n)}" for n in range(1100, 1500)]
    found = []
    for library in (path, old):
        lib = Library.open(library)
        segments = lib._reader.current().segments
        assert segments and all(s.has_pmids == (library == path) for s in segments)  # type: ignore[attr-defined]
        found.append({key: lib._reader.holders(key) for key in keys})
        lib.close()
    assert found[0] == found[1] and sum(1 for ids in found[0].values() if ids) >= 300
    path = old
    assert check(path).problems == []
    # Its footer cut before where it says its tables are: worked out from its counts, without the column.
    segment = _segments(path)[-1]
    raw = segment.read_bytes()
    footer, start = _footer(raw)
    generation = str(footer["generation"])
    segment.write_bytes(raw[: raw.index(b'"at":', start)])
    mended, _what = mend(segment, generation, 1 << 20)
    assert _column_agrees(mended)  # (made anew from its heads, as its other tables are)
    assert len(mended.column("doc_ids")) == footer["docs"]


def test_a_cut_footer_of_a_segment_with_the_column_is_worked_out_from_its_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_segments(tmp_path, monkeypatch)
    segment = _segments(path)[-1]
    raw = segment.read_bytes()
    footer, start = _footer(raw)
    intact = SegmentFile(segment)
    names = ("doc_ids", "doc_off", "link_ids", "key_hashes")
    columns = {name: intact.column(name).tobytes() for name in names}
    intact.close()
    segment.write_bytes(raw[: raw.index(b'"at":', start)])
    mended, _what = mend(segment, str(footer["generation"]), 1 << 20)
    assert {name: mended.column(name).tobytes() for name in columns} == columns
    assert _column_agrees(mended)


def test_a_damaged_column_is_said_by_check_and_mended_by_repair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The column is a table under its checksum as the others are: a flipped bit is damage said in one
    line, which repair mends.
    Until then look-ups read the heads (the column is a short cut: nothing stops on it)."""
    path = _library_with_segments(tmp_path, monkeypatch)
    segment = _segments(path)[-1]
    raw = bytearray(segment.read_bytes())
    footer, _start = _footer(raw)
    raw[footer["at"]["doc_pmid"] + 1] ^= 0x10  # type: ignore[index]
    segment.write_bytes(bytes(raw))
    problems = check(path).problems
    assert len(problems) == 1 and "doc_pmid table does not match its checksum" in problems[0], problems
    keys = [f"pmid:{pmid(n)}" for n in range(1100, 1500)]
    lib = Library.open(path)
    before = {key: lib._reader.holders(key) for key in keys}
    lib.close()
    assert sum(1 for found in before.values() if found) >= 300
    repair(path)  # (a new generation: the segment folded in, the base's column made from the heads)
    assert check(path).problems == []
    lib = Library.open(path)
    assert {key: lib._reader.holders(key) for key in keys} == before
    lib.close()
