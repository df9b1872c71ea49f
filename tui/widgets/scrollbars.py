"""A vertical scrollbar that draws each of its lines through Textual's styling once, not at every frame.

Textual draws a scrollbar as any widget: a Rich renderable (``ScrollBarRender``: one segment a line)
rendered to lines, then each line through the widget's styles (``_styles_cache``: padding, tint,
opacity, colour filters), some 200 Python calls a line. A link pane's scrollbar is drawn again at
every article opened (its rows' count changed): ~5,000 calls, 1.0-1.3 ms of the ~18 ms from the key
to the painted pane (measured 2026-12-06). Yet a vertical scrollbar has only a handful of different
lines (the track above and below the thumb, the thumb, the thumb's two partial ends), and what the
styling makes of a line depends on the line and the widget's style, not on where the line is.

So each line's segment is computed as Textual's renderer computes it (cheap: a list), and its styled
line is looked up by that segment; a segment not met yet sends the whole drawing Textual's way, and its
lines are kept. What is kept is dropped when anything the styling depends on changes (the context:
width, styles, colours, filters, theme). What is drawn is what Textual draws, by construction
(tests/tui/test_open_layout.py compares the two for 81 thumb positions, focused or not, tinted).
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment, Segments
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

from tui.widgets.virtual import LaidOutOnce


class KeptLinesScrollBar(LaidOutOnce, ScrollBar):
    """A ``ScrollBar`` whose vertical lines, once styled, are kept by their segment (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._styled_for: tuple[object, ...] | None = None
        self._kept: dict[Segment, Strip] = {}

    def _segments(self) -> list[Segment] | None:
        """The bar's lines (a segment each) as Textual's renderer makes them now, or None where this
        is not the usual vertical bar (then it is drawn Textual's way)."""
        if not self.vertical or self.grabbed is not None or self.mouse_over:
            return None
        bar = self.render()
        if type(bar) is not ScrollBarRender:  # (another renderer, set by someone: its own way)
            return None
        width, height = self.size
        style = self.app.console.get_style(bar.style)
        if style.bgcolor is None or style.color is None:
            return None
        drawn = bar.render_bar(
            size=height,
            virtual_size=bar.virtual_size,
            window_size=bar.window_size,
            position=bar.position,
            thickness=width,
            vertical=True,
            back_color=style.bgcolor,
            bar_color=style.color,
        )
        assert isinstance(drawn, Segments)
        segments = list(drawn.segments)
        return segments if len(segments) == height else None

    def _styling(self) -> tuple[object, ...]:
        """What the styling of a line depends on besides the line."""
        app = self.app
        styles = self.styles
        return (
            self.size.width,
            self.visual_style,
            self.rich_style,
            self.background_colors,
            styles.tint,
            styles.text_opacity,
            self.opacity,
            tuple(self.get_line_filters()),
            app.theme,
            id(app.ansi_theme),
            getattr(app, "native_ansi_color", None),  # (Textual 6.0 has none)
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        segments = self._segments()
        if segments is None or crop.x != 0 or crop.width != self.size.width:
            return super().render_lines(crop)
        context = self._styling()
        if context != self._styled_for:
            self._styled_for, self._kept = context, {}
        kept = self._kept
        lines = [kept.get(segments[y]) for y in crop.line_range]
        if None not in lines:
            return lines  # type: ignore[return-value]
        # (A line not met yet: the whole bar Textual's way, each of its lines kept by its segment.)
        whole = super().render_lines(Region(0, 0, *self.size))
        for segment, strip in zip(segments, whole, strict=True):
            kept[segment] = strip
        return whole[crop.y : crop.bottom]
