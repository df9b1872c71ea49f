"""The app, driven by keys and mouse with Textual's pilot, on real libraries on disk."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input

from store.library import Library
from store.model import AbstractSection, Article, Author, Link, Origin
from tests.tui.helpers import border_title, make_app, plain, ready, rows, settle, text_of, until
from tui.keys import HELP_ROWS, KEYS
from tui.screens.main import MainScreen
from tui.widgets.links import LinkList
from tui.widgets.results import ResultsList

SEED_TITLE = "Exosomes from Mesenchymal Stem/stromal Cells: a New Therapeutic Paradigm"
CITING_TITLE = "Human Umbilical Cord Mesenchymal Stem Cells-Derived Exosomes"


def screen_of(app) -> MainScreen:  # type: ignore[no-untyped-def]
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


def header(app) -> str:  # type: ignore[no-untyped-def]
    return text_of(app.screen.query_one("#header"))


def abstract(app) -> str:  # type: ignore[no-untyped-def]
    """What the abstract pane shows, or shows once shown (hidden, it is not made: ``AbstractView``)."""
    return plain(app.screen.query_one("#abstract-view").text)


def trail(app) -> str:  # type: ignore[no-untyped-def]
    return text_of(app.screen.query_one("#trail"))


def results(app) -> ResultsList:  # type: ignore[no-untyped-def]
    return app.screen.query_one(ResultsList)


def links(app, rel: str) -> LinkList:  # type: ignore[no-untyped-def]
    return app.screen.query_one("#references-list" if rel == "references" else "#cited-by-list", LinkList)


async def test_the_citation_walk_on_the_demo(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        # The seed is the library's only full record and the most cited: first in the list.
        assert rows(results(app))[0].startswith("● " + SEED_TITLE)
        await pilot.press("enter")
        assert header(app).startswith(SEED_TITLE)
        assert "Mesenchymal stem/stromal cells" in abstract(app)
        await pilot.press("r")
        assert screen_of(app).active_pane == "references"
        assert app.focused is links(app, "references")
        assert len(rows(links(app, "references"))) == 5
        await pilot.press("c")
        assert app.focused is links(app, "cited_by")
        citing = rows(links(app, "cited_by"))
        assert len(citing) == 5 and citing[0].startswith("○ " + CITING_TITLE)
        await pilot.press("enter")
        assert header(app).startswith(CITING_TITLE) and "stub" in header(app)
        assert "this article is a stub" in abstract(app)
        refs = rows(links(app, "references"))
        assert len(refs) == 1 and refs[0].startswith("● ↺ " + SEED_TITLE)  # in the library, and visited
        assert trail(app) == "Trail: 30992990 › [40078652]"  # the current one in brackets
        await pilot.press("backspace")
        assert header(app).startswith(SEED_TITLE)
        assert trail(app) == "Trail: [30992990] › 40078652"
        assert screen_of(app).trail.position == 0
        await pilot.press("alt+right")
        assert header(app).startswith(CITING_TITLE)
        await pilot.press("alt+left")
        assert header(app).startswith(SEED_TITLE)
        # Opening something new after going back drops the forward part, as in a browser.
        await pilot.press("r", "down", "enter")
        assert header(app).startswith("Mesenchymal stem cell secretes microparticles")
        assert screen_of(app).trail.entries == ["pmid:30992990", "pmc:PMC2800221"]
        assert trail(app) == "Trail: 30992990 › [PMC2800221]"


async def test_search_bar_keys(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"Li K[au]")  # letters that are keys elsewhere just type here
        assert app.focused.value == "Li K[au]"
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is results(app)
        assert border_title(results(app)) == "by relevance · 1 hit — Li K[au]"
        assert rows(results(app))[0].startswith("○ " + CITING_TITLE)
        await pilot.press("slash", "escape")
        assert app.focused is results(app)
        await pilot.press("slash", "ctrl+a", "backspace")
        await pilot.press(*"(stem", "enter")
        await settle(pilot)
        assert "this '(' is never closed" in rows(results(app))[0]
        assert screen_of(app).current is None  # backspace in the search bar edits, it does not go back


async def test_list_movement_tab_cycle_and_panes(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        listing = results(app)
        assert listing.highlighted == 0
        await pilot.press("j", "j", "down")
        assert listing.highlighted == 3
        await pilot.press("k", "up")
        assert listing.highlighted == 1
        await pilot.press("tab")
        assert app.focused is app.screen.query_one("#abstract-view")
        await pilot.press("tab")
        assert app.focused is links(app, "references")
        assert screen_of(app).active_pane == "references"
        await pilot.press("tab", "tab")
        assert app.focused is listing
        await pilot.press("shift+tab")
        assert app.focused is links(app, "cited_by")
        await pilot.press("a")
        assert screen_of(app).active_pane == "abstract"


async def test_back_and_forward_at_the_ends_say_so(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("backspace")
        await pilot.press("alt+right")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert "Nothing further back on the trail." in messages and "Nothing ahead on the trail." in messages


async def test_a_link_pane_with_no_article_open_says_to_open_one(lib_path: Path) -> None:
    """c, r and l with no article open: an empty pane got the focus and nothing was said. Now they say
    to open an article first, and the focus and the pane stay where they were; a still shows the
    search help, and once an article is open the keys show its panes."""
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert screen_of(app).current is None
        assert app.focused is results(app)
        for key, said in (
            ("c", "Open an article first: c shows the articles citing it."),
            ("r", "Open an article first: r shows the papers it cites."),
            ("l", "Open an article first: l shows the articles most related to it."),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert [n.message for n in app._notifications][-1] == said
            assert app.focused is results(app)
            assert screen_of(app).active_pane == "abstract"
        await pilot.press("a")
        assert app.focused is app.screen.query_one("#abstract-view")
        await pilot.press("shift+tab", "enter", "c")
        assert screen_of(app).current is not None
        assert app.focused is links(app, "cited_by")


async def test_help_screen_lists_every_key_and_closes(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        from tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.query_one("#help").query("Static")
        table = shown[0].content
        from rich.console import Console

        console = Console(width=120, record=True)
        console.print(table)
        rendered = " ".join(console.export_text().split())
        grouped = {action: what for actions, what in HELP_ROWS for action in actions}
        for key in KEYS:
            assert " ".join(grouped.get(key.action, key.help).split()) in rendered
            assert key.label in rendered
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_every_action_is_in_the_command_palette(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for key in KEYS:
            if key.action != "app.command_palette":
                assert any(t.startswith(key.description) for t in titles)
        assert titles.count("Quit (q)") == 1 and "Quit" not in titles  # once, not twice
        # Running one from the palette acts on the main screen (an article open: Refs shows its pane).
        await pilot.press("enter")
        command = next(c for c in app.get_system_commands(app.screen) if c.title.startswith("Refs"))
        await command.callback()
        assert screen_of(app).active_pane == "references"


async def test_q_quits_and_reopening_returns_where_you_were(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("enter", "c", "enter", "c")
        await pilot.press("slash", *"exosom*", "enter")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0  # q exited the app (it is None while an app runs)
    again = make_app(lib_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert again.screen.query_one(Input).value == "exosom*"
        assert border_title(results(again)).startswith("by relevance · 6 hits — exosom*")
        assert header(again).startswith(CITING_TITLE)
        assert trail(again) == "Trail: 30992990 › [40078652]"
        assert screen_of(again).active_pane == "cited_by"
        await pilot.press("backspace")
        assert header(again).startswith(SEED_TITLE)


async def test_opening_on_a_query_or_an_identifier(lib_path: Path) -> None:
    app = make_app(lib_path, "periodontitis")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert border_title(results(app)) == "by relevance · 1 hit — periodontitis"
        assert screen_of(app).current is None
    app = make_app(lib_path, "10.2147/IJN.S502192")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert header(app).startswith(CITING_TITLE)
        assert trail(app).endswith("[40078652]")


async def test_friendly_lines_instead_of_blank_panes(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    Library.open(path, demo=False)
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "The library is empty. Import records with: pmbrowse import" in rows(results(app))[0]
        assert header(app).startswith("Search with / and open a result")
        await pilot.press("slash", *"nothing", "enter")
        await settle(pilot)
        assert rows(results(app))[0].startswith("No articles match “nothing”")
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5", title="A record without abstract or links"), Origin("test"))
    app = make_app(path, "5")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert abstract(app) == "This record has no abstract (its source gave none)."
        assert rows(links(app, "references"))[0].startswith("No references known for this article")
        assert rows(links(app, "cited_by"))[0].startswith("No citing articles known")


async def test_clicking_a_row_opens_it(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.click("#results", offset=(5, 1))
        await pilot.pause()
        assert header(app).startswith(SEED_TITLE)


async def test_the_first_screen_paints_before_the_library_loads(lib_path: Path, monkeypatch) -> None:
    Library.open(lib_path)
    release = threading.Event()
    real_open = Library.open.__func__  # type: ignore[attr-defined]

    def slow_open(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        release.wait(10)
        return real_open(cls, *args, **kwargs)

    monkeypatch.setattr(Library, "open", classmethod(slow_open))
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        # The index needs no library: the search answers while the library is still held back. (Waited
        # for, not a fixed pause: under load the first page's thread can take longer than 0.2 s.)
        first = "most cited first · 11 hits — All articles"
        await until(pilot, lambda: border_title(results(app)) == first, seconds=5)
        assert header(app) == "Loading the library…"
        assert border_title(results(app)) == first
        release.set()
        await ready(pilot)
        assert header(app).startswith("Search with /")


MARKUP_TITLE = "[bold]Not bold[/bold] [/ closing \\ back\\slash \x1b[31mred\x1b[0m 🧬 [link=http://x]x[/link]"


async def test_untrusted_text_is_shown_literally(tmp_path: Path) -> None:
    path = tmp_path / "markup.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(
            Article(
                pmid="7",
                title=MARKUP_TITLE,
                authors=[Author("[red]Evil", "X"), Author("\\Back", "S")],
                journal="J [i]Markup[/i]",
                abstract=[AbstractSection("Body with [b]tags[/b], [/ and \x1b[2J escapes.", "[LABEL]")],
                references=[Link(pmid="8", title="[blink]Ref[/blink] \x1b]8;;http://evil\x1b\\link")],
            ),
            Origin("test"),
        )
    app = make_app(path, "7")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        shown = MARKUP_TITLE.replace("\x1b", "␛")
        assert header(app).startswith(shown)
        assert "[red]Evil X, \\Back S" in header(app)
        assert "J [i]Markup[/i]" in header(app)
        assert abstract(app) == "[LABEL]\nBody with [b]tags[/b], [/ and ␛[2J escapes."
        assert rows(links(app, "references"))[0].startswith("○ [blink]Ref[/blink] ␛]8;;http://evil␛\\link")
        assert any(row.startswith("● " + shown) for row in rows(results(app)))
        await pilot.press("y")  # a notice that quotes the title: shown literally too
        await pilot.pause()
        assert app._notifications and shown in list(app._notifications)[-1].message
        await pilot.press("slash", *"[bold]", "enter")  # typed markup in the search bar is text too
        await settle(pilot)
        app.save_screenshot(str(tmp_path / "shot.svg"))  # rendering the whole screen does not fail
        svg = (tmp_path / "shot.svg").read_text(encoding="utf-8")
        assert "[bold]Not&#160;bold[/bold]" in svg or "[bold]Not bold[/bold]" in svg


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_layout_holds_at_small_and_large_sizes(lib_path: Path, size: tuple[int, int]) -> None:
    app = make_app(lib_path, "30992990")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        for selector in ("#search", "#results", "#header", "#panes", "#trail"):
            region = app.screen.query_one(selector).region
            assert region.width > 0 and region.height > 0, selector
            assert region.right <= size[0] and region.bottom <= size[1], selector
        assert app.screen.query_one("#panes").region.height >= 5


async def test_rows_keep_their_last_line_at_80_columns(lib_path: Path) -> None:
    """A scrollbar that appears after the rows were measured must not cut their last line."""
    app = make_app(lib_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        listing = results(app)
        shown = [
            "".join(seg.text for seg in listing.render_line(y)._segments).strip()
            for y in range(listing.size.height)
        ]
        assert "cited 189" in " ".join(shown)


def test_the_trail_line_keeps_the_current_entry_in_view() -> None:
    from store.trail import Trail
    from tui.widgets.trail import trail_line

    trail = Trail([f"pmid:{10000000 + n}" for n in range(18)], 14)
    line = trail_line(trail, 60).plain
    assert len(line) <= 60 and line.startswith("Trail: … › ") and "10000014" in line
    assert trail_line(Trail(["pmid:1", "pmid:2"], 1), 60).plain == "Trail: 1 › [2]"
