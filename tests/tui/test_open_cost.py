"""What opening an article costs the frame that paints it: the rows of one screenful read and drawn,
each line made at once, the trail line and the result list drawn in the frame after, and no scrollbar
drawn again by a layout that changed nothing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.scrollbar import ScrollBar

from store.library import Library
from store.linkview import LinkView
from store.marks import Mark
from store.trail import Trail
from tests.store.bulk_files import pmid
from tests.store.old_libraries import write_v2_docs
from tests.tui.helpers import citing_shown, make_app, ready
from tui.screens.main import MainScreen
from tui.widgets.links import LinkList
from tui.widgets.results import ResultsList
from tui.widgets.rows import link_lines
from tui.widgets.strips import _rich_strip, line_strip
from tui.widgets.trail import TrailBar, entry_label, trail_line

CITING = 2_000


@pytest.fixture(scope="module")
def famous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Record 1 cited by the 2,000 records after it, each of which also cites record 2."""
    path = tmp_path_factory.mktemp("famous") / "library.json"

    def docs():  # type: ignore[no-untyped-def]
        for i in (1, 2):
            yield (
                i,
                {
                    "pmid": pmid(i),
                    "title": f"Cited {i}",
                    "year": 1990,
                    "cited_by": list(range(3, CITING + 3)),
                },
            )
        for i in range(3, CITING + 3):
            yield i, {"pmid": pmid(i), "title": f"Citing {i}", "year": 2000 + i % 20, "references": [1, 2]}

    write_v2_docs(path, docs())
    Library.open(path)  # (converted once, here)
    return path


def _cells(segments: list[Segment]) -> list[tuple[str, Style | None]]:
    return [(seg.text, seg.style) for seg in Segment.simplify(segments) if seg.text]


def test_a_line_made_at_once_is_what_rich_makes() -> None:
    """``line_strip`` cuts, pads and styles a row's line as Rich's four steps did, wide characters,
    cut titles and the cursor's style included (a line with overlapping spans takes Rich's way)."""
    from rich.console import Console

    console = Console(width=200, color_system="truecolor")
    rng = random.Random(5)
    words = ["cell", "漢字", "Ünïcødé", "x" * 30, "a", "—", "mesenchymal", "🧬"]
    marks = [None, Mark(starred=True, tags=("review", "漢")), Mark(screening="excluded", note="n")]
    base = Style(color="white", bgcolor="blue")
    for _ in range(400):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        view = LinkView(
            target_id=1,
            pmid="1",
            pmcid=None,
            doi=None,
            title=title,
            authors=rng.choice([[], ["Smith J", "Doe A"]]),
            journal=rng.choice(["", "Nature"]),
            year=rng.choice([None, 2001]),
            in_library=rng.random() < 0.5,
        )
        for line in link_lines(view, rng.random() < 0.3, rng.choice(marks)):
            width = rng.randint(1, 90)
            made = line_strip(line, width, base, console)
            assert made.cell_length == width
            assert _cells(list(made)) == _cells(list(_rich_strip(line, width, base, console))), (title, width)
    overlapping = Text("overlapping spans")
    overlapping.stylize("bold", 0, 8)
    overlapping.stylize("italic", 4, 12)
    assert _cells(list(line_strip(overlapping, 10, base, console))) == _cells(
        list(_rich_strip(overlapping, 10, base, console))
    )


async def test_opening_reads_and_draws_one_screenful_of_rows(
    famous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening an article with 2,000 citing articles, its pane showing, reads the heads of the rows on
    screen (a few more), not a page of 64 or all of them, and draws each of their lines once."""
    read: list[int] = []
    rows = Library.rows

    def counting(self: Library, target_ids: list[int]) -> list[LinkView]:
        read.extend(target_ids)
        return rows(self, target_ids)

    monkeypatch.setattr(Library, "rows", counting)
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        pane = screen.query_one("#cited-by-list", LinkList)
        on_screen = pane.scrollable_content_region.height // LinkList.ROW_HEIGHT
        for doc in (pmid(2), pmid(1)):  # (the same pane, another article's rows, then back)
            read.clear()
            drawn = pane.lines_drawn
            screen.open_doc(Library.open(famous).find(doc))  # type: ignore[arg-type]
            await pilot.pause()
            # (an earlier test of this module's library may have visited it: "● ↺ Citing 3")
            assert len(pane.ids) == CITING and pane.row_text(0).split("\n")[0].endswith(" Citing 3")
            assert on_screen <= len(read) <= on_screen + 4
            assert pane.lines_drawn - drawn <= 2 * (on_screen + 1)


async def test_the_trail_and_the_result_list_follow_in_the_next_frame(
    famous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The frame that paints an opened article's pane draws neither the trail line nor the result list
    (Textual would repaint the whole screen around them); they are drawn, and follow, a frame later."""
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        drawn: list[str] = []
        # (Lines drawn anew: Textual draws a widget whose clip overlaps the frame's, from its cache.)
        for cls, method, name in (
            (MainScreen, "render_lines", "frame"),
            (TrailBar, "render_line", "trail"),
            (ResultsList, "render_line", "results"),
            (LinkList, "content_line", "pane"),
        ):

            def recording(self, *args, real=cls.__dict__.get(method) or getattr(cls, method), name=name):  # type: ignore[no-untyped-def]  # noqa: B008
                drawn.append(name)
                return real(self, *args)

            monkeypatch.setattr(cls, method, recording)
        pane = screen.query_one("#cited-by-list", LinkList)
        pane.move_to(16)  # (Citing 19: a row of the result list too, which follows it)
        await pilot.pause()
        drawn.clear()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert screen.trail.current == f"pmid:{pmid(19)}"
        # (The screen itself is drawn last in each frame: under every widget.)
        frames, frame = [], []  # type: ignore[var-annotated]
        for name in drawn:
            frame.append(name)
            if name == "frame":
                frames.append(frame)
                frame = []
        painted = next(n for n, frame in enumerate(frames) if "pane" in frame)
        assert "trail" not in frames[painted] and "results" not in frames[painted]
        assert any("trail" in frame for frame in frames[painted + 1 :])
        assert any("results" in frame for frame in frames[painted + 1 :])  # (its highlight followed)
        assert screen.results.hits[screen.results.highlighted or 0].title == "Citing 19"


async def test_a_layout_that_changes_nothing_draws_no_scrollbar_again(famous: Path) -> None:
    """Textual gives a scroll view its content size as its virtual size at each layout, so each layout
    drew every scrollbar anew; a scrollbar is drawn again when the list's virtual size changed."""
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await citing_shown(pilot)
        refreshed: list[str] = []
        real = ScrollBar.refresh

        def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            refreshed.append(str(self.parent.id))
            return real(self, *args, **kwargs)

        ScrollBar.refresh = recording  # type: ignore[method-assign]
        try:
            screen.query_one("#header").refresh(layout=True)
            await pilot.pause()
            await pilot.pause()
            assert "results" not in refreshed and "cited-by-list" not in refreshed
            screen.open_doc(Library.open(famous).find(pmid(3)))  # type: ignore[arg-type]
            await pilot.pause()
            await pilot.pause()
            assert "cited-by-list" in refreshed  # (its rows changed: its scrollbar follows)
        finally:
            ScrollBar.refresh = real  # type: ignore[method-assign]


def test_the_trail_line_measures_only_the_entries_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session's trail of 600 entries: the line measures, as strings or as Text, only the few entries
    it shows (it is drawn at every open; it measured all 600 before), and shows what dropping the
    fewest entries from its start shows (any labels, wide ones and empty ones included)."""
    import tui.widgets.trail as trail_module

    measured = [0]
    real = trail_module.cell_len
    measure_text = Text.cell_len.fget  # type: ignore[attr-defined]

    def counting(text: str) -> int:
        measured[0] += 1
        return real(text)

    def counting_text(text: Text) -> int:
        measured[0] += 1
        return int(measure_text(text))

    monkeypatch.setattr(trail_module, "cell_len", counting)
    monkeypatch.setattr(Text, "cell_len", property(counting_text))
    entries = [f"pmid:{10_000_000 + n}" for n in range(600)]
    line = trail_line(Trail(entries, 599), 120).plain
    assert line.startswith("Trail: … › ") and line.endswith("[10000599]") and measured[0] <= 20
    rng = random.Random(3)
    values = ["", "1", "12345", "10.1000/xyz", "漢字漢字", "PMC123"]
    for _ in range(3000):
        keys = [f"{rng.choice(['pmid', 'doi'])}:{rng.choice(values)}" for _ in range(rng.randint(1, 9))]
        position, width = rng.randrange(len(keys)), rng.randint(5, 80)
        labels = [entry_label(key) for key in keys]
        labels[position] = f"[{labels[position]}]"
        for first in range(position + 1):  # the fewest entries dropped that make it fit
            expected = "Trail: " + ("… › " if first else "") + " › ".join(labels[first:])
            if real(expected) <= width:
                break
        assert trail_line(Trail(keys, position), width).plain == expected, (keys, position, width)


async def test_enter_on_a_link_row_opens_it_there(famous: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enter on a row of a link pane opens that row's article, once, without the key going back up
    through the screen to the app's bindings (which found the pane's own, widget by widget)."""
    from textual import events

    bubbled: list[str] = []

    def on_key(self: MainScreen, event: events.Key) -> None:
        bubbled.append(event.key)

    monkeypatch.setattr(MainScreen, "on_key", on_key, raising=False)
    chosen: list[int] = []
    real = LinkList.action_choose

    def choosing(self: LinkList) -> None:
        chosen.append(self.highlighted or 0)
        real(self)

    monkeypatch.setattr(LinkList, "action_choose", choosing)
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("c", "down", "down")
        await pilot.pause()
        bubbled.clear()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.trail.current == f"pmid:{pmid(5)}" and chosen == [2]
        assert "enter" not in bubbled


async def test_an_action_typed_ahead_of_the_frame_is_for_the_article_opened(famous: Path) -> None:
    """The result list's highlight follows the open article a frame later (``MainScreen._opened``); an
    action on the highlighted row asked before that frame (keys typed ahead: back, then mark) is for
    the article opened, not the row highlighted before it."""
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        results = screen.results
        results.focus()
        results.highlighted = 0
        await pilot.pause()
        before = results.hits[0].doc_id
        other = next(hit.doc_id for hit in results.hits[1:] if hit.doc_id != before)
        screen.open_doc(other)  # (no frame drawn between the open and the action)
        assert screen.marking.target() == other
        assert results.hits[results.highlighted or 0].doc_id == other
        results.highlighted = 0  # (moved again before the frame: the follow, done, does not undo it)
        await pilot.pause(0.3)
        assert results.highlighted == 0


async def test_a_follow_waits_for_its_own_frame(famous: Path) -> None:
    """The wait of ``after_frame`` ends with the frame it waited for: one left running would run the
    next open's follow before that open's frame."""
    app = make_app(famous, pmid(1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        ran: list[str] = []
        screen.after_frame(lambda: ran.append("first"))
        screen.refresh()
        await pilot.pause()
        await pilot.pause()
        assert ran == ["first"] and screen._frame_timer is None
