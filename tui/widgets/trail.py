"""The trail line: the path walked, like ``Trail: 30992990 › 40078652 › …``, current entry marked."""

from __future__ import annotations

from rich.cells import cell_len
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
    entries, position = trail.entries, trail.position

    def label(n: int) -> str:
        text = printable(entry_label(entries[n]))
        # In brackets as well as in reverse for the current entry: it must read in a terminal without
        # colours.
        return f"[{text}]" if n == position else text

    # The current entry and those ahead of it are shown; those before it are taken back from it while
    # they fit (``… › `` in place of the ones dropped). Only those entries are measured and made into
    # Text, not the whole trail before them: a long session's trail is hundreds of entries, and this
    # runs at every render (walked back to its start, every entry is ahead of the current one).
    labels = {n: label(n) for n in range(position, len(entries))}
    left = head.cell_len + sum(cell_len(text) for text in labels.values()) + 3 * (len(labels) - 1)
    first = position
    while first > 0:
        text = label(first - 1)
        wider = left + cell_len(text) + 3
        if wider + (4 if first > 1 else 0) <= width:
            labels[first - 1], left, first = text, wider, first - 1
        elif first == 2 and not label(0) and wider + 3 <= width:
            # (an empty first label: all fit without the "… › " that one more did not fit with)
            labels[1], labels[0], first = text, "", 0
        else:
            break
    line = head.copy()
    if first:
        line.append("… › ", style="dim")
    for n in range(first, len(entries)):
        if n > first:
            line.append(" › ", style="dim")
        line.append(labels[n], style="reverse bold" if n == position else "" if n < position else "dim")
    return line


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
