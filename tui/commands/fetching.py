"""``pmbrowse fetch ID...`` and ``pmbrowse fetch --search QUERY``: PubMed and Europe PMC, on request."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from store.errors import OnlineError
from store.ids import parse_identifier
from store.online.config import LINK_SOURCES
from store.online.events import RATE_LIMIT, Event, Step, Waiting
from store.online.report import FetchReport
from tui.commands.base import EXIT_NOT_FOUND, EXIT_OK, EXIT_ONLINE, Command, UsageError, error, open_library
from tui.text import literal


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("ids", nargs="*", metavar="ID", help="PMIDs, PMCIDs or DOIs to fetch")
    p.add_argument("--search", metavar="QUERY", help="search PubMed online and store the hits")
    p.add_argument(
        "--max", type=int, default=20, metavar="N", help="with --search: at most N hits (default 20)"
    )
    p.add_argument(
        "--links-depth",
        type=int,
        choices=(0, 1),
        default=0,
        help="1: also fetch the records one hop away, so they are no longer stubs",
    )
    p.add_argument("--with-links", action="store_true", help="with --search: also fetch the hits' links")
    p.add_argument(
        "--source",
        action="append",
        choices=LINK_SOURCES,
        metavar="SOURCE",
        help="where links come from: pubmed (elink), europepmc (default: both)",
    )


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if bool(args.ids) == bool(args.search):
        raise UsageError("give identifiers to fetch, or --search QUERY (not both)")
    if args.max < 1:
        raise UsageError("--max must be at least 1")
    if bad := [i for i in args.ids if parse_identifier(i) is None]:
        raise UsageError(f"{', '.join(repr(b) for b in bad)}: not a PMID, PMCID or DOI")
    # Only here: the HTTP client is not worth loading for every other command.
    from store.online.fetch import fetch_articles, search_online

    library = open_library(args, err)
    sources = tuple(args.source or LINK_SOURCES)
    with FetchProgress(err) as progress:
        try:
            if args.search:
                report = search_online(
                    library,
                    args.search,
                    args.max,
                    with_links=args.with_links,
                    sources=sources,
                    progress=progress,
                )
            else:
                report = fetch_articles(
                    library, args.ids, links_depth=args.links_depth, sources=sources, progress=progress
                )
        except OnlineError as exc:
            progress.stop()
            error(err, f"{exc}; the library was left as it was")
            return EXIT_ONLINE
    out.print(summary(report, args.search))
    for warning in report.warnings:
        error(err, f"warning: {warning}")
    for failure in report.failed:
        error(err, f"not fetched: {failure}")
    for shortfall in report.incomplete:  # stored as far as it came; never a silent partial
        error(err, shortfall)
    if report.incomplete:
        return EXIT_ONLINE
    return EXIT_NOT_FOUND if report.failed and not report.pmids else EXIT_OK


class FetchProgress:
    """A progress bar on stderr (when it is a terminal) fed by the online client's events."""

    def __init__(self, err: Console) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[note]}"),
            console=err,
            transient=True,
        )
        self.task = self.bar.add_task("starting", total=None, note="")
        self.enabled = err.is_terminal

    def __enter__(self) -> FetchProgress:
        if self.enabled:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.enabled:
            self.bar.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, Step):
            self.bar.update(
                self.task,
                description=event.stage,
                completed=event.done,
                total=event.total or None,
                note=event.message[:40],
            )
        elif isinstance(event, Waiting):
            why = "waiting on the rate limit" if event.reason == RATE_LIMIT else f"retrying ({event.detail})"
            self.bar.update(self.task, note=f"{event.service}: {why}")


def summary(report: FetchReport, query: str | None) -> Table:
    title = f"PubMed search: {report.total:,} hits" if query and report.total is not None else "Fetched"
    table = Table(title=literal(f"{title}{f' for {query!r}' if query else ''}"), show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("records added", str(len(report.added)))
    table.add_row("records updated", str(len(report.updated)))
    table.add_row("records unchanged", str(len(report.unchanged)))
    table.add_row("failed", str(len(report.failed)))
    table.add_row("links added", str(report.links_added))
    table.add_row("new stubs", str(report.stubs_created))
    if report.neighbours.added or report.neighbours.updated:
        table.add_row("neighbours fetched", str(report.neighbours.added + report.neighbours.updated))
    table.add_row("requests", str(report.requests))
    return table


FETCH = Command("fetch", "fetch records and their citation links from PubMed and Europe PMC", configure, run)
