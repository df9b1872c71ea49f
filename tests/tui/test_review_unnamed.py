"""A decision by the unnamed screener in a two-screener review (a tester's finding, 5): it is recorded
and is one screener's vote, so it awaits the second screener; the command line, ``show`` and the app say
so at once, in the same words, instead of "not screened" (each test failed before the fix)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.marks import Marks
from tests.tui.helpers import make_app, open_snowball, ready, run, settle
from tests.tui.test_review_cli import DEMO
from tui.screens.reason import ReasonScreen
from tui.widgets.links import LinkList

WAITING = "excluded (r2) at title/abstract by you, awaiting the second screener"


@pytest.fixture
def paired(capsys, lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The demo library with title/abstract two-screener: ann and bob have both decided there."""
    monkeypatch.delenv("PMBROWSE_SCREENER", raising=False)
    db = ("--db", str(lib_path))
    for who in ("ann", "bob"):
        assert run(capsys, *db, "snowball", "include", "40078652", "--screener", who)[0] == 0
    return db


def test_mark_show_and_snowball_say_the_unnamed_decision_awaits_the_second(capsys, paired) -> None:
    db = paired
    code, out, err = run(capsys, *db, "mark", "40036306", "--exclude", "--reason", "r2")
    assert code == 0, err
    assert f"not starred · screening: {WAITING}" in out
    assert "not screened" not in out
    code, out, _ = run(capsys, *db, "show", "40036306")
    assert f"Marks: not starred · {WAITING}" in out
    code, out, err = run(capsys, *db, "snowball", "exclude", "39963133", "--reason", "r2")
    assert (code, out) == (0, "excluded 1 article: r2, by you (unnamed): awaiting the second screener\n"), err
    # A named screener sees whose decision awaits; the rule stays: the unnamed screener is one of the
    # two, so ann's agreeing exclusion makes it the review's.
    code, out, _ = run(capsys, *db, "show", "40036306", "--screener", "ann")
    assert "Marks: not starred · not screened" in out  # (blind: not hers)
    assert run(capsys, *db, "snowball", "exclude", "40036306", "--reason", "r2", "--screener", "ann")[0] == 0
    code, out, _ = run(capsys, *db, "show", "40036306")
    assert "Marks: not starred · excluded (r2) at title/abstract\n" in out


async def test_in_the_app_x_says_the_unnamed_decision_awaits_the_second(paired, lib_path: Path) -> None:
    app = make_app(lib_path, DEMO)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("c", "down", "x")  # (row 0 is 40078652, which ann and bob included)
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press("r", "2", "enter")
        await settle(pilot)
        first = app.screen.query_one("#cited-by-list", LinkList).view(1)
        assert first is not None
        said = [n.message for n in app._notifications]
        assert any(first.pmid in m and WAITING in m for m in said), said
        mark = Marks.open(lib_path).get([f"pmid:{first.pmid}"])
        assert mark.screening is None and [d.screener for d in mark.decisions] == [""]


async def test_in_the_snowball_view_the_row_is_marked_awaiting_and_the_cursor_moves_on(
    capsys, paired, lib_path: Path
) -> None:

    for who in ("ann", "bob"):
        assert run(capsys, *paired, "snowball", "include", DEMO, "--screener", who)[0] == 0
    assert run(capsys, *paired, "snowball")[0] == 0  # (round 1, from 40078652 and the demo article)
    app = make_app(lib_path, DEMO)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_snowball(pilot)
        assert len(screen.rows) > 1
        await pilot.press("x", "r", "2", "enter")
        await settle(pilot)
        label = screen.rows[0].candidate.label
        said = [n.message for n in app._notifications]
        assert any(label in m and WAITING in m for m in said), said
        assert screen.candidates.mark_of(0) == "awaiting"
        assert screen.candidates.cursor == 1
