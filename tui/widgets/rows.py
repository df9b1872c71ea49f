"""How one article looks as a row of a list: a search hit, or the target of a link, with its marks."""

from __future__ import annotations

from rich.text import Text

from store.library import LinkView
from store.marks import Mark
from store.search import Hit
from tui.text import byline, printable

IN_LIBRARY, STUB, VISITED = "●", "○", "↺"
STAR, INCLUDED, EXCLUDED, NOTE = "★", "✔", "✘", "✎"


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


def hit_row(hit: Hit, mark: Mark | None = None) -> Text:
    row = Text(no_wrap=False)
    row.append(f"{STUB} " if hit.stub else f"{IN_LIBRARY} ", style="yellow" if hit.stub else "green")
    row.append_text(badges(mark))
    row.append(printable(hit.title or "(untitled)"), style="bold" if not hit.stub else "")
    meta = byline(hit.first_author, hit.authors > 1, hit.journal, hit.year)
    if hit.cited:
        meta += f" · cited {hit.cited}"
    if hit.stub:
        meta += " · stub"
    row.append("\n  " + printable(meta), style="dim")
    return row


def link_row(view: LinkView, visited: bool, mark: Mark | None = None) -> Text:
    row = Text()
    if view.in_library:
        row.append(f"{IN_LIBRARY} ", style="green")
    else:
        row.append(f"{STUB} ", style="yellow")
    if visited:
        row.append(f"{VISITED} ", style="bold cyan")
    row.append_text(badges(mark))
    row.append(printable(view.title or "(untitled)"), style="bold" if view.in_library else "")
    meta = byline(view.authors[0] if view.authors else "", len(view.authors) > 1, view.journal, view.year)
    state = ("in library" if view.in_library else "stub") + (" · visited" if visited else "")
    row.append("\n  " + printable(" · ".join(p for p in (meta, state) if p)), style="dim")
    return row
