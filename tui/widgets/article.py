"""The open article: its header (title, authors, journal, identifiers) and its abstract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.text import citation_line, details_text, id_line, literal, metrics_header, printable
from tui.widgets.rows import mark_line
from tui.widgets.virtual import LaidOutOnce

if TYPE_CHECKING:
    from store.marks import Mark
    from store.model import Article

WELCOME = (
    "Search with / and open a result with enter. Then walk the citation graph: r shows the references,"
    " c the citing articles, enter opens one, backspace goes back. ? lists every key."
)


class ArticleHeader(LaidOutOnce, Static):
    """Title, authors, journal line, identifiers, and one line of citation numbers: the RCR, the count
    with whose it is and when it was fetched, and how many citing articles the library holds
    (``tui.text.metrics_header``; every metric is in the Details under the abstract)."""

    _height_of: tuple[int, int] | None = None  # (the content's width and height, measured: ``_show``)

    def show_welcome(self, message: str = WELCOME) -> None:
        self._show(literal(message, style="italic"))

    def show_article(self, article: Article, citing_in_library: int, mark: Mark | None = None) -> None:
        parts: list[RenderableType] = []
        title = literal(article.title or "(untitled)", style="bold")
        if article.stub:
            title.append("  stub", style="black on yellow")
        parts.append(title)
        if mark is not None and not mark.empty:
            parts.append(mark_line(mark))
        if article.authors:
            names = [a.name for a in article.authors]
            shown = ", ".join(names[:12]) + (f", … ({len(names)} authors)" if len(names) > 12 else "")
            parts.append(literal(shown))
        if line := citation_line(article):
            parts.append(literal(line, style="italic"))
        parts.append(
            literal(id_line(article.pmid, article.pmcid, article.doi) or "no identifiers known", style="cyan")
        )
        parts.append(metrics_header(article, citing_in_library))
        self._show(DrawnOnce(Group(*parts)))

    def _show(self, content: RenderableType) -> None:
        """Show ``content``, with a layout of the screen only if its height is not the height shown.
        Textual's ``update`` lays out the whole screen (~2 ms, and a repaint of every widget the layout
        moves) for each article opened; two articles' headers are often of one height. Its height is
        measured here once (the layout, if there is one, finds it measured)."""
        width = self.content_size.width
        before = self._height_of
        self.update(content, layout=False)
        if not width:
            self._height_of = None
            self.refresh(layout=True)
            return
        size = self.content_size
        self._height_of = (width, self.get_content_height(size, size, width))
        if before != self._height_of:
            self.refresh(layout=True, repaint=False)  # (repainted already; its measure kept)


class DrawnOnce:
    """A renderable whose lines are made once for each width and kept: Textual renders a header twice
    at each article opened, once to measure its height (``ArticleHeader._show``), once to paint it,
    each the same lines of the same Rich renderables (~700 Python calls, measured 2026-12-06). What is
    kept is the renderable's own segments (the widget's style is applied to them afterwards, as to any
    renderable's), for the console and the options it was drawn with (but its height, which a Rich
    ``Text`` does not read: measuring gives none, painting gives the widget's)."""

    __slots__ = ("_drawn", "renderable")

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._drawn: tuple[tuple[object, ...], list[Segment]] | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> list[Segment]:
        key = (
            id(console),
            options.size,
            options.legacy_windows,
            options.min_width,
            options.max_width,
            options.is_terminal,
            options.encoding,
            options.justify,
            options.overflow,
            options.no_wrap,
            options.highlight,
            options.markup,
        )
        if self._drawn is None or self._drawn[0] != key:
            self._drawn = (key, list(console.render(self.renderable, options)))
        return self._drawn[1]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


class AbstractView(VerticalScroll, can_focus=True):
    """The abstract, sections with their labels as headings; or a line saying why there is none."""

    DEFAULT_CSS = """
    AbstractView { height: 1fr; }
    AbstractView > Static { width: 1fr; height: auto; }
    """

    # The article shown when this pane is next shown (``show_pending``): hidden behind a pane of links,
    # the abstract is not made nor given to its Static. Given, its hidden Static was drawn at the next
    # frame for nothing, and a widget not on screen marked for drawing makes Textual build its map of
    # every widget anew (~350 and ~400 Python calls of each article opened from a pane of links,
    # measured 2026-12-06).
    _pending: tuple[Article, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="abstract-text")

    def show_article(self, article: Article, keep_scroll: bool = False) -> None:
        if not self.display:
            # (A scroll kept before stays kept: one not kept goes home when it is shown.)
            keep = keep_scroll and (self._pending is None or self._pending[1])
            self._pending = (article, keep)
            return
        self._pending = None
        self._show_article(article, keep_scroll)

    def show_pending(self) -> None:
        """The article given while the pane was hidden, shown now (it is about to be shown)."""
        if self._pending is not None:
            (article, keep), self._pending = self._pending, None
            self._show_article(article, keep)

    @property
    def text(self) -> Text | str:
        """What the pane shows, or shows once it is shown (an article given while it was hidden)."""
        if self._pending is not None:
            return abstract_text(self._pending[0])
        content = self.query_one("#abstract-text", Static).content
        return content if isinstance(content, Text) else str(content)

    def _show_article(self, article: Article, keep_scroll: bool) -> None:
        # (Hidden, it asks for no layout of the screen: showing it lays it out.)
        self.query_one("#abstract-text", Static).update(abstract_text(article), layout=self.display)
        if not keep_scroll:
            self.scroll_home(animate=False)

    def show_message(self, message: str) -> None:
        self._pending = None
        self.query_one("#abstract-text", Static).update(literal(message, style="italic"))


def abstract_text(article: Article) -> Text:
    """The abstract pane's text: the abstract's sections with their labels as headings, or why there is
    none; then the article's details."""
    text = Text()
    if article.abstract:
        for n, section in enumerate(article.abstract):
            if n:
                text.append("\n\n")
            if section.label:
                text.append(printable(section.label) + "\n", style="bold underline")
            text.append(printable(section.text))
    elif article.stub:
        text.append(
            "No abstract: this article is a stub — the library knows it only from the links that "
            "name it (title, authors, journal, year, identifiers above). To read it in full, "
            "import its record (pmbrowse import FILE: PubMed XML, MEDLINE .nbib or an article "
            "page), or press f to fetch it from PubMed now.",
            style="italic",
        )
    else:
        text.append("This record has no abstract (its source gave none).", style="italic")
    extra = details_text(article, mesh_hint="m: search by a heading")
    if extra.plain:
        text.append("\n\n")
        text.append_text(extra)
    return text
