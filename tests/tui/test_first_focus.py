"""The result list has the focus from the app's start, given once: as the screen is composed
(``MainScreen.AUTO_FOCUS``). Focused in ``on_mount``, the search bar had it first (Textual's default,
the first focusable widget) and the move restyled both widgets and their ancestors once more before
the first frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.screen import Screen
from textual.widget import Widget

from tests.tui.helpers import make_app, ready
from tui.widgets.results import ResultsList


async def test_the_results_have_the_focus_from_the_start(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    focused: list[str | None] = []
    set_focus = Screen.set_focus

    def recording(self: Screen[object], widget: Widget | None, *args: object, **kwargs: object) -> None:
        if widget is not self.focused:
            focused.append(widget.id if widget is not None else None)
        set_focus(self, widget, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "set_focus", recording)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert isinstance(screen.focused, ResultsList)
        assert focused == ["results"]
