"""The reader takes its tabs' clicks and the Related pane's choice by their handlers' names
(``on_pane_tabs_chosen``, ``on_related_pane_selected``): their widgets' modules are imported after the
first paint (``Reader._mount_panes``), so no ``@on`` names their messages' classes at import."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import make_app, ready, settle
from tui.widgets.panes import PaneTabs
from tui.widgets.related import RelatedPane


async def test_a_tab_clicked_shows_its_pane(demo_path: Path) -> None:
    app = make_app(demo_path, "pmid:30992990")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.reader.current is not None
        tabs = screen.query_one("#tabs", PaneTabs)
        tabs.post_message(PaneTabs.Chosen("references"))
        await settle(pilot)
        assert screen.reader.pane == "references"
        assert tabs.active == "references"
        assert screen.query_one("#references-list").display


async def test_a_related_article_chosen_opens_it(demo_path: Path) -> None:
    app = make_app(demo_path, "pmid:30992990")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        first = screen.reader.current
        assert first is not None and screen.library is not None
        other = next(doc for doc, _ in screen.library.iter_docs() if doc != first)
        screen.query_one("#related-pane", RelatedPane).post_message(RelatedPane.Selected(other))
        await settle(pilot)
        assert screen.reader.current == other
