"""Segments' tops (``store.storage.top``, ``store.storage.tops``): the start of "most cited first" read
from the newest segment's top and the journal's commits is the order every document keyed from scratch
gives, with the journal adding links, rewriting records, removing records and making counts fall; past
the top the runs take over where it stopped; a damaged top, or none, is the runs' order as before."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from store.check import check
from store.library import Library
from store.model import Article, Link
from store.storage import tops
from store.storage.citations import Citations
from store.storage.committer import write_listing
from store.storage.segment import SegmentFile, SegmentWriter
from store.storage.tiering import merge_newest
from tests.store.helpers import journal_as_segment
from tests.store.test_citations import most_cited_first
from tests.store.test_cited_runs import ORIGIN, _cited_by_service, _put


def _segments(lib: Library) -> list[SegmentFile]:
    return list(lib._reader.snap.segments)  # type: ignore[arg-type]


def _library(
    path: Path, monkeypatch: pytest.MonkeyPatch, riser: str = "linked", k: int | None = None
) -> Library:
    """A base; segments written by batches (two in one transaction), each over the one before; then a
    journal that adds links, rewrites records, removes records and makes counts fall. The document
    whose count rises most in the journal (38, by 20) is only cited (``riser`` "linked"), or rewritten
    too. With ``k``, the segments' tops hold ``k`` documents (``tops.K``)."""
    if k is not None:
        monkeypatch.setattr(tops, "K", k)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:  # the base: 1..40, each citing a few older ones
        for n in range(1, 41):
            _put(changes, str(n), 1990 + n % 17, tuple(c for c in (n // 2, n // 3, n - 7) if 0 < c < n))
    assert lib.compact()
    with lib.transaction() as changes:  # two batches in one transaction: the second over the first
        for n in range(100, 115):
            _put(changes, str(n), 2000 + n % 11, (1, 2, 3, 20, 39))
        changes.flush()
        for n in range(200, 215):
            _put(changes, str(n), 2000 + n % 7, (3, 20, 100, 101))
        _cited_by_service(changes, "5", 1995, 12)
        _put(changes, "7", 2020)
        changes.flush()
    with lib.transaction() as changes:  # two records citing the same ones, to be shown one later
        for n in range(300, 315):
            _put(changes, str(n), 2010, (1, 100, 200, 201))
        _put(changes, "150", 2012, (1, 2, 36))
        cites = [Link(pmid="1"), Link(pmid="2")]
        changes.put_article(Article(doi="10.1000/c", title="C by DOI", year=2012, references=cites), ORIGIN)
        _put(changes, "160", 2013, (36,))
        changes.flush()
    # The journal: new records citing old ones (36 and 37 rise by several), records made anew.
    with lib.transaction() as changes:
        for n in range(600, 606):
            _put(changes, str(n), 2024, (2, 300, 5, 36, 37))
        _put(changes, "700", 2010, (9,))
        changes.put_article(Article(doi="10.1000/b", title="B by DOI", year=2011), ORIGIN)
        _put(changes, "37", 2021)  # (a record rewritten, and cited by six more)
        for n in range(610, 630):
            _put(changes, str(n), 2024, (38,))
        if riser == "written":
            _put(changes, "38", 2022)
    # ... records shown to be one (one removed; what both cited now cited once: 1's count falls), a
    # service's count raised for one record and lowered for another.
    with lib.transaction() as changes:
        _put(changes, "700", 2010, (9,), doi="10.1000/b")
        _put(changes, "150", 2012, (1, 2, 36), doi="10.1000/c")
        _cited_by_service(changes, "6", 1996, 40)
        _cited_by_service(changes, "5", 1995, 1)
    with lib.transaction() as changes:
        _put(changes, "160", 2013, (36,), doi="10.1000/c")  # (merged into 150, which cites 36 too)
    return lib


@pytest.mark.parametrize("riser", ["linked", "written"])
@pytest.mark.parametrize("k", [3, 6, 12, 1000])
def test_the_start_from_the_newest_top_is_the_order_of_every_document_keyed_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, k: int, riser: str
) -> None:
    lib = _library(tmp_path / "library.json", monkeypatch, riser, k)
    segments = _segments(lib)
    assert len(segments) == 3 and all(s.has_top for s in segments)
    top = segments[-1].top()
    assert top is not None and len(top) == min(k, len(top.values())) and (top.bound == 0) == (k == 1000)
    expected = most_cited_first(lib)
    journal = lib._reader.snap.journal
    assert journal is not None and any(d not in journal.docs for d in journal.link_counts)
    assert any(where is None for where in journal.docs.values())  # (records removed in the journal)
    start = tops.above(lib._reader.snap)
    assert start is not None
    assert [d for _key, d in start.keyed] == expected[: len(start.keyed)]
    if k == 1000:  # (the whole state in the top: the whole order is known without the runs)
        assert len(start.keyed) == len(expected)
    # The order: the start from the top, the rest from the runs, each document once.
    ranked = []
    rank = Citations._rank

    def ranking(self: Citations, *args: object) -> object:
        ranked.append(len(seen))
        return rank(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Citations, "_rank", ranking)
    seen: list[int] = []
    for doc_id in Citations(lib._reader).order():
        seen.append(doc_id)
    assert seen == expected
    assert ranked == [len(start.keyed)]  # (the runs merged only past the top's start)
    lib.close()
    assert check(lib.path).problems == []


def test_the_counts_of_the_first_page_are_the_start_s_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _library(tmp_path / "library.json", monkeypatch)
    citations = Citations(lib._reader)
    first = [d for _i, d in zip(range(10), citations.order(), strict=False)]
    for doc_id in first:
        meta = lib.meta(doc_id)
        assert meta is not None
        assert citations.count(doc_id) == max(meta.citation, lib.link_counts(doc_id)[1])


def test_a_merge_keeps_the_newest_top_and_the_journal_made_a_segment_makes_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _library(tmp_path / "library.json", monkeypatch, k=6)
    with journal_as_segment(lib) as view:
        made = view.segments[-1]
        assert made.top() is not None
        merge_newest(lib._storage.files, view, 3)
    segments = _segments(lib)
    assert len(segments) == 2
    merged = segments[-1].top()
    assert merged is not None and merged == made.top()
    start = tops.above(lib._reader.snap)
    assert start is not None and start.keyed
    assert list(Citations(lib._reader).order()) == most_cited_first(lib)
    lib.close()
    assert check(lib.path).problems == []


def test_a_segment_below_without_a_top_gives_its_next_one_a_top_from_the_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library written before tops: its next segment's top is made from the runs merged, once."""
    set_top = SegmentWriter.set_top
    monkeypatch.setattr(SegmentWriter, "set_top", lambda self, top: None)
    lib = _library(tmp_path / "library.json", monkeypatch, k=5)
    assert not any(s.has_top for s in _segments(lib))
    assert tops.above(lib._reader.snap) is None
    expected = most_cited_first(lib)
    assert list(Citations(lib._reader).order()) == expected  # (as before tops)
    monkeypatch.setattr(SegmentWriter, "set_top", set_top)
    with journal_as_segment(lib) as view:  # (as a command's end makes it)
        write_listing(
            lib._storage.files,
            view,
            [(s.name, s.size) for s in view.segments],
            {"next_id": view.next_id, "counts": dict(view.counts or {})},
        )
    assert len(_segments(lib)) == 4
    assert _segments(lib)[-1].has_top
    start = tops.above(lib._reader.snap)
    assert start is not None and start.keyed
    assert list(Citations(lib._reader).order()) == expected


def damage_top(path: Path) -> None:
    """One byte of the segment's top (in its footer's JSON) changed, its length kept: its CRC fails."""
    raw = bytearray(path.read_bytes())
    at = raw.rfind(b'"columns":"') + len(b'"columns":"') + 5
    raw[at] = ord("A") if raw[at] != ord("A") else ord("B")  # (the same length: the file's size stands)
    os.chmod(path, 0o644)
    path.write_bytes(bytes(raw))


def replace_top(path: Path, kept: bytes) -> None:
    """What the segment's footer keeps under ``top`` replaced by ``kept``, padded with spaces to the
    same length (the journal lists the file's size): its JSON still whole."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[-12:-8], "little")
    footer = raw[-12 - n : -12]
    start = footer.index(b'"top":')
    end = footer.index(b"}", footer.index(b'"columns":', start)) + 1
    assert len(kept) <= end - start
    os.chmod(path, 0o644)
    path.write_bytes(raw[: -12 - n] + footer[:start] + kept.ljust(end - start) + footer[end:] + raw[-12:])


def test_a_damaged_top_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = _library(tmp_path / "library.json", monkeypatch, k=6)
    expected = most_cited_first(lib)
    newest = _segments(lib)[-1]
    lib.close()
    damage_top(newest.path)
    lib = Library.open(lib.path)
    assert _segments(lib)[-1].has_top and _segments(lib)[-1].top() is None
    assert tops.above(lib._reader.snap) is None
    assert list(Citations(lib._reader).order()) == expected


def test_the_top_is_in_the_footer_which_an_older_reader_reads_past(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The top is one more key of the footer: the tables are where they were (a reader that does not
    know the key reads the segment as before)."""
    lib = _library(tmp_path / "library.json", monkeypatch)
    newest = _segments(lib)[-1]
    raw = newest.path.read_bytes()
    n = int.from_bytes(raw[-12:-8], "little")
    footer = orjson.loads(raw[-12 - n : -12])
    counts = ("generation", "docs", "links", "keys", "pmids", "rank", "block")
    assert set(footer) == {*counts, "rank_crc", "at", "crc", "top"}
    assert not any(name.startswith("top") for name in footer["at"])
