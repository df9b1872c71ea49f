"""The write path of stop 30: a fold walks each segment's link changes once, in id order
(``store.storage.linkwalk``), and writes the same bytes as before; a batch's link changes are written in
id order (``spilling.spill``), so a fold or a merge reads them on instead of one ``pread`` each."""

from __future__ import annotations

import random
import shutil
import struct
from pathlib import Path

import pytest

from store import importer
from store.importer import import_paths
from store.library import Library
from store.storage import fold, generation, linkwalk
from store.storage.layer import Segment
from store.storage.segment import SegmentFile, SegmentWriter
from tests.store.test_bulk_import import _everything, _file, _segments
from tests.store.test_segment_damage import footer_of, in_journal_order, run_limited, with_segments


def _library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library whose two imports left a dozen segments, their link changes overlapping (each
    document cited from several batches), some of them changing documents a later file merged away."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    lib = Library.open(tmp_path / "lib" / "library.json")
    import_paths(lib, [str(_file(tmp_path / "first.xml", 1, 300, 300, refs=6))])
    assert lib.compact()  # (a base to fold onto)
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    import_paths(
        lib,
        [
            str(_file(tmp_path / "in.xml", 200, 300, 600, refs=6, seed=3)),
            str(_file(tmp_path / "again.xml", 400, 200, 700, refs=4, seed=9)),
        ],
    )
    assert len(_segments(lib)) > 5
    lib._storage.close()  # (not ``close``: that would fold them)
    return lib.path


class _Lookups:
    """The walk as a look-up in every segment for each document (what ``fold.Cursor`` found)."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.next = 0

    def take(self, doc_id: int, *, read: bool = True) -> list[tuple[Path, bytes, str]]:
        found = [(s.path, raw, "") for s in self.segments if (raw := s.link_change(doc_id)) is not None]
        ids = [i for s in self.segments for i in s.column("link_ids") if i > doc_id]
        self.next = min(ids, default=linkwalk.PAST)
        return found if read else []


def test_a_fold_that_walks_the_segments_once_writes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library(tmp_path, monkeypatch)
    monkeypatch.setattr(generation.secrets, "token_hex", lambda n: "ab" * n)  # (one generation for both)
    made = {}
    for name, walk in (("walked", linkwalk.Walk), ("looked-up", _Lookups)):
        copy = tmp_path / name / "library.json"
        shutil.copytree(path.parent, copy.parent)
        monkeypatch.setattr(fold, "Walk", walk)
        lib = Library.open(copy)
        assert lib.compact() and not _segments(lib)
        made[name] = (copy.read_bytes(), _everything(Library.open(copy)))
    assert made["walked"] == made["looked-up"]


def _segment(path: Path, ids: list[int], *, ordered: bool) -> SegmentFile:
    writer = SegmentWriter(path, "g")
    for doc_id in sorted(ids) if ordered else ids:
        writer.add_links(doc_id, b'{"cited_by":[%d]}' % (doc_id * 7 + len(path.name)), (0, 1))
    return SegmentFile(path, writer.finish())


@pytest.mark.parametrize("ordered", [True, False], ids=["laid-in-id-order", "laid-in-any-order"])
def test_the_walk_gives_each_document_s_changes_oldest_first_whatever_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ordered: bool
) -> None:
    monkeypatch.setattr(linkwalk, "SLICE", 64)  # (slices of a few changes: read on, and again)
    rng = random.Random(7)
    segments: list[Segment] = [
        _segment(tmp_path / f"{n}.seg", rng.sample(range(1, 400), rng.randint(0, 150)), ordered=ordered)
        for n in range(6)
    ]
    for _ in range(5):
        walk = linkwalk.Walk(segments)
        asked = sorted(rng.sample(range(1, 420), 200))
        for doc_id in asked:
            if walk.next < doc_id and rng.random() < 0.5:
                walk.take(doc_id - 1, read=False)
            expected = [(s.path, raw, "") for s in segments if (raw := s.link_change(doc_id)) is not None]
            assert walk.take(doc_id) == expected, doc_id
            assert walk.next > doc_id


def test_a_batch_s_link_changes_are_laid_out_in_id_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The links table lists a segment's changes in id order; they were written in the order the import
    made them, so a fold or a merge walking the table read them one ``pread`` each, here and there."""
    path = _library(tmp_path, monkeypatch)
    for name in _segments(Library.open(path)):
        segment = SegmentFile(name)
        offsets, lengths = segment.column("link_off"), segment.column("link_len")
        assert all(offsets[i + 1] == offsets[i] + lengths[i] for i in range(len(offsets) - 1)), name


def test_a_fold_refuses_a_segment_s_document_damaged_rather_than_carry_it_into_the_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold copies a segment's documents as bytes, with their meta and head from the segment's tables
    (which have checksums): a flipped bit in a document itself was carried into the new base, where
    every read of it fails, and the segment that `repair` could have mended was gone. The fold checks
    each such document now, and refuses in one line naming the segment and `repair`, every file of
    the library as it was; `repair` then leaves the document out (and the other ends of its links:
    they were left naming it, and `check` said the links did not agree at both ends, for `repair` to
    mend, which made the same library again), and the library folds."""
    lib = with_segments(tmp_path, monkeypatch)[0]
    damaged = in_journal_order(lib)[-1]  # (the newest: each of its documents is copied from it)
    raw = bytearray(damaged.read_bytes())
    footer, _start = footer_of(raw)
    at = struct.unpack_from("<Q", raw, footer["at"]["doc_off"])[0]
    raw[at + 1] ^= 0x80  # (the quote of its first key: a byte no UTF-8 text starts with)
    damaged.write_bytes(bytes(raw))
    before = {path: path.read_bytes() for path in lib.parent.rglob("*") if path.is_file()}
    result = run_limited(lib, "compact")
    assert result.returncode == 3, result
    said = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(said) == 1 and f"{damaged} is damaged (its document" in said[0], said
    assert "`pmbrowse repair` mends it" in said[0], said
    assert {path: path.read_bytes() for path in lib.parent.rglob("*") if path.is_file()} == before
    assert run_limited(lib, "check").returncode == 1
    repaired = run_limited(lib, "repair")
    assert repaired.returncode == 0 and f"left out {damaged}: document" in repaired.stdout, repaired
    assert run_limited(lib, "check").returncode == 0
    assert run_limited(lib, "compact").returncode == 0
