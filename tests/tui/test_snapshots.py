"""What the screen looks like, at 120x40 and 80x24 (pytest-textual-snapshot; SVGs in __snapshots__).

After a deliberate change to the look, review the new pictures and accept them with
``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.helpers import make_app, ready, settle
from tui.app import PmbrowseApp


@pytest.fixture(autouse=True)
def _still(monkeypatch: pytest.MonkeyPatch) -> None:
    """No animations: a picture taken mid-slide would differ from run to run."""
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


def demo_app(tmp_path: Path, target: str = "30992990") -> PmbrowseApp:
    return make_app(tmp_path / "library.json", target)


async def _ready(pilot) -> None:  # type: ignore[no-untyped-def]
    await ready(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_article_open(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(tmp_path), terminal_size=size, run_before=_ready)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_citing_articles_after_a_step(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def walk(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        await pilot.press("c", "enter", "backspace", "c")

    assert snap_compare(demo_app(tmp_path), terminal_size=size, run_before=walk)


def test_help_screen(snap_compare, tmp_path: Path) -> None:
    async def help_screen(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        await pilot.press("question_mark")

    assert snap_compare(demo_app(tmp_path), terminal_size=(120, 40), run_before=help_screen)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snowball_view(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """The Snowball view on the demo library's first round, one candidate excluded with a reason: the
    title (round, stage, screener), the counts, the rows (PMIDs whole at 80 columns), the details, the
    two-line key line."""
    from store.marks import Marks

    Marks.open(tmp_path / "library.json").set_screening(["pmid:30992990"], "included")

    async def snowball(pilot) -> None:  # type: ignore[no-untyped-def]
        await ready(pilot)
        await pilot.press("S")
        await settle(pilot)
        await pilot.press("down", "x", *"wrong species", "enter", "up")
        await settle(pilot)

    assert snap_compare(demo_app(tmp_path), terminal_size=size, run_before=snowball)
