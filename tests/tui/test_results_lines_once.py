"""The result list brings its table of lines up to date, works out each style of its rows, and looks
up each row's lines, once a drawing (``ResultsList.render_lines``): Textual's OptionList did all three
again for every line drawn (~100 Python calls a line, at every frame that draws the list, the first
one included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import OptionList

from tests.tui.helpers import make_app, ready


async def test_the_lines_are_updated_once_a_drawing(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        results = screen.results
        assert results.option_count > 1
        updates, styles, rows = [0], [0], [0]
        update, style_of, row = (
            OptionList._update_lines,
            Widget.get_visual_style,
            OptionList._get_option_render,
        )

        def counting(self: OptionList) -> None:
            updates[0] += 1
            update(self)

        def counting_styles(self: Widget, *names: str, partial: bool = False) -> object:
            styles[0] += 1
            return style_of(self, *names, partial=partial)

        def counting_rows(self: OptionList, *args: Any) -> object:
            rows[0] += 1
            return row(self, *args)

        monkeypatch.setattr(OptionList, "_get_option_render", counting_rows)
        monkeypatch.setattr(OptionList, "_update_lines", counting)
        monkeypatch.setattr(Widget, "get_visual_style", counting_styles)
        results._set_dirty()  # (every line drawn again, none from the cache of lines drawn)
        drawn = results.render_lines(Region(0, 0, *results.size))
        assert len(drawn) == results.size.height
        assert updates == [1]
        assert 0 < styles[0] <= 4  # (a row's, the highlighted row's, the blank below the rows'...)
        # (a row's lines looked up once: rows of two lines and more, against one look-up a line before)
        assert 0 < rows[0] <= results.option_count and rows[0] < len(drawn) // 2
        results.action_cursor_down()  # (between drawings, the table is brought up to date as before)
        assert updates[0] > 1
