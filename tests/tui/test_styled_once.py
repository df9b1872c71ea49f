"""The first frame's work: the main screen's widgets are styled once before it, as they are mounted
(``MainScreen._on_screen_resume``): Textual restyled every one of them again as the screen first
resumed, just after (about a tenth of the app's own start-up calls, measured by ``bench.startcalls``).
The result list, given the focus as the screen is composed, is styled focused as it is mounted (it was
styled again as it took the focus). The reader's column, empty until its panes are mounted after the
first frame, is not laid out nor drawn in it."""

from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

from tests.tui.helpers import make_app, ready

# Whether this Textual's first resume of a screen can be told not to restyle it (its ``ScreenResume``
# has ``refresh_styles``; Textual 6.0, the lowest allowed, has not: there every widget is styled again
# as the screen resumes, what ``_on_screen_resume`` sets is not read, and the start-up costs that).
SKIPPABLE = "refresh_styles" in inspect.signature(events.ScreenResume).parameters


async def test_each_widget_is_styled_once_before_the_first_frame(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    styled: Counter[str] = Counter()
    first_layout: list[Counter[str]] = []
    reader_shown: list[bool] = []
    apply, refresh_layout = Stylesheet.apply, Screen._refresh_layout

    def counting(self: Stylesheet, node: DOMNode, *args: Any, **kwargs: Any) -> None:
        if isinstance(node, Widget):
            styled[node.id or type(node).__name__] += 1
        apply(self, node, *args, **kwargs)

    def laid_out(self: Screen[object], *args: Any, **kwargs: Any) -> None:
        if not first_layout:
            first_layout.append(Counter(styled))
            reader_shown.append(self.query_one("#reader").display)
        refresh_layout(self, *args, **kwargs)

    monkeypatch.setattr(Stylesheet, "apply", counting)
    monkeypatch.setattr(Screen, "_refresh_layout", laid_out)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.reader.panes_mounted and screen.reader.display
    assert reader_shown == [False]
    seen = first_layout[0]
    for name in ("results", "search", "body", "reader", "bottom", "trail", "status", "KeyFooter"):
        assert seen[name] == (1 if SKIPPABLE else 2), (name, seen)


async def test_without_the_terminals_focus_the_list_is_not_styled_focused(lib_path: Path) -> None:
    """The app started without the terminal's focus (its ``app_focus`` off): nothing is focused as the
    screen is composed (Textual's ``AUTO_FOCUS`` waits for the focus), and the list does not look
    focused either."""
    app = make_app(lib_path)
    app.set_reactive(App.app_focus, False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.focused is None and not screen.results.has_focus
