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
same export imported again is not counted twice). **A search is recorded only when every one of its
files imported**: with a file rejected, the files that did import stay in the library (as any import),
no search is recorded, and a search of that name recorded before stays as it was.

Against a kill: everything one import changes is one commit (``store.intent``): the records of every
file, reference files' entries included (each matched to the article it names inside the transaction,
which sees what it has just added), and the database search they make. The search is written to a temp
file beside the snowball file as the last thing before the library commits, and renamed into place
after; killed anywhere, the next command finds the records and the search, or neither. (Earlier
versions noted a reference files' search as *pending* first, and completed it after a commit of its own:
such a note left in a snowball file is named by the report, and the same import completes it.)
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import datetime, timezone

from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from store.changes import Changes
from store.check import TableDamage, before_import
from store.errors import OnlineError
from store.formats import PARSERS, REFERENCE_PARSERS, format_names
from store.importer import (
    SNIFF_BYTES,
    STDIN,
    FileReport,
    display_name,
    expand_paths,
    import_paths,
    open_input,
)
from store.intent import carrying
from store.library import Library
from store.snowball.intake import Intake, References, read_references, sniff_format
from store.snowball.screening import one_line
from store.snowball.state import Search, SnowballFile
from tui.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_ONLINE,
    EXIT_UNAVAILABLE,
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
NOTHING_IMPORTED = "nothing was imported (`pmbrowse check` says what else is damaged)"


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
    from tui.commands.review import plain_text

    plain_text("--source", args.source)
    source_name = one_line(args.source)
    if args.source is not None and not source_name:
        raise UsageError("--source needs a name, e.g. --source 'PubMed 2026-12-01'")
    library = open_library(args, err)
    # Damage in what the import reads of the segments is refused before anything is written: the tables
    # every import reads are read (against their checksums) first, the others where the import reads
    # them, before its commit (``store.check.before_import``). Damage it never reads is left to
    # ``check`` and ``repair``: it commits beside it, and what would copy it (a merge, a fold) refuses.
    if damage := before_import(library):
        error(err, f"{damage}; {NOTHING_IMPORTED}")
        return EXIT_UNAVAILABLE
    library.fold_when_due()  # (the command ends by closing it)
    sources = list(expand_paths(args.paths))
    search = None
    if source_name:
        search = Search(source_name, _now(), [display_name(s) for s in sources])
    state = library.state  # (moves with this import's commit, or another process's taken in: not said)
    try:
        return _run(args, library, sources, search, out, err)
    except TableDamage as exc:
        if library.state != state:
            raise  # (the damage alone: whether this import went in is not told by it)
        error(err, f"{exc}; {NOTHING_IMPORTED}")
        return EXIT_UNAVAILABLE


def _run(
    args: argparse.Namespace,
    library: Library,
    sources: list[str],
    search: Search | None,
    out: Console,
    err: Console,
) -> int:
    formats = {s: sniff_format(s) for s in sources if s != STDIN and os.path.isfile(s)}
    references = {s: parser for s, parser in formats.items() if parser in REFERENCE_PARSERS}
    unknown = {s: _not_a_format(s) for s, parser in formats.items() if parser is None}
    others = [s for s in sources if s not in references and s not in unknown]
    if args.resolve and not references:
        raise UsageError(
            "--resolve looks up the entries of RIS, BibTeX, CSV or identifier lists; none was given"
        )
    read = References([], [])
    if references:
        try:  # (every file read and every request made before anything is written)
            read = read_references(library, list(references.items()), resolve=args.resolve)
        except OnlineError as exc:
            error(err, f"{exc}; the library was left as it was")
            return EXIT_ONLINE
    intakes = dict(zip(references, read.intakes, strict=True))
    reports_by_source: dict[str, FileReport] = {s: intake.report for s, intake in intakes.items()}
    reports_by_source.update(unknown)
    said: list[RenderableType] = []
    file = SnowballFile.open(library.path)
    with carrying(library.path, Library.commit_token) as carried:

        def with_the_search(reports: list[FileReport]) -> None:
            """The last thing before the library commits: the database search, committed with the
            records (``store.intent``)."""
            reports_by_source.update(zip(others, reports, strict=True))
            if search is not None:
                carried.join(file.joined())
                said.append(_register(file, search, sources, reports_by_source, intakes))
                carried.prepare()

        def before_commit(reports: list[FileReport], changes: Changes) -> None:
            read.put(changes)  # (the reference files' entries, with the other files' records)
            with_the_search(reports)

        if others:
            _import(library, others, err, before_commit)
        elif read.read or search is not None:
            read.commit(library, lambda: with_the_search([]))
    reports = [reports_by_source[s] for s in sources if s in reports_by_source]
    # In a terminal the table fits its width (file names shortened from the left); into a pipe or a
    # file nothing is cut or wrapped, whatever the width.
    parts: list[RenderableType] = [import_report(reports, out.width if out.is_terminal else None)]
    parts += _matched_lines(list(intakes.values()))
    parts += _unresolved_lines(list(intakes.values()), args.resolve)
    parts += said
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
    """The report of a file of no format pmbrowse reads: an empty one (nothing but blanks) is said so."""
    try:
        with open_input(source) as stream:
            empty = not stream.read(SNIFF_BYTES).strip()
    except (OSError, EOFError):
        empty = False
    if empty:
        return FileReport(source, error=f"{source}: the file is empty (no records in it)")
    names = format_names((*PARSERS, *REFERENCE_PARSERS))
    return FileReport(source, error=f"{source}, line 1: not a format pmbrowse reads ({names})")


def _import(
    library: Library,
    sources: list[str],
    err: Console,
    before_commit: Callable[[list[FileReport], Changes], None] | None = None,
) -> list[FileReport]:
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
        return import_paths(library, sources, progress=on_progress, before_commit=before_commit)
    finally:
        if progress is not None:
            progress.stop()


def _matched_lines(intakes: list[Intake]) -> list[RenderableType]:
    """How many entries named articles the library held, and how many of those were PubMed's records,
    whose fields a reference manager's entry only fills gaps in."""
    entries = sum(len(i.entries) for i in intakes)
    matched = sum(i.matched for i in intakes)
    if not matched:
        return []
    one = matched == 1
    line = (
        f"{counted(matched, 'entry', 'entries')} of {entries} matched "
        f"{'an article' if one else 'articles'} already in the library"
    )
    pubmed = sum(i.from_pubmed for i in intakes)
    if pubmed:
        which = ("it was" if one else "all were") if pubmed == matched else f"{pubmed} of them were"
        line += (
            f"; {which} {'a record' if pubmed == 1 else 'records'} from PubMed, whose fields were kept "
            f"({'the entry' if pubmed == 1 else 'the entries'} only filled gaps)"
        )
    return [literal(line)]


def _unresolved_lines(intakes: list[Intake], resolved: bool) -> list[RenderableType]:
    """The entries left without a PMID, by file and record (kept in the library, listed here)."""
    lines: list[RenderableType] = []
    found = sum(i.resolved for i in intakes)
    if resolved:
        lines.append(Text(f"{counted(found, 'entry', 'entries')} given a PMID online"))
    left = [(i.report.source, e) for i in intakes for e in i.unresolved]
    if not left:
        return lines
    how = "" if resolved else f"; --resolve looks {'it' if len(left) == 1 else 'them'} up online"
    kept = "kept as it is" if len(left) == 1 else "kept as they are"
    head = f"{counted(len(left), 'entry', 'entries')} without a PMID, {kept}{how}:"
    lines.append(literal(head, style="bold"))
    for source, entry in left[:UNRESOLVED_SHOWN]:
        lines.append(literal(f"  {source} record {entry.number}: {entry.text}"))
    if len(left) > UNRESOLVED_SHOWN:
        lines.append(Text(f"  ... and {len(left) - UNRESOLVED_SHOWN} more"))
    return lines


def _register(
    file: SnowballFile,
    search: Search,
    sources: list[str],
    reports: dict[str, FileReport],
    intakes: dict[str, Intake],
) -> RenderableType:
    """Complete the database search ``search`` with the imported files' records, when every file
    imported (else forget its pending note); what to say about it."""
    rejected = [reports[s].source for s in sources if s not in reports or reports[s].rejected]
    if rejected:
        if any(s.name == search.name for s in file.load().pending):  # (noted by version 2.x)
            file.change(lambda state: state.forget_pending(search.name))
        n = len(sources)
        which = (
            "its file was"
            if n == 1
            else f"{len(rejected)} of its {n} files {'was' if len(rejected) == 1 else 'were'}"
        )
        others = "; the others' records are in the library" if len(rejected) < n else ""
        return literal(
            f"database search {search.name!r} was not recorded: {which} rejected (a search is recorded "
            f"only when all its files import{others}: import {'it' if n == 1 else 'them all'} again with "
            "--source once fixed)"
        )
    for source in sources:
        report = reports[source]
        search.entries += intakes[source].entries if source in intakes else report.keys
    replaced = file.change(lambda state: state.add_search(search))
    again = " (it replaces the search of that name imported before)" if replaced else ""
    said = (
        f"database search {search.name!r}: {counted(len(search.entries), 'record')} from "
        f"{counted(len(search.files), 'file')}"
    )
    return literal(said + again)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


IMPORT = Command(
    "import",
    "import files or folders: article pages, PubMed XML, MEDLINE, CSL-JSON; RIS, BibTeX, CSV, id lists",
    configure,
    run,
)
