"""Opening an article lays the screen out only when a size changed (the header's height, a scrollbar
shown or gone), and a scroll view's scrollbar, drawn again at each open, draws its lines from what it
kept: what Textual would draw."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual._compositor import Compositor
from textual._styles_cache import StylesCache
from textual.color import Color
from textual.geometry import Region
from textual.message_pump import MessagePump
from textual.scrollbar import ScrollBar
from textual.widget import Widget

from store.library import Library
from tests.store.bulk_files import pmid
from tests.tui.helpers import cited_thrice, citing_shown, make_app
from tui.screens.main import MainScreen
from tui.widgets.links import LinkList
from tui.widgets.scrollbars import KeptLinesScrollBar

LONG = "A title long enough to wrap in the header " * 4


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records 1 and 2 (headers of one shape) cited by 300 and 150 of the records 4..303; record 3
    (a long title) cited by ten of them."""
    return cited_thrice(tmp_path_factory.mktemp("two") / "library.json", (300, 150, 10), 4, 3, LONG)


async def _open_watching(pilot, screen: MainScreen, doc: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Open ``doc``; what happened until the first frame drawn after it: ``reflow`` for each layout."""
    events: list[str] = []
    reflow, frame = Compositor.reflow, MainScreen.render_lines

    def reflowing(self, *args):  # type: ignore[no-untyped-def]
        events.append("reflow")
        return reflow(self, *args)

    def framing(self, *args):  # type: ignore[no-untyped-def]
        events.append("frame")
        return frame(self, *args)

    monkeypatch.setattr(Compositor, "reflow", reflowing)
    monkeypatch.setattr(MainScreen, "render_lines", framing)
    try:
        screen.open_doc(Library.open(screen.library_path).find(doc))  # type: ignore[arg-type]
        await pilot.pause()
        await pilot.pause()
    finally:
        monkeypatch.setattr(Compositor, "reflow", reflow)
        monkeypatch.setattr(MainScreen, "render_lines", frame)
    return events[: events.index("frame")] if "frame" in events else events


async def test_an_open_that_changes_no_size_lays_nothing_out(
    two: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records 1 and 2: headers of one height, 300 and 150 citing articles (a scrollbar either way):
    opening one from the other lays nothing out (the header's content, the rows' count, the abstract
    behind the pane change no size), and the scrollbar follows the rows' count. A header of another
    height lays the screen out: the header grows and shrinks with it."""
    app = make_app(two, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        pane = screen.query_one("#cited-by-list", LinkList)
        header = screen.query_one("#header")
        assert len(pane.ids) == 300 and pane.vertical_scrollbar.window_virtual_size == 600
        height = header.size.height

        assert await _open_watching(pilot, screen, pmid(2), monkeypatch) == []
        assert len(pane.ids) == 150 and pane.row_text(0).startswith("● Citing 4")
        assert pane.vertical_scrollbar.window_virtual_size == 300 and header.size.height == height
        assert pane.virtual_size.height == 300

        assert await _open_watching(pilot, screen, pmid(3), monkeypatch) == ["reflow"]
        assert header.size.height > height  # (the long title wraps)
        assert await _open_watching(pilot, screen, pmid(1), monkeypatch) == ["reflow"]
        assert header.size.height == height
        assert len(pane.ids) == 300 and pane.vertical_scrollbar.window_virtual_size == 600


async def test_a_kept_scrollbar_draws_what_textual_draws(two: Path) -> None:
    """The link pane's scrollbar, drawn from the lines it kept, for thumbs of many places and sizes,
    the pane focused and not, its rows' count changed, and its tint set, is line for line what Textual
    draws."""
    app = make_app(two, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        pane = screen.query_one("#cited-by-list", LinkList)
        bar = pane.vertical_scrollbar
        assert isinstance(bar, KeptLinesScrollBar)
        textual_drew = [0]
        real = ScrollBar.render_lines

        def drawing(self, crop):  # type: ignore[no-untyped-def]
            textual_drew[0] += 1
            return real(self, crop)

        ScrollBar.render_lines = drawing  # type: ignore[method-assign]
        compared = kept = 0
        try:
            for doc in (pmid(1), pmid(2), pmid(1)):
                screen.open_doc(Library.open(two).find(doc))  # type: ignore[arg-type]
                await pilot.pause()
                for focused in (pane, screen.results, pane):
                    focused.focus()
                    await pilot.pause()
                    for row in (0, 1, 5, 37, 80, 149, 150, 222, 299):
                        pane.move_to(row)
                        await pilot.pause()
                        whole = Region(0, 0, *bar.size)
                        textual_drew[0] = 0
                        drawn = bar.render_lines(whole)
                        kept += textual_drew[0] == 0
                        bar.refresh()  # (Textual's drawing anew, not its cache)
                        assert [list(s) for s in drawn] == [list(s) for s in real(bar, whole)]
                        compared += 1
            # (A style that changes what the styling makes of the same lines: what was kept is not used.)
            bar.styles.tint = Color(255, 0, 0, 0.5)
            await pilot.pause()
            whole = Region(0, 0, *bar.size)
            drawn = bar.render_lines(whole)
            bar.refresh()
            assert [list(s) for s in drawn] == [list(s) for s in real(bar, whole)]
        finally:
            ScrollBar.render_lines = real  # type: ignore[method-assign]
        assert compared == 81 and kept > 60  # (most drawn from the lines kept)


async def test_the_panes_container_is_not_drawn_line_by_line(
    two: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panes' container is always covered by the pane it shows, and the screen's columns by what
    they hold: a layout that moves them (a header of another height) draws none of their lines through
    Textual's styling; and a row chosen is said to the screen, not passed up through the containers
    between."""
    app = make_app(two, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        styled: list[str] = []
        real = Widget.render_line

        def styling(self, y):  # type: ignore[no-untyped-def]
            styled.append(str(self.id))
            return real(self, y)

        monkeypatch.setattr(Widget, "render_line", styling)
        cached: list[str] = []  # (drawn through the styling, from its lines kept or anew: every frame)
        render_widget = StylesCache.render_widget

        def rendering(self, widget, crop):  # type: ignore[no-untyped-def]
            cached.append(str(widget.id))
            return render_widget(self, widget, crop)

        monkeypatch.setattr(StylesCache, "render_widget", rendering)
        assert await _open_watching(pilot, screen, pmid(3), monkeypatch) == ["reflow"]
        assert "header" in styled  # (drawn anew: the header changed)
        if hasattr(Widget, "BLANK"):  # (Textual 6.0 has no blank widgets: the containers drawn its way)
            assert not {"panes", "reader", "body"} & set(styled)  # (the columns: ``parts.Columns``)
            assert not {"panes", "reader", "body"} & set(cached)  # (nor drawn from its kept lines)

        passed: list[str] = []
        dispatch = MessagePump._dispatch_message

        async def dispatching(self, message):  # type: ignore[no-untyped-def]
            if isinstance(message, LinkList.Chosen):
                passed.append(str(getattr(self, "id", None) or type(self).__name__))
            return await dispatch(self, message)

        monkeypatch.setattr(MessagePump, "_dispatch_message", dispatching)
        pane = screen.query_one("#cited-by-list", LinkList)
        pane.focus()
        pane.move_to(2)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.trail.current == f"pmid:{pmid(6)}"
        assert passed[0] == "MainScreen" and not {"cited-by-list", "panes", "reader", "body"} & set(passed)
