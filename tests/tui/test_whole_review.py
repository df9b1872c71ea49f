"""Issue 16, "Done means": a whole review driven through the app, as a reviewer would do it — seeds
from an RIS file (a database search), two screeners at title/abstract with one conflict resolved in
the app, two rounds of citation chasing, full text with one report not retrieved, then the PRISMA 2020
flow in the app — and every number of the flow asserted exactly, the same from ``snowball report
--format txt|json|csv``.

The library is the hand-built graph of ``tests.store.snowball.graph`` (its links; no marks):

    1 → 10 11 12 2     2 → 11 13 30     3 → 10 11     20 → 1 2 40     21 → 3     22 → 1 10     10 → 30

The database search (an RIS file, as EndNote writes it) holds 1, 2, 3 and 13. What each step decides
and what it must count is said beside it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from store.marks import marks_path
from tests.store.snowball.graph import build
from tests.tui.helpers import open_snowball, ready, settle, text_of
from tui.app import PmbrowseApp
from tui.cli import main
from tui.screens.flow import FlowScreen
from tui.screens.reason import ReasonScreen
from tui.screens.snowball import SnowballScreen
from tui.widgets.results import ResultsList

SEARCH = "PubMed 2026-12-01"
RIS = "".join(
    f"TY  - JOUR\nTI  - Article {pmid}\nAU  - Doe, Jane\nPY  - {year}\nT2  - J Test\nAN  - {pmid}\nER  - \n\n"
    for pmid, year in (("1", 2015), ("2", 2016), ("3", 2016), ("13", 2020))
)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


async def decide(pilot: Pilot[None], key: str, reason: str = "") -> None:
    """Press a decision key on the highlighted row; for ``x``, type the reason into the dialog."""
    await pilot.press(key)
    if key == "x":
        assert isinstance(pilot.app.screen, ReasonScreen)
        await pilot.press(*reason, "enter")
    await settle(pilot)


async def screen_results(path: Path, screener: str, decisions: dict[str, tuple[str, str]]) -> None:
    """One screener screens the database search's records in the main view: ``pmid -> (key, reason)``."""
    query = " OR ".join(f"{pmid}[pmid]" for pmid in decisions)
    app = PmbrowseApp(path, query, screener=screener)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        results = screen.query_one(ResultsList)
        results.focus()
        for pmid, (key, reason) in decisions.items():
            row = results.row_of([f"pmid:{pmid}"])
            assert row is not None, pmid
            results.highlighted = row
            await decide(pilot, key, reason)


def listed(screen: SnowballScreen) -> list[str]:
    return [row.candidate.label for row in screen.rows]


async def screen_rows(
    pilot: Pilot[None], screen: SnowballScreen, decisions: dict[str, tuple[str, str]]
) -> None:
    for label, (key, reason) in decisions.items():
        screen.candidates.move_to(listed(screen).index(label))
        await decide(pilot, key, reason)


def title(screen: SnowballScreen) -> str:
    return text_of(screen.query_one("#snowball-title", Static))


def counts(screen: SnowballScreen) -> str:
    return text_of(screen.query_one("#snowball-counts", Static))


async def test_a_whole_review_in_the_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lib.json"
    build(path)
    marks_path(path).unlink()  # (the graph's links and records only: this review makes every decision)
    db = ("--db", str(path))
    ris = tmp_path / "search.ris"
    ris.write_text(RIS, encoding="utf-8")
    out = cli(capsys, *db, "import", str(ris), "--source", SEARCH)
    assert f"database search '{SEARCH}': 4 records from 1 file" in out

    # Title/abstract, the database search's records, two screeners in the main view: 13 excluded by
    # both for the same reason; 1 2 3 included by both (the seeds of the first round).
    both = {"1": ("i", ""), "2": ("i", ""), "3": ("i", ""), "13": ("x", "design")}
    await screen_results(path, "ann", both)
    await screen_results(path, "bob", both)

    # Round 1 (ann opens the view: none yet, so it runs from the included, both ways, and is kept).
    # 13 was screened before it ran: counted, not listed. 7 new records.
    round_1 = ["11", "10", "20", "22", "21", "12", "30"]
    ann_round_1 = {
        "10": ("i", ""),
        "20": ("i", ""),
        "22": ("i", ""),  # (bob excludes it: the conflict)
        "11": ("x", "population"),
        "12": ("x", "population"),
        "30": ("x", "population"),
        "21": ("x", "outcome"),
    }
    app = PmbrowseApp(path, screener="ann")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        assert (
            title(screen)
            == "Round 1 of 1 · both · 3 seeds (included) · title/abstract · screener ann (blind)"
        )
        assert sorted(listed(screen)) == sorted(round_1)
        assert (
            counts(screen)
            == "to screen 7 of 7 · 1 screened already, not listed (a lists all) · 7 new of 12 links"
        )
        await screen_rows(pilot, screen, ann_round_1)
        assert counts(screen).startswith("to screen 0 of 7 · included 3 · excluded 4 · ")
    app = PmbrowseApp(path, screener="bob")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        assert sorted(listed(screen)) == sorted(round_1)  # (blind: ann's decisions are not bob's)
        await screen_rows(pilot, screen, {**ann_round_1, "22": ("x", "population")})

    # The conflict, seen and resolved in the app by a third reviewer: b shows the review's decisions.
    app = PmbrowseApp(path, screener="cat")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        await pilot.press("b")
        assert title(screen).endswith("· screener cat (unblind)")
        assert listed(screen) == ["22"] and "1 conflict" in counts(screen)
        details = text_of(screen.query_one("#snowball-details", Static))
        assert "Conflict: ann: included; bob: excluded (population)" in details
        await decide(pilot, "x", "population")
        assert "0 conflicts" in counts(screen)

    # Round 2, from the included now (1 2 3 10 20): 40 is new; both include it.
    app = PmbrowseApp(path, screener="ann")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert title(screen).startswith("Round 2 of 2 · both · 5 seeds (included) · title/abstract")
        assert listed(screen) == ["40"]
        await screen_rows(pilot, screen, {"40": ("i", "")})
    app = PmbrowseApp(path, screener="bob")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        assert listed(screen) == ["40"]
        await screen_rows(pilot, screen, {"40": ("i", "")})

    # Full text, ann alone (a one-screener stage): the reports sought of both arms; 40 could not be had.
    app = PmbrowseApp(path, screener="ann")
    async with app.run_test(size=(85, 30)) as pilot:
        screen = await open_snowball(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert title(screen) == "Full text · the reports sought, both arms · screener ann (blind)"
        assert sorted(listed(screen), key=int) == ["1", "2", "3", "10", "20", "40"]
        await screen_rows(
            pilot,
            screen,
            {
                "1": ("i", ""),
                "2": ("i", ""),
                "3": ("x", "outcome"),
                "10": ("i", ""),
                "20": ("x", "comparator"),
                "40": ("r", ""),
            },
        )
        assert counts(screen) == "to screen 0 of 6 · included 3 · excluded 2 · not-retrieved 1"
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, FlowScreen)
        shown = text_of(app.screen.query_one("#flow-text", Static))

    # The report: the app showed the same text as snowball report --format txt (80 columns).
    txt = cli(capsys, *db, "snowball", "report", "--format", "txt")
    assert shown == txt.rstrip("\n")
    report = json.loads(cli(capsys, *db, "snowball", "report", "--format", "json"))
    # Every number, worked out by hand from the graph above:
    # round 1 (seeds 1 2 3): 14 links, 2 between seeds (1 cites 2: a reference of 1, a citing article
    # of 2), so 12 identified; they name 8 articles (4 duplicate links: 11 thrice, 10 and 20 twice);
    # 13 was screened already, so 7 new records. Round 2 (seeds 1 2 3 10 20): 21 links, 10 between
    # seeds, 11 identified, naming 7 articles (4 duplicates), 6 screened already, 1 new (40).
    fields = (
        "round",
        "links_identified",
        "links_between_seeds",
        "duplicate_links",
        "already_screened",
        "found_by_earlier_rounds",
        "records",
    )
    assert [tuple(r[f] for f in fields) for r in report["rounds"]] == [
        (1, 12, 2, 4, 1, 0, 7),
        (2, 11, 10, 4, 6, 0, 1),
    ]
    assert report["identification"] == {
        "databases": [{"name": SEARCH, "records": 4}],
        "database_results": 4,
        "duplicates": 0,
        "citations_results": 8,
        "citation_links_identified": 23,
        "citation_links_between_seeds": 12,
    }
    settled = {
        "awaiting_screening": 0,
        "conflicts": 0,
        "awaiting_second_screener": 0,
        "awaiting_full_text": 0,
        "full_text_conflicts": 0,
        "full_text_awaiting_second_screener": 0,
    }
    # Databases: 13 excluded at title/abstract; 1 2 3 sought and assessed; 3 excluded at full text.
    assert report["databases_and_registers"] == {
        **settled,
        "records": 4,
        "records_screened": 4,
        "records_excluded": 1,
        "records_excluded_by_reason": {"design": 1},
        "reports_sought": 3,
        "reports_not_retrieved": 0,
        "reports_assessed": 3,
        "reports_excluded": 1,
        "reports_excluded_by_reason": {"outcome": 1},
        "studies_included": 2,
    }
    # Citation searching: 11 12 30 22 (the conflict, resolved) population, 21 outcome;
    # 10 20 40 sought; 40 not retrieved; 20 excluded at full text; 10 included.
    assert report["citation_searching"] == {
        **settled,
        "records": 8,
        "records_screened": 8,
        "records_excluded": 5,
        "records_excluded_by_reason": {"outcome": 1, "population": 4},
        "reports_sought": 3,
        "reports_not_retrieved": 1,
        "reports_assessed": 2,
        "reports_excluded": 1,
        "reports_excluded_by_reason": {"comparator": 1},
        "studies_included": 1,
    }
    assert report["studies"] == {"new_studies": 3, "total_studies": 3}
    assert report["screened_outside_both_arms"] == 0
    expected = {
        "database_results": "4",
        "database_specific_results": f"{SEARCH}, 4",
        "duplicates": "0",
        "records_screened": "4",
        "records_excluded": "1",
        "dbr_sought_reports": "3",
        "dbr_notretrieved_reports": "0",
        "dbr_assessed": "3",
        "dbr_excluded": "outcome, 1",
        "citations_results": "8",
        "other_sought_reports": "3",
        "other_notretrieved_reports": "1",
        "other_assessed": "2",
        "other_excluded": "comparator, 1",
        "new_studies": "3",
        "total_studies": "3",
    }
    assert {k: v for k, v in report["prisma2020"].items() if k in expected} == expected
    table = csv.DictReader(io.StringIO(cli(capsys, *db, "snowball", "report", "--format", "csv")))
    assert {row["data"]: row["n"] for row in table if row["data"] in expected} == expected
    # The text drawn (the app's, the same): each box's number where the eye reads it.
    for box in (
        "│ Records identified from databases │ ──▶ │ Records removed before screening: │",
        "│   (n = 4)                         │     │   Duplicate records (n = 0)       │",
        "│ Records screened (n = 4)          │ ──▶ │ Records excluded (n = 1)          │",
        "│ Records identified from citation  │ ──▶ │ Links followed from the seeds     │",
        "│   searching (n = 8)               │     │   (n = 23), in 2 rounds           │",
        "│ Records screened (n = 8)          │ ──▶ │ Records excluded (n = 5)          │",
        "│ Reports sought for retrieval      │ ──▶ │ Reports not retrieved (n = 1)     │",
        "│   (n = 2)                         │     │   comparator (n = 1)              │",
        "│   (n = 3)                         │",
        "Note: 12 links between seeds were not counted as records.",
    ):
        assert box in shown, box
