"""The result list and the link lists: OptionLists (virtualised, so hundreds of rows stay fast)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from store.library import LinkView
from store.search import Hit, Results
from tui.text import literal
from tui.widgets.rows import hit_row, link_row


class ArticleList(OptionList):
    """An OptionList that moves with j/k too, and shows a friendly line when it is empty."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def show_message(self, message: str | Text) -> None:
        """Replace the rows with one line of guidance (not selectable)."""
        text = literal(message, style="italic") if isinstance(message, str) else message
        self.set_options([Option(text, disabled=True)])


class ResultsList(ArticleList):
    """Search hits, one row each."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(markup=False, **kwargs)  # type: ignore[arg-type]
        self.hits: list[Hit] = []

    def show_results(self, query: str, results: Results) -> None:
        self.hits = list(results.hits)
        shown = len(self.hits)
        count = f"{results.total} hit{'s' if results.total != 1 else ''}"
        if shown < results.total:
            count += f", first {shown}"
        self.border_title = literal(f"{query or 'All articles'} — {count}")
        if not self.hits:
            self.show_message(
                f"No articles match “{query}”. Try fewer words, a wildcard (exosom*), OR, or check the tags."
                if query
                else "The library is empty. Import records with: pmbrowse import FILE..."
            )
            return
        self.set_options(Option(hit_row(hit), id=str(n)) for n, hit in enumerate(self.hits))
        self.highlighted = 0

    def hit(self, index: int) -> Hit | None:
        return self.hits[index] if 0 <= index < len(self.hits) else None


class LinkList(ArticleList):
    """References or citing articles of the open article."""

    def __init__(self, rel: str, **kwargs: object) -> None:
        super().__init__(markup=False, **kwargs)  # type: ignore[arg-type]
        self.rel = rel
        self.views: list[LinkView] = []

    def show_links(self, views: list[LinkView], visited: list[bool], empty: str) -> None:
        self.views = list(views)
        if not views:
            self.show_message(empty)
            return
        self.set_options(
            Option(link_row(v, seen), id=str(n))
            for n, (v, seen) in enumerate(zip(views, visited, strict=True))
        )
        self.highlighted = 0

    def view(self, index: int) -> LinkView | None:
        return self.views[index] if 0 <= index < len(self.views) else None
