"""How one article looks as a row of a list: a search hit, or the target of a link, with its marks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

from tui.text import byline, printable, reads_as_citation

if TYPE_CHECKING:
    from store.library import LinkView
    from store.marks import Mark
    from store.search import Hit

IN_LIBRARY, STUB, VISITED, AWAITING = "●", "○", "↺", "…"
STAR, INCLUDED, EXCLUDED, NOT_RETRIEVED, NOTE = "★", "✔", "✘", "⊘", "✎"


def badges(mark: Mark | None) -> Text:
    """★ ✔/✘ #tags ✎ — what the user marked, in a few cells."""
    text = Text()
    if mark is None:
        return text
    if mark.starred:
        text.append(STAR + " ", style="bold yellow")
    if mark.screening == "included":
        text.append(INCLUDED + " ", style="bold green")
    elif mark.screening == "excluded":
        text.append(EXCLUDED + " ", style="bold red")
    elif mark.screening == "not-retrieved":  # (sought at full text, not obtained)
        text.append(NOT_RETRIEVED + " ", style="bold yellow")
    elif mark.awaiting is not None:  # (recorded; counted once the second screener decides)
        text.append(AWAITING + " ", style="bold dim")
    for tag in mark.tags:
        text.append(printable(f"#{tag} "), style="magenta")
    if mark.note:
        text.append(NOTE + " ", style="cyan")
    return text


def mark_line(mark: Mark) -> Text:
    """The marks spelt out, for the article header: ``★ starred · ✔ included · #review · ✎ note: ...``"""
    parts: list[tuple[str, str]] = []
    if mark.starred:
        parts.append((f"{STAR} starred", "bold yellow"))
    if mark.screening == "included":
        parts.append((f"{INCLUDED} included", "bold green"))
    elif mark.screening == "excluded":
        parts.append((f"{EXCLUDED} excluded", "bold red"))
    elif mark.screening == "not-retrieved":
        parts.append((f"{NOT_RETRIEVED} not retrieved", "bold yellow"))
    if mark.awaiting is not None:  # (recorded, counted once the second screener decides)
        # (imported here: the first paint does without the review's machinery, tests/tui/test_startup.py)
        from store.snowball.review import AWAITING_SECOND, describe
        from store.snowball.screening import screener_name

        vote = mark.awaiting
        parts.append(
            (
                f"{describe(vote.decision, vote.reason)} by {screener_name(vote.screener)}, "
                + AWAITING_SECOND,
                "dim",
            )
        )
    if mark.tags:
        parts.append((" ".join(f"#{t}" for t in mark.tags), "magenta"))
    if mark.note:
        first = mark.note.splitlines()[0]
        parts.append((f"{NOTE} note: {first[:100]}" + ("…" if len(first) > 100 else ""), "italic"))
    line = Text()
    for n, (text, style) in enumerate(parts):
        if n:
            line.append(" · ", style="dim")
        line.append(printable(text), style=style)
    return line


# The second line of a stub known only by a reference list's citation text.
CITATION_ONLY = "stub: citation text from a reference list"


def _title(row: Text, title: str, full: bool, citation: bool) -> None:
    """A record's title in bold; a stub's plain; citation text in italics, so it reads as a citation."""
    row.append(printable(title or "(untitled)"), style="italic" if citation else ("bold" if full else ""))


def hit_row(hit: Hit, mark: Mark | None = None) -> Text:
    row = Text(no_wrap=False)
    row.append(f"{STUB} " if hit.stub else f"{IN_LIBRARY} ", style="yellow" if hit.stub else "green")
    row.append_text(badges(mark))
    citation = hit.stub and not hit.first_author and not hit.journal and reads_as_citation(hit.title)
    _title(row, hit.title, not hit.stub, citation)
    parts = [
        "" if citation else byline(hit.first_author, hit.authors > 1, hit.journal, hit.year),
        f"cited {hit.cited}" if hit.cited else "",
        f"RCR {hit.rcr:.2f}" if hit.rcr is not None else "",  # (iCite's, when it was asked)
        CITATION_ONLY if citation else ("stub" if hit.stub else ""),
    ]
    row.append("\n  " + printable(" · ".join(p for p in parts if p) or "record"), style="dim")
    return row


def least_lines(row: Text, width: int) -> int:
    """The fewest lines ``row`` wraps to at ``width`` cells (each of its lines at least one, and no
    line holds more than ``width`` cells)."""
    return sum(max(1, -(-cell_len(line) // width)) for line in row.plain.split("\n"))


def link_row(view: LinkView, visited: bool, mark: Mark | None = None) -> Text:
    first, second = link_lines(view, visited, mark)
    first.append("\n")
    first.append_text(second)
    return first


def link_lines(view: LinkView, visited: bool, mark: Mark | None = None) -> tuple[Text, Text]:
    """A link's row as its two lines (a pane draws them apart: splitting a row's Text cost more than
    making it)."""
    row = Text()
    if view.in_library:
        row.append(f"{IN_LIBRARY} ", style="green")
    else:
        row.append(f"{STUB} ", style="yellow")
    if visited:
        row.append(f"{VISITED} ", style="bold cyan")
    row.append_text(badges(mark))
    citation = not view.in_library and not view.authors and not view.journal and reads_as_citation(view.title)
    _title(row, view.title, view.in_library, citation)
    meta = byline(view.authors[0] if view.authors else "", view.author_count > 1, view.journal, view.year)
    if citation:
        meta, state = "", CITATION_ONLY
    else:
        state = "in library" if view.in_library else "stub"
    parts = (meta, state, "visited" if visited else "")
    second = Text()
    second.append("  " + printable(" · ".join(p for p in parts if p)), style="dim")
    return row, second
