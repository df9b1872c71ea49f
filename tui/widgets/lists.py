"""The result list and the link lists: OptionLists (virtualised, so hundreds of rows stay fast)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from store.ids import identity_keys
from tui.text import describe, literal
from tui.widgets.rows import hit_row, link_row

if TYPE_CHECKING:
    from store.library import LinkView
    from store.marks import Mark
    from store.search import Hit, Results

# Finds the marks of an article from its identity keys (None when marks are not loaded).
MarkOf = Callable[[list[str]], "Mark | None"]


def _no_marks(keys: list[str]) -> Mark | None:
    return None


class ArticleList(OptionList):
    """An OptionList that moves with j/k too, and shows a friendly line when it is empty."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(markup=False, **kwargs)  # type: ignore[arg-type]
        self.mark_of: MarkOf = _no_marks

    def show_message(self, message: str | Text) -> None:
        """Replace the rows with one line of guidance (not selectable)."""
        text = literal(message, style="italic") if isinstance(message, str) else message
        self.set_options([Option(text, disabled=True)])

    def keys_at(self, index: int) -> list[str]:
        """The identity keys of the article in row ``index`` (empty for none)."""
        raise NotImplementedError

    def describe(self, index: int) -> str:
        """How a message names the article in row ``index``."""
        raise NotImplementedError

    def row_of(self, keys: list[str]) -> int | None:
        """The row showing the article with any of these identity keys."""
        wanted = set(keys)
        return next((n for n in range(self.option_count) if wanted & set(self.keys_at(n))), None)

    def _rows(self) -> list[Text]:
        raise NotImplementedError

    def redraw(self) -> None:
        """Draw the rows again (after marks changed), keeping the highlight."""
        rows = self._rows()
        if rows:
            highlighted = self.highlighted
            self.set_options(Option(row, id=str(n)) for n, row in enumerate(rows))
            self.highlighted = highlighted


class ResultsList(ArticleList):
    """Search hits, one row each."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.hits: list[Hit] = []

    def show_results(
        self, title: str, results: Results, empty: str | Text, order: str = "", keep: list[str] | None = None
    ) -> None:
        """Show hits; ``order`` names the order they are in, ``keep`` the article to stay on."""
        self.hits = list(results.hits)
        count = f"{results.total} hit{'s' if results.total != 1 else ''}"
        if len(self.hits) < results.total:
            count += f" ({len(self.hits)} shown)"
        if order and self.hits:
            count = f"{order} · {count}"  # (first: a narrow list cuts the end of its title)
        self.border_title = literal(f"{count} — {title}")
        if not self.hits:
            self.show_message(empty)
            return
        self.redraw()
        row = self.row_of(keep) if keep else None
        self.highlighted = row or 0

    def _rows(self) -> list[Text]:
        return [hit_row(hit, self.mark_of(_hit_keys(hit))) for hit in self.hits]

    def hit(self, index: int) -> Hit | None:
        return self.hits[index] if 0 <= index < len(self.hits) else None

    def keys_at(self, index: int) -> list[str]:
        hit = self.hit(index)
        return _hit_keys(hit) if hit else []

    def describe(self, index: int) -> str:
        hit = self.hit(index)
        return describe(hit.title, hit.pmid, hit.pmcid, hit.doi) if hit else "That row"


def _hit_keys(hit: Hit) -> list[str]:
    return identity_keys(hit.pmid, hit.pmcid, hit.doi, title=hit.title, year=hit.year)


class LinkList(ArticleList):
    """References or citing articles of the open article."""

    def __init__(self, rel: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.rel = rel
        self.views: list[LinkView] = []
        self.visited: list[bool] = []

    def show_links(
        self, views: list[LinkView], visited: list[bool], empty: str, keep: list[str] | None = None
    ) -> None:
        """Show link rows; ``keep`` names the article to stay on (after a reload)."""
        self.views, self.visited = list(views), list(visited)
        if not views:
            self.show_message(empty)
            return
        self.redraw()
        row = self.row_of(keep) if keep else None
        self.highlighted = row or 0

    def _rows(self) -> list[Text]:
        return [
            link_row(v, seen, self.mark_of(_view_keys(v)))
            for v, seen in zip(self.views, self.visited, strict=True)
        ]

    def view(self, index: int) -> LinkView | None:
        return self.views[index] if 0 <= index < len(self.views) else None

    def keys_at(self, index: int) -> list[str]:
        view = self.view(index)
        return _view_keys(view) if view else []

    def describe(self, index: int) -> str:
        view = self.view(index)
        return describe(view.title, view.pmid, view.pmcid, view.doi) if view else "That row"


def _view_keys(view: LinkView) -> list[str]:
    return identity_keys(view.pmid, view.pmcid, view.doi, title=view.title, year=view.year)
