"""ctrl+q (or the palette's Quit) while a commit of the Snowball view is under way (``L`` ``F`` ``N``
``K``, or the first round kept as the view opens). The commit is all or nothing and cannot be stopped:
before, the app ended at once and the commit went on unseen, the process still finishing it after the
terminal was given back. Now the app says it quits once the commit is done, quits then, and says on
the terminal what the commit did."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import tui.screens.snowball
from store.snowball.state import SnowballFile
from tests.tui.helpers import hold, make_app, ready, until
from tui.screens.snowball import SnowballScreen


async def test_ctrl_q_while_the_first_round_is_kept_quits_once_it_is_done(
    lib_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(lib_path)
    with pytest.MonkeyPatch.context() as patch:
        reached, release = hold(patch, tui.screens.snowball, "keep_round")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await ready(pilot)
            await pilot.press("enter", "i", "S")  # the seed included; the view runs the first round
            try:
                assert await asyncio.to_thread(reached.wait, 10)
                assert isinstance(app.screen, SnowballScreen)
                for _ in range(2):
                    await pilot.press("ctrl+q")
                    await pilot.pause()
                    assert app.return_code is None and isinstance(app.screen, SnowballScreen)
                    assert [n.message for n in app._notifications][-1] == (
                        "pmbrowse quits once the commit of the view's first round is done: a commit is "
                        "all or nothing, it cannot be stopped now."
                    )
            finally:
                release.set()
            await until(pilot, lambda: app.return_code is not None, seconds=2)
    assert app.return_code == 0
    assert len(SnowballFile.open(lib_path).load().rounds) == 1
    assert capsys.readouterr().err.splitlines() == [
        "pmbrowse: quit after the commit of the view's first round."
    ]


async def test_the_terminal_is_told_what_the_commit_did(
    lib_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """K (a preview kept as a round) under way: what the view says of it once done is said on the
    terminal after the app has ended (the app's notices are gone by then)."""
    app = make_app(lib_path)
    with pytest.MonkeyPatch.context() as patch:
        reached, release = hold(patch, tui.screens.snowball, "keep_preview")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await ready(pilot)
            await pilot.press("enter", "ctrl+b")  # a preview from the open article
            await ready_view(pilot)
            await pilot.press("K")
            try:
                assert await asyncio.to_thread(reached.wait, 10)
                await pilot.press("ctrl+q")
                await pilot.pause()
                assert app.return_code is None
            finally:
                release.set()
            await until(pilot, lambda: app.return_code is not None, seconds=2)
    assert app.return_code == 0
    assert capsys.readouterr().err.splitlines() == [
        "pmbrowse: quit after K's commit (the preview kept as a round): Kept as round 1."
    ]


async def ready_view(pilot) -> SnowballScreen:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    screen = pilot.app.screen
    assert isinstance(screen, SnowballScreen) and not screen.busy
    return screen
