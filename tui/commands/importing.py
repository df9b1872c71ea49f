"""``pmbrowse import PATH... [--source NAME] [--resolve]``: files or folders, with a progress bar on large
imports.

Files of the library's formats (article pages, PubMed XML, MEDLINE, CSL-JSON) go through
``store.importer``; the reviewer's files from reference managers (RIS, BibTeX, CSV with identifier
columns, lists of identifiers) through ``store.snowball.intake``, which matches each entry to the
library's article and, with ``--resolve``, looks up online the PMIDs that are missing (every request
before anything is written: a failure leaves the library as it was, exit 4). Standard input (``-``)
and named pipes are read as the library's formats.

``--source NAME`` records the records of these files as one database search of the review (PRISMA's
"databases and registers" arm: ``pmbrowse snowball report``): every record in file order, duplicates
included, so the report can count them. Importing under a name already used replaces that search (the
same export imported again is not counted twice). The search is kept in the snowball file after the
library's commit; killed in between, running the same command again records it (the import itself
changes nothing the second time).
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from store.errors import OnlineError
from store.formats import PARSERS, REFERENCE_PARSERS, format_names
from store.importer import STDIN, FileReport, expand_paths, import_paths
from store.library import Library
from store.snowball.intake import Intake, import_references, sniff_format
from store.snowball.state import Search, SnowballFile
from tui.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_ONLINE,
    Command,
    UsageError,
    error,
    open_library,
)
from tui.console import counted, import_report, print_whole
from tui.text import literal

# Show a progress bar for imports bigger than this (bytes on disk).
PROGRESS_THRESHOLD = 2_000_000
UNRESOLVED_SHOWN = 20


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for stdin")
    p.add_argument(
        "--source",
        metavar="NAME",
        help='these files are a database search of the review, e.g. "PubMed 2026-12-01" (PRISMA)',
    )
    p.add_argument(
        "--resolve",
        action="store_true",
        help="RIS, BibTeX, CSV, lists: look up missing PMIDs online (NCBI ID converter, ECitMatch)",
    )


def _progress(err: Console) -> Progress | None:
    if not err.is_terminal:
        return None
    return Progress(
        TextColumn("importing"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[records]} records, {task.fields[rate]} records/s"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    source_name = " ".join((args.source or "").split())
    if args.source is not None and not source_name:
        raise UsageError("--source needs a name, e.g. --source 'PubMed 2026-12-01'")
    library = open_library(args, err)
    sources = list(expand_paths(args.paths))
    formats = {s: sniff_format(s) for s in sources if s != STDIN and os.path.isfile(s)}
    references = {s: parser for s, parser in formats.items() if parser in REFERENCE_PARSERS}
    unknown = {s: _not_a_format(s) for s, parser in formats.items() if parser is None}
    others = [s for s in sources if s not in references and s not in unknown]
    if args.resolve and not references:
        raise UsageError(
            "--resolve looks up the entries of RIS, BibTeX, CSV or identifier lists; none was given"
        )
    intakes: dict[str, Intake] = {}
    if references:
        try:
            done = import_references(library, list(references.items()), resolve=args.resolve)
        except OnlineError as exc:
            error(err, f"{exc}; the library was left as it was")
            return EXIT_ONLINE
        intakes = dict(zip(references, done, strict=True))
    reports_by_source: dict[str, FileReport] = {}
    if others:
        for source, report in zip(others, _import(library, others, err), strict=True):
            reports_by_source[source] = report
    for source, intake in intakes.items():
        reports_by_source[source] = intake.report
    reports_by_source.update(unknown)
    reports = [reports_by_source[s] for s in sources if s in reports_by_source]
    # In a terminal the table fits its width (file names shortened from the left); into a pipe or a
    # file nothing is cut or wrapped, whatever the width.
    parts: list[RenderableType] = [import_report(reports, out.width if out.is_terminal else None)]
    parts += _unresolved_lines(list(intakes.values()), args.resolve)
    if source_name:
        parts.append(_register(library.path, source_name, sources, reports_by_source, intakes))
    print_whole(out, Group(*parts))
    for report in reports:
        if report.rejected:
            error(err, f"{report.source}: {report.error}" if report.missing else f"rejected {report.error}")
    if any(r.rejected and not r.missing for r in reports):
        return EXIT_BAD_INPUT
    if any(r.missing for r in reports):
        return EXIT_NOT_FOUND
    return EXIT_OK


def _not_a_format(source: str) -> FileReport:
    names = format_names((*PARSERS, *REFERENCE_PARSERS))
    return FileReport(source, error=f"{source}, line 1: not a format pmbrowse reads ({names})")


def _import(library: Library, sources: list[str], err: Console) -> list[FileReport]:
    progress = _progress(err)
    task_id = None

    def on_progress(done: int, total: int, records: int) -> None:
        nonlocal task_id
        if progress is None or total < PROGRESS_THRESHOLD:
            return
        if task_id is None:
            progress.start()
            task_id = progress.add_task("import", total=total, records=0, rate="-")
        elapsed = progress.tasks[0].elapsed or 0.0
        rate = f"{records / elapsed:,.0f}" if elapsed > 0.5 else "-"
        progress.update(task_id, completed=done, records=f"{records:,}", rate=rate)

    try:
        return import_paths(library, sources, progress=on_progress)
    finally:
        if progress is not None:
            progress.stop()


def _unresolved_lines(intakes: list[Intake], resolved: bool) -> list[RenderableType]:
    """The entries left without a PMID, by file and record (kept in the library, listed here)."""
    lines: list[RenderableType] = []
    found = sum(i.resolved for i in intakes)
    if resolved:
        lines.append(Text(f"{counted(found, 'entry', 'entries')} given a PMID online"))
    left = [(i.report.source, e) for i in intakes for e in i.unresolved]
    if not left:
        return lines
    how = "" if resolved else "; --resolve looks them up online"
    head = f"{counted(len(left), 'entry', 'entries')} without a PMID, kept as they are{how}:"
    lines.append(literal(head, style="bold"))
    for source, entry in left[:UNRESOLVED_SHOWN]:
        lines.append(literal(f"  {source} record {entry.number}: {entry.text}"))
    if len(left) > UNRESOLVED_SHOWN:
        lines.append(Text(f"  ... and {len(left) - UNRESOLVED_SHOWN} more"))
    return lines


def _register(
    library_path: Path,
    name: str,
    sources: list[str],
    reports: dict[str, FileReport],
    intakes: dict[str, Intake],
) -> RenderableType:
    """Keep the imported files' records as the database search ``name``; what to say about it."""
    entries: list[tuple[str, ...]] = []
    files: list[str] = []
    for source in sources:
        report = reports.get(source)
        if report is None or report.rejected:
            continue
        files.append(report.source)
        entries += intakes[source].entries if source in intakes else report.keys
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    search = Search(name, now, files, entries)
    replaced = SnowballFile.open(library_path).change(lambda state: state.add_search(search))
    again = " (it replaces the search of that name imported before)" if replaced else ""
    said = f"database search {name!r}: {counted(len(entries), 'record')} from {counted(len(files), 'file')}"
    return literal(said + again)


IMPORT = Command(
    "import",
    "import files or folders: article pages, PubMed XML, MEDLINE, CSL-JSON; RIS, BibTeX, CSV, id lists",
    configure,
    run,
)
