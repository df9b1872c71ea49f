"""Rich renderings for the command line's output. Untrusted text always goes in as ``Text``, never markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from store.importer import FileReport
from store.library import Library, LinkView, Stats
from store.search import Results
from tui.text import byline, citation_line, details, id_line, literal, printable


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


def render_article(library: Library, doc_id: int) -> RenderableType:
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
    if article.citation_count is not None:
        parts.append(Text(f"Cited by {article.citation_count} (as its source reports)"))
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
    fields = details(article)
    if fields:
        parts.append(Text("\nDetails", style="bold underline"))
    for name, values in fields:
        field = Text()
        field.append(f"{name}:", style="bold")
        if name == "Affiliations":
            field.append("".join(f"\n  · {printable(v)}" for v in values))
        else:
            field.append(" " + printable(" · ".join(values)))
        parts.append(field)
    for rel, heading in (("references", "References"), ("cited_by", "Cited by")):
        views = library.links(doc_id, rel)
        parts.append(Text(f"\n{heading} ({len(views)})", style="bold underline"))
        parts.extend(link_row(v) for v in views)
    return Group(*parts)


def import_table(reports: Sequence[FileReport]) -> Table:
    table = Table(title="Import", show_lines=False, expand=True)
    table.add_column("File", overflow="fold", ratio=1)
    table.add_column("Format")
    for name in ("Added", "Merged", "Unchanged", "New stubs"):
        table.add_column(name, justify="right")
    table.add_column("Result", overflow="fold")
    for r in reports:
        if r.rejected:
            table.add_row(literal(r.source), "", "", "", "", "", Text("rejected", style="bold red"))
            continue
        result = Text("ok", style="green")
        if r.skipped:
            result.append("; skipped " + ", ".join(f"{n} {kind}" for kind, n in r.skipped.items()))
        table.add_row(
            literal(r.source), r.format, str(r.added), str(r.merged), str(r.unchanged), str(r.stubs), result
        )
    return table


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
            hit.pmid or hit.pmcid or hit.doi or "",
        ]
        row.append("\n     " + printable(" · ".join(m for m in meta if m)), style="dim")
        rows.append(row)
    return Group(*rows)
