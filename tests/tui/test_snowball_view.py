"""The Snowball view in a small app of its own: pilot tests at 80x24 and 120x40, and 20,000 candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, OptionList, Static

from store.marks import Marks
from store.online.ratelimit import RateLimiter
from store.online.session import Online
from store.snowball.engine import Row
from store.snowball.state import Candidate, SnowballFile
from tests.online_server import LocalServer, Reply, Request, fast_config, json_reply
from tests.store.snowball.graph import build
from tests.tui.helpers import text_of
from tui.screens.snowball import CandidateList, ReasonScreen, SnowballScreen


class SnowballApp(App[None]):
    """Pushes the view on a library and records what it is dismissed with."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.library, self.marks = build(path)
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


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_view_runs_the_first_round_and_screens(tmp_path: Path, size: tuple[int, int]) -> None:
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SnowballScreen)
        title = text_of(screen.query_one("#snowball-title", Static))
        assert title.startswith("Citation chasing · round 1 of 1 · both · 3 seeds (included) · 8 candidates")
        listing = screen.query_one(CandidateList)
        assert [r.candidate.label for r in listing.rows] == ["11", "10", "20", "22", "21", "13", "12", "30"]
        assert "identified 12 · duplicates 4 · already screened 1" in counts(app)
        assert "new 7 · screened 0" in counts(app)
        # The first row as drawn: no decision, new, a stub, its title; under it, the reason.
        first = "".join(s.text for s in listing.render_line(0))
        assert (
            first.startswith("  new ○ Article 11") and len(first) == listing.scrollable_content_region.width
        )
        assert "cited by 3 of your 3 included" in "".join(s.text for s in listing.render_line(1))
        assert "Article 11" in text_of(screen.query_one("#snowball-details", Static))

        await pilot.press("i")  # include 11: the cursor moves on to 10
        assert app.marks.get(["pmid:11"]).screening == "included"
        assert "screened 1 · included 1" in counts(app) and listing.cursor == 1
        assert "".join(s.text for s in listing.render_line(0)).startswith("✔ new")

        await pilot.press("x")  # exclude 10: a reason is asked
        await pilot.pause()
        assert isinstance(app.screen, ReasonScreen)
        reasons = app.screen.query_one(OptionList)
        assert reasons.option_count == 5
        await pilot.press("down", "down", "enter")  # wrong outcome
        await pilot.pause()
        assert isinstance(app.screen, SnowballScreen)
        assert Marks.open(tmp_path / "lib.json").get(["pmid:10"]).screening == "excluded"
        assert SnowballFile.open(tmp_path / "lib.json").load().reason_of(["pmid:10"]) == "wrong outcome"
        assert "excluded 1 (1 wrong outcome)" in counts(app) and listing.cursor == 2

        await pilot.press("x")  # exclude 20 with a reason of one's own
        await pilot.pause()
        app.screen.query_one(Input).value = "animal   study"
        app.screen.query_one(Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        state = SnowballFile.open(tmp_path / "lib.json").load()
        assert state.reason_of(["pmid:20"]) == "animal study" and "animal study" in state.reasons
        assert "excluded 2 (1 animal study, 1 wrong outcome)" in counts(app)

        await pilot.press("k", "x")  # 20 again: undecided, its reason forgotten
        await pilot.pause()
        assert app.marks.get(["pmid:20"]).screening is None
        assert SnowballFile.open(tmp_path / "lib.json").load().reason_of(["pmid:20"]) is None

        await pilot.press("home", "enter")
        await pilot.pause()
        assert app.opened == [app.library.find("11")]


async def test_next_round_from_the_included(tmp_path: Path) -> None:
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "i")  # include 10 (A), which cites 30: already found, nothing new
        app.marks.set_screening(["pmid:20"], "included")  # 20 (E) cites 40: new
        await pilot.press("N")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SnowballScreen)
        title = text_of(screen.query_one("#snowball-title", Static))
        assert title.startswith("Citation chasing · round 2 of 2 · both · 5 seeds (included)")
        rows = {r.candidate.label: r.candidate for r in screen.query_one(CandidateList).rows}
        assert rows["40"].round == 2 and not rows["40"].known and rows["11"].known == "earlier"


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


class ListApp(App[None]):
    def __init__(self, rows: list[Row]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield CandidateList()

    def on_mount(self) -> None:
        listing = self.query_one(CandidateList)
        listing.show_rows(self.rows, 12, "included")
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
        last = "".join(s.text for s in listing.render_line(listing.size.height - 2))
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


async def test_a_round_from_the_open_article_then_back_only(tmp_path: Path) -> None:
    app = SeededApp(tmp_path / "lib.json", "2")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SnowballScreen)
        title = text_of(screen.query_one("#snowball-title", Static))
        assert title.startswith(
            "Citation chasing · round 1 of 1 · both · 1 seed (open article) · 5 candidates"
        )
        # 2 cites 11 13 30; 1 (a seed of the review, not of this round) and 20 cite it.
        labels = {r.candidate.label: r.candidate.direction for r in screen.query_one(CandidateList).rows}
        assert labels == {
            "11": "backward",
            "13": "backward",
            "30": "backward",
            "1": "forward",
            "20": "forward",
        }
        await pilot.press("d")  # both -> back
        assert screen.direction == "back"
        await pilot.press("N")  # from the included (1 2 3): back only
        await settle(pilot)
        title = text_of(screen.query_one("#snowball-title", Static))
        assert title.startswith("Citation chasing · round 2 of 2 · back · 3 seeds (included)")


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
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SnowballScreen)
        rows = {r.candidate.label: r for r in screen.query_one(CandidateList).rows}
        assert rows["77"].title == "Found by iCite" and rows["77"].candidate.round == 2
        state = SnowballFile.open(tmp_path / "lib.json").load()
        assert state.last is not None and state.last.sources == ["library", "icite"]
