"""The names of the open article's panes as one line of tabs (``Abstract  References (5)  Cited by
(5)``), above a ContentSwitcher that shows one pane at a time.

A light stand-in for Textual's TabbedContent, which alone took about a quarter of the app's start-up
(its tabs, underline and panes are a dozen widgets, each styled before the first paint). The active
tab is in reverse video, so it reads in a terminal without colours too; a click on a name asks for
its pane.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from tui.widgets.links import LinkList
from tui.widgets.strips import line_strip
from tui.widgets.virtual import LaidOutOnce

GAP = 2
# Shorter names for a narrow pane (80 columns): tried in turn until the line fits.
SHORT = {"References": "Refs", "Cited by": "Cited", "Abstract": "Abstract", "Related": "Related"}


def _short(label: str) -> str:
    for long, short in SHORT.items():
        if label.startswith(long):
            return short + label[len(long) :]
    return label


class Panes(LaidOutOnce, ContentSwitcher):
    """The panes, one shown at a time. Each is as high as the column leaves them (``1fr``), so the
    container's own lines are never seen, only drawn: blank at once (``BLANK``), not through Textual's
    styling line by line (~3,300 Python calls at each article opened whose header is of another height
    than the last: the layout moves the container, and each of its 28 lines was drawn anew; Textual
    6.0 knows no ``BLANK`` and draws them so)."""

    BLANK = True

    def watch_current(self, old: str | None, new: str | None) -> None:
        """A link pane reads the links it waits for before it shows (``LinkList.show_links``), so the
        frame that shows it draws its rows."""
        for pane in self.query_children(LinkList):
            if pane.id == new:
                pane.load()
        super().watch_current(old, new)


class PaneTabs(Widget):
    DEFAULT_CSS = """
    PaneTabs { height: 1; padding: 0 1; }
    """

    active: reactive[str] = reactive("")

    @dataclass
    class Chosen(Message):
        """The user clicked the tab of ``pane``."""

        pane: str

    def __init__(self, labels: dict[str, str], active: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.labels = dict(labels)
        self.set_reactive(PaneTabs.active, active)

    def set_label(self, pane: str, label: str) -> None:
        self.labels[pane] = label
        self.refresh()

    def _fitted(self) -> tuple[int, dict[str, str]]:
        """The gap and the names that fit the width: as they are, closer, then shortened."""
        width = self.content_size.width or 10**6
        short = {pane: _short(label) for pane, label in self.labels.items()}
        for gap, labels in ((GAP, self.labels), (1, self.labels), (1, short)):
            if sum(len(label) + 2 for label in labels.values()) + gap * (len(labels) - 1) <= width:
                return gap, labels
        return 1, short

    def line(self) -> Text:
        """The tabs' line as drawn (at the width the widget has)."""
        line = Text(no_wrap=True, overflow="ellipsis")
        gap, labels = self._fitted()
        for n, (pane, label) in enumerate(labels.items()):
            if n:
                line.append(" " * gap)
            line.append(f" {label} ", style="bold reverse" if pane == self.active else "dim")
        return line

    def render_line(self, y: int) -> Strip:
        """The line made at once (``tui.widgets.strips``), cut with an ellipsis and padded to the width
        as a rendered Text would be: its labels change at each article opened, and Textual's way with a
        renderable was ~500 Python calls for this one line (measured 2026-12-06)."""
        width = self.content_size.width
        style = self.rich_style
        if y or width <= 0:
            return Strip.blank(width, style)
        # (The padding as Textual pads a rendered line: in the background alone.)
        return line_strip(self.line(), width, style, self.app.console, Style(bgcolor=style.bgcolor))

    def pane_at(self, x: int) -> str | None:
        """The pane whose name is at column ``x`` of the content."""
        gap, labels = self._fitted()
        start = 0
        for pane, label in labels.items():
            end = start + len(label) + 2
            if start <= x < end:
                return pane
            start = end + gap
        return None

    def on_click(self, event: Click) -> None:
        pane = self.pane_at(event.x - self.styles.padding.left)
        if pane is not None:
            self.post_message(self.Chosen(pane))
