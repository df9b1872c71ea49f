"""The Related pane takes in a changed library while it shows, and only then: hidden, it computes
nothing; shown again, it catches up at once."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link
from store.neighbourhood import GraphReader, Related, related
from tests.store.citation_graphs import ORIGIN, hand_built
from tests.tui.helpers import make_app, ready, rows, settle
from tui.widgets.related import RelatedPane


async def test_a_hidden_related_pane_waits_until_it_shows(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hand_built(Library.open(lib_path, demo=False))
    computed: list[int] = []

    def counted(reader: GraphReader, doc_id: int, mode: str, limit: int) -> list[Related]:
        computed.append(doc_id)
        return related(reader, doc_id, mode, limit=limit)

    # (the pane imports the computation when it first computes: patched where it is looked up then)
    monkeypatch.setattr(importlib.import_module("store.neighbourhood.related"), "related", counted)
    app = make_app(lib_path, "1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert len(computed) == 1
        await pilot.press("a")
        other = Library.open(lib_path, demo=False)  # another process: a new article that cites 1 and 10
        with other.transaction() as changes:
            changes.put_article(
                Article(pmid="6", title="Record 6", year=2020, references=[Link(pmid="1"), Link(pmid="10")]),
                ORIGIN,
            )
        other.close()
        screen.action_reload(quiet=True)
        await settle(pilot)
        await pilot.pause(1.2)  # (the pane's timer)
        await settle(pilot)
        assert len(computed) == 1  # hidden: nothing computed
        await pilot.press("l")
        await settle(pilot)
        assert len(computed) == 2
        shown = rows(screen.query_one(RelatedPane).related_list)
        assert any("Record 6" in row for row in shown)  # (it shares reference 10 with 1)
