"""The main screen's own lines (its background, shown only where its widgets leave a cell: the search
bar's margins) are one line drawn through Textual's styling once a frame and repeated
(``parts.CoveredScreen``): Textual drew every line of it, 40 at 120x40, in every frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual._styles_cache import StylesCache
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

from tests.tui.helpers import make_app, ready


async def test_the_screen_draws_one_line_a_frame(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        lines: list[int] = []
        render_line = StylesCache.render_line

        def counting(self: StylesCache, *args: object, **kwargs: object) -> Strip:
            lines.append(1)
            return render_line(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(StylesCache, "render_line", counting)
        screen._styles_cache.clear()  # (every line drawn again, none from the lines kept)
        crop = Region(0, 0, *screen.size)
        drawn = screen.render_lines(crop)
        assert len(drawn) == 40 and len(lines) == 1
        screen._styles_cache.clear()
        # (what Textual draws, every line of it, segment by segment, style by style)
        assert [list(strip) for strip in drawn] == [list(s) for s in Screen.render_lines(screen, crop)]
        assert len(lines) == 41


async def test_a_screen_with_a_border_draws_every_line(lib_path: Path) -> None:
    """A border (or padding, or an outline) makes lines differ: Textual draws each then, as before."""
    app = make_app(lib_path)
    async with app.run_test(size=(60, 12)) as pilot:
        screen = await ready(pilot)
        screen.styles.border = ("round", "red")
        await pilot.pause()
        screen._styles_cache.clear()
        crop = Region(0, 0, *screen.size)
        drawn = screen.render_lines(crop)
        assert drawn[0].text != drawn[1].text  # (the top border, then the side borders)
        screen._styles_cache.clear()
        assert [list(strip) for strip in drawn] == [list(s) for s in Screen.render_lines(screen, crop)]
