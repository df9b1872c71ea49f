"""Untrusted text (titles, abstracts, names) made safe to put on a terminal.

Rich ``Text`` never parses markup, so ``[bold]`` or ``[/`` shows as typed; but it passes most
control characters through, so an ANSI escape in a title could restyle or move the cursor. Control
characters are shown as their Unicode "control pictures" instead (ESC becomes ``␛``).
"""

from __future__ import annotations

import re

from rich.style import StyleType
from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "␡" if code == 0x7F else "�"


def printable(text: str) -> str:
    """``text`` with control characters (other than newline and tab) made visible."""
    return _CONTROL.sub(_picture, text)


def literal(text: str, style: StyleType = "") -> Text:
    """A Rich ``Text`` that shows ``text`` exactly as it is, markup and escapes included."""
    return Text(printable(text), style=style)
