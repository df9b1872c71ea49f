""" "Most cited first" as a lazy merge of the layers' runs (``store.storage.citations``): the same order
as every document keyed from scratch, over a base, segments with runs and without, and a journal,
with documents merged away and counts changed in newer layers; the first page without keying the
library; a damaged run found by ``pmbrowse check`` in one line and read past."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from store.check import check
from store.errors import LibraryFileError
from store.library import Library
from store.model import Article, Link, Origin
from store.search import SearchIndex
from store.storage import runs
from store.storage.citations import Citations
from store.storage.segment import SegmentFile, SegmentWriter
from tests.store.test_citations import most_cited_first

ORIGIN = Origin("test", "runs")


def _put(changes: object, pmid: str, year: int, cites: tuple[int, ...] = (), **more: object) -> None:
    article = Article(
        pmid=pmid, title=f"Study {pmid}", year=year, references=[Link(pmid=str(c)) for c in cites]
    )
    for name, value in more.items():
        setattr(article, name, value)
    changes.put_article(article, ORIGIN)  # type: ignore[attr-defined]


def _cited_by_service(changes: object, pmid: str, year: int, count: int) -> None:
    doc = Article(pmid=pmid, title=f"Study {pmid}", year=year).to_doc()
    doc["metrics"] = {"europepmc": {"fetched": "2026-12-03T10:15:09Z", "citation_count": count}}
    changes.put_document(doc, ORIGIN)  # type: ignore[attr-defined]


def _segment_files(lib: Library) -> list[SegmentFile]:
    return list(lib._reader.snap.segments)  # type: ignore[arg-type]


def _layered(path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    """A base, then segments (one written as before runs existed), then journalled commits; records
    merged away in a segment and in the journal; counts of older records changed by every layer."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:  # the base: 1..40, each citing a few older ones
        for n in range(1, 41):
            _put(changes, str(n), 1990 + n % 17, tuple(c for c in (n // 2, n // 3, n - 7) if 0 < c < n))
        _put(changes, "500", 2001)  # (to be shown one with the record known by DOI, in a segment)
        changes.put_article(Article(doi="10.1000/a", title="By DOI", year=2003), ORIGIN)
    assert lib.compact()

    def segment(first: int, cites: tuple[int, ...], extra: object = None) -> None:
        with lib.transaction() as changes:
            for n in range(first, first + 15):
                _put(changes, str(n), 2000 + n % 11, tuple(c for c in cites if c != n))
            if extra is not None:
                extra(changes)  # type: ignore[operator]
            changes.flush()  # (a batch written as a segment, as a bulk import writes them)

    # 1: new records citing old ones; the two records of 500 shown to be one (one merged away).
    segment(100, (1, 2, 3, 20, 39), lambda c: _put(c, "500", 2001, doi="10.1000/a"))
    # 2: a service's count for an old record, an old record rewritten with another year, citing 100.
    segment(200, (3, 20, 100, 101), lambda c: (_cited_by_service(c, "5", 1995, 12), _put(c, "7", 2020)))
    # 3: written as a segment was before runs existed (its documents are keyed when ranked), and so
    # before tops (``store.storage.tops``).
    with monkeypatch.context() as m:
        m.setattr(SegmentWriter, "set_run", lambda self, keys: None)
        m.setattr(SegmentWriter, "set_top", lambda self, top: None)
        segment(300, (1, 100, 200, 201), lambda c: _put(c, "8", 1980))
    # 4: a run again, over the run-less one: changes the counts of documents segment 3 touched.
    segment(400, (8, 300, 301, 100, 4))
    # The journal: new records citing, a count changed, two more records shown to be one.
    with lib.transaction() as changes:
        for n in range(600, 606):
            _put(changes, str(n), 2024, (2, 400, 300, 5))
        _put(changes, "700", 2010)
        changes.put_article(Article(doi="10.1000/b", title="B by DOI", year=2011), ORIGIN)
    with lib.transaction() as changes:
        _put(changes, "700", 2010, (9,), doi="10.1000/b")
        _cited_by_service(changes, "6", 1996, 40)
    return lib


@pytest.mark.parametrize("sparse", [0, 1 << 20])
@pytest.mark.parametrize("search_ratio", [0, 1 << 20])
def test_the_merged_runs_give_the_order_of_every_document_keyed_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, search_ratio: int, sparse: int
) -> None:
    monkeypatch.setattr(runs, "SEARCH_RATIO", search_ratio)  # (each layer walked, or searched)
    monkeypatch.setattr(runs, "SPARSE", sparse)  # (tallies kept in dicts, or in columns by id)
    lib = _layered(tmp_path / "library.json", monkeypatch)
    segments = _segment_files(lib)
    assert [s.has_run for s in segments] == [True, True, False, True]
    assert lib.find("10.1000/a") == lib.find("500") and lib.find("10.1000/b") == lib.find("700")
    expected = most_cited_first(lib)
    citations = Citations(lib._reader)
    assert list(citations.order()) == expected
    assert citations.ranked_changes().runs == (segments[0], segments[1], segments[3])
    # Every order the user asks for most cited first: all of it, records, stubs, a query walking it.
    index = SearchIndex.for_library(lib)
    every = [h.doc_id for h in index.search("", sort="cited", limit=len(expected)).hits]
    assert every == expected
    stubs = {d for d in expected if (meta := lib.meta(d)) is not None and meta.stub}
    full = [h.doc_id for h in index.search("is:full", sort="cited", limit=len(expected)).hits]
    assert full == [d for d in expected if d not in stubs]
    assert [h.doc_id for h in index.search("is:stub", sort="cited", limit=len(expected)).hits] == [
        d for d in expected if d in stubs
    ]
    monkeypatch.setattr("store.search.cited.FETCH_ALL", 0)
    monkeypatch.setattr("store.search.cited.CHUNK", 3)
    study = [h.doc_id for h in index.search("study", sort="cited", limit=len(expected)).hits]
    assert study == [d for d in expected if lib.article(d).title.startswith("Study")]
    # The count comparisons, by the same live counts.
    counts = {d: max(lib.meta(d).citation, lib.link_counts(d)[1]) for d in expected}  # type: ignore[union-attr]
    for low in (1, 2, 3, 5):
        found = {h.doc_id for h in index.search(f"cited>={low}", limit=len(expected)).hits}
        assert found == {d for d, n in counts.items() if n >= low}, low
    # And `pmbrowse check` finds each run to be its documents' order.
    lib.close()
    assert check(lib.path).problems == []


@pytest.mark.parametrize("k", [4, 5])
def test_runs_are_written_by_a_merge_and_by_the_journal_made_a_segment_and_keep_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, k: int
) -> None:
    """A command's end makes the journal a segment and merges the newest segments into one
    (``tiering``): the merged run is the merged segments' runs merged (``k`` = 4), or, when one of them
    has no run (5: the segment written as before runs), what they touch keyed over the layers."""
    from store.storage.tiering import merge_newest
    from tests.store.helpers import journal_as_segment

    lib = _layered(tmp_path / "library.json", monkeypatch)
    with lib.transaction() as changes:  # (makes the journal a segment of its own first, with a run)
        _put(changes, "800", 2025, (1, 2, 600))
        changes.flush()
    assert all(s.has_run for s in _segment_files(lib)[-2:])
    assert list(Citations(lib._reader).order()) == most_cited_first(lib)
    with lib.transaction() as changes:
        _put(changes, "801", 2025, (1, 800, 100, 7))
    with journal_as_segment(lib) as view:
        merge_newest(lib._storage.files, view, k)
    segments = _segment_files(lib)
    assert len(segments) == 8 - k and segments[-1].has_run
    assert list(Citations(lib._reader).order()) == most_cited_first(lib)
    lib.close()
    assert check(lib.path).problems == []


def test_the_first_page_keys_what_has_no_run_and_reads_the_runs_only_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _layered(tmp_path / "library.json", monkeypatch)
    segments = _segment_files(lib)
    keyed: list[int] = []
    tally = runs.Tally.__init__

    def counting(self: runs.Tally, index: object, doc_ids: object) -> None:
        tally(self, index, doc_ids)  # type: ignore[arg-type]
        keyed.extend(self.ids)

    monkeypatch.setattr(runs.Tally, "__init__", counting)
    read = {s.name: 0 for s in segments}
    run = SegmentFile.run

    def reading(self: SegmentFile) -> Iterator[tuple[int, int]]:
        for entry in run(self):
            read[self.name] += 1
            yield entry

    monkeypatch.setattr(SegmentFile, "run", reading)
    citations = Citations(lib._reader)
    first = list(zip(range(3), citations.order(), strict=False))
    assert [d for _i, d in first] == most_cited_first(lib)[:3]
    journal = lib._reader.snap.journal
    assert journal is not None
    runless = {*segments[2].column("doc_ids"), *segments[2].column("link_ids")}
    assert sorted(keyed) == sorted(runless | set(journal.docs) | set(journal.link_counts))
    assert all(read[s.name] <= 12 for s in segments) and sum(read.values()) < len(lib) // 4, read


def _run_at(segment: SegmentFile) -> tuple[dict[str, object], int]:
    raw = segment.path.read_bytes()
    (n,) = struct.unpack_from("<I", raw, len(raw) - 12)
    footer = orjson.loads(raw[len(raw) - 12 - n : len(raw) - 12])
    return footer, footer["at"]["rank_count"]  # type: ignore[index,return-value]


def test_a_damaged_run_is_said_by_check_in_one_line_and_read_past(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = _layered(tmp_path / "library.json", monkeypatch)
    expected = most_cited_first(lib)
    segment = _segment_files(lib)[1]
    _footer, at = _run_at(segment)
    raw = bytearray(segment.path.read_bytes())
    raw[at] ^= 0x40  # (a count's bit flipped: the checksum no longer matches)
    segment.path.write_bytes(bytes(raw))
    problems = check(lib.path).problems
    assert len(problems) == 1 and "most-cited order does not match its checksum" in problems[0], problems
    assert str(segment.path) in problems[0] and "\n" not in problems[0]
    again = Library.open(lib.path)
    citations = Citations(again._reader)
    assert list(citations.order()) == expected  # (its documents keyed instead)
    assert segment.name not in {s.name for s in citations.ranked_changes().runs}


def test_a_run_out_of_order_under_a_good_checksum_is_damage_said_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run a faulty writer left out of order (its checksum made for it): `check` says the segment is
    damaged; reading it stops with one line, never a wrong order or a traceback."""
    lib = _layered(tmp_path / "library.json", monkeypatch)
    real = SegmentWriter.set_run
    monkeypatch.setattr(SegmentWriter, "set_run", lambda self, keys: real(self, list(reversed(keys))))
    with lib.transaction() as changes:
        for n in range(900, 905):
            _put(changes, str(n), 2020, (1, 2, 3))
        changes.flush()
    problems = check(lib.path).problems
    # (the journal folded into a segment first, and the batch: both written so)
    assert len(problems) == 2 and all("most-cited order is out of order" in p for p in problems), problems
    with pytest.raises(LibraryFileError, match=r"most-cited order is out of order.*pmbrowse repair"):
        list(Citations(Library.open(lib.path)._reader).order())


def test_a_run_with_the_wrong_keys_is_found_by_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = _layered(tmp_path / "library.json", monkeypatch)
    real = SegmentWriter.set_run
    monkeypatch.setattr(
        SegmentWriter, "set_run", lambda self, keys: real(self, [k + (1 << 48) for k in keys])
    )
    with lib.transaction() as changes:
        _put(changes, "950", 2020, (1,))
        changes.flush()
    problems = check(lib.path).problems
    assert len(problems) == 2 and all("is not its documents' order" in p for p in problems), problems


def test_cited_at_least_asks_the_segments_once_not_once_per_base_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cited>=N`` passes over the base's documents a newer layer touches (``Citations.touched``): for
    each base document on the smaller side of its range. Asked of each segment with a run by two binary
    searches in Python a document (8 µs each over 20 segments, against 41 ns for a set), that was the
    whole query's cost; the segments' documents are now read once, into a bitmap, at the first
    question."""
    lib = _layered(tmp_path / "library.json", monkeypatch)
    expected = {d: max(lib.meta(d).citation, lib.link_counts(d)[1]) for d in most_cited_first(lib)}  # type: ignore[union-attr]
    asked = []
    touches = SegmentFile.touches
    monkeypatch.setattr(SegmentFile, "touches", lambda self, d: asked.append(d) or touches(self, d))
    index = SearchIndex.for_library(lib)
    for low in (1, 2, 3, 5):
        found = {h.doc_id for h in index.search(f"cited>={low}", limit=len(expected)).hits}
        assert found == {d for d, n in expected.items() if n >= low}, low
    assert asked == []


def test_cited_between_answers_from_the_one_state_it_ranked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread may refresh the shared reader while ``cited>=N`` works (the app's search beside a
    worker): the base it bisects must be the one of the state it ranked, not the reader's newest, or
    the answer mixes two states (a record counted as of after another process's fold, another as of
    before it)."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    path = tmp_path / "library.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:  # the base: 1 cited twice, 2 not yet
        _put(changes, "1", 2001)
        _put(changes, "2", 2002)
        _put(changes, "10", 2010, (1,))
        _put(changes, "11", 2011, (1,))
    assert lib.compact()
    with lib.transaction() as changes:  # the journal touches 2: cited once
        _put(changes, "20", 2020, (2,))
    index = SearchIndex.for_library(lib)
    citations = index.citations()
    assert citations is not None
    first, second = lib.find("1"), lib.find("2")
    assert first is not None and second is not None

    def found(query: str) -> set[int]:
        return {h.doc_id for h in index.search(query, limit=100).hits}

    assert found("cited>=5") == set()
    ranked_changes = citations.ranked_changes

    def then_another_process_writes_and_folds() -> object:
        ranked = ranked_changes()  # the state the search ranked: 1 cited twice, 2 once
        other = Library.open(path)
        with other.transaction() as changes:  # both cited five times, then folded into the base
            for n in range(30, 33):
                _put(changes, str(n), 2021, (1,))
            for n in range(40, 44):
                _put(changes, str(n), 2022, (2,))
        assert other.compact()
        citations.reader.refresh()  # (as another thread of the app would, between the two reads)
        return ranked

    monkeypatch.setattr(citations, "ranked_changes", then_another_process_writes_and_folds)
    answer = found("cited>=5")
    assert answer in (set(), {first, second})  # before the fold, or after it: never one of each
