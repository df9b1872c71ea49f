"""The trail line: the path walked, like ``Trail: 30992990 › 40078652 › …``, current entry marked."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from store.trail import Trail
from tui.text import printable, shorten


def entry_label(key: str) -> str:
    """``pmid:30992990`` -> ``30992990``; DOIs and PMCIDs are shown as they are."""
    kind, _, value = key.partition(":")
    return value if kind in ("pmid", "pmc", "doi") else "(untitled)"


class TrailBar(Widget):
    """One line; when the trail is longer than the line, its start gives way to the current entry."""

    DEFAULT_CSS = "TrailBar { height: 1; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.trail = Trail()

    def show_trail(self, trail: Trail) -> None:
        self.trail = trail
        self.refresh()

    def render(self) -> Text:
        return trail_line(self.trail, self.size.width)


def trail_line(trail: Trail, width: int) -> Text:
    head = Text("Trail: ", style="bold")
    if not trail.entries:
        head.append("empty — open an article to start walking", style="dim italic")
        return head
    pieces: list[Text] = []
    for n, key in enumerate(trail.entries):
        label = printable(entry_label(key))
        if n == trail.position:
            # In brackets as well as in reverse: it must read in a terminal without colours.
            pieces.append(Text(f"[{label}]", style="reverse bold"))
        else:
            pieces.append(Text(label, style="" if n < trail.position else "dim"))
    # Drop entries from the start until what is left, with the current one, fits.
    first = 0
    while first < trail.position and _width(head, pieces[first:], first) > width:
        first += 1
    line = head.copy()
    if first:
        line.append("… › ", style="dim")
    for n, piece in enumerate(pieces[first:]):
        if n:
            line.append(" › ", style="dim")
        line.append_text(piece)
    return line


def _width(head: Text, pieces: list[Text], dropped: int) -> int:
    return head.cell_len + (4 if dropped else 0) + sum(p.cell_len for p in pieces) + 3 * (len(pieces) - 1)


class StatusLine(Static):
    """What is happening in the background: a fetch and its stage, or a wait on the rate limit.

    A message longer than the line is cut at a word, with an ellipsis, and also given whole in a
    notification (once: a retry repeats its message)."""

    MAX_CELLS = 60

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._told = ""

    def show(self, message: str) -> None:
        if not message:
            self.update("")
            return
        room = max(20, min(self.MAX_CELLS, self.screen.size.width * 6 // 10 - 2))
        short = shorten(message, room)
        if short != message and message != self._told:
            self._told = message
            self.notify(printable(message), markup=False, severity="warning", timeout=8)
        self.update(Text(printable(short), style="italic yellow"))
