"""The trail line: the path walked, like ``Trail: 30992990 › 40078652 › …``, current entry marked."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from store.trail import Trail
from tui.text import printable


def entry_label(key: str) -> str:
    """``pmid:30992990`` -> ``30992990``; DOIs and PMCIDs are shown as they are."""
    kind, _, value = key.partition(":")
    return value if kind in ("pmid", "pmc", "doi") else "(untitled)"


class TrailBar(Static):
    def show_trail(self, trail: Trail) -> None:
        text = Text("Trail: ", style="bold")
        if not trail.entries:
            text.append("empty — open an article to start walking", style="dim italic")
        for n, key in enumerate(trail.entries):
            if n:
                text.append(" › ", style="dim")
            style = "reverse bold" if n == trail.position else ("" if n < trail.position else "dim")
            text.append(printable(entry_label(key)), style=style)
        self.update(text)


class StatusLine(Static):
    """What is happening in the background: a fetch and its stage, or a wait on the rate limit."""

    def show(self, message: str) -> None:
        self.update(Text(printable(message), style="italic yellow") if message else "")
