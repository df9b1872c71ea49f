"""Rich renderings for the command line's output. Untrusted text always goes in as ``Text``, never markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from store.importer import FileReport
from store.library import Library, LinkView, Stats
from store.marks import Mark, Marks
from store.search import Results
from store.snowball.review import describe, standing_text
from store.snowball.screening import STAGE_NAMES, Decision, Viewer, screener_name
from tui.text import (
    byline,
    citation_line,
    details_text,
    id_line,
    literal,
    metrics_header,
    printable,
    shorten_left,
)


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``1 duplicate``, ``2 duplicates``; ``plural`` when it is not the singular and an s."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def singular_kind(n: int, kind: str) -> str:
    """A count of a kind named in the plural (``deleted citations``, as parsers name what they skip):
    ``1 deleted citation``, ``2 deleted citations``."""
    if n == 1 and kind.endswith("s") and not kind.endswith(("ss", "us")):
        kind = kind[:-1]
    return f"{n:,} {kind}"


def print_whole(out: Console, renderable: RenderableType) -> None:
    """Print to a terminal fitted to its width; into a pipe or a file, nothing cut or wrapped (a table
    as wide as it needs, a title on one line for grep), whatever the width the console guessed."""
    if out.is_terminal:
        out.print(renderable)
        return
    wrapping_width, out.width = out.width, 1_000_000
    try:
        out.print(renderable, crop=False)
    finally:
        out.width = wrapping_width


def link_row(view: LinkView) -> Text:
    text = Text()
    text.append("● " if view.in_library else "○ ", style="green" if view.in_library else "dim")
    text.append(printable(view.title or "(untitled)"))
    first = view.authors[0] if view.authors else ""
    meta = byline(first, len(view.authors) > 1, view.journal, view.year)
    if meta:  # (citation text alone has no byline: no empty line for it)
        text.append("\n   " + printable(meta), style="dim")
    ids = id_line(view.pmid, view.pmcid, view.doi)
    if ids:
        text.append("\n   " + printable(ids), style="cyan")
    return text


def visible_decisions(mark: Mark, viewer: Viewer) -> list[Decision]:
    """The decision records a screener may see: their own and the resolutions when blind, else all."""
    if not viewer.blind:
        return list(mark.decisions)
    return [d for d in mark.decisions if d.screener == viewer.screener or d.final]


def marks_text(mark: Mark, viewer: Viewer) -> Text:
    """The marks spelt out for ``show``: star, decision, tags, note, and the screening history."""
    text = Text()
    parts = ["★ starred" if mark.starred else "not starred"]
    parts.append(standing_text(mark, viewer.screener))
    parts += [f"#{tag}" for tag in mark.tags]
    text.append("Marks: " + printable(" · ".join(parts)))
    if mark.note:
        text.append("\nNote: " + printable(mark.note), style="italic")
    history = visible_decisions(mark, viewer)
    if history:
        text.append("\nScreening history:", style="bold")
        for d in history:
            what = describe(d.decision, d.reason) + (" (resolution)" if d.final and d.screener else "")
            line = f"  {d.at or 'before screeners were recorded'}  {screener_name(d.screener)}  "
            text.append("\n" + printable(line + f"{STAGE_NAMES[d.stage]}  {what}"))
    return text


def render_article(library: Library, doc_id: int, marks: Marks | None = None) -> RenderableType:
    article = library.article(doc_id)
    parts: list[RenderableType] = []
    title = literal(article.title or "(untitled)", style="bold")
    if article.stub:
        title.append("  [stub]", style="yellow")
    parts.append(title)
    if article.authors:
        parts.append(literal(", ".join(a.name for a in article.authors)))
    if line := citation_line(article):
        parts.append(literal(line, style="italic"))
    parts.append(literal(id_line(article.pmid, article.pmcid, article.doi), style="cyan"))
    links = {rel: library.links(doc_id, rel) for rel in ("references", "cited_by")}
    parts.append(metrics_header(article, len(links["cited_by"])))  # (every metric: in the Details)
    if marks is not None:
        parts.append(marks_text(marks.get(article.keys), marks.viewer))
    if article.stub:
        parts.append(
            Text(
                "Only links in the library mention this article. To read it in full, import its record "
                f"(PubMed XML, MEDLINE or an article page) or fetch it: pmbrowse fetch {article.label}",
                style="yellow",
            )
        )
    parts.append(Text("\nAbstract", style="bold underline"))
    if article.abstract:
        for section in article.abstract:
            paragraph = Text()
            if section.label:
                paragraph.append(printable(section.label) + ": ", style="bold")
            paragraph.append(printable(section.text))
            parts.append(paragraph)
    else:
        parts.append(Text("No abstract in the library.", style="dim"))
    extra = details_text(article)
    if extra.plain:
        parts.append(Text("\n") + extra)
    for rel, heading in (("references", "References"), ("cited_by", "Cited by")):
        views = links[rel]
        parts.append(Text(f"\n{heading} ({len(views)})", style="bold underline"))
        parts.extend(link_row(v) for v in views)
    return Group(*parts)


IMPORT_COLUMNS = ("File", "Format", "Added", "Merged", "Unchanged", "New stubs", "Result")


# Narrower terminals get the report as lines: a table of seven columns would leave the file names none.
TABLE_MIN_WIDTH = 100


def _skipped_note(r: FileReport) -> str:
    """What a file's records left out (``; skipped 2 book records``) and what was kept only as text
    (``; 1 entry kept as text, line 42``: imported, as an unresolved link holding its text)."""
    kept = {kind: n for kind, n in r.skipped.items() if "kept as text" in kind}
    skipped = {kind: n for kind, n in r.skipped.items() if kind not in kept}
    note = ""
    if skipped:
        note += "; skipped " + ", ".join(singular_kind(n, kind) for kind, n in skipped.items())
    if kept:
        note += "; " + ", ".join(f"{n} {kind}" for kind, n in kept.items())
    return note


def _why_rejected(r: FileReport) -> str:
    """Why a file was rejected, without its name (the report names it already)."""
    return r.error.removeprefix(r.source).lstrip(":, ")


def _report_cells(r: FileReport) -> tuple[list[str], Text]:
    """The numbers of one file's report as table cells, and its result."""
    if r.rejected:
        return [r.source, "", "", "", "", ""], literal(f"rejected: {_why_rejected(r)}", style="bold red")
    result = Text("ok", style="green")
    result.append(_skipped_note(r))
    return [r.source, r.format, str(r.added), str(r.merged), str(r.unchanged), str(r.stubs)], result


def import_report(reports: Sequence[FileReport], width: int | None = None) -> RenderableType:
    """The import report, a row per file. ``width``: the terminal's, to fit file names into (shortened
    from the left: ``…/medline16n0902.xml.gz``); None (a pipe or a file) leaves every cell whole, the
    table as wide as it needs. Below ``TABLE_MIN_WIDTH`` columns it is a line per file instead."""
    if width is not None and width < TABLE_MIN_WIDTH:
        return Group(Text("Import", style="bold"), *(_report_line(r, width) for r in reports))
    cells = [_report_cells(r) for r in reports]
    rows = [row for row, _ in cells]
    if width is not None and rows:
        # What the numbers need, up to 32 cells of the result (it wraps), 3 cells a column of
        # borders and padding: the rest is the file names' (at least 24 cells).
        numbers = sum(max(len(IMPORT_COLUMNS[n]), *(len(row[n]) for row in rows)) for n in range(1, 6))
        result_width = min(32, max(result.cell_len for _, result in cells))
        room = max(24, width - numbers - result_width - 3 * len(IMPORT_COLUMNS) - 1)
        for row in rows:
            row[0] = shorten_left(row[0], room)
    table = Table(title="Import", expand=False)
    table.add_column("File", no_wrap=True)
    table.add_column("Format", no_wrap=True)
    for name in IMPORT_COLUMNS[2:6]:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Result", overflow="fold", no_wrap=width is None)
    for row, (_, result) in zip(rows, cells, strict=True):
        table.add_row(literal(row[0]), *row[1:], result)
    return table


def _report_line(r: FileReport, width: int) -> Text:
    """``…/medline16n0902.xml.gz  pubmed-xml: 0 added, 0 merged, 604 unchanged, 0 new stubs; ok``"""
    line = Text()
    line.append_text(literal(shorten_left(r.source, max(24, width // 2)), style="bold"))
    if r.rejected:
        line.append_text(literal(f"  rejected: {_why_rejected(r)}", style="red"))
        return line
    counts = f"{r.added} added, {r.merged} merged, {r.unchanged} unchanged, {r.stubs} new stubs"
    line.append(f"  {r.format}: {counts}")
    line.append(_skipped_note(r))
    return line


def stats_table(library: Library, stats: Stats) -> RenderableType:
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("records", str(stats.records))
    table.add_row("stubs", str(stats.stubs))
    table.add_row("links", str(stats.links))
    return Group(literal(str(library.path), style="bold"), table)


def results_list(query: str, results: Results) -> RenderableType:
    """Hits as a numbered list: title, then first author, journal, year, citations and identifier."""
    shown = (
        f"{len(results.hits)} of {results.total}" if len(results.hits) < results.total else str(results.total)
    )
    header = literal(f"{query}: {shown} hit{'s' if results.total != 1 else ''}", style="bold")
    if not results.hits:
        return Group(
            header, Text("No articles match. Try fewer words, a wildcard (exosom*) or OR.", style="dim")
        )
    rows: list[RenderableType] = [header]
    for n, hit in enumerate(results.hits, start=1):
        row = Text(f"{n:>3}. ", style="dim")
        row.append(printable(hit.title or "(untitled)"))
        if hit.stub:
            row.append("  [stub]", style="yellow")
        meta = [
            byline(hit.first_author, hit.authors > 1, hit.journal, hit.year),
            f"cited {hit.cited}",
            f"RCR {hit.rcr:.2f}" if hit.rcr is not None else "",
            hit.pmid or hit.pmcid or hit.doi or "",
        ]
        row.append("\n     " + printable(" · ".join(m for m in meta if m)), style="dim")
        rows.append(row)
    return Group(*rows)
