"""One line of a list (or the panes' tabs, ``tui.widgets.panes.PaneTabs``) as a Textual ``Strip``,
made at once from a Rich ``Text``.

A link pane draws each line of its rows once (it keeps them), but opening an article draws the first
screenful anew: some 26 lines, each cut to the pane's width with an ellipsis, padded to it, in the
widget's style with the line's own spans above it. Rich does that in four steps (``Text.copy``,
``truncate``, ``stylize_before``, ``render``), each walking the spans again: ~85 µs a line, a tenth of
the CPU of opening an article with ten thousand citing articles (measured 2026-12-06). Here a line
whose spans follow one another without overlapping (every row ``tui.widgets.rows`` makes) is cut and
styled in one pass; any other line takes Rich's way, so what is drawn is the same either way
(tests/tui/test_open_cost.py compares them).
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

ELLIPSIS = "…"


def line_strip(
    line: Text, width: int, style: Style, console: Console, pad_style: Style | None = None
) -> Strip:
    """``line`` cut to ``width`` cells (an ellipsis ending a cut line) and padded to it with spaces,
    in ``style`` with the line's own style and then its spans above it (the padding in ``pad_style``,
    if given)."""
    width = max(width, 1)
    base = style + console.get_style(line.style, default=Style.null()) if line.style else style
    plain = line.plain
    length = cell_len(plain)
    if length > width:
        plain = set_cell_size(plain, width - 1) + ELLIPSIS
    end = len(plain)  # (spans past a cut end at the ellipsis, as Rich trims them)
    segments: list[Segment] = []
    at = 0
    for span in line.spans:
        start, stop = span.start, min(span.end, end)
        if start < at:  # (overlapping spans: Rich combines them)
            return _rich_strip(line, width, style, console)
        if start >= end:
            continue  # (past the cut: not drawn; a span after it may still start before the cut)
        if start > at:
            segments.append(Segment(plain[at:start], base))
        if stop > start:
            segments.append(
                Segment(plain[start:stop], base + console.get_style(span.style, default=Style.null()))
            )
        at = max(at, stop)
    if at < end:
        segments.append(Segment(plain[at:], base))
    if length < width:
        segments.append(Segment(" " * (width - length), base if pad_style is None else pad_style))
    return Strip(segments, width)


def _rich_strip(line: Text, width: int, style: Style, console: Console) -> Strip:
    """The same line made Rich's way (any spans)."""
    line = line.copy()
    style += console.get_style(line.style, default=Style.null())
    line.style = ""  # (as a span: a Text without spans is rendered without its own style)
    line.no_wrap, line.overflow = True, "ellipsis"
    line.truncate(width, overflow="ellipsis", pad=True)
    line.stylize_before(style)
    return Strip(line.render(console), width)
