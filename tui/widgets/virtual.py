"""A scrolling view that draws only the lines on screen, for lists and maps of thousands of rows.

``VirtualView`` holds what the citation map (``MapView``) and the Snowball candidates
(``CandidateList``) share: the widget's ``virtual_size`` is the whole content, ``render_line`` asks the
subclass for one content line only when it is on screen (``content_line``), crops it to the horizontal
scroll and pads it to the width; ``reveal`` scrolls a content region into view and ``refresh_content``
redraws one. What a cursor is (an index, an article on a grid) and how it moves is each subclass's own.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.strip import Strip


class VirtualView(ScrollView, can_focus=True):
    """Lines drawn on demand; subclasses set ``virtual_size`` and implement ``content_line``."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lines_drawn = 0  # content lines rendered (tests check that only the visible ones are)

    def content_line(self, y: int, width: int) -> Strip | None:
        """Line ``y`` of the content (0 is the first, whatever the scroll), or None where there is none.
        ``width`` is the width on screen; the strip may be wider (it is cropped to the scroll)."""
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        strip = self.content_line(y + self.scroll_offset.y, width)
        if strip is None:
            return Strip.blank(width, self.rich_style)
        self.lines_drawn += 1
        x = self.scroll_offset.x
        return strip.crop(x, x + width).extend_cell_length(width, self.rich_style)

    def reveal(self, region: Region) -> None:
        """Scroll at once, as little as needed, to bring ``region`` (in content coordinates) into view."""
        self.scroll_to_region(region, animate=False, force=True, immediate=True)

    def refresh_content(self, region: Region) -> None:
        """Redraw ``region`` of the content (in content coordinates), if it is on screen."""
        self.refresh(region.translate(-self.scroll_offset))
