"""What the Related pane with the per-year charts, and the citation map, look like at 120x40 and 80x24
(pytest-textual-snapshot; SVGs in __snapshots__). After a deliberate change to the look, review the new
pictures and accept them with ``pytest tests/tui/test_neighbourhood_snapshots.py --snapshot-update``."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from tests.store.citation_graphs import hand_built
from tests.tui.test_neighbourhood_views import MapApp, PaneApp, settle

SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])


@pytest.fixture(autouse=True)
def _still(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


def library(tmp_path: Path) -> Library:
    lib = Library.open(tmp_path / "library.json", demo=False)
    hand_built(lib)
    return lib


def doc(lib: Library, pmid: str) -> int:
    found = lib.find(pmid)
    assert found is not None
    return found


@SIZES
def test_related_pane_and_charts(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    lib = library(tmp_path)
    assert snap_compare(PaneApp(lib, doc(lib, "1")), terminal_size=size, run_before=settle)


@SIZES
def test_citation_map(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    lib = library(tmp_path)

    async def step(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("right", "down")

    app = MapApp(lib, doc(lib, "1"), trail=(doc(lib, "12"), doc(lib, "1")))
    assert snap_compare(app, terminal_size=size, run_before=step)
