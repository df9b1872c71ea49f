"""The lists of articles (the result list, ``tui.widgets.results``; the link panes,
``tui.widgets.links``): what the screen asks of each, the marks they show, and finding them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from store.marks import Mark

# Finds the marks of an article from its identity keys (None when marks are not loaded).
MarkOf = Callable[[list[str]], "Mark | None"]


def no_marks(keys: list[str]) -> Mark | None:
    """The marks of a list before the screen gives it its own: none."""
    return None


@runtime_checkable
class ArticleRows(Protocol):
    """What the screen asks of a list of articles (the results, a link pane), whatever draws it."""

    mark_of: MarkOf
    highlighted: int | None

    def keys_at(self, index: int) -> list[str]:
        """The identity keys of the article in row ``index`` (empty for none)."""
        ...

    def describe(self, index: int) -> str:
        """How a message names the article in row ``index``."""
        ...

    def redraw(self) -> None:
        """Draw the rows again (after marks changed), keeping the highlight."""
        ...

    def action_cursor_down(self) -> None: ...

    def action_cursor_up(self) -> None: ...

    @property
    def row_count(self) -> int:
        """How many rows there are (a line of guidance counts as one)."""
        ...

    def move_to(self, index: int) -> None:
        """Highlight row ``index``, scrolled into view (the screening keys' cursor rule moves so)."""
        ...


def article_lists(node: DOMNode) -> list[ArticleRows]:
    """Every list of articles under ``node``: the results and the link panes."""
    return [w for w in node.query("ResultsList, LinkList") if isinstance(w, ArticleRows)]
