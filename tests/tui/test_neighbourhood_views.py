"""The Related pane, the per-year charts and the citation map, each in a small app, at 80x24 and 120x40."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult

from store.library import Library
from store.neighbourhood import GraphReader, citation_years, publications_per_year
from store.neighbourhood.years import CitationYears, YearCounts
from tests.store.citation_graphs import hand_built, random_graph
from tests.tui.helpers import rows
from tui.screens.map import MapScreen, MapView
from tui.widgets.related import RelatedPane
from tui.widgets.yearchart import YearBars, YearChart, citation_chart

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def library(empty_library: Library) -> Library:
    hand_built(empty_library)
    return empty_library


def doc(library: Library, pmid: str) -> int:
    found = library.find(pmid)
    assert found is not None
    return found


class PaneApp(App[None]):
    def __init__(self, library: Library, doc_id: int) -> None:
        super().__init__()
        self.library, self.doc_id = library, doc_id
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield YearChart(id="chart")
        yield RelatedPane()

    def on_mount(self) -> None:
        pane = self.query_one(RelatedPane)
        pane.show(self.library, self.doc_id)
        pane.related_list.focus()
        self.query_one(YearChart).show_citations(citation_years(GraphReader(self.library), self.doc_id))

    def on_related_pane_selected(self, event: RelatedPane.Selected) -> None:
        self.selected.append(event.doc_id)


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_related_pane(library: Library, size: tuple[int, int]) -> None:
    app = PaneApp(library, doc(library, "1"))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        pane = app.query_one(RelatedPane)
        shown = rows(pane.related_list)
        assert len(shown) == 9
        assert shown[0].startswith("0.612 ○ Stub 20") and "co-cited 3×" in shown[0]
        assert "shares 3 references" in shown[1]
        await pilot.press("b")  # -> co-citation
        await settle(pilot)
        assert pane.mode == "cocitation"
        titles = [r.split("\n")[0][8:] for r in rows(pane.related_list)]
        assert titles[:3] == ["Stub 20", "Record 12", "Record 11"]
        await pilot.press("b")  # -> coupling
        await settle(pilot)
        assert rows(pane.related_list)[0].startswith("0.866 ● Record 5")
        await pilot.press("down", "enter")
        assert app.selected == [doc(library, "3")]
        # Nothing wider than the screen.
        mode_line = pane.query_one("#related-mode").render().plain
        assert all(len(line) <= size[0] for line in mode_line.splitlines())


async def test_related_pane_reloads_in_place(library: Library) -> None:
    from store.model import Article, Link
    from tests.store.citation_graphs import ORIGIN

    app = PaneApp(library, doc(library, "1"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.query_one(RelatedPane)
        await pilot.press("down", "down")  # Record 3
        with library.transaction() as changes:  # a new article cites 1 and 3
            new = Article(pmid="7", title="New", references=[Link(pmid="1"), Link(pmid="3")])
            changes.put_article(new, ORIGIN)
        pane.check_library()  # (what the main screen does when the watcher reports a change)
        await settle(pilot)
        highlighted = pane.related_list.highlighted
        assert highlighted is not None and pane.rows[highlighted].node.pmid == "3"
        assert "co-cited 1×" in rows(pane.related_list)[highlighted]


async def test_related_pane_on_an_article_without_links(library: Library) -> None:
    from store.model import Article
    from tests.store.citation_graphs import ORIGIN

    with library.transaction() as changes:
        changes.put_article(Article(pmid="99", title="Alone"), ORIGIN)
    app = PaneApp(library, doc(library, "99"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "No article in the library" in rows(app.query_one(RelatedPane).related_list)[0]


@pytest.mark.parametrize("width", [40, 80, 120])
def test_year_bars_fit_and_need_no_colour(width: int) -> None:
    years = CitationYears(
        2001,
        YearCounts({y: (y * 7) % 13 for y in range(2001, 2026)}, 2),
        YearCounts({y: y % 3 for y in range(1950, 2001)}),
        400,
    )
    console = Console(width=width, color_system=None, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(citation_chart(years))
    text = console.export_text()
    assert all(len(line) <= width for line in text.splitlines())
    total = years.citing.total
    title = f"Cited by, per year: {total} in the library, 400 reported by the source (2 undated)"
    assert title[: width - 1] in text
    assert "█" in text and "2001" in text and "1950" in text
    assert "\x1b" not in text


def test_year_bars_merge_years_when_narrow() -> None:
    bars = YearBars("t", [(y, 1) for y in range(1900, 2000)])
    merged = bars.buckets(30)
    assert len(merged) <= 30 and sum(n for *_, n in merged) == 100 and merged[0][0] == 1900


async def test_publications_chart(library: Library) -> None:
    counts = publications_per_year(library, [doc(library, p) for p in ("1", "2", "3", "13")])

    class ChartApp(App[None]):
        def compose(self) -> ComposeResult:
            yield YearChart()

        def on_mount(self) -> None:
            self.query_one(YearChart).show_publications(counts)

    async with ChartApp().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = app_text(pilot.app.query_one(YearChart))
        assert "Publications per year: 4" in text and "2015" in text


def app_text(widget: YearChart) -> str:
    console = Console(width=80, color_system=None, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


class MapApp(App[None]):
    def __init__(
        self, library: Library, doc_id: int, trail: tuple[int, ...] = (), per_column: int = 150
    ) -> None:
        super().__init__()
        self.library, self.doc_id, self.trail, self.per_column = library, doc_id, trail, per_column
        self.result: list[int | None] = []
        self.recentred: list[int] = []

    def on_mount(self) -> None:
        screen = MapScreen(self.library, self.doc_id, trail=self.trail, per_column=self.per_column)
        self.push_screen(screen, callback=self.result.append)

    def on_map_screen_recentred(self, event: MapScreen.Recentred) -> None:
        self.recentred.append(event.doc_id)


def visible(view: MapView) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


@pytest.mark.parametrize("size", SIZES)
async def test_map_screen(library: Library, size: tuple[int, int]) -> None:
    x = doc(library, "1")
    app = MapApp(library, x, trail=(doc(library, "12"), x))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        view = app.screen.query_one(MapView)
        assert view.grid is not None and view.grid.focus == x
        lines = visible(view)
        assert all(len(line) == size[0] - 0 or len(line) <= size[0] for line in lines)
        assert any("Record 1" in line for line in lines) and any(line.startswith("2010") for line in lines)
        assert "Map of Record 1" in str(app.screen.query_one("#map-title").render())
        header = str(app.screen.query_one("#map-header").render())
        assert ("References (4)" if size[0] > 100 else "Refs (4)") in header
        # The article's edges are drawn: a corner above its row and below.
        assert any("┐" in line for line in lines) and any("└" in line for line in lines)
        await pilot.press("right")
        assert view.grid.focus == app.screen.layout_data.columns[1][0]  # type: ignore[attr-defined]
        assert "Record 2" in str(app.screen.query_one("#map-details").render())
        await pilot.press("down", "down")
        assert view.grid.focus == app.screen.layout_data.columns[1][2]  # type: ignore[attr-defined]
        await pilot.press("left", "left")
        assert app.screen.layout_data.nodes[view.grid.focus].column == -1  # type: ignore[attr-defined]
        await pilot.press("home")
        assert view.grid.focus == x
        # enter on a citing article re-centres the map on it.
        await pilot.press("right", "enter")
        await settle(pilot)
        two = doc(library, "2")
        assert app.recentred == [two] and app.screen.layout_data.centre == two  # type: ignore[attr-defined]
        assert view.grid.focus == two
        assert x in view.trail and doc(library, "12") in view.trail
        await pilot.press("escape")
        await pilot.pause()
        assert app.result == [two]  # the article the map ended centred on


async def test_map_o_hands_back_the_highlighted_article(library: Library) -> None:
    app = MapApp(library, doc(library, "1"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("left")
        view = app.screen.query_one(MapView)
        assert view.grid is not None
        highlighted = view.grid.focus
        assert view.grid.layout.nodes[highlighted].column == -1
        await pilot.press("o")
        await pilot.pause()
        assert app.result == [highlighted]


async def test_large_map_scrolls_to_the_cursor(tmp_path: Path) -> None:
    random_graph(tmp_path / "lib.json", n=600, seed=4)
    library = Library.open(tmp_path / "lib.json")
    app = MapApp(library, 120, per_column=1000)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(MapView)
        layout = app.screen.layout_data  # type: ignore[attr-defined]
        assert layout is not None and layout.height > 40
        await pilot.press("right", "right")  # the citing the citing: a long column
        assert layout.nodes[view.grid.focus].column == 2  # type: ignore[union-attr]
        for _ in range(30):
            view.action_move(0, 1)  # (what "down" runs; pressing it 30 times takes seconds)
        await pilot.pause()
        row = layout.nodes[view.grid.focus].row  # type: ignore[union-attr]
        top = view.scroll_offset.y
        assert top > 0 and top <= row < top + view.scrollable_content_region.height
        lines = visible(view)
        assert any("█" not in line for line in lines)
        assert all(len(line) <= 80 for line in lines)


@pytest.mark.parametrize("width", [30, 46, 80, 120])
def test_sparkline_is_one_line_at_any_width(width: int) -> None:
    from tui.widgets.yearchart import citation_sparkline

    years = CitationYears(2001, YearCounts({y: y % 5 for y in range(1990, 2026)}), YearCounts(), 250)
    console = Console(width=width, color_system=None, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(citation_sparkline(years))
    lines = console.export_text().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= width
    label = "Cited/yr" if width < 40 else "Cited by, per year"
    assert lines[0].startswith(f"{label}  1990 ") and "2025" in lines[0]
    if width >= 80:
        assert lines[0].endswith(f"{years.citing.total} here, 250 reported")


async def test_map_takes_in_a_changed_library(library: Library) -> None:
    from store.model import Article, Link
    from tests.store.citation_graphs import ORIGIN

    x = doc(library, "1")
    app = MapApp(library, x)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("left", "down")
        view = app.screen.query_one(MapView)
        assert view.grid is not None
        highlighted = view.grid.focus
        with library.transaction() as changes:  # a new article cites 1
            changes.put_article(
                Article(pmid="8", title="Newcomer", year=2024, references=[Link(pmid="1")]), ORIGIN
            )
        app.screen.check_library()  # type: ignore[attr-defined]
        await settle(pilot)
        layout = app.screen.layout_data  # type: ignore[attr-defined]
        assert doc(library, "8") in layout.columns[1]
        assert view.grid.focus == highlighted  # the same article stays highlighted


def test_publications_sparkline_for_a_result_list() -> None:
    from store.neighbourhood.years import year_counts
    from tui.widgets.yearchart import publications_sparkline

    counts = year_counts([2019, 2019, 2021, None, 2024])
    line = publications_sparkline(counts).line(40)
    assert line.plain == "Per year  2019 █ ▄  ▄ 2024  5, 1 undated"
    assert len(publications_sparkline(counts).line(20).plain) <= 20


def test_the_related_pane_names_every_mode_in_order() -> None:
    """The pane's mode line lists its labels without importing the neighbourhood (at start-up): they
    must be the modes the computation knows, in its order."""
    from store.neighbourhood.related import MODES
    from tui.widgets.related import MODE_LABELS

    assert tuple(MODE_LABELS) == MODES
