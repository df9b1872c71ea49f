"""The year chart in the article header: it shows the open article's citations, whatever order the
workers finish in, and is computed again only when the article or the library changed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import store.neighbourhood
from store.library import Library
from store.neighbourhood import GraphReader, citation_years
from store.neighbourhood.years import CitationYears
from tests.store.citation_graphs import hand_built
from tests.tui.helpers import make_app, ready, settle
from tui.widgets.yearchart import YearChart


async def test_a_slow_chart_of_the_article_left_does_not_replace_the_open_ones(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hand_built(Library.open(lib_path, demo=False))
    entered, release = threading.Event(), threading.Event()
    slow: set[int] = set()

    def years(reader: GraphReader, doc_id: int) -> CitationYears | None:
        if doc_id in slow:
            entered.set()
            release.wait(10)
        return citation_years(reader, doc_id)

    monkeypatch.setattr(store.neighbourhood, "citation_years", years)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.library is not None
        first, second = screen.library.find("1"), screen.library.find("10")
        assert first is not None and second is not None
        slow.add(first)
        screen.open_doc(first)  # its chart waits ...
        for _ in range(100):
            await pilot.pause(0.02)
            if entered.is_set():
                break
        screen.open_doc(second)  # ... while this one's is drawn
        chart = screen.query_one(YearChart)
        for _ in range(100):
            await pilot.pause(0.02)
            if getattr(chart.content, "note", "") == "3 here":
                break
        release.set()
        await settle(pilot)
        assert screen.current == second
        assert chart.content.note == "3 here"  # type: ignore[attr-defined]


async def test_a_change_of_marks_alone_does_not_compute_the_chart_again(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.marks import Marks

    hand_built(Library.open(lib_path, demo=False))
    calls: list[int] = []

    def years(reader: GraphReader, doc_id: int) -> CitationYears | None:
        calls.append(doc_id)
        return citation_years(reader, doc_id)

    monkeypatch.setattr(store.neighbourhood, "citation_years", years)
    app = make_app(lib_path, "1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await settle(pilot)
        assert len(calls) == 1
        Marks.open(lib_path).toggle_star(["pmid:1"])  # another process stars the open article
        screen.action_reload()
        await settle(pilot)
        assert len(calls) == 1
        assert screen.query_one(YearChart).content.note == "4 here"  # type: ignore[attr-defined]


async def test_a_chart_that_arrives_after_its_pane_is_gone_is_dropped(lib_path: Path) -> None:
    """A chart's thread can finish while the app shuts down, its pane already taken down: the result is
    dropped (the CI's lowest-versions run, textual 6.0, failed the app with NoMatches from the worker)."""
    from tui.screens.main.reader import Reader

    hand_built(Library.open(lib_path, demo=False))
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.library is not None
        first = screen.library.find("1")
        assert first is not None
        screen.open_doc(first)
        await settle(pilot)
        reader = screen.query_one(Reader)
        assert reader.current == first
        await reader.query_one(YearChart).remove()
        reader._show_chart(first, None)  # (what call_from_thread runs when the thread ends)
        await settle(pilot)
