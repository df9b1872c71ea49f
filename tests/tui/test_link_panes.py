"""The link panes draw only what is on screen: an article with ten thousand citing articles opens with
the first screenful built, the rest built as it scrolls into view."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot

from store.library import Library
from tests.store.bulk_files import pmid
from tests.store.old_libraries import write_v2_docs
from tests.tui.helpers import make_app, ready
from tui.app import PmbrowseApp
from tui.widgets.links import LinkList

CITING = 10_000


@pytest.fixture(scope="module")
def famous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Record 1 cited by the 10,000 records after it (small ones: a schema-2 file, converted on open)."""
    path = tmp_path_factory.mktemp("famous") / "library.json"

    def docs():  # type: ignore[no-untyped-def]
        yield (
            1,
            {
                "pmid": pmid(1),
                "title": "The famous one",
                "year": 1990,
                "cited_by": list(range(2, CITING + 2)),
            },
        )
        for i in range(2, CITING + 2):
            yield i, {"pmid": pmid(i), "title": f"Citing {i}", "year": 2000 + i % 20, "references": [1]}

    write_v2_docs(path, docs())
    Library.open(path)  # (converted once, here)
    return path


@asynccontextmanager
async def cited_by_pane(famous: Path) -> AsyncIterator[tuple[PmbrowseApp, Pilot[None], LinkList]]:
    """The app open on record 1 of ``famous``, its Cited by pane shown (``c``): the app, its pilot and
    the pane."""
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await pilot.pause()
        yield app, pilot, app.screen.query_one("#cited-by-list", LinkList)


async def test_an_article_with_ten_thousand_citing_ones_builds_one_screenful(famous: Path) -> None:
    async with cited_by_pane(famous) as (app, pilot, citing):
        assert len(citing.ids) == CITING and citing.highlighted == 0
        built = len(citing._built)
        assert 0 < built <= LinkList.PAGE  # (the first page, not ten thousand rows)
        assert citing.row_text(0).startswith("● Citing 2")
        # Rows far down are built when they come into view, and the cursor keeps the place.
        await pilot.press("end")
        await pilot.pause()
        assert citing.highlighted == CITING - 1 and f"Citing {CITING + 1}" in citing.row_text(CITING - 1)
        assert len(citing._built) <= 2 * LinkList.PAGE
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.screen.reader.current == Library.open(famous).find(pmid(CITING))


def _cursor_lines(pane: LinkList) -> list[int]:
    """The pane's lines as painted that carry the cursor's background."""
    cursor = pane.get_component_rich_style("link-list--cursor").bgcolor
    height = pane.scrollable_content_region.height
    return [
        y for y in range(height) if any(s.style and s.style.bgcolor == cursor for s in pane.render_line(y))
    ]


async def test_a_highlight_set_from_outside_is_brought_into_view_and_painted(famous: Path) -> None:
    async with cited_by_pane(famous) as (app, pilot, citing):
        assert _cursor_lines(citing) == [0, 1]
        row = citing.row_of([f"pmid:{pmid(5002)}"])
        assert row == 5000 and citing.row_of(["pmid:1"]) is None  # (not among the citing articles)
        citing.highlighted = row
        await pilot.pause()
        top = citing.scroll_offset.y
        assert citing.highlighted == row and top <= 2 * row < top + citing.scrollable_content_region.height
        assert _cursor_lines(citing) == [2 * row - top, 2 * row + 1 - top]
        assert f"Citing {5002}" in "".join(s.text for s in citing.render_line(2 * row - top))
        # The cursor looks different once the pane loses the focus: the lines are painted anew.
        focused = citing.render_line(2 * row - top)
        app.screen.set_focus(None)
        await pilot.pause()
        assert not citing.has_focus and citing.render_line(2 * row - top) != focused
        assert _cursor_lines(citing) == [2 * row - top, 2 * row + 1 - top]
        citing.highlighted = CITING + 50  # (past the end: the last row)
        await pilot.pause()
        assert citing.highlighted == CITING - 1
        citing.highlighted = None
        await pilot.pause()
        assert citing.highlighted is None and _cursor_lines(citing) == []


async def test_the_trail_is_looked_up_again_when_the_library_changes(tmp_path: Path) -> None:
    """A trail entry the library did not hold (a saved trail, a record since removed) is marked as
    visited in the panes once another process adds it."""
    from store.model import Article, Link, Origin

    path = tmp_path / "library.json"
    Library.open(path)  # the demo library
    seed = "30992990"
    app = make_app(path, seed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        reader = screen.reader
        reader.trail.entries.insert(0, "pmid:111")
        reader.trail.position += 1
        reader.show_current(keep=True)  # (the trail's keys looked up: 111 is not in the library)
        citing = screen.query_one("#cited-by-list", LinkList)
        before = len(citing.ids)
        other = Library.open(path)  # another process adds 111, citing the open article
        with other.transaction() as changes:
            changes.put_article(
                Article(pmid="111", title="New one", references=[Link(pmid=seed)]), Origin("t")
            )
        for _ in range(100):
            if len(citing.ids) > before:
                break
            await pilot.pause(0.05)
        assert len(citing.ids) == before + 1
        assert "● ↺ New one" in [citing.row_text(i).split("\n")[0] for i in range(len(citing.ids))]
