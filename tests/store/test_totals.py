"""``Library.totals``: the link counts and year of many documents from the document index, which
ranking and the year charts ask of thousands at once. They must be what each document's own counts
and links say, in every state a reader can be in: committed (base and journal), a bulk import's
batches written as segments, and a transaction's changes staged for its commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from store.library import Library
from store.model import Article, Link
from store.neighbourhood import GraphReader, citation_years
from store.neighbourhood.years import year_counts
from tests.store.citation_graphs import ORIGIN, random_graph


def _one_by_one(lib: Library, ids: range) -> dict[int, tuple[int, int, int | None]]:
    """What each document says of itself: its link lists' lengths and its year, one at a time."""
    out: dict[int, tuple[int, int, int | None]] = {}
    for doc_id in ids:
        doc = lib.doc(doc_id)
        if doc is None:
            continue
        refs, cited = lib.link_ids(doc_id, "references"), lib.link_ids(doc_id, "cited_by")
        assert lib.link_counts(doc_id) == (len(refs), len(cited))
        year = doc.get("year")
        out[doc_id] = (len(refs), len(cited), year if isinstance(year, int) else None)
    return out


def test_totals_agree_with_each_document_committed_spilled_and_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    random_graph(tmp_path / "lib.json", n=150, seed=11)
    lib = Library.open(tmp_path / "lib.json")
    with lib.transaction() as changes:  # committed: in the journal
        changes.put_article(
            Article(pmid="5001", title="J", year=1999, references=[Link(pmid="1003")]), ORIGIN
        )
    ids = range(1, lib.next_id + 40)
    assert lib.totals(ids) == _one_by_one(lib, ids)

    seen: list[str] = []
    apply = lib.apply

    def staged(*args: Any) -> None:  # the commit's changes handed over, not yet committed
        apply(*args)
        assert lib.totals(ids) == _one_by_one(lib, ids)
        seen.append("staged")

    monkeypatch.setattr(lib, "apply", staged)
    with lib.transaction() as changes:
        # A batch written as a segment (what a bulk import does as it goes) ...
        for n in range(20):
            refs = [Link(pmid=str(1000 + k)) for k in (1, 2, 3, 40 + n)] + [Link(pmid=f"9{n:03}")]
            changes.put_article(Article(pmid=f"6{n:03}", title=f"B {n}", year=2020, references=refs), ORIGIN)
        changes.flush()
        assert lib.totals(ids) == _one_by_one(lib, ids)
        seen.append("spilled")
        # ... then changes held for the commit: new records, links added to old ones, a new year.
        changes.put_article(Article(pmid="1002", year=1888, references=[Link(pmid="6003")]), ORIGIN)
        changes.put_article(
            Article(pmid="7000", title="C", references=[Link(pmid="1001"), Link(pmid="6000")]), ORIGIN
        )
    assert seen == ["spilled", "staged"]
    assert lib.totals(ids) == _one_by_one(lib, ids)
    doc_1002 = lib.lookup("pmid:1002")
    assert doc_1002 is not None and lib.totals([doc_1002])[doc_1002][2] == 1888
    assert lib.compact() and lib.totals(ids) == _one_by_one(lib, ids)


def test_the_year_chart_reads_no_citing_document(tmp_path: Path) -> None:
    random_graph(tmp_path / "lib.json", n=300, seed=4)
    lib = Library.open(tmp_path / "lib.json")
    centre = max(range(1, lib.next_id), key=lambda d: lib.link_counts(d)[1])
    reader = GraphReader(lib)
    years = citation_years(reader, centre)
    assert years is not None and reader.reads == 1  # (the article itself, none of its neighbours)
    citing = [lib.doc(d) for d in lib.link_ids(centre, "cited_by")]
    assert len(citing) > 20
    assert years.citing == year_counts(d.get("year") for d in citing if d is not None)
    assert years.citing.undated > 0 and len(years.citing.per_year) > 10  # (both kinds were counted)
