"""The key line at the bottom: as many keys as the width holds, the most wanted first to stay.

Textual's Footer cuts the line at the right edge, so at 80 or 120 columns it dropped ``? Help`` and
``q Quit``. This one chooses by rank (``tui.keys``): help and quit always stay, at the right end,
and the keys used least are the first to go; the rest keep the table's order.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from tui.keys import KEYS, Key

GAP = "  "


# The keys here are told apart by identity (``id``), not by hash: a Key's hash is a Python call (1.1k
# of them, with the first ones working it out, at the app's first layout and render).
_ITEMS: dict[int, tuple[Key, str, str, int]] = {}  # (the keys are a few dozen, made once)


def _entry(key: Key) -> tuple[Key, str, str, int]:
    """``key``, its label, its description and the cells they take with a gap (kept: the first layout
    tries each key ~25 times, and each render writes the label, worked out from the keys each time)."""
    found = _ITEMS.get(id(key))
    if found is None or found[0] is not key:
        label, description = key.footer_label, key.description
        found = _ITEMS[id(key)] = (key, label, description, len(label) + 1 + len(description) + len(GAP))
    return found


def _item(key: Key) -> tuple[str, str]:
    _, label, description, _ = _entry(key)
    return label, description


def _cells(key: Key) -> int:
    return _entry(key)[3]


def footer_keys(width: int, keys: tuple[Key, ...] = KEYS, lines: int = 1) -> list[Key]:
    """The keys that fit in ``lines`` lines of ``width`` cells, in the table's order, always-shown ones
    last."""
    return list(_fitting(width, keys, lines))


_FITTING: dict[tuple[int, int, int], tuple[tuple[Key, ...], tuple[Key, ...]]] = {}


def _fitting(width: int, keys: tuple[Key, ...], lines: int) -> tuple[Key, ...]:
    """``footer_keys``, kept by width (the footer asks at every layout and every render)."""
    found = _FITTING.get((width, id(keys), lines))
    if found is None or found[0] is not keys:
        if len(_FITTING) > 64:  # (widths come and go as the terminal is resized)
            _FITTING.clear()
        found = _FITTING[width, id(keys), lines] = (keys, _choose(width, keys, lines))
    return found[1]


def _choose(width: int, keys: tuple[Key, ...], lines: int) -> tuple[Key, ...]:
    """The keys that fit: the always-shown ones, then each other key by rank if the line still holds it.

    On one line (the main view's, drawn in the app's first frame) a line holds keys while their cells
    add up to the width (``footer_lines`` starts a second line only when the next key would pass it,
    and the first key has no gap before it): a sum kept as the keys are tried, 0.13 ms at 120 columns,
    where laying the line out again for every key tried took 0.6 ms. On more lines, a key may push the
    next line's first key over, so the lines are laid out again for each key tried."""
    shown = [k for k in keys if k.footer]
    always = [k for k in shown if k.rank == 0]
    chosen = list(always)
    ranked = sorted((k for k in shown if k.rank), key=lambda k: k.rank)
    if lines == 1:
        used = sum(_cells(k) for k in chosen)
        for key in ranked:
            cells = _cells(key)
            if not chosen or used + cells - len(GAP) <= width:
                chosen.append(key)
                used += cells
    else:
        for key in ranked:
            if len(footer_lines([*chosen, key], shown, width)) <= lines:
                chosen.append(key)
    kept = {id(k) for k in chosen}
    return (*[k for k in shown if id(k) in kept and k.rank], *always)


def footer_lines(chosen: list[Key], shown: list[Key], width: int) -> list[list[Key]]:
    """``chosen`` keys laid out in lines of ``width`` cells: the table's order (``shown``), always-shown
    keys at the end, a key never split across two lines."""
    wanted = {id(k) for k in chosen}
    ordered = [k for k in shown if id(k) in wanted and k.rank] + [
        k for k in shown if id(k) in wanted and not k.rank
    ]
    lines: list[list[Key]] = [[]]
    used = 0
    for key in ordered:
        cells = _cells(key) - (0 if lines[-1] else len(GAP))
        if lines[-1] and used + cells > width:
            lines.append([])
            used, cells = 0, _cells(key) - len(GAP)
        lines[-1].append(key)
        used += cells
    return lines


class KeyFooter(Widget):
    """One line of keys (or ``lines``, for a view with more keys); ``footer--key`` and
    ``footer--description`` style them (key in reverse, so it reads in a terminal without colours
    too)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"footer--key", "footer--description"}
    DEFAULT_CSS = """
    KeyFooter { height: auto; background: $panel; }
    KeyFooter > .footer--key { text-style: bold reverse; color: $accent; }
    KeyFooter > .footer--description { color: $foreground; }
    """

    def __init__(self, keys: tuple[Key, ...] = KEYS, lines: int = 1, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.keys = keys
        self.lines = lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        shown = [k for k in self.keys if k.footer]
        return len(footer_lines(footer_keys(width, self.keys, self.lines), shown, width))

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer--key")
        description_style = self.get_component_rich_style("footer--description")
        width = self.size.width
        shown = [k for k in self.keys if k.footer]
        text = Text(no_wrap=True, overflow="crop")
        for row, keys in enumerate(footer_lines(footer_keys(width, self.keys, self.lines), shown, width)):
            if row:
                text.append("\n")
            for n, key in enumerate(keys):
                label, description = _item(key)
                if n:
                    text.append(GAP)
                text.append(f"{label}", style=key_style)
                text.append(f" {description}", style=description_style)
        return text
