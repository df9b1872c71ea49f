"""The Snowball view in a small app of its own: screening (the reason dialog, the cursor rule, no
silent undo), what is listed, the stages, screeners and conflicts, the flow, 20,000 candidates.
Each test named after a defect of issue 16 failed before its fix."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import OptionList, Static

from store.marks import Marks
from store.online.ratelimit import RateLimiter
from store.online.session import Online
from store.snowball.engine import Row, run_round
from store.snowball.flow import flow
from store.snowball.state import Candidate, SnowballFile, keep_round
from tests.online_server import LocalServer, Reply, Request, fast_config, json_reply
from tests.store.snowball.graph import SEEDS, build, ids
from tests.tui.helpers import text_of
from tui.keys import SNOWBALL_KEYS
from tui.screens.flow import FlowScreen
from tui.screens.help import HelpScreen
from tui.screens.reason import ReasonScreen
from tui.screens.snowball import IN_PREVIEW, SnowballScreen
from tui.widgets.candidates import CandidateList
from tui.widgets.footer import KeyFooter

ROUND_1 = ["11", "10", "20", "22", "21", "13", "30"]  # (12 was excluded before the round: not listed)


class SnowballApp(App[None]):
    """Pushes the view on a library and records what it is dismissed with."""

    def __init__(self, path: Path, screener: str | None = None, built: bool = False) -> None:
        super().__init__()
        if built:
            from store.library import Library

            self.library = Library.open(path, demo=False)
        else:
            self.library, _ = build(path)
        self.marks = Marks.open(path, screener=screener)
        self.opened: list[int | None] = []

    def on_mount(self) -> None:
        self.push_screen(SnowballScreen(self.library, self.marks), self.opened.append)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def counts(app: App[None]) -> str:
    return text_of(app.screen.query_one("#snowball-counts", Static))


def title(app: App[None]) -> str:
    return text_of(app.screen.query_one("#snowball-title", Static))


def notices(app: App[None]) -> list[str]:
    return [n.message for n in app._notifications]


def labels(screen: SnowballScreen) -> list[str]:
    return [r.candidate.label for r in screen.rows]


def line(listing: CandidateList, y: int) -> str:
    return "".join(s.text for s in listing.render_line(y))


async def view(pilot) -> SnowballScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SnowballScreen)
    return screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_view_runs_the_first_round_and_lists_what_is_left_to_screen(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """Defect 14: the candidates screened before the round (12) are counted, not listed; ``a`` lists
    them too."""
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=size) as pilot:
        screen = await view(pilot)
        assert title(app) == "Round 1 of 1 · both · 3 seeds (included) · title/abstract · screener unnamed"
        assert labels(screen) == ROUND_1
        assert counts(app) == (
            "to screen 7 of 7 · 1 screened already, not listed (a lists all) · 7 new of 12 links"
        )
        listing = screen.candidates
        # The first row as drawn: no decision, new, a stub, its title; under it the PMID first, then why.
        assert line(listing, 0).startswith("  new ○ Article 11")
        assert len(line(listing, 0)) == listing.scrollable_content_region.width
        assert line(listing, 1).startswith("        PMID 11 · cited by 3 of your 3 included")
        assert "Article 11" in text_of(screen.query_one("#snowball-details", Static))
        await pilot.press("a")
        assert "12" in labels(screen) and "✘" in line(listing, 2 * labels(screen).index("12"))
        await pilot.press("a")
        assert labels(screen) == ROUND_1
        await pilot.press("home", "enter")
        await pilot.pause()
        assert app.opened == [app.library.find("11")]


async def test_defect_1_typing_goes_to_the_reason_at_once_and_is_stored_as_typed(tmp_path: Path) -> None:
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view(pilot)
        await pilot.press("x")  # 11
        assert isinstance(app.screen, ReasonScreen)
        offered = app.screen.query_one(OptionList)
        assert text_of(offered).splitlines() == [
            "wrong population",
            "wrong intervention",
            "wrong outcome",
            "wrong study design",
            "wrong publication type",
        ]
        await pilot.press(*"Animal study (in vitro)", "enter")  # no tab: the field has the focus
        assert isinstance(app.screen, SnowballScreen)
        mark = Marks.open(tmp_path / "lib.json").get(["pmid:11"])
        assert (mark.screening, mark.reason) == ("excluded", "Animal study (in vitro)")
        # The reason given is offered next time; typing narrows the list, ↓ picks one, typing drops it.
        await pilot.press("x")  # 10
        offered = app.screen.query_one(OptionList)
        assert text_of(offered).splitlines()[-1] == "Animal study (in vitro)"
        await pilot.press(*"outc")
        assert text_of(offered).splitlines() == ["wrong outcome"]
        await pilot.press("down", "enter")
        assert Marks.open(tmp_path / "lib.json").get(["pmid:10"]).reason == "wrong outcome"
        await pilot.press("x", *"wrong", "down", "backspace", "enter")  # 20: picked, then typed again
        assert Marks.open(tmp_path / "lib.json").get(["pmid:20"]).reason == "wron"
        # A reason the review has, typed in another case, is the review's (one reason, not two).
        await pilot.press("x", *"ANIMAL STUDY (IN VITRO)", "enter")  # 22
        assert Marks.open(tmp_path / "lib.json").get(["pmid:22"]).reason == "Animal study (in vitro)"
        # Nothing typed or picked: excluded with no reason.
        await pilot.press("x", "enter")  # 21
        mark = Marks.open(tmp_path / "lib.json").get(["pmid:21"])
        assert (mark.screening, mark.reason) == ("excluded", "")
        assert counts(app).startswith("to screen 2 of 7 · excluded 5 · ")
        assert screen.candidates.cursor == 5


async def test_defect_3_the_cursor_rule_and_no_silent_undo(tmp_path: Path) -> None:
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view(pilot)
        listing = screen.candidates
        marks = lambda pmid: Marks.open(tmp_path / "lib.json").get([f"pmid:{pmid}"])  # noqa: E731
        await pilot.press("i")  # 11, then on to 10
        assert marks("11").screening == "included" and listing.cursor == 1
        await pilot.press("x", "escape")  # cancelled: nothing recorded, the cursor stays
        assert marks("10").screening is None and listing.cursor == 1
        await pilot.press("x", "enter")  # excluded (no reason): on to 20
        assert marks("10").screening == "excluded" and listing.cursor == 2
        await pilot.press("k", "x")  # 10 again: the dialog holds its reason; enter keeps it: nothing changes
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press("enter")
        assert [d.decision for d in marks("10").decisions] == ["excluded"]
        assert "excluded already; u takes it back" in notices(app)
        assert listing.cursor == 1
        await pilot.press("k", "i")  # 11 again: included already; nothing recorded, the cursor stays
        assert [d.decision for d in marks("11").decisions] == ["included"]
        assert "included already; u takes it back" in notices(app) and listing.cursor == 0
        await pilot.press("u")  # taken back, said, and the cursor stays to decide again
        assert marks("11").screening is None and listing.cursor == 0
        assert "PMID 11 was included; now undecided" in notices(app)
        await pilot.press("i")  # decided again: on to the next row still to screen, past 10 (excluded)
        assert listing.cursor == 2 and labels(screen)[2] == "20"
        await pilot.press("k", "i")  # 10: excluded -> included, said
        assert marks("10").screening == "included"
        assert "PMID 10 was excluded; now included" in notices(app)
        assert listing.cursor == 2
        await pilot.press("end", "i")  # the last row: nothing left below, the cursor stays
        assert listing.cursor == 6 and "Nothing left to screen below this row." in notices(app)
        assert counts(app).startswith("to screen 4 of 7 · included 3 · ")


async def test_next_round_from_the_included(tmp_path: Path) -> None:
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await view(pilot)
        await pilot.press("down", "i")  # include 10 (A), which cites 30: already found, nothing new
        app.marks.set_screening(["pmid:20"], "included")  # 20 (E) cites 40: new
        await pilot.press("N")
        await settle(pilot)
        assert title(app).startswith("Round 2 of 2 · both · 5 seeds (included)")
        rows = {r.candidate.label: r.candidate for r in screen.rows}
        assert rows["40"].round == 2 and not rows["40"].known and rows["11"].known == "earlier"
        assert "10" not in rows and "20" not in rows  # seeds now
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert title(app).startswith("Round 1 of 2 ·") and labels(screen) == [
            "11",
            "22",
            "21",
            "13",
            "30",
        ]  # (10 and 20 are screened now)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert title(app).startswith("Round 2 of 2 ·")


async def test_no_seeds_says_what_to_do(tmp_path: Path) -> None:
    app = SnowballApp(tmp_path / "lib.json")
    for pmid in ("1", "2", "3"):
        app.marks.set_screening([f"pmid:{pmid}"], None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert counts(app).startswith("No seeds: mark the articles you include with i")
        await pilot.press("escape")
        await pilot.pause()
        assert app.opened == [None]


async def test_the_full_text_stage(tmp_path: Path) -> None:
    """``t`` lists the reports sought (included at title/abstract); i x r u record full-text decisions."""
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view(pilot)
        await pilot.press("i", "i", "i")  # 11 10 20
        await pilot.press("r")
        assert "Not retrieved is a full-text decision: t switches to the full-text stage." in notices(app)
        await pilot.press("t")
        await settle(pilot)
        assert title(app) == "Full text · the reports sought, both arms · screener unnamed"
        assert labels(screen) == ["11", "10", "20"]
        assert line(screen.candidates, 1).startswith("        PMID 11 · round 1")
        await pilot.press("r")  # 11 not retrieved
        await pilot.press("x", *"wrong outcome", "enter")  # 10
        await pilot.press("i")  # 20
        marks = Marks.open(tmp_path / "lib.json")
        assert [(d.stage, d.decision) for d in marks.get(["pmid:11"]).decisions][-1] == (
            "full-text",
            "not-retrieved",
        )
        assert (marks.get(["pmid:10"]).stage, marks.get(["pmid:10"]).reason) == ("full-text", "wrong outcome")
        assert counts(app) == "to screen 0 of 3 · included 1 · excluded 1 · not-retrieved 1"
        done = flow(app.library, SnowballFile.open(tmp_path / "lib.json").load(), marks)
        arm = done.citations
        assert (arm.screened, arm.sought, arm.not_retrieved, arm.assessed, arm.included) == (3, 3, 1, 2, 1)
        assert arm.reports_excluded == {"wrong outcome": 1}
        await pilot.press("t")  # back to title/abstract: those three are screened, not listed
        await settle(pilot)
        assert labels(screen) == ["22", "21", "13", "30"]


async def test_two_screeners_blind_then_a_conflict_resolved(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    library, marks = build(path)
    file = SnowballFile.open(path)
    keep_round(file, run_round(library, ids(library, *SEEDS), marks=marks, state=file.load()).round)
    ann, bob = Marks.open(path, screener="ann"), Marks.open(path, screener="bob")
    ann.set_screening(["pmid:11"], "included")
    bob.set_screening(["pmid:11"], "excluded", reason="wrong population")
    ann.set_screening(["pmid:10"], "included")
    app = SnowballApp(path, screener="ann", built=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view(pilot)
        # Blind: ann sees her own decisions, so 11 and 10 are hers, screened, not listed; no conflicts.
        assert title(app).endswith("· title/abstract · screener ann (blind)")
        assert labels(screen) == ["20", "22", "21", "13", "30"]  # (the round's order, 11 and 10 left out)
        assert "conflict" not in counts(app)
        await pilot.press("b")  # the review's decisions: 11 is a conflict, listed and marked
        assert title(app).endswith("· screener ann (unblind)")
        assert labels(screen)[0] == "11" and line(screen.candidates, 0).startswith("! new")
        assert "1 conflict" in counts(app)
        assert labels(screen)[screen.candidates.cursor] == "20"  # (the cursor stays on its article)
        await pilot.press("home")
        assert "Conflict: ann: included; bob: excluded (wrong population) — a decision here resolves it" in (
            text_of(screen.query_one("#snowball-details", Static))
        )
        await pilot.press("x", "down", "enter")  # resolved: excluded, wrong population
        assert "Resolved: excluded (wrong population), by ann" in notices(app)
        record = Marks.open(path).get(["pmid:11"]).decisions[-1]
        assert (record.decision, record.reason, record.screener, record.final) == (
            "excluded",
            "wrong population",
            "ann",
            True,
        )
        assert "0 conflicts" in counts(app)


async def test_the_flow_screen(tmp_path: Path) -> None:
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(80, 24)) as pilot:
        await view(pilot)
        await pilot.press("i", "x", "enter")
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, FlowScreen)
        shown = text_of(app.screen.query_one("#flow-text", Static))
        assert shown.startswith("PRISMA 2020 flow diagram")
        assert "citation searching (n = 7)" in shown and "Records excluded (n = 1)" in shown
        # As wide as the room inside the frame (less its padding and the scroll bar), no wider.
        assert max(len(row) for row in shown.splitlines()) == 80 - 2 - 2 - 1
        scroll = app.screen.query_one("#flow")
        await pilot.press("end")
        assert scroll.scroll_offset.y > 0  # taller than the screen: it scrolls
        await pilot.press("escape")
        assert isinstance(app.screen, SnowballScreen)


async def test_at_80x24_every_key_is_on_screen_in_help_and_in_the_palette(tmp_path: Path) -> None:
    """Defect 11: at 80x24 the N F d L keys fell off, ? did nothing, the palette had no Snowball action."""
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view(pilot)
        footer = screen.query_one(KeyFooter).render().plain
        for key in ("i Incl", "x Excl", "N Next round", "F Fetch", "d Dir", "L Links", "? Help", "esc Close"):
            assert key in footer, key
        assert all(len(row) <= 80 for row in footer.splitlines())
        # PMIDs are never cut: the identifier opens the second line.
        assert all(
            line(screen.candidates, 2 * n + 1).strip().startswith(f"PMID {label}")
            for n, label in enumerate(labels(screen)[:4])
        )
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help").query(Static)[0].content)
        shown = " ".join(console.export_text().split())
        for key in SNOWBALL_KEYS:
            assert key.label in shown and " ".join(key.help.split()) in shown, key.label
        await pilot.press("escape")
        assert app.screen is screen


async def test_the_palette_lists_the_snowball_actions_and_runs_them(lib_path: Path) -> None:
    from tests.tui.helpers import make_app, ready

    Marks.open(lib_path).set_screening(["pmid:30992990"], "included")
    app = make_app(lib_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("S")
        screen = await view(pilot)
        commands = {c.title: c for c in app.get_system_commands(screen)}
        for name in ("Next round (N)", "Fetch (F)", "Dir (d)", "Links (L)", "Flow (P)", "Stage (t)"):
            assert name in commands, name
        assert "Star (s)" not in commands  # (the main view's actions are not this view's)
        await commands["Dir (d)"].callback()  # type: ignore[misc]
        assert screen.direction == "back"


class ListApp(App[None]):
    def __init__(self, rows: list[Row]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield CandidateList()

    def on_mount(self) -> None:
        listing = self.query_one(CandidateList)
        listing.show_rows(self.rows)
        listing.focus()


async def test_twenty_thousand_candidates_scroll_at_once() -> None:
    rows = [
        Row(
            Candidate(keys=(f"pmid:{n}",), label=str(n), cited_by=["1"], round=1),
            n,
            pmid=str(n),
            title=f"Candidate [b]{n}[/b] with a title long enough to be cut at the edge of the screen",
            year=2000 + n % 25,
            stub=n % 2 == 0,
        )
        for n in range(1, 20_001)
    ]
    app = ListApp(rows)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        listing = app.query_one(CandidateList)
        assert listing.virtual_size.height == 40_000
        listing.lines_drawn = 0
        for _ in range(20):
            await pilot.press("pagedown")
        await pilot.press("end")
        await pilot.pause()
        assert listing.cursor == 19_999 and listing.scroll_offset.y == 40_000 - listing.size.height
        # Only what was on screen was drawn: a screenful (40 lines) per step at most, never 40,000.
        assert listing.lines_drawn <= 40 * 25
        last = line(listing, listing.size.height - 2)
        assert "Candidate [b]20000[/b]" in last  # markup characters are text
        await pilot.press("home")
        await pilot.pause()
        assert listing.cursor == 0 and listing.scroll_offset.y == 0


class SeededApp(App[None]):
    """The view started from one article (as the app does for the open one), with an online factory."""

    def __init__(self, path: Path, pmid: str, online=None) -> None:
        super().__init__()
        self.library, self.marks = build(path)
        self.pmid = pmid
        self.online = online
        self.opened: list[int | None] = []

    def on_mount(self) -> None:
        seed = self.library.find(self.pmid)
        screen = SnowballScreen(
            self.library, self.marks, seeds=[seed], selection="open article", online=self.online
        )
        self.push_screen(screen, self.opened.append)


async def test_defect_2_a_round_from_one_article_is_a_preview_until_kept(tmp_path: Path) -> None:
    app = SeededApp(tmp_path / "lib.json", "2")
    file = SnowballFile.open(tmp_path / "lib.json")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await view(pilot)
        assert title(app).startswith("Preview (counts nowhere: K keeps it) · both · 1 seed (open article)")
        # 2 cites 11 13 30; 20 cites it (1, a seed of the review, is already screened: not listed).
        assert labels(screen) == ["11", "13", "20", "30"]
        assert file.load().rounds == []  # kept nowhere
        await pilot.press("i")
        assert "A preview counts nowhere: K keeps it as a round, then its candidates can be screened." in (
            notices(app)
        )
        assert app.marks.get(["pmid:11"]).decisions == ()
        await pilot.press("K")
        await settle(pilot)
        kept = file.load().rounds
        assert [r.number for r in kept] == [1] and kept[0].selection == "open article"
        assert title(app).startswith("Round 1 of 1 · both · 1 seed (open article)")
        await pilot.press("i")
        assert app.marks.get(["pmid:11"]).screening == "included"
        await pilot.press("d")  # both -> back
        assert screen.direction == "back"
        await pilot.press("N")  # from the included (1 2 3 and 11): back only
        await settle(pilot)
        assert title(app).startswith("Round 2 of 2 · back · 4 seeds (included)")


async def test_links_online_then_a_round(tmp_path: Path, server: LocalServer) -> None:
    def icite(request: Request) -> Reply:
        rows = [
            {"pmid": int(p), "references": [77] if p == "1" else [], "cited_by": []}
            for p in request.one("pmids").split(",")
        ]
        if "title" in request.one("fl"):
            rows = [{"pmid": 77, "title": "Found by iCite", "year": 2001, "doi": "10.77/x"}]
        return json_reply(json.dumps({"data": rows}))

    server.route("icite/pubs", icite)

    def session() -> Online:
        return Online(fast_config(server, icite_url=server.url + "/icite/"), icite_limiter=RateLimiter(1000))

    app = SeededApp(tmp_path / "lib.json", "1", online=session)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await view(pilot)
        await pilot.press("L")
        await settle(pilot)
        rows = {r.candidate.label: r for r in screen.rows}
        assert rows["77"].title == "Found by iCite" and rows["77"].candidate.round == 1
        state = SnowballFile.open(tmp_path / "lib.json").load()
        assert state.last is not None and state.last.sources == ["library", "icite"]


async def test_c_lists_the_conflicts_to_resolve_them(tmp_path: Path) -> None:
    """A way to list the conflicts in the app: ``c`` shows the review's decisions and only the rows in
    conflict; resolving one leaves it listed, marked with its resolution; ``c`` again lists the rest."""
    path = tmp_path / "lib.json"
    library, marks = build(path)
    file = SnowballFile.open(path)
    keep_round(file, run_round(library, ids(library, *SEEDS), marks=marks, state=file.load()).round)
    ann, bob = Marks.open(path, screener="ann"), Marks.open(path, screener="bob")
    for pmid, theirs in (("11", "excluded"), ("10", "included"), ("22", "excluded")):
        ann.set_screening([f"pmid:{pmid}"], "included")
        bob.set_screening(
            [f"pmid:{pmid}"], theirs, reason="wrong population" if theirs == "excluded" else None
        )
    app = SnowballApp(path, screener="cat", built=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view(pilot)
        assert "11" in labels(screen) and "conflict" not in counts(app)  # (blind: cat sees none)
        await pilot.press("c")
        assert title(app).endswith("· screener cat (unblind)")
        assert labels(screen) == ["11", "22"]  # (10: ann and bob agree)
        assert counts(app).startswith("conflicts only (c lists every row) · to screen 2 of 2 · 2 conflicts")
        await pilot.press("i")  # 11 resolved: included
        assert Marks.open(path).get(["pmid:11"]).decisions[-1].final
        assert labels(screen) == ["11", "22"] and line(screen.candidates, 0).startswith("✔")
        assert "1 conflict" in counts(app) and screen.candidates.cursor == 1
        await pilot.press("c")
        assert "conflicts only" not in counts(app) and "20" in labels(screen)
        assert title(app).endswith("(unblind)")


async def test_moving_the_cursor_repaints_the_details_at_once(tmp_path: Path) -> None:
    """The frames sent to the terminal after a cursor move paint the details below the list (the
    view kept its own "loading" flag under the name of Textual's reactive ``loading``, which every
    widget has, a screen too: the view was covered by a loading indicator's bookkeeping and the details
    were repainted only when something else redrew the whole screen, up to a second later)."""
    app = SnowballApp(tmp_path / "lib.json")
    painted: list[set[int]] = []
    display = app._display

    def watched(screen: object, update: object) -> None:
        display(screen, update)  # type: ignore[arg-type]
        if update is not None:
            spans = getattr(update, "spans", None)  # (a ChopsUpdate: the lines it redraws)
            painted.append({y for y, _, _ in spans} if spans is not None else set(range(24)))

    app._display = watched  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view(pilot)
        details = screen.query_one("#snowball-details", Static)
        lines = set(range(details.region.y, details.region.bottom))
        listing = screen.candidates.region
        for key in ("down", "down", "up", "i"):
            painted.clear()
            await pilot.press(key)
            await pilot.pause(0.2)
            assert labels(screen)[screen.candidates.cursor] in text_of(details)
            assert any(lines & frame for frame in painted), key
            # Only the rows the cursor left and reached are repainted in the list, not the whole list
            # (the details' height is fixed: their update needs no layout of the screen).
            repainted = set().union(*painted) & set(range(listing.y, listing.bottom))
            assert len(repainted) <= 4, (key, sorted(repainted))


async def test_a_round_that_cannot_be_kept_is_said_and_the_app_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening the view runs and keeps the first round; the snowball file cannot be written (a full
    disk). Before, the OSError came out of the view's worker and the app exited with a traceback."""
    import errno

    import store.wholefile

    build(tmp_path / "lib.json")
    app = SnowballApp(tmp_path / "lib.json", built=True)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.wholefile, "replace_file", full)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await view(pilot)
        assert "No space left on device" in counts(app) and not screen.busy
        assert SnowballFile.open(tmp_path / "lib.json").load().rounds == []


async def test_n_with_no_seeds_on_a_preview_leaves_it_a_preview(tmp_path: Path) -> None:
    """The view opened on one article (a preview); nothing is included, so N has no seeds. Before, N
    forgot the preview as it started: its rows stayed listed under a preview's title and ``i``
    recorded decisions on them."""
    app = SeededApp(tmp_path / "lib.json", "2")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        assert screen.preview is not None
        for pmid in SEEDS:
            app.marks.set_screening([f"pmid:{pmid}"], None)
        await pilot.press("N")
        await settle(pilot)
        assert counts(app).startswith("No seeds") and screen.preview is not None
        await pilot.press("i")
        assert notices(app)[-1] == IN_PREVIEW
        assert app.marks.get(["pmid:11"]).decisions == ()


async def test_a_says_that_every_candidate_is_listed(tmp_path: Path) -> None:
    """``a`` lists every candidate, decided or not, and again only those left to screen. Before, the
    mode showed nowhere: where no row was hidden, ``a`` changed nothing on screen, and once on, nothing
    said why decided rows stayed listed (driven in tmux on a bench library: "a does nothing?")."""
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(120, 40)) as pilot:
        await view(pilot)
        before = counts(app)
        assert "every candidate listed" not in before
        await pilot.press("a")
        await pilot.pause()
        assert counts(app).startswith("every candidate listed (a lists those left to screen) · ")
        await pilot.press("a")
        await pilot.pause()
        assert counts(app) == before
