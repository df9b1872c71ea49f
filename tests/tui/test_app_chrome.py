"""The app's frame: the key line, the help, the export dialog, the status line, notifications, and
what reads without colours."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import RadioButton

from tests.store.helpers import count_calls
from tests.tui.helpers import make_app, ready
from tui.keys import KEYS, SNOWBALL_KEYS, Key
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen
from tui.widgets.footer import KeyFooter, footer_keys, footer_lines
from tui.widgets.trail import StatusLine

SEED = "30992990"


@pytest.mark.parametrize("width", [80, 100, 110, 120, 200])
async def test_the_key_line_always_ends_with_help_and_quit(lib_path: Path, width: int) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(width, 30)) as pilot:
        await ready(pilot)
        line = app.screen.query_one(KeyFooter).render().plain
        assert line.endswith("? Help  q Quit") and len(line) <= width
        assert "/ Search" in line and "⌫ Back" in line  # the most used stay


def test_the_least_used_keys_go_first() -> None:
    wide = footer_keys(300)
    narrow = footer_keys(80)
    assert {k.description for k in wide} == {k.description for k in KEYS if k.footer}
    dropped = [k for k in wide if k not in narrow]
    kept = [k for k in narrow if k.rank]
    assert dropped and min(k.rank for k in dropped) >= max(k.rank for k in kept)


async def test_the_whole_help_shows_at_120x40(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one("#help", VerticalScroll)
        assert scroll.max_scroll_y == 0  # nothing below the fold
        assert "closes" in str(scroll.border_subtitle)


async def test_the_export_dialog_fits_80_columns_and_reads_without_colour(lib_path: Path) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        for button in app.screen.query(RadioButton):
            label = button.render().plain  # type: ignore[union-attr]
            assert ("●" in label) == button.value and ("○" in label) != button.value
            assert button.size.width >= len(str(button.label)) + 4  # not cut


async def test_a_long_status_is_cut_at_a_word_and_given_whole(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        status = app.screen.query_one(StatusLine)
        message = (
            "PubMed: retrying: cannot connect ([Errno -2] Name or service not known) to "
            "eutils.ncbi.nlm.nih.gov (2.5 s)"
        )
        status.show(message)
        status.show(message)  # (a retry says it again: one notification)
        await pilot.pause()
        shown = str(status.render())
        assert shown.endswith("…") and len(shown) <= 48
        assert shown[:-1].rstrip() in message and not shown[:-1].endswith(" ")
        whole = [n for n in app._notifications if n.message == message]
        assert len(whole) == 1


def test_the_key_line_is_chosen_once_a_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """The footer asks for its keys at every layout and every render of the screen: they are chosen
    once a width (and table, and number of lines), then recalled. Seen red with ``_fitting``'s cache
    bypassed (``footer_keys`` calling ``_choose``: chosen again at the second ask)."""
    import tui.widgets.footer as footer

    footer._FITTING.clear()
    chosen = count_calls(monkeypatch, footer, "_choose")
    first = footer_keys(97)
    assert chosen[0] == 1
    assert footer_keys(97) == first and chosen[0] == 1  # (recalled)
    assert footer_keys(61) != first and chosen[0] == 2  # (another width: chosen anew)


def _laid_out_choice(width: int, keys: tuple[Key, ...]) -> list[Key]:
    """The keys chosen as the footer chose them for one line before its sum: each key tried by laying
    the whole line out again (``footer_lines``)."""
    shown = [k for k in keys if k.footer]
    always = [k for k in shown if k.rank == 0]
    chosen = list(always)
    for key in sorted((k for k in shown if k.rank), key=lambda k: k.rank):
        if len(footer_lines([*chosen, key], shown, width)) <= 1:
            chosen.append(key)
    return [*[k for k in shown if k in chosen and k.rank], *always]


@pytest.mark.parametrize("keys", [KEYS, SNOWBALL_KEYS], ids=["main", "snowball"])
def test_the_one_line_sum_chooses_what_laying_the_line_out_chose(keys: tuple[Key, ...]) -> None:
    """One line's keys are chosen by adding up their cells (``_choose``), not by laying the line out
    again for every key tried: the same keys at every width, and they lie on one line. Seen red with
    the sum not taking off the first key's gap (the keys chosen differed at 69 widths of 399 in the
    main table, 60 in the Snowball view's)."""
    from tui.widgets.footer import _choose

    shown = [k for k in keys if k.footer]
    always = [k for k in shown if k.rank == 0]
    for width in range(1, 400):
        assert list(_choose(width, keys, 1)) == _laid_out_choice(width, keys), width
        if len(footer_lines(always, shown, width)) == 1:  # (narrower, help and quit take two lines)
            assert len(footer_lines(list(_choose(width, keys, 1)), shown, width)) == 1, width
        # (Two lines are still chosen by laying them out, each key tried: they fit in two.)
        if len(footer_lines(always, shown, width)) <= 2:
            assert len(footer_lines(list(_choose(width, keys, 2)), shown, width)) <= 2, width
