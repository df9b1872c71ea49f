"""What opening an article draws once or not at all: the header's lines made once (Textual measured,
then painted, each by rendering them), the hidden abstract not made until its pane is shown, and the
tabs' line made at once, as Textual draws it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Group
from rich.segment import Segment
from rich.style import Style
from textual.visual import Visual, visualize
from textual.widgets import Static

from tests.tui.helpers import citing_shown, make_app, plain, ready
from tui.widgets.article import AbstractView, abstract_text
from tui.widgets.links import LinkList
from tui.widgets.panes import PaneTabs
from tui.widgets.strips import _rich_strip


def _cells(segments: list[Segment]) -> list[tuple[str, Style | None]]:
    """The text and its look (not the offsets Textual adds to a rendered line for selecting text)."""
    looks = [Segment(s.text, Style.parse(str(s.style)) if s.style else None) for s in segments]
    return [(seg.text, seg.style) for seg in Segment.simplify(looks) if seg.text]


async def test_the_header_is_rendered_once_an_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening an article renders its header's lines once: measuring its height and painting it share
    them (Textual rendered the header's Group for each)."""
    app = make_app(tmp_path / "library.json", "30992990")  # (the demo library)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        rendered = [0]
        real = Group.__rich_console__

        def counting(self, console, options):  # type: ignore[no-untyped-def]
            rendered[0] += 1
            return real(self, console, options)

        monkeypatch.setattr(Group, "__rich_console__", counting)
        pane = screen.query_one("#cited-by-list", LinkList)
        pane.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert screen.current != screen.library.lookup("pmid:30992990")  # type: ignore[union-attr]
        assert rendered[0] == 1
        assert screen.query_one("#header").region.height > 3  # (painted, of its height)


async def test_a_hidden_abstract_is_made_when_its_pane_is_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article opened from a pane of links does not give its abstract to the hidden abstract pane
    (drawn for nothing at the next frame, and Textual's map of every widget built anew); showing the
    pane shows that article's abstract, from its start."""
    app = make_app(tmp_path / "library.json", "30992990")
    async with app.run_test(size=(80, 16)) as pilot:  # (short: both abstracts scroll)
        screen = await ready(pilot)
        view = screen.query_one("#abstract-view", AbstractView)
        view.scroll_end(animate=False)  # (the first article's abstract scrolled: the next goes home)
        await pilot.pause()
        assert view.scroll_offset.y > 0  # (else the last line's check of going home could not fail)
        await pilot.press("c")
        await pilot.pause()
        body = screen.query_one("#abstract-text", Static)
        before = body.content
        updated: list[str | None] = []
        real = Static.update

        def updating(self: Static, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            updated.append(self.id)
            real(self, *args, **kwargs)

        monkeypatch.setattr(Static, "update", updating)
        screen.query_one("#cited-by-list", LinkList).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "abstract-text" not in updated and body.content is before
        assert screen.library is not None and screen.current is not None
        opened = screen.library.article(screen.current)
        assert plain(view.text) == abstract_text(opened).plain  # (what it shows once shown)
        await pilot.press("a")
        await pilot.pause()
        assert "abstract-text" in updated
        assert plain(body.content) == abstract_text(opened).plain and view.scroll_offset.y == 0


async def test_the_tabs_line_is_what_textual_draws(tmp_path: Path) -> None:
    """The tabs' line made at once is, cell for cell and style for style, what Textual draws of the same
    Text (padded in the background, as the widget's styling pads it), at any width and any tab active.
    A line too long for the width, even with the short names, is cut with an ellipsis, as its Text
    asks (Rich's way): Textual wrapped it instead, and the tabs past the first line were not seen."""
    app = make_app(tmp_path / "library.json", "30992990")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        tabs = screen.query_one(PaneTabs)
        tabs.set_label("cited_by", "Cited by (10,000)")
        compared = cut = 0
        for active in ("abstract", "cited_by", "related"):
            tabs.active = active
            for width in (120, 100, 90, 80, 70, 60, 50):
                await pilot.resize_terminal(width, 40)
                await pilot.pause()
                size = tabs.content_size.width
                mine = tabs.render_line(0)
                line = tabs.line()
                if line.cell_len <= size:
                    theirs = Visual.to_strips(tabs, visualize(tabs, line), size, 1, tabs.visual_style)[0]
                    theirs = theirs.extend_cell_length(size, Style(bgcolor=tabs.rich_style.bgcolor))
                else:
                    cut += 1
                    theirs = _rich_strip(line, size, tabs.rich_style, app.console)
                    assert mine.text.endswith("…")
                assert mine.cell_length == size
                assert _cells(list(mine)) == _cells(list(theirs)), (active, width)
                compared += 1
        assert compared == 21 and 3 <= cut < 21
