"""What the parts of the main screen share: ``say`` (a notification that is never markup), ``Part``,
the base of the parts that have no widget of their own (marks, online, export, the views, changes),
the containers its columns are (``Columns``, ``Column``), and the screen they cover (``CoveredScreen``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget

from tui.text import printable

if TYPE_CHECKING:
    from textual.app import App
    from textual.strip import Strip
    from textual.worker import Worker

    from tui.screens.main.screen import MainScreen


def say(node: Widget, message: str, **kwargs: Any) -> None:
    """A notification. Its text may hold titles, identifiers or tags: never markup, no escapes."""
    node.notify(printable(message), markup=False, **kwargs)


class Part:
    """A part of the main screen with state and no widget: it owns its state, and shows it through
    the screen's widgets. Its workers run on the screen (``in_thread``), so they end with it."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    @property
    def app(self) -> App[None]:
        return self.screen.app

    def say(self, message: str, **kwargs: Any) -> None:
        say(self.screen, message, **kwargs)

    def in_thread(
        self, work: Callable[..., None], *args: Any, group: str, exclusive: bool = True
    ) -> Worker[None]:
        """Run ``work(*args)`` in a thread worker of the screen (``exclusive``: the group's last only)."""
        return self.screen.run_worker(
            partial(work, *args), name=work.__name__, group=group, exclusive=exclusive, thread=True
        )


# The screen's columns are covered by what they hold (the result list and the reader side by side; the
# header, chart, tabs and panes one above the other; before those are mounted, the reader is blank either
# way), so their own lines are never seen, only drawn: Textual draws each container whose box overlaps
# what changed in a frame, every line of it through its styling (~170 Python calls each a frame at each
# article opened; ~3,200 each in the first frame, measured 2026-12-06). Blank at once instead
# (``BLANK``: Textual 6.0 knows none, and draws them its way).
class Columns(Horizontal):
    """Columns side by side, which cover it."""

    BLANK = True


class Column(Vertical):
    """Widgets one above the other, which cover it."""

    BLANK = True


# The main screen is covered by its widgets but for a few cells (the search bar's margins), where its
# background shows: Textual drew every line of it through its styling in each frame (~4.6k Python calls
# of the first frame at 120x40, measured 2026-12-07). Its lines are one line repeated, while it has no
# border, padding or outline to draw: that line is drawn Textual's way once a frame and repeated
# (``BLANK`` draws it otherwise: another style on the same blank cells).
class CoveredScreen(Screen[None]):
    """A screen its widgets cover, where its background shows at most."""

    def render_lines(self, crop: Region) -> list[Strip]:
        styles = self.styles
        if crop.height <= 1 or styles.gutter or any(edge for edge, _ in styles.outline):
            return super().render_lines(crop)
        return super().render_lines(Region(crop.x, crop.y, crop.width, 1)) * crop.height
