"""Candidates listed by other rules than the round's own (``rank_rows``): iCite's RCR, the citation
count. The round is kept in its own order; the rows carry the numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.model import Link
from store.snowball.engine import RANKS, rank_rows, rows_of, run_round
from tests.store.snowball.graph import SEEDS, build

FETCHED = "2026-01-01T00:00:00Z"


def test_candidates_rank_by_rcr_then_by_their_citations(tmp_path: Path) -> None:
    library, marks = build(tmp_path / "lib.json")
    with library.transaction() as changes:
        for pmid, rcr in (("30", 0.4), ("13", 3.5), ("21", 3.5)):
            changes.put_metrics(
                Link(pmid=pmid), {"icite": {"fetched": FETCHED, "relative_citation_ratio": rcr}}
            )
        changes.put_metrics(Link(pmid="22"), {"europepmc": {"fetched": FETCHED, "citation_count": 99}})
    seeds = [d for pmid in SEEDS if (d := library.find(pmid)) is not None]
    result = run_round(library, seeds, "both", marks=marks)
    own = [r.candidate.label for r in result.rows]
    by_rcr = [r.candidate.label for r in rank_rows(result.rows, "rcr")]
    # 13 and 21 tie on RCR: the round's own order decides; those without an RCR keep it too.
    assert by_rcr[:3] == [*sorted(["13", "21"], key=own.index), "30"]
    assert by_rcr[3:] == [label for label in own if label not in ("13", "21", "30")]
    rows = {r.candidate.label: r for r in result.rows}
    assert rows["13"].rcr == 3.5 and rows["10"].rcr is None
    # Cited: Europe PMC's 99 for 22; 10 is cited by 1, 3 and 22 in the library; 11 by 1, 2 and 3.
    assert (rows["22"].cited, rows["10"].cited, rows["11"].cited) == (99, 3, 3)
    by_cited = rank_rows(result.rows, "cited")
    assert [r.candidate.label for r in by_cited][:1] == ["22"]
    assert [r.cited for r in by_cited] == sorted((r.cited for r in by_cited), reverse=True)
    assert [r.candidate.label for r in rank_rows(result.rows)] == own  # links: the round's own order
    # A kept round's rows, read again, carry the same numbers.
    again = {r.candidate.label: r for r in rows_of(library, result.round)}
    assert {k: (r.rcr, r.cited) for k, r in again.items()} == {k: (r.rcr, r.cited) for k, r in rows.items()}


def test_an_unknown_rule_is_refused() -> None:
    assert list(RANKS) == ["links", "rcr", "cited"]
    with pytest.raises(ValueError, match="ranked by links, rcr, cited, not 'apt'"):
        rank_rows([], "apt")
