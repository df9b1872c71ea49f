"""Screening marks and how-found labels in the app, on the library README's *Doing a review* builds
(steps 1-4; a tester's finding, 6): a row not retrieved at full text shows ⊘ in every list; the
Snowball view labels a candidate by the round that found it first (``db``: a database search's record,
never the round that met it already screened), and at full text by how each report was found. Each
test failed before the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.tui.helpers import make_app, open_snowball, ready, rows, run, settle
from tests.tui.test_review_cli import DEMO, EXCLUDE_TUBULAR
from tui.screens.snowball import SnowballScreen
from tui.widgets.links import LinkList

REFS = ROOT / "tests" / "data" / "references"
NOT_RETRIEVED = "39963133"


@pytest.fixture
def walked(capsys, lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """README's *Doing a review*, steps 1-4, on the demo library."""
    monkeypatch.delenv("PMBROWSE_SCREENER", raising=False)
    db = ("--db", str(lib_path))

    def ok(*args: str) -> None:
        code, _, err = run(capsys, *db, *args)
        assert code == 0, (args, err)

    ok("import", str(REFS / "endnote.ris"), str(REFS / "zotero.ris"), "--source", "PubMed 2026-12-01")
    who = lambda name: ("--screener", name)  # noqa: E731
    ok("snowball", "include", "40078652", "40036306", "10.1002/jcb.22733", *who("ann"))
    for name in ("ann", "bob"):
        ok(*EXCLUDE_TUBULAR, *who(name))
    ok("snowball", "include", "40078652", "40036306", *who("bob"))
    ok("snowball", "exclude", "10.1002/jcb.22733", "--reason", "wrong study design", *who("bob"))
    ok(
        "snowball",
        "resolve",
        "10.1002/jcb.22733",
        "--as",
        "excluded",
        "--reason",
        "wrong study design",
        *who("cat"),
    )
    ok("snowball")
    for name in ("ann", "bob"):
        ok("snowball", "include", DEMO, *who(name))
    ok("snowball")
    excluded = ("39985030", "10.1089/scd.2011.0560", "10.1371/journal.pone.0033115", "PMC2800221")
    for name in ("ann", "bob"):
        ok("snowball", "include", NOT_RETRIEVED, "40045380", *who(name))
        ok("snowball", "exclude", *excluded, "--reason", "wrong population", *who(name))
    ok("snowball", "include", "40078652", DEMO, "40045380", "--stage", "full-text", *who("cat"))
    ok("snowball", "exclude", "40036306", "--stage", "full-text", "--reason", "wrong outcome", *who("cat"))
    ok("snowball", "not-retrieved", NOT_RETRIEVED, *who("cat"))
    return lib_path


async def test_a_row_not_retrieved_shows_its_mark_in_cited_by(walked: Path) -> None:
    app = make_app(walked, DEMO)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await settle(pilot)
        listing = app.screen.query_one("#cited-by-list", LinkList)
        row = listing.row_of([f"pmid:{NOT_RETRIEVED}"])
        assert row is not None
        assert "⊘" in rows(listing)[row], rows(listing)[row]


def flags(screen: SnowballScreen) -> dict[str, str]:
    return {row.candidate.label: screen.candidates.flag_of(row) for row in screen.rows}


async def test_the_snowball_view_labels_how_each_row_was_found(walked: Path) -> None:
    app = make_app(walked, DEMO)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_snowball(pilot)
        assert screen.round is not None
        assert screen.round.number == 2
        await pilot.press("a")
        await settle(pilot)
        found = flags(screen)
        screened = [r for r in screen.rows if r.candidate.known == "screened"]
        # Round 2's two "already screened": a record of the database search (db), and a stub the
        # screeners excluded by a search of titles, which no search or round found first (—).
        assert {r.candidate.label: found[r.candidate.label] for r in screened} == {
            "10.1002/jcb.22733": "db",
            "PMC2676194": "—",
        }
        assert found[NOT_RETRIEVED] == "new"
        await pilot.press("t")
        await settle(pilot)
        found = flags(screen)
        assert found == {
            "40078652": "db",
            "40036306": "db",
            DEMO: "r1",
            NOT_RETRIEVED: "r2",
            "40045380": "r2",
        }
        # (drawn on the row's first line)
        listing = screen.candidates
        first = "".join(s.text for s in listing.render_line(0))
        assert first[2:6] == "db  ", first
