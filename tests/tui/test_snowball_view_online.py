"""The Snowball view's online round (``L``) and what the view says (a reviewers' read of stop 23; each
test failed before its fix). ``L`` asks iCite first and stores nothing; then the links, stubs and
metrics the service gave and the round run on them are one commit, as ``pmbrowse snowball --online``
(``store.snowball.online.fill_and_round``): killed -9 at any step of it, the library and the snowball
file hold both or neither. A fill a service ended early is stored alone and runs no round. Messages
holding a service's or a file's text are shown as written, never as markup; "to screen" leaves out the
viewer's own decisions awaiting the second screener. Against the project's local HTTP server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from textual.app import App

import store.snowball.online
from store.library import Library
from store.marks import Marks
from store.model import Article, Origin
from store.online.ratelimit import RateLimiter
from store.online.session import Online
from store.snowball.engine import run_round
from store.snowball.state import SnowballFile, SnowballState, keep_round
from tests.conftest import ROOT
from tests.killed import killed_once_flagged, stopped_at_a_write
from tests.online_server import ICITE_2025, ICiteBank, LocalServer, Reply, fast_config, json_reply
from tests.store.snowball.graph import SEEDS, build, ids
from tests.tui.helpers import ended, hold_route
from tests.tui.test_one_commit_across_files import COMMITTED, STOPS
from tests.tui.test_snowball_view import SeededApp, SnowballApp, counts, labels, notices, settle, view
from tui.screens.snowball import IN_PREVIEW, SnowballScreen
from tui.screens.snowball_online import SnowballOnline

SEED = "32162448"  # (iCite's real answer for it: tests/data/online)


def _files(lib_path: Path) -> dict[str, bytes]:
    """The library's files by name (not its locks, nor the derived search index's folder)."""
    return {
        p.name: p.read_bytes()
        for p in lib_path.parent.iterdir()
        if p.is_file() and p.name.startswith(lib_path.name) and not p.name.endswith(".lock")
    }


def _with_seed(lib_path: Path) -> None:
    """A library holding the seed's record without its links, the seed included, and a snowball file."""
    library = Library.open(lib_path, demo=False)
    with library.transaction() as changes:
        changes.put_article(Article(pmid=SEED, title="Gastric emptying", year=2020), Origin("test"))
    library.close()
    Marks.open(lib_path).set_screening([f"pmid:{SEED}"], "included")
    SnowballFile.open(lib_path).change(lambda state: state.reasons.append("kept"))


def _links(lib_path: Path) -> int:
    """The seed's references and citing articles (a round goes both ways from the view)."""
    library = Library.open(lib_path, demo=False)
    seed = library.find(SEED)
    assert seed is not None
    return len(library.links(seed, "references")) + len(library.links(seed, "cited_by"))


def _state(lib_path: Path) -> SnowballState:
    return SnowballFile.open(lib_path).load()


class OnlineApp(App[None]):
    """The Snowball view on a library as ``_with_seed`` leaves it, online through the local server."""

    def __init__(self, path: Path, icite_url: str, eutils_url: str) -> None:
        super().__init__()
        self.library = Library.open(path, demo=False)
        self.marks = Marks.open(path)
        self.icite_url, self.eutils_url = icite_url, eutils_url

    def session(self) -> Online:
        urls = type("Urls", (), {"eutils_url": self.eutils_url, "icite_url": self.icite_url})
        urls.europepmc_url = self.eutils_url  # (not asked)
        return Online(fast_config(urls), icite_limiter=RateLimiter(1000))  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.push_screen(SnowballScreen(self.library, self.marks, online=self.session))


@pytest.fixture
def icite(server: LocalServer) -> LocalServer:
    server.route("icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    return server


def _app(lib_path: Path, server: LocalServer) -> OnlineApp:
    return OnlineApp(lib_path, server.icite_url, server.eutils_url)


async def test_l_keeps_the_links_and_the_round_in_one_commit(lib_path: Path, icite: LocalServer) -> None:
    _with_seed(lib_path)
    app = _app(lib_path, icite)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        assert "Nothing new" in counts(app)  # (the seed has no links yet: no round)
        await pilot.press("L")
        await settle(pilot)
        [done] = _state(lib_path).rounds
        assert done.sources == ["library", "icite"] and len(done.new) == _links(lib_path) > 0
        assert screen.round is not None and screen.round.number == 1 and len(screen.rows) == len(done.new)
        assert any("new links for 1 seed" in m for m in notices(app)), notices(app)


async def test_l_asks_first_and_a_failed_request_stores_nothing(lib_path: Path, server: LocalServer) -> None:
    """The second iCite request (describing the linked articles) refused: nothing stored, said."""
    bank = ICiteBank(ICITE_2025, synthesize=True)
    asked: list[int] = []

    def second_refused(request):  # type: ignore[no-untyped-def]
        asked.append(1)
        return bank(request) if len(asked) == 1 else json_reply('{"error": "no"}', status=400)

    server.route("icite/pubs", second_refused)
    _with_seed(lib_path)
    app = _app(lib_path, server)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        before = _files(lib_path)
        await pilot.press("L")
        await settle(pilot)
        assert len(asked) == 2 and _files(lib_path) == before
        assert any(m.endswith("the library was left as it was") for m in notices(app)), notices(app)
        assert not screen.busy
        # With no round to show, the line above the list says so (it said "to screen 0 of 0").
        assert counts(app).startswith("No round yet: N runs one"), counts(app)


async def test_l_with_a_list_ended_early_stores_it_alone_and_runs_no_round(
    lib_path: Path, icite: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """iCite's lists come whole; Europe PMC's may end early (``store.online.fetch``). A fill with one
    list ended early is stored as far as it came (as on the command line), and the view runs no round
    on it: it says what is missing. (The shortfall is added to what the local server really said.)"""
    shortfall = "Europe PMC ended the citing articles of PMID 32162448 early: 3 of 9 stored"
    real = store.snowball.online.ask_links

    def ended_early(*args, **kwargs):  # type: ignore[no-untyped-def]
        answers = real(*args, **kwargs)
        answers.fill.incomplete.append(shortfall)
        return answers

    monkeypatch.setattr(store.snowball.online, "ask_links", ended_early)
    _with_seed(lib_path)
    app = _app(lib_path, icite)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert _state(lib_path).rounds == [] and _links(lib_path) > 0
        assert any(shortfall in m and "no round" in m.lower() for m in notices(app)), notices(app)
        assert not screen.busy and screen.round is None
        assert counts(app).startswith("No round run: a list came incomplete"), counts(app)


@pytest.mark.parametrize(("step", "name"), STOPS)
def test_l_killed_at_each_step_keeps_the_links_and_the_round_together(
    lib_path: Path, tmp_path: Path, icite: LocalServer, step: str, name: str
) -> None:
    """The app in a child, ``L`` pressed, killed -9 at each step of writing the round (before, the
    links were committed first and the round kept after: killed in between, links and no round)."""
    _with_seed(lib_path)
    before = _files(lib_path)
    flag, done = tmp_path / "stopped", tmp_path / "done"
    script = stopped_at_a_write(step, name, flag) + textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from tests.tui.test_snowball_view_online import OnlineApp
        from tests.tui.test_snowball_view import settle
        async def main():
            app = OnlineApp(Path({str(lib_path)!r}), {icite.icite_url!r}, {icite.eutils_url!r})
            async with app.run_test(size=(100, 30)) as pilot:
                await settle(pilot)
                await pilot.press("L")
                await settle(pilot)
            open({str(done)!r}, "w").close()
        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE)
    err = killed_once_flagged(proc, flag)
    assert flag.exists(), err[-2000:]
    state = _state(lib_path)  # (settles what the killed app left)
    assert "kept" in state.reasons
    if (step, name) in COMMITTED:
        [kept] = state.rounds
        assert kept.sources == ["library", "icite"] and len(kept.new) == _links(lib_path) > 0
    else:
        assert state.rounds == [] and _links(lib_path) == 0
        assert {k: v for k, v in _files(lib_path).items() if not k.endswith(".marks.json")} == {
            k: v for k, v in before.items() if not k.endswith(".marks.json")
        }


# What the view says ------------------------------------------------------------------------------

HOSTILE = "[bold]boom[/] [/nope] [link=x]"


async def test_an_online_error_is_said_as_written_not_as_markup(lib_path: Path, server: LocalServer) -> None:
    """iCite's stated error (and PubMed's, for ``F``) is the service's text: before, it was shown as
    markup (``[/nope]`` raised MarkupError when the toast was drawn, ``[bold]`` vanished)."""
    server.route("icite/pubs", json_reply(json.dumps({"error": HOSTILE})))
    error_xml = f"<eFetchResult><ERROR>{HOSTILE}</ERROR></eFetchResult>".encode()
    server.route("eutils/efetch.fcgi", Reply(body=error_xml))
    _with_seed(lib_path)
    app = _app(lib_path, server)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        await pilot.press("L")
        await settle(pilot)
        said = [n for n in app._notifications if HOSTILE in n.message]
        assert len(said) == 1 and not said[0].markup, [n.message for n in app._notifications]
        screen.remote.fetch(["11"])  # (F's worker: the PMIDs of the stubs listed)
        await settle(pilot)
        said = [n for n in app._notifications if HOSTILE in n.message]
        assert len(said) == 2 and not any(n.markup for n in said)
        await pilot.pause(0.2)  # (the toasts drawn)


async def test_the_views_own_messages_are_not_markup(tmp_path: Path) -> None:
    """``[`` and ``]`` are keys here: "[ and ] go from round to round" lost its keys as markup."""
    app = SnowballApp(tmp_path / "lib.json")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await view(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("]")
        [said] = [n for n in app._notifications if "go from round to round" in n.message]
        assert said.message.startswith("[ and ]") and not said.markup


async def test_to_screen_leaves_out_your_decisions_awaiting_the_second_screener(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A two-screener review: the unnamed screener's exclusion awaits the second screener. It is not
    theirs to screen again; before, "to screen" still counted it."""
    monkeypatch.delenv("PMBROWSE_SCREENER", raising=False)
    path = tmp_path / "lib.json"
    library, marks = build(path)
    file = SnowballFile.open(path)
    keep_round(file, run_round(library, ids(library, *SEEDS), marks=marks, state=file.load()).round)
    for who in ("ann", "bob"):  # (title/abstract has two screeners)
        Marks.open(path, screener=who).set_screening(["pmid:40"], "included")
    app = SnowballApp(path, built=True)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await view(pilot)
        listed = len(screen.rows)
        assert counts(app).startswith(f"to screen {listed} of {listed}")
        await pilot.press("x", "r", "2", "enter")
        await settle(pilot)
        assert screen.candidates.mark_of(0) == "awaiting" and labels(screen)[0] == "11"
        assert counts(app).startswith(
            f"to screen {listed - 1} of {listed} · 1 awaiting the second screener"
        ), counts(app)


async def test_closing_the_view_while_l_asks_stores_nothing(lib_path: Path, server: LocalServer) -> None:
    """``escape`` while iCite is being asked closes the view and ends its work (its workers end with
    it): before, the worker went on, stored the links and kept a round, and nothing said so."""
    asked, release = hold_route(server, "icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    _with_seed(lib_path)
    before = _files(lib_path)
    app = _app(lib_path, server)
    with pytest.MonkeyPatch.context() as patch:
        finished = ended(patch, SnowballOnline, "_ask_and_round")
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await view(pilot)
            await pilot.press("L")
            assert await asyncio.to_thread(asked.wait, 10)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, SnowballScreen)
            release.set()
            assert await asyncio.to_thread(finished.wait, 10)
            await pilot.pause()
    assert _state(lib_path).rounds == [] and _files(lib_path) == before


async def test_l_that_fails_on_a_preview_leaves_it_a_preview(tmp_path: Path, server: LocalServer) -> None:
    """The view opened on one article shows a preview, which counts nowhere; ``L`` refused by iCite.
    Before, ``L`` forgot the preview as it started: the preview's rows stayed listed, titled a preview,
    and ``i`` recorded a decision on them (and K said they were kept already)."""
    server.route("icite/pubs", json_reply('{"error": "no"}', status=400))

    def online() -> Online:
        return Online(fast_config(server), icite_limiter=RateLimiter(1000))

    app = SeededApp(tmp_path / "lib.json", "2", online=online)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        assert screen.preview is not None and labels(screen) == ["11", "13", "20", "30"]
        await pilot.press("L")
        await settle(pilot)
        assert any("the library was left as it was" in m for m in notices(app)), notices(app)
        assert screen.preview is not None and not screen.busy
        await pilot.press("i")
        await settle(pilot)
        assert notices(app)[-1] == IN_PREVIEW
        assert app.marks.get(["pmid:11"]).decisions == ()


async def test_k_while_l_runs_on_a_preview_waits(tmp_path: Path, server: LocalServer) -> None:
    """K (keep the preview) pressed while L is under way on it: "try again in a moment", as the
    screening keys say while the view is busy; the preview is not kept beside the round L keeps."""
    asked, release = hold_route(server, "icite/pubs", ICiteBank(ICITE_2025, synthesize=True))

    def online() -> Online:
        return Online(fast_config(server), icite_limiter=RateLimiter(1000))

    app = SeededApp(tmp_path / "lib.json", "2", online=online)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        assert screen.preview is not None
        await pilot.press("L")
        try:
            assert await asyncio.to_thread(asked.wait, 10)
            await pilot.press("K")
            assert notices(app)[-1] == "Loading: try again in a moment."
        finally:
            release.set()
        await settle(pilot)
        [kept] = _state(tmp_path / "lib.json").rounds
        assert kept.sources == ["library", "icite"] and screen.preview is None


async def test_f_pressed_while_l_asks_does_not_stop_l(tmp_path: Path, server: LocalServer) -> None:
    """F (the stubs' records) pressed while L waits for iCite: both are done. They shared one group of
    exclusive workers, so F cancelled L's, and L, which stores nothing once cancelled (the view closed),
    dropped its links and round without a word."""
    asked, release = hold_route(server, "icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    server.route(
        "eutils/efetch.fcgi", Reply(body=b'<?xml version="1.0" ?><PubmedArticleSet></PubmedArticleSet>')
    )

    def online() -> Online:
        return Online(fast_config(server), icite_limiter=RateLimiter(1000))

    app = SeededApp(tmp_path / "lib.json", "2", online=online)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        await pilot.press("L")
        try:
            assert await asyncio.to_thread(asked.wait, 10)
            await pilot.press("F")
            await pilot.pause(0.2)
        finally:
            release.set()
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert any("new links for" in m for m in notices(app)), notices(app)
        [kept] = _state(tmp_path / "lib.json").rounds
        assert kept.sources == ["library", "icite"] and not screen.busy
