"""``pmbrowse metrics [ID... | --from SELECTION] [--online] [--json]``: citation metrics of a set.

Prints the metrics the library holds for the articles named (iCite's citation count, RCR, NIH
percentile, APT, research and clinical flags; Europe PMC's citation count), with whose they are and
when they were fetched. ``--online`` first asks iCite for them (200 PMIDs a request) and stores them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from store import metrics as m
from store.errors import OnlineError
from store.library import Library
from store.marks import Marks
from store.search import QuerySyntaxError
from store.selection import SelectionError, by_ids
from store.snowball.seeds import by_selection
from tui.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_ONLINE,
    Command,
    NotFoundError,
    UsageError,
    error,
    open_library,
)
from tui.text import id_line, json_text, literal, printable


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("ids", nargs="*", metavar="ID", help="PMIDs, PMCIDs or DOIs in the library")
    p.add_argument(
        "--from",
        dest="selection",
        metavar="SELECTION",
        help="the articles: included, starred, tag:NAME, or a search query",
    )
    p.add_argument("--online", action="store_true", help="first ask NIH iCite for them (200 PMIDs a request)")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if bool(args.ids) == bool(args.selection):
        raise UsageError("name the articles: IDs, or --from included|starred|tag:NAME|QUERY (not both)")
    library = open_library(args, err)
    try:
        if args.ids:
            doc_ids = by_ids(library, args.ids)
        else:
            doc_ids = by_selection(library, Marks.open(library.path), args.selection)
    except QuerySyntaxError as exc:
        error(err, f"bad query: {exc}")
        return EXIT_BAD_INPUT
    except SelectionError as exc:
        raise NotFoundError(str(exc)) from None
    if not doc_ids:
        raise NotFoundError(f"{args.selection!r} selects no article")
    if args.online:
        code = _fetch(library, doc_ids, err)
        if code != EXIT_OK:
            return code
    if args.json:
        rows = [metrics_json(library, doc_id) for doc_id in doc_ids]
        sys.stdout.write(json_text(rows) + "\n")
    else:
        out.print(metrics_table(library, doc_ids))
    return EXIT_OK


def _fetch(library: Library, doc_ids: list[int], err: Console) -> int:
    from store.online.metrics import fetch_metrics  # (the HTTP client only for --online)
    from tui.commands.fetching import FetchProgress

    with FetchProgress(err) as progress:
        try:
            report = fetch_metrics(library, doc_ids, progress=progress)
        except OnlineError as exc:
            progress.stop()
            error(err, f"{exc}; the library was left as it was")
            return EXIT_ONLINE
    asked = len(report.asked)
    line = (
        f"metrics of {asked} article{'s' if asked != 1 else ''} asked from iCite in {report.requests} "
        f"request{'s' if report.requests != 1 else ''}: {report.found} found, {report.stored} new or changed"
    )
    if report.unknown:
        line += f"; {len(report.unknown)} not known to iCite ({_some(report.unknown)})"
    err.print(literal(line), soft_wrap=True)
    if report.without_pmid:
        error(
            err,
            f"warning: {len(report.without_pmid)} without a PMID not asked (iCite knows articles by PMID; "
            f"pmbrowse fetch gives them one): {_some(report.without_pmid)}",
        )
    return EXIT_OK


def _some(items: list[str]) -> str:
    return ", ".join(items[:5]) + (", ..." if len(items) > 5 else "")


def metrics_json(library: Library, doc_id: int) -> dict[str, Any]:
    doc = library.doc(doc_id) or {}
    reported = m.reported_count(doc)
    return {
        "pmid": doc.get("pmid"),
        "pmcid": doc.get("pmcid"),
        "doi": doc.get("doi"),
        "title": doc.get("title", ""),
        "year": doc.get("year"),
        "stub": bool(doc.get("stub")),
        "citation_count": reported[0] if reported else None,
        "citation_count_source": reported[1] if reported else None,
        "metrics": doc.get("metrics", {}),
    }


def _number(value: object, digits: int) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


def _kind(icite: dict[str, Any]) -> str:
    return ("R" if icite.get(m.RESEARCH) else "") + ("C" if icite.get(m.CLINICAL) else "")


def metrics_table(library: Library, doc_ids: list[int]) -> Table:
    """One row per article: iCite's numbers, Europe PMC's count, and when they were fetched."""
    table = Table(
        expand=False,
        caption="Cited, RCR (* provisional), NIH %ile, APT and Type (R research article, C clinical): "
        "NIH iCite; EPMC: Europe PMC's citation count",
    )
    table.add_column("Article", overflow="fold", min_width=24, ratio=1)
    for name in ("Year", "Cited", "RCR", "%ile", "APT", "Type", "EPMC"):
        table.add_column(name, justify="left" if name == "Type" else "right", no_wrap=True)
    table.add_column("Fetched", no_wrap=True)
    for doc_id in doc_ids:
        doc = library.doc(doc_id) or {}
        icite = m.icite(doc)
        epmc = doc.get("metrics", {}).get(m.EUROPEPMC, {})
        article = literal(str(doc.get("title") or "(untitled)"))
        if doc.get("stub"):
            article.append("  [stub]", style="yellow")
        ids = id_line(doc.get("pmid"), doc.get("pmcid"), doc.get("doi"))
        if ids:
            article.append("\n" + printable(ids), style="cyan")
        rcr = _number(icite.get(m.RCR), 2)
        fetched = sorted({str(r.get(m.FETCHED, ""))[:10] for r in doc.get("metrics", {}).values()})
        table.add_row(
            article,
            str(doc.get("year") or ""),
            str(icite.get(m.COUNT, "")),
            rcr + ("*" if rcr and icite.get(m.PROVISIONAL) else ""),
            _number(icite.get(m.PERCENTILE), 1),
            _number(icite.get(m.APT), 2),
            _kind(icite),
            str(epmc.get(m.COUNT, "")),
            ", ".join(fetched) or Text("never", style="dim"),
        )
    return table


METRICS = Command(
    "metrics",
    "citation metrics of a set of articles (NIH iCite, Europe PMC); --online fetches them",
    configure,
    run,
)
