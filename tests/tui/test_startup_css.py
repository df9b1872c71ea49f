"""The CSS before the app's first frame: most of start-up runs on the main thread under the interpreter's
one lock, so every rule parsed and every widget styled before the first content delays it.

- ``tui/app.tcss`` holds the main screen's rules only, each selector an id or a type (no descendant,
  child or universal selector, matched against every widget styled; no ``:focus-within``, which
  restyles the list once more each time the focus moves, the first time before the first frame). The
  other screens carry their own rules (their DEFAULT_CSS), parsed when they are first shown, and
  still look as they did (the rules below; their pictures: tests/tui/test_snapshots.py for help).
- The search bar is styled once it is mounted, not as it is made (``Input(compact=True)`` restyled it
  there and then: app.tcss makes it compact, tests/tui/test_search_bar_compact.py), and the result
  list no more than its mount, its focus and the screen's start ask.

Measured at the demo library, 2026-12-06 (``Stylesheet.apply`` calls before the first frame): 65 -> 54.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.color import Color
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from tests.tui.helpers import make_app, ready, settle
from tui.screens.export import ExportScreen
from tui.screens.headings import HeadingsScreen
from tui.screens.help import HelpScreen
from tui.screens.prompt import PromptScreen

OTHER_SCREENS = ("HelpScreen", "PromptScreen", "ExportScreen", "HeadingsScreen")
THEIR_IDS = ("#help", "#prompt", "#export", "#headings")


def _app_tcss_rules() -> list[Any]:
    sheet = Stylesheet(variables=App[None]().get_css_variables())  # (the theme's: $boost...)
    sheet.read(Path(__file__).resolve().parents[2] / "tui" / "app.tcss")
    return sheet.rules


def test_app_tcss_is_the_main_screens_and_cheap_to_match() -> None:
    rules = _app_tcss_rules()
    assert rules
    for rule in rules:
        for selector_set in rule.selector_set:
            css = rule.selectors
            assert len(selector_set.selectors) == 1, f"{css}: a descendant or child selector"
            assert selector_set.selectors[0].name != "*", f"{css}: a universal selector"
            assert not any(word in css for word in OTHER_SCREENS + THEIR_IDS), f"{css}: another screen's"
        assert "focus-within" not in rule.pseudo_classes, rule.selectors


async def test_before_the_first_frame_widgets_are_styled_once_each_reason(
    lib_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each widget's styling until the first frame is sent: whether it was mounted then."""
    styled: dict[str, list[bool]] = {}
    shown: list[bool] = []
    apply, display = Stylesheet.apply, App._display

    def applying(self: Stylesheet, node: DOMNode, **kwargs: Any) -> None:
        if not shown and node.id in ("search", "results"):
            styled.setdefault(node.id, []).append(node.is_attached)
        apply(self, node, **kwargs)

    def displaying(self: App[Any], screen: Screen[Any], renderable: Any) -> None:
        if renderable is not None:
            shown.append(True)
        display(self, screen, renderable)

    monkeypatch.setattr(Stylesheet, "apply", applying)
    monkeypatch.setattr(App, "_display", displaying)
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert shown
        # Only once mounted, and at most for the reasons Textual has (how many it takes varies with its
        # version: Textual 8.2.8 styles the list three times, 6.0 twice; CI runs both).
        # The search bar: as it is mounted, and as the screen starts (Textual's restyling of all).
        assert all(styled["search"]) and 1 <= len(styled["search"]) <= 2
        # The list: mounted, given the focus, the screen's start (not once more for :focus-within).
        assert all(styled["results"]) and 1 <= len(styled["results"]) <= 3
        search = app.main.query_one("#search", Input)
        assert search.size.height == 1 and search.styles.border_top[0] == ""


def _box(screen: Screen[Any], box: str) -> Widget:
    widget = screen.query_one(box)
    assert screen.styles.align_horizontal == "center" and screen.styles.align_vertical == "middle"
    assert widget.styles.border_top[0] == "round"
    assert widget.styles.padding.left == widget.styles.padding.right == 1
    # (max-height: 100% is kept as 100% of the screen's height, "100h"; widths' percentages as "w")
    assert str(widget.styles.height) == "auto" and str(widget.styles.max_height) == "100h"
    assert widget.styles.background == Color.parse(screen.app.get_css_variables()["surface"])
    return widget


async def test_the_other_screens_are_styled_when_shown(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)

        app.push_screen(HelpScreen())
        await settle(pilot)
        box = _box(app.screen, "#help")
        assert (str(box.styles.width), str(box.styles.max_width)) == ("90w", "110")  # (90% of the width)
        assert box.styles.border_title_style is not None and box.styles.border_title_style.bold
        app.pop_screen()

        app.push_screen(PromptScreen("A note?"))
        await settle(pilot)
        box = _box(app.screen, "#prompt")
        assert (str(box.styles.width), str(box.styles.max_width)) == ("70", "95w")
        app.pop_screen()

        app.push_screen(HeadingsScreen(["Humans", "Exosomes"]))
        await settle(pilot)
        box = _box(app.screen, "#headings")
        assert (str(box.styles.width), str(box.styles.max_width)) == ("70", "95w")
        listed = app.screen.query_one("#headings-list")
        assert (str(listed.styles.height), str(listed.styles.max_height)) == ("auto", "20")
        app.pop_screen()

        app.push_screen(ExportScreen(lib_path.parent, None, lambda request: ""))
        await settle(pilot)
        screen = app.screen
        box = _box(screen, "#export")
        assert (str(box.styles.width), str(box.styles.max_width)) == ("70", "95w")
        assert screen.query_one("#export-path").styles.margin.bottom == 1
        buttons = screen.query_one("#export-buttons")
        assert str(buttons.styles.height) == "auto" and buttons.styles.align_horizontal == "right"
        assert all(button.styles.margin.left == 2 for button in buttons.children)
        assert all(str(row.styles.height) == "auto" for row in screen.query("#export Horizontal"))
        assert all(str(radio.styles.width) == "1fr" for radio in screen.query("#export RadioSet"))


async def test_the_panes_mounted_after_the_first_frame_are_styled(lib_path: Path) -> None:
    """(The column's panes come after the first frame: ``Reader._mount_panes``.)"""
    app = make_app(lib_path, "30992990")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        for pane in ("#abstract-view", "#references-list", "#cited-by-list", "#related-pane"):
            widget = screen.query_one(pane)
            assert (widget.styles.padding.left, widget.styles.padding.right) == (1, 1), pane
        results = screen.query_one("#results")
        focused = results.has_focus, results.styles.border_top
        await pilot.press("tab")
        # (``#results:focus``: the list's border is the accent's colour only while it has the focus)
        assert focused[0] and not results.has_focus
        assert focused[1][0] == results.styles.border_top[0] == "round"
        assert focused[1][1] != results.styles.border_top[1]
        assert focused[1][1] == Color.parse(app.get_css_variables()["accent"])
