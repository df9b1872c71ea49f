"""Closing the Snowball view while ``L`` or ``F`` works (``tui.screens.snowball_online``, "Closing the
view"): while they ask, they end with the view, store nothing and the view says so as it closes; once
one has begun to store, its commit (all or nothing) is not stopped: the view stays, says so, and says
what was stored. Never silent. Against the project's local HTTP server, on a real library on disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import store.snowball.online
import tui.screens.snowball
import tui.screens.snowball_online
from store.online.ratelimit import RateLimiter
from store.online.session import Online
from store.snowball.state import SnowballFile
from tests.online_server import ICITE_2025, ICiteBank, LocalServer, RecordBank, fast_config
from tests.tui.helpers import ended, hold, hold_route
from tests.tui.test_snowball_view import SeededApp, SnowballApp, counts, notices, settle, view
from tests.tui.test_snowball_view_online import _app, _files, _links, _state, _with_seed
from tui.screens.snowball import SnowballScreen
from tui.screens.snowball_online import FIRST_STOPPED, NO_SEEDS, STORING, SnowballOnline


async def test_closing_the_view_while_f_fetches_stores_nothing_and_says_so(
    tmp_path: Path, server: LocalServer
) -> None:
    """Before, the fetch went on after the view had closed and stored the records, unseen."""
    asked, release = hold_route(server, "eutils/efetch.fcgi", RecordBank(synthesize=True))
    app = SnowballApp(tmp_path / "lib.json")
    with pytest.MonkeyPatch.context() as patch:
        finished = ended(patch, SnowballOnline, "_fetch")
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            screen = await view(pilot)
            screen.online = lambda: Online(fast_config(server), ncbi_limiter=RateLimiter(1000))
            assert any(r.stub and r.pmid for r in screen.rows)
            before = _files(tmp_path / "lib.json")
            await pilot.press("F")
            try:
                assert await asyncio.to_thread(asked.wait, 10)
                await pilot.press("escape")
                await pilot.pause()
                assert not isinstance(app.screen, SnowballScreen)
                assert notices(app)[-1] == "F stopped with the view: nothing stored."
            finally:
                release.set()
            assert await asyncio.to_thread(finished.wait, 10)
            await pilot.pause(0.1)
    assert _files(tmp_path / "lib.json") == before
    assert app.opened == [None]


async def test_escape_while_l_stores_does_not_close_the_view_and_says_so(
    lib_path: Path, server: LocalServer
) -> None:
    """Escape pressed while L's commit (the links and the round, all or nothing) is under way. Before,
    the view closed and the commit went on: the links and a round stored, and nothing said."""
    server.route("icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    _with_seed(lib_path)
    app = _app(lib_path, server)
    with pytest.MonkeyPatch.context() as patch:
        # (the round is run inside the library's transaction, its changes handed over: mid-commit)
        reached, release = hold(patch, tui.screens.snowball_online, "preview_round")
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            screen = await view(pilot)
            await pilot.press("L")
            try:
                assert await asyncio.to_thread(reached.wait, 10)
                await pilot.press("escape")
                await pilot.pause()
                assert app.screen is screen
                assert notices(app)[-1] == STORING["L"]
            finally:
                release.set()
            await settle(pilot)
            [kept] = _state(lib_path).rounds
            assert len(kept.new) == _links(lib_path) > 0 and screen.round == kept
            assert "new links for 1 seed" in notices(app)[-1]
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is not screen


async def test_leaving_while_f_stores_waits_for_the_commit_and_says_so(
    tmp_path: Path, server: LocalServer
) -> None:
    """Escape, or enter on a candidate, while F's transaction is under way: the view stays and says so;
    the records are stored, and said."""
    server.route("eutils/efetch.fcgi", RecordBank(synthesize=True))
    app = SnowballApp(tmp_path / "lib.json")
    with pytest.MonkeyPatch.context() as patch:
        reached, release = hold(patch, store.snowball.online, "save")
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            screen = await view(pilot)
            screen.online = lambda: Online(fast_config(server), ncbi_limiter=RateLimiter(1000))
            stubs = [r.pmid for r in screen.rows if r.stub and r.pmid]
            await pilot.press("F")
            try:
                assert await asyncio.to_thread(reached.wait, 10)
                for key in ("escape", "enter"):
                    await pilot.press(key)
                    await pilot.pause()
                    assert app.screen is screen
                    assert notices(app)[-1] == STORING["F"]
            finally:
                release.set()
            await settle(pilot)
            assert notices(app)[-1] == f"Fetched {len(stubs)} records (1 request)"
            assert not any(r.stub for r in screen.rows if r.pmid in stubs)
            await pilot.press("escape")
            await pilot.pause()
            assert app.opened == [None]


@pytest.mark.parametrize("held", ["run_round", "keep_round"])
async def test_n_and_the_view_closed_while_it_runs_or_keeps(tmp_path: Path, held: str) -> None:
    """N (the next round, kept) as L: escape while the round is run ends it, nothing kept, and says so
    (before, the round was kept after the view had gone, unseen); escape while it is kept does not
    close the view, says so, and the round is shown."""
    app = SnowballApp(tmp_path / "lib.json")
    with pytest.MonkeyPatch.context() as patch:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            screen = await view(pilot)  # (round 1, run as the view opens)
            reached, release = hold(patch, tui.screens.snowball, held)
            app.marks.set_screening(["pmid:20"], "included")  # (20 cites 40: a round with it is new)
            await pilot.press("N")
            try:
                assert await asyncio.to_thread(reached.wait, 10)
                await pilot.press("escape")
                await pilot.pause()
                if held == "run_round":
                    assert app.screen is not screen
                    assert notices(app)[-1] == "N stopped with the view: nothing stored."
                else:
                    assert app.screen is screen and notices(app)[-1] == STORING["N"]
            finally:
                release.set()
            await settle(pilot)
            await pilot.pause(0.2)
            rounds = SnowballFile.open(tmp_path / "lib.json").load().rounds
            if held == "run_round":
                assert len(rounds) == 1 and app.opened == [None]
            else:
                assert len(rounds) == 2 and screen.round == rounds[-1] and app.opened == []


async def test_escape_while_k_keeps_the_preview_waits_for_it(tmp_path: Path) -> None:
    """K (keep the preview as a round): escape while it is kept does not close the view, says so, and
    the round kept is shown."""
    app = SeededApp(tmp_path / "lib.json", "2")
    with pytest.MonkeyPatch.context() as patch:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            screen = await view(pilot)
            assert screen.preview is not None
            reached, release = hold(patch, tui.screens.snowball, "keep_preview")
            await pilot.press("K")
            try:
                assert await asyncio.to_thread(reached.wait, 10)
                await pilot.press("escape")
                await pilot.pause()
                assert app.screen is screen and notices(app)[-1] == STORING["K"]
            finally:
                release.set()
            await settle(pilot)
            [kept] = SnowballFile.open(tmp_path / "lib.json").load().rounds
            assert screen.preview is None and screen.round == kept
            assert notices(app)[-1] == "Kept as round 1."


@pytest.mark.parametrize("held", ["_round_in", "run_round", "keep_round"])
async def test_the_first_round_and_the_view_closed_as_it_opens(tmp_path: Path, held: str) -> None:
    """The view opened with no round yet runs the first one and keeps it: closed at once, while the
    round is run (or before the view has found that there is none), it ends with the view and nothing
    is kept, as N does; before, nothing was said either. Closed while the round is kept, the view stays
    and says so (in its own words: N was not pressed), and the round is shown."""
    with pytest.MonkeyPatch.context() as patch:
        held_in = SnowballScreen if held == "_round_in" else tui.screens.snowball
        reached, release = hold(patch, held_in, held)
        app = SnowballApp(tmp_path / "lib.json")
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            try:
                assert await asyncio.to_thread(reached.wait, 10)
                screen = app.screen
                assert isinstance(screen, SnowballScreen)
                await pilot.press("escape")
                await pilot.pause()
                if held == "run_round":
                    assert app.screen is not screen
                    assert notices(app)[-1] == FIRST_STOPPED
                elif held == "_round_in":  # (said once the view finds it has no round to show)
                    assert app.screen is not screen
                else:
                    assert app.screen is screen and notices(app)[-1] == STORING["first"]
            finally:
                release.set()
            await settle(pilot)
            await pilot.pause(0.2)
            rounds = SnowballFile.open(tmp_path / "lib.json").load().rounds
            if held != "keep_round":
                assert rounds == [] and app.opened == [None]
                assert notices(app) == [FIRST_STOPPED]  # (said once)
            else:
                assert len(rounds) == 1 and screen.round == rounds[0] and app.opened == []


async def test_work_that_has_ended_is_not_said_to_stop_with_the_view(tmp_path: Path) -> None:
    """No seeds: the first round (as the view opens) and N end at once, saying so; escape later closes
    the view without saying that they stopped with it (they were followed as still asking: "The first
    round stopped with the view" and "N stopped with the view" were said, of work long ended)."""
    app = SnowballApp(tmp_path / "lib.json", built=True)  # (an empty library: nothing included)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await view(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert counts(app) == NO_SEEDS
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen and app.opened == [None]
        assert not [n for n in notices(app) if "stopped with the view" in n]
