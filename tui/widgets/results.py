"""The result list: search hits, an OptionList of a few hundred rows, filled a screenful first."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.css.scalar import Scalar, Unit
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from store.ids import identity_keys
from tui.text import describe, literal
from tui.widgets.lists import MarkOf, no_marks
from tui.widgets.rows import hit_row, least_lines
from tui.widgets.virtual import SteadyScrollbars

if TYPE_CHECKING:
    from textual.strip import Strip
    from textual.style import Style as VisualStyle

    from store.search import Hit, Results


class ArticleList(OptionList, SteadyScrollbars):
    """An OptionList that moves with j/k too, and shows a friendly line when it is empty."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    # Rows hold no links: Textual's look for links (``Widget.auto_links``) copied every line drawn, and
    # followed the mouse (1.2k of the 15k Python calls drawing the first frame's list, at 120x40).
    auto_links: reactive[bool] = reactive(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(markup=False, **kwargs)  # type: ignore[arg-type]
        self.mark_of: MarkOf = no_marks

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

    @property
    def row_count(self) -> int:
        return self.option_count

    def move_to(self, index: int) -> None:
        self.highlighted = index

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
    """Search hits, one row each.

    Textual measures every row of an OptionList as it is added (500 rows: ~130 ms, most of what the
    first content of a large library waited for), so the rows come in two steps: the rows that fill
    the list (and the highlighted row) at once, the rest after the next refresh, or at once when a row
    among them is asked for (``validate_highlighted``)."""

    # The highlight moving repaints the rows it leaves and comes to, not the whole list (which it did
    # as an OptionList's: the list follows every article opened, and its whole repaint was 6-7 ms of
    # opening the famous article, at load 4). A move that scrolls the list repaints it whole.
    highlighted: reactive[int | None] = reactive(None, repaint=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.hits: list[Hit] = []
        self._later = 0  # the first row still to add (0: none)
        self._lit: int | None = None  # the row last highlighted (repainted when the highlight leaves it)
        self._drawing = False  # (``render_lines``)
        self._drawn_styles: dict[tuple[tuple[str, ...], bool], VisualStyle] = {}
        self._drawn_rows: dict[tuple[int, int], list[Strip]] = {}

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

    def show_message(self, message: str | Text) -> None:
        self._later = 0
        super().show_message(message)

    def redraw(self) -> None:
        if not self.hits:
            return
        highlighted = self.highlighted
        # The rows that fill the list (its lines down to the bottom of the view, as it is now: the
        # terminal may have grown since the app started) and the highlighted one, no more: Textual
        # wraps each row it is given before the next frame, shown or not. A row's lines are counted
        # at least (``least_lines``: at the list's widest), so the rows given fill the list whatever
        # their wrapping.
        width, lines = self._view()
        options: list[Option] = []
        filled = 0
        for n, hit in enumerate(self.hits):
            if filled >= lines and n > (highlighted or 0):
                break
            row = hit_row(hit, self.mark_of(_hit_keys(hit)))
            options.append(Option(row, id=str(n)))
            filled += least_lines(row, width)
        first = len(options)
        self.set_options(options)
        self._later = first if first < len(self.hits) else 0
        self.highlighted = highlighted
        if self._later:
            self.call_after_refresh(self._add_later, self.hits)

    def _view(self) -> tuple[int, int]:
        """The list's text width (at most) and its lines from the top to the bottom of its view (at
        least). Before it is laid out (the first page, shown before the first frame), its width by its
        rules (``#results``'s 42%, 28 to 80) at the terminal's width, less its border, and the
        terminal's lines less its border."""
        region = self.scrollable_content_region
        if region.width > 0 and region.height > 0:
            return region.width, self.scroll_offset.y + region.height
        size, styles = self.app.size, self.styles
        width = float(size.width)
        if (cells := _cells(styles.width, size)) is not None:
            width = min(width, cells)
        if (cells := _cells(styles.min_width, size)) is not None:
            width = max(width, cells)
        if (cells := _cells(styles.max_width, size)) is not None:
            width = min(width, cells)
        gutter = styles.gutter
        return max(1, math.ceil(width) - gutter.width), max(1, size.height - gutter.height)

    def _add_later(self, hits: list[Hit] | None = None) -> None:
        """Add the rows not shown yet (``hits``: unless other hits came since)."""
        if self._later and (hits is None or hits is self.hits):
            start, self._later = self._later, 0
            self.add_options(self._hit_options(start, len(self.hits)))

    def render_lines(self, crop: Region) -> list[Strip]:
        """Textual's OptionList brings its table of lines up to date (``_update_lines``) as it starts
        drawing, and again for every line it draws (~50 Python calls a line: 1.7k of the first frame's
        result list, at 120x40), works out a row's style from the list's state (~25 calls) and looks
        its drawn lines up (~30) for every line: each is done once a drawing. (Nothing adds rows, nor
        changes the list's hover, focus or styles, while a frame is drawn.)"""
        self._update_lines()
        self._drawing, self._drawn_styles, self._drawn_rows = True, {}, {}
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = False

    def _update_lines(self) -> None:
        if not self._drawing:
            super()._update_lines()

    def _get_option_render(self, option: Option, style: VisualStyle) -> list[Strip]:
        if not self._drawing:
            return super()._get_option_render(option, style)
        key = (id(option), id(style))  # (both kept alive by the drawing)
        if (strips := self._drawn_rows.get(key)) is None:
            strips = self._drawn_rows[key] = super()._get_option_render(option, style)
        return strips

    def get_visual_style(self, *component_classes: str, partial: bool = False) -> VisualStyle:
        if not self._drawing:
            return super().get_visual_style(*component_classes, partial=partial)
        key = (component_classes, partial)
        if (style := self._drawn_styles.get(key)) is None:
            style = self._drawn_styles[key] = super().get_visual_style(*component_classes, partial=partial)
        return style

    def validate_highlighted(self, highlighted: int | None) -> int | None:
        if highlighted is not None and highlighted >= self.option_count:
            self._add_later()
        return super().validate_highlighted(highlighted)

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        top, width = self.scroll_offset.y, self.scrollable_content_region.width
        for index in (self._lit, highlighted):
            line = self._index_to_line.get(index) if index is not None else None
            if index is not None and line is not None:
                self.refresh(Region(0, line - top, width, self._heights.get(index, 1)))
        self._lit = highlighted

    def _hit_options(self, start: int, end: int) -> list[Option]:
        return [
            Option(hit_row(hit, self.mark_of(_hit_keys(hit))), id=str(n))
            for n, hit in enumerate(self.hits[start:end], start)
        ]

    def row_of(self, keys: list[str]) -> int | None:
        wanted = set(keys)
        return next((n for n in range(len(self.hits)) if wanted & set(self.keys_at(n))), None)

    def hit(self, index: int) -> Hit | None:
        return self.hits[index] if 0 <= index < len(self.hits) else None

    def keys_at(self, index: int) -> list[str]:
        hit = self.hit(index)
        return _hit_keys(hit) if hit else []

    def describe(self, index: int) -> str:
        hit = self.hit(index)
        return describe(hit.title, hit.pmid, hit.pmcid, hit.doi) if hit else "That row"


def _cells(scalar: Scalar | None, size: Size) -> float | None:
    """A width rule in cells at the terminal's ``size`` (a share of the width taken of the terminal's:
    at least the container's), or None for a rule that is neither (auto, fr: the layout's)."""
    if scalar is None or scalar.unit not in (Unit.CELLS, Unit.WIDTH, Unit.VIEW_WIDTH, Unit.PERCENT):
        return None
    if scalar.unit == Unit.PERCENT and scalar.percent_unit not in (Unit.WIDTH, Unit.VIEW_WIDTH):
        return None
    return float(scalar.resolve(size, size))


def _hit_keys(hit: Hit) -> list[str]:
    return identity_keys(hit.pmid, hit.pmcid, hit.doi, title=hit.title, year=hit.year)
