"""The reader's column is mounted after the first frame (``Reader._mount_panes``); an app that ends
meanwhile (a headless ``run_test`` that exits after its first frame) closes the column's widgets unmade,
and the mount's await returns all the same. Seen once (2026-12-05): the abstract's help then written
into an AbstractView whose text was never composed, ``NoMatches: '#abstract-text'`` raised in the
ending app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.tui.helpers import make_app
from tui.screens.main.reader import Reader
from tui.widgets.yearchart import YearChart


def _exit_as_the_column_mounts(patch: pytest.MonkeyPatch) -> None:
    mount_all = Reader.mount_all

    def exiting(self: Reader, widgets: Any, **kwargs: Any) -> Any:
        self.app.exit()
        return mount_all(self, widgets, **kwargs)

    patch.setattr(Reader, "mount_all", exiting)


def _exit_as_a_widget_of_the_column_mounts(patch: pytest.MonkeyPatch) -> None:
    def on_mount(self: YearChart) -> None:
        self.app.exit()

    patch.setattr(YearChart, "on_mount", on_mount, raising=False)


@pytest.mark.parametrize("exit_when", [_exit_as_the_column_mounts, _exit_as_a_widget_of_the_column_mounts])
async def test_an_app_ended_while_the_reader_column_mounts_ends_quietly(
    demo_path: Path, exit_when: Any
) -> None:
    app = make_app(demo_path)
    with pytest.MonkeyPatch.context() as patch:
        exit_when(patch)
        async with app.run_test(size=(120, 40)) as pilot:  # (an error in the app is raised here)
            for _ in range(10):
                await pilot.pause()
    assert app._exit and app.return_code in (None, 0)
    assert not app.main.reader.panes_mounted
