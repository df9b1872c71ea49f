"""What the parts of the main screen share: ``say`` (a notification that is never markup), ``Part``,
the base of the parts that have no widget of their own (marks, online, export, the views, changes),
and the containers its columns are (``Columns``, ``Column``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from tui.text import printable

if TYPE_CHECKING:
    from textual.app import App
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
