"""The key line at the bottom: as many keys as the width holds, the most wanted first to stay.

Textual's Footer cuts the line at the right edge, so at 80 or 120 columns it dropped ``? Help`` and
``q Quit``. This one chooses by rank (``tui.keys``): help and quit always stay, at the right end,
and the keys used least are the first to go; the rest keep the table's order.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from tui.keys import KEYS, Key

GAP = "  "


def _item(key: Key) -> tuple[str, str]:
    return key.footer_label, key.description


def footer_keys(width: int, keys: tuple[Key, ...] = KEYS) -> list[Key]:
    """The keys that fit in ``width`` cells, in the table's order, always-shown ones last."""
    shown = [k for k in keys if k.footer]
    always = [k for k in shown if k.rank == 0]
    chosen = list(always)
    used = sum(_cells(k) for k in always)
    for key in sorted((k for k in shown if k.rank), key=lambda k: k.rank):
        if used + _cells(key) <= width:
            chosen.append(key)
            used += _cells(key)
    return [k for k in shown if k in chosen and k.rank] + always


def _cells(key: Key) -> int:
    label, description = _item(key)
    return len(label) + 1 + len(description) + len(GAP)


class KeyFooter(Widget):
    """One line of keys; ``footer--key`` and ``footer--description`` style them (key in reverse, so it
    reads in a terminal without colours too)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"footer--key", "footer--description"}
    DEFAULT_CSS = """
    KeyFooter { height: 1; background: $panel; }
    KeyFooter > .footer--key { text-style: bold reverse; color: $accent; }
    KeyFooter > .footer--description { color: $foreground; }
    """

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer--key")
        description_style = self.get_component_rich_style("footer--description")
        line = Text(no_wrap=True, overflow="crop")
        for n, key in enumerate(footer_keys(self.size.width)):
            label, description = _item(key)
            if n:
                line.append(GAP)
            line.append(f"{label}", style=key_style)
            line.append(f" {description}", style=description_style)
        return line
