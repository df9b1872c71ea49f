"""The ``pmbrowse`` command.

    pmbrowse [--db PATH] [QUERY | ID]      open the app (on a search, or on an article)
    pmbrowse import PATH...                import files or folders (``-`` reads stdin)
    pmbrowse show ID [--json]              one article with its links
    pmbrowse search QUERY [--json] [--limit N] [--sort relevance|date|cited]
    pmbrowse stats                         counts of records, stubs and links

Exit status: 0 ok, 1 not found, 2 bad input (a malformed file, an unknown identifier, a bad
option), 3 the library is busy or unusable. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from store.errors import LibraryBusyError, LibraryFileError, PmbrowseError
from store.ids import parse_identifier
from store.importer import import_paths
from store.library import Library
from store.paths import library_path
from store.search import QuerySyntaxError, SearchIndex
from store.search.index import SORTS
from tui.console import import_table, render_article, results_list, stats_table
from tui.text import literal

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3
# Show a progress bar for imports bigger than this (bytes on disk).
PROGRESS_THRESHOLD = 2_000_000


class UsageError(PmbrowseError):
    pass


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the library file (default: $PMBROWSE_DB, else the user data folder)",
    )


def build_parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """(the app's parser, the subcommands' parser)"""
    app = _ArgumentParser(
        prog="pmbrowse",
        description="A terminal browser for biomedical literature. "
        "Commands: import, show, stats (pmbrowse COMMAND --help).",
    )
    _add_db(app)
    app.add_argument("target", nargs="*", metavar="QUERY|ID", help="open on this search or article")

    commands = _ArgumentParser(prog="pmbrowse")
    _add_db(commands)
    sub = commands.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="import files or folders of articles")
    _add_db(p)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for stdin")

    p = sub.add_parser("show", help="show one article and its links")
    _add_db(p)
    p.add_argument("id", metavar="ID", help="a PMID, PMCID or DOI")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("stats", help="count records, stubs and links")
    _add_db(p)

    p = sub.add_parser(
        "search", help='search the library (PubMed syntax: AND OR NOT, "phrases", [ti] [au]...)'
    )
    _add_db(p)
    p.add_argument("query", nargs="+", metavar="QUERY", help="the query (several words are joined)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N hits (default 20)")
    p.add_argument("--sort", choices=SORTS, default="relevance", help="order of the hits")
    return app, commands


COMMANDS = ("import", "show", "stats", "search")


def _first_positional(argv: Sequence[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--db":
            skip = True
        elif not arg.startswith("-") or arg == "-":
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out, err = Console(), Console(stderr=True, highlight=False)
    try:
        app_parser, command_parser = build_parsers()
        if _first_positional(argv) in COMMANDS:
            args = command_parser.parse_args(argv)
            handler: Callable[[argparse.Namespace, Console, Console], int] = HANDLERS[args.command]
        else:
            args = app_parser.parse_args(argv)
            handler = run_app
        return handler(args, out, err)
    except UsageError as exc:
        _error(err, str(exc))
        return EXIT_BAD_INPUT
    except LibraryBusyError as exc:
        _error(err, str(exc))
        return EXIT_UNAVAILABLE
    except LibraryFileError as exc:
        _error(err, str(exc))
        return EXIT_UNAVAILABLE
    except PmbrowseError as exc:
        _error(err, str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error(err, "interrupted; the library was left as it was before this command")
        return 130


def _error(err: Console, message: str) -> None:
    err.print(literal(f"pmbrowse: {message}", style="red"), soft_wrap=True)


def _open(args: argparse.Namespace) -> Library:
    return Library.open(getattr(args, "db", None))


def run_import(args: argparse.Namespace, out: Console, err: Console) -> int:
    library = _open(args)
    progress: Progress | None = None
    if err.is_terminal:
        progress = Progress(
            TextColumn("importing"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[records]} records, {task.fields[rate]} records/s"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
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
        reports = import_paths(library, args.paths, progress=on_progress)
    finally:
        if progress is not None:
            progress.stop()
    out.print(import_table(reports))
    for report in reports:
        if report.rejected:
            _error(
                err, f"rejected {report.error}" if not report.missing else f"{report.source}: {report.error}"
            )
    if any(r.rejected and not r.missing for r in reports):
        return EXIT_BAD_INPUT
    if any(r.missing for r in reports):
        return EXIT_NOT_FOUND
    return EXIT_OK


def run_show(args: argparse.Namespace, out: Console, err: Console) -> int:
    ident = parse_identifier(args.id)
    if ident is None:
        _error(err, f"{args.id!r} is not a PMID, PMCID or DOI")
        return EXIT_BAD_INPUT
    library = _open(args)
    doc_id = library.find(ident)
    if doc_id is None:
        _error(err, f"no article with {ident} in {library.path}")
        return EXIT_NOT_FOUND
    if args.json:
        sys.stdout.write(json.dumps(article_json(library, doc_id), ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(render_article(library, doc_id))
    return EXIT_OK


def article_json(library: Library, doc_id: int) -> dict[str, object]:
    article = library.article(doc_id)
    return {
        "pmid": article.pmid,
        "pmcid": article.pmcid,
        "doi": article.doi,
        "title": article.title,
        "authors": [a.name for a in article.authors],
        "affiliations": article.affiliations,
        "journal": article.journal,
        "journal_title": article.journal_title,
        "publisher": article.publisher,
        "date": article.date,
        "year": article.year,
        "volume": article.volume,
        "issue": article.issue,
        "pages": article.pages,
        "citation_count": article.citation_count,
        "abstract": article.abstract_text,
        "abstract_sections": [{"label": s.label, "text": s.text} for s in article.abstract],
        "languages": article.languages,
        "publication_types": article.publication_types,
        "mesh": article.mesh,
        "keywords": article.keywords,
        "stub": article.stub,
        "origins": [o.to_doc() for o in article.origins],
        "references": [v.to_json() for v in library.links(doc_id, "references")],
        "cited_by": [v.to_json() for v in library.links(doc_id, "cited_by")],
    }


def run_stats(args: argparse.Namespace, out: Console, err: Console) -> int:
    library = _open(args)
    out.print(stats_table(library, library.stats()))
    return EXIT_OK


def run_search(args: argparse.Namespace, out: Console, err: Console) -> int:
    query = " ".join(args.query)
    if not query.strip():
        _error(err, "the query is empty")
        return EXIT_BAD_INPUT
    if args.limit < 1:
        _error(err, "--limit must be at least 1")
        return EXIT_BAD_INPUT
    path = library_path(getattr(args, "db", None))
    # A fresh index answers on its own: no need to load a library of any size.
    index = SearchIndex.open_if_fresh(path) or SearchIndex.for_library(Library.open(path))
    try:
        results = index.search(query, limit=args.limit, sort=args.sort, marks=mark_lookup(path))
    except QuerySyntaxError as exc:
        _error(err, f"bad query: {exc}")
        err.print(literal(exc.pointer()), soft_wrap=True)
        return EXIT_BAD_INPUT
    if args.json:
        sys.stdout.write(json.dumps([h.to_json() for h in results.hits], ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(results_list(query, results))
    return EXIT_OK if results.total else EXIT_NOT_FOUND


def mark_lookup(path: Path) -> Callable[[str, str], set[str]] | None:
    """Marks filters for searches (``starred``, ``tag:x``...), from the marks kept beside the library."""
    return None


def run_app(args: argparse.Namespace, out: Console, err: Console) -> int:
    from tui.app import PmbrowseApp

    path = library_path(getattr(args, "db", None))
    # Fail early, with one line, on a library that cannot be used (the app loads it in the background).
    if path.exists():
        from store.storage import read_library_file

        read_library_file(path)
    PmbrowseApp(path, " ".join(args.target)).run()
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, Console, Console], int]] = {
    "import": run_import,
    "show": run_show,
    "stats": run_stats,
    "search": run_search,
}
