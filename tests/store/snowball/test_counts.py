"""Rounds and PRISMA counts on the hand-built graph of ``graph.py``, where every number is known."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from store.errors import LibraryFileError
from store.snowball.engine import reason, run_round
from store.snowball.flow import flow
from store.snowball.seeds import by_identifiers, by_selection
from store.snowball.state import SnowballFile, keep_round, snowball_path
from tests.store.snowball.graph import SEEDS, build, ids


def test_round_one_both_ways(tmp_path: Path) -> None:
    library, marks = build(tmp_path / "lib.json")
    seeds = by_selection(library, marks, "included")
    assert seeds == ids(library, *SEEDS)
    result = run_round(library, seeds, "both", marks=marks, selection="included", date="2026-01-01T00:00:00Z")
    done = result.round
    # Backward: S1 → 10 11 12 (2 is a seed), S2 → 11 13 30, S3 → 10 11: 8 links.
    # Forward: S1 ← 20 22, S2 ← 20 (1 is a seed), S3 ← 21: 4 links.
    assert (done.identified, done.seed_links, done.duplicates) == (12, 2, 4)
    assert [c.label for c in done.candidates] == ["11", "10", "20", "22", "21", "13", "12", "30"]
    by = {c.label: c for c in done.candidates}
    assert by["11"].cited_by == ["1", "2", "3"] and by["11"].cites == []
    assert (by["10"].coupling, by["10"].cocitation) == (1, 1)  # shares 30 with S2; G cites it and S1
    assert by["20"].cites == ["1", "2"] and by["20"].direction == "forward"
    assert by["22"].coupling == 1 and by["10"].direction == "backward"
    assert by["12"].known == "screened" and done.already_screened == 1 and done.earlier == 0
    assert len(done.new) == 7 and all(c.round == 1 for c in done.candidates)
    assert reason(by["11"], 3, "included") == "cited by 3 of your 3 included"
    assert (
        reason(by["10"], 3, "included") == "cited by 2 of your 3 included · 1 shared reference · co-cited 1×"
    )
    assert reason(by["20"], 3) == "cites 2 of your 3 seeds"
    rows = {r.candidate.label: r for r in result.rows}
    assert rows["11"].stub and not rows["10"].stub and rows["10"].title == "Article 10"


def test_directions(tmp_path: Path) -> None:
    library, marks = build(tmp_path / "lib.json")
    seeds = ids(library, *SEEDS)
    back = run_round(library, seeds, "back", marks=marks).round
    forward = run_round(library, seeds, "forward", marks=marks).round
    assert (back.identified, back.duplicates, len(back.candidates)) == (8, 3, 5)
    assert (forward.identified, forward.duplicates, len(forward.candidates)) == (4, 1, 3)
    with pytest.raises(ValueError):
        run_round(library, seeds, "sideways")


def test_counts_after_screening_and_a_second_round(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    library, marks = build(path)
    file = SnowballFile.open(path)
    first = run_round(
        library, by_selection(library, marks, "included"), "both", marks=marks, selection="included"
    )
    assert keep_round(file, first.round) is not None
    # Screening: 11 and 20 included (they become seeds), 13 excluded for a reason, 30 without one.
    marks.set_screening(["pmid:11"], "included")
    marks.set_screening(["pmid:20"], "included")
    marks.set_screening(["pmid:13"], "excluded", reason="wrong design")
    marks.set_screening(["pmid:30"], "excluded")

    done = flow(library, file.load(), marks)
    one = done.rounds[0].to_json()
    assert {k: one[k] for k in ("links_identified", "duplicate_links", "links_between_seeds")} == {
        "links_identified": 12,
        "duplicate_links": 4,
        "links_between_seeds": 2,
    }
    assert (one["already_screened"], one["found_by_earlier_rounds"], one["found_by_database_searches"]) == (
        1,
        0,
        0,
    )
    assert {k: v for k, v in done.citations.to_json().items()} == {
        "records": 7,
        "records_screened": 4,
        "records_excluded": 2,
        "records_excluded_by_reason": {"no reason given": 1, "wrong design": 1},
        "awaiting_screening": 3,
        "conflicts": 0,
        "awaiting_second_screener": 0,
        "reports_sought": 2,
        "reports_not_retrieved": 0,  # 11 and 30 are stubs, but nobody tried to retrieve them
        "reports_assessed": 0,
        "reports_excluded": 0,
        "reports_excluded_by_reason": {},
        "awaiting_full_text": 2,
        "full_text_conflicts": 0,
        "full_text_awaiting_second_screener": 0,
        "studies_included": 0,
    }

    state = file.load()
    seeds = by_selection(library, marks, "included")
    assert len(seeds) == 5
    second = run_round(library, seeds, "back", marks=marks, state=state, selection="included")
    done_round = second.round
    # S1 → 10 12 (11, 2 are seeds); S2 → 13 30 (11); S3 → 10 (11); 11 → nothing; 20 → 40 (1, 2).
    assert (done_round.number, done_round.identified, done_round.duplicates, done_round.seed_links) == (
        2,
        6,
        1,
        6,
    )
    by = {c.label: c for c in done_round.candidates}
    assert {k: c.known for k, c in by.items()} == {
        "10": "earlier",
        "12": "screened",
        "13": "screened",
        "30": "screened",
        "40": "",
    }
    assert by["40"].round == 2 and by["10"].round == 1 and by["40"].cited_by == ["20"]
    keep_round(file, done_round)

    # Full text: 11 included, 20 not retrieved; 40 (round 2) screened out.
    marks.set_screening(["pmid:11"], "included", stage="full-text")
    marks.set_screening(["pmid:20"], "not-retrieved", stage="full-text")
    marks.set_screening(["pmid:40"], "excluded", reason="wrong population")
    full = flow(library, file.load(), marks).to_json()
    assert [r["round"] for r in full["rounds"]] == [1, 2]
    two = full["rounds"][1]
    assert (two["links_identified"], two["duplicate_links"], two["already_screened"]) == (6, 1, 3)
    assert (two["found_by_earlier_rounds"], two["records"], two["records_screened"]) == (1, 1, 1)
    assert two["seeds"] == ["1", "2", "3", "11", "20"] and two["direction"] == "back"
    arm = full["citation_searching"]
    assert (arm["records"], arm["records_screened"], arm["records_excluded"]) == (8, 5, 3)
    assert (arm["reports_sought"], arm["reports_not_retrieved"], arm["reports_assessed"]) == (2, 1, 1)
    assert arm["studies_included"] == 1 and full["studies"] == {"new_studies": 1, "total_studies": 1}
    assert full["identification"]["citation_links_identified"] == 18
    assert full["identification"]["citation_links_between_seeds"] == 8
    # The seeds 1 2 3 were included by hand (no database search), 12 excluded before any round:
    # counted apart, not in the flow.
    assert full["screened_outside_both_arms"] == 4 and full["identification"]["database_results"] == 0


def test_rerun_without_changes_keeps_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    library, marks = build(path)
    file = SnowballFile.open(path)
    seeds = ids(library, *SEEDS)
    keep_round(file, run_round(library, seeds, "both", marks=marks, state=file.load()).round)
    again = run_round(library, seeds, "both", marks=marks, state=file.load())
    assert again.round.new == [] and again.round.earlier == 7
    assert keep_round(file, again.round) is None
    assert [r.number for r in file.load().rounds] == [1]


def test_the_file_is_its_own_and_refuses_what_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    library, marks = build(path)
    before = path.read_bytes()
    file = SnowballFile.open(path)
    assert file.path == snowball_path(path) == tmp_path / "lib.snowball.json"
    keep_round(file, run_round(library, ids(library, "1"), "both", marks=marks).round)
    assert path.read_bytes() == before  # nothing of it in the library's file
    data = orjson.loads(file.path.read_bytes())
    assert data["_meta"]["1"]["kind"] == "snowball" and data["rounds"]["1"]["seeds"][0]["label"] == "1"
    assert not list(tmp_path.glob(".*.tmp"))
    file.path.write_text('{"something": "else"}')
    with pytest.raises(LibraryFileError, match="not a pmbrowse snowball file"):
        file.load()
    file.path.write_text('{"_meta": {"1": {"app": "pmbrowse", "schema": 1, "kind": "marks"}}, "marks": {}}')
    with pytest.raises(LibraryFileError, match="not a pmbrowse snowball file: it is a pmbrowse marks file"):
        file.load()
    file.path.write_text('{"_meta": {"1": {"app": "pmbrowse", "schema": 99, "kind": "snowball"}}}')
    with pytest.raises(LibraryFileError, match="newer"):
        file.change(lambda s: None)
    assert "99" in file.path.read_text()


def test_seeds_by_identifiers(tmp_path: Path) -> None:
    library, _ = build(tmp_path / "lib.json")
    seeds = by_identifiers(library, ["1", "pmid:2", "99999", "10.1000/nowhere"])
    assert seeds.found == ids(library, "1", "2") and seeds.missing == ["99999", "10.1000/nowhere"]


def test_a_preview_counts_nowhere_until_it_is_kept(tmp_path: Path) -> None:
    """Issue 16 defect 2 (store side): a quick look wrote a permanent round. A preview is computed and
    kept nowhere; kept later, it is run again against the rounds kept meanwhile."""
    from store.snowball.engine import keep_preview, preview_round

    path = tmp_path / "lib.json"
    library, marks = build(path)
    file = SnowballFile.open(path)
    look = preview_round(library, ids(library, "3"), "both", marks=marks, state=file.load(), selection="ids")
    assert sorted(c.label for c in look.result.round.new) == ["10", "11", "21"]
    assert look.result.round.number == 1
    assert not file.path.exists()  # nothing written
    # Meanwhile a round from S1 is kept: it finds 10 and 11 too.
    keep_round(file, run_round(library, ids(library, "1"), "both", marks=marks, state=file.load()).round)
    kept = keep_preview(library, look, file, marks)
    assert kept.kept and kept.round.number == 2
    # Run again when kept: 10 and 11 were found by round 1 meanwhile, only 21 is new.
    assert [c.label for c in kept.round.new] == ["21"] and kept.round.earlier == 2
    assert [r.number for r in file.load().rounds] == [1, 2]


def test_a_damaged_round_number_is_one_line(tmp_path: Path, capsys) -> None:
    """Issue 20.8: a snowball file with a huge round number made a traceback."""
    from tui.cli import main

    path = tmp_path / "lib.json"
    library, marks = build(path)
    file = SnowballFile.open(path)
    keep_round(file, run_round(library, ids(library, "1"), "both", marks=marks).round)
    data = orjson.loads(file.path.read_bytes())
    data["rounds"]["1"]["round"] = 10**30
    file.path.write_bytes(json_dump(data))  # (orjson cannot write an integer this big)
    with pytest.raises(LibraryFileError, match="is damaged"):
        file.load()
    capsys.readouterr()
    assert main(["--db", str(path), "snowball", "rounds"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(file.path) in err


def json_dump(data: object) -> bytes:
    import json

    return json.dumps(data).encode()


def test_full_text_seeks_only_what_the_review_included_in_a_two_screener_stage(tmp_path: Path) -> None:
    """One screener's inclusion in a two-screener stage awaits the second: no report is sought for it
    (the flow counts it awaiting), so the full-text list leaves it out until the second agrees."""
    from store.marks import Marks
    from store.snowball.sought import reports_sought

    library, _marks = build(tmp_path / "lib.json")
    result = run_round(library, by_selection(library, _marks, "included"), "both", marks=_marks)
    file = SnowballFile.open(tmp_path / "lib.json")
    keep_round(file, result.round)
    ann = Marks.open(tmp_path / "lib.json", screener="ann")
    bob = Marks.open(tmp_path / "lib.json", screener="bob")
    ann.set_screening(["pmid:10"], "included")
    bob.set_screening(["pmid:10"], "included")  # (two named screeners: the stage is two-screener)
    ann.set_screening(["pmid:13"], "included")  # (ann alone: awaiting bob)
    marks = Marks.open(tmp_path / "lib.json")
    state = file.load()
    sought = {s.candidate.label for s in reports_sought(library, state, marks.screenings(), marks.paired)}
    assert "10" in sought and "13" not in sought
    bob.set_screening(["pmid:13"], "included")
    marks = Marks.open(tmp_path / "lib.json")
    sought = {s.candidate.label for s in reports_sought(library, state, marks.screenings(), marks.paired)}
    assert {"10", "13"} <= sought
