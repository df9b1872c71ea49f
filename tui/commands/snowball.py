"""``pmbrowse snowball``: citation chasing from a set of seeds, its candidates ranked, its PRISMA counts.

    pmbrowse snowball [--from included|starred|tag:T|QUERY | --ids ID...] [--direction back|forward|both]
                      [--online [--source icite|pubmed|europepmc]] [--json]
    pmbrowse snowball report [--json]
    pmbrowse snowball exclude ID... [--reason TEXT]

A round reads the library's links (offline); ``--online`` first fetches the seeds the library lacks and
fills in every seed's links (iCite by default). Each round that finds something new is kept in the
snowball file beside the library (``store.snowball.state``); ``report`` prints the numbers of every
round for a PRISMA 2020 flow diagram.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from store.errors import OnlineError
from store.ids import parse_identifier
from store.library import Library
from store.marks import Marks
from store.merge import doc_keys
from store.search import QuerySyntaxError
from store.selection import SelectionError, by_ids
from store.snowball.counts import Report, report
from store.snowball.engine import RoundResult, Row, decision_of, decisions, reason, run_round
from store.snowball.seeds import by_identifiers, by_selection, describe_missing
from store.snowball.state import DIRECTIONS, SnowballFile, SnowballState, keep_round
from tui.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_ONLINE,
    Command,
    NotFoundError,
    UsageError,
    error,
    open_library,
)
from tui.text import id_line, literal, printable

ACTIONS = ("report", "exclude")
SOURCES = ("icite", "pubmed", "europepmc")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        nargs="*",
        metavar="ACTION",
        help="none: run a round; report: the PRISMA counts of every round; exclude ID...: screen out "
        "(with --reason)",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--from",
        dest="selection",
        metavar="SELECTION",
        help="the seeds: included (default), starred, tag:NAME, or a search query",
    )
    which.add_argument("--ids", nargs="+", metavar="ID", help="the seeds: PMIDs, PMCIDs or DOIs")
    p.add_argument(
        "--direction",
        choices=DIRECTIONS,
        default="both",
        help="back: what the seeds cite; forward: what cites them; both (default)",
    )
    p.add_argument(
        "--online",
        action="store_true",
        help="first fetch missing seeds and fill in the seeds' links (iCite; see --source)",
    )
    p.add_argument(
        "--source",
        action="append",
        choices=SOURCES,
        metavar="SOURCE",
        help="with --online: where links come from: icite (default), pubmed (elink), europepmc",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--reason", metavar="TEXT", help="with exclude: why (wrong population, wrong design...)")


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    words = list(args.action)
    if words and words[0] == "report":
        if len(words) > 1:
            raise UsageError("snowball report takes no arguments")
        return run_report(args, out, err)
    if words and words[0] == "exclude":
        return run_exclude(args, words[1:], out, err)
    if words:
        raise UsageError(
            f"{words[0]!r} is not a snowball action (report, exclude); seeds are chosen with --from or --ids"
        )
    if args.reason is not None:
        raise UsageError("--reason goes with: pmbrowse snowball exclude ID --reason TEXT")
    if args.source and not args.online:
        raise UsageError("--source chooses where --online gets links: add --online")
    return run_round_command(args, out, err)


# A round ---------------------------------------------------------------------------------------


def run_round_command(args: argparse.Namespace, out: Console, err: Console) -> int:
    library = open_library(args, err)
    marks = Marks.open(library.path)
    selection = args.selection or ("ids" if args.ids else "included")
    missing: list[str] = []
    try:
        if args.ids:
            found = by_identifiers(library, args.ids)
            seeds, missing = found.found, found.missing
        else:
            seeds = by_selection(library, marks, selection)
    except QuerySyntaxError as exc:
        error(err, f"bad query: {exc}")
        return EXIT_BAD_INPUT
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    if missing and not args.online:
        raise NotFoundError(describe_missing(missing, library))
    if not seeds and not missing:
        raise NotFoundError(_no_seeds(selection))
    sources = ["library"]
    if args.online:
        seeds, code = _fill(library, seeds, missing, tuple(args.source or ("icite",)), err)
        if code != EXIT_OK:
            return code
        sources += list(args.source or ("icite",))
    file = SnowballFile.open(library.path)
    result = run_round(
        library,
        seeds,
        args.direction,
        marks=marks,
        state=file.load(),
        selection=selection,
        sources=sources,
    )
    kept = keep_round(file, result.round)
    if args.json:
        screened = decisions(marks)
        rows = [candidate_json(r, screened, result) for r in result.rows]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(round_table(result, kept is not None, marks))
    return EXIT_OK


def _no_seeds(selection: str) -> str:
    if selection == "included":
        return "no seeds: no article is marked included (i in the app, or pmbrowse mark ID --include)"
    return f"no seeds: {selection!r} selects no article"


def _fill(
    library: Library, seeds: list[int], missing: list[str], sources: tuple[str, ...], err: Console
) -> tuple[list[int], int]:
    """Fill in the seeds' links online; the seeds afterwards (fetched ones added), and an exit status."""
    from store.snowball.online import SeedsNotFound, fill_links
    from tui.commands.fetching import FetchProgress

    with FetchProgress(err) as progress:
        try:
            fill = fill_links(library, seeds, missing, sources=sources, progress=progress)
        except OnlineError as exc:
            progress.stop()
            error(err, f"{exc}; the library was left as it was")
            return seeds, EXIT_ONLINE
        except SeedsNotFound as exc:
            progress.stop()
            error(err, f"{exc}; the library was left as it was")
            return seeds, EXIT_NOT_FOUND
    line = (
        f"links of {fill.asked} seed{'s' if fill.asked != 1 else ''} asked online: "
        f"{fill.links_added} new links, {fill.stubs_created} new stubs, {fill.requests} requests"
    )
    if fill.fetched:
        line += f"; fetched {len(fill.fetched)} seed record{'s' if len(fill.fetched) != 1 else ''}"
    err.print(literal(line), soft_wrap=True)
    if fill.without_pmid:
        shown = ", ".join(fill.without_pmid[:5]) + (", ..." if len(fill.without_pmid) > 5 else "")
        error(
            err, f"warning: no PMID for {len(fill.without_pmid)} seed(s), their links were not asked: {shown}"
        )
    for warning in fill.warnings:
        error(err, f"warning: {warning}")
    for shortfall in fill.incomplete:  # stored as far as it came; the round waits for the whole lists
        error(err, shortfall)
    return fill.seeds, EXIT_ONLINE if fill.incomplete else EXIT_OK


def candidate_json(row: Row, screened: dict[str, str], result: RoundResult) -> dict[str, Any]:
    c = row.candidate
    return {
        "pmid": row.pmid,
        "pmcid": row.pmcid,
        "doi": row.doi,
        "title": row.title,
        "year": row.year,
        "journal": row.journal,
        "stub": row.stub,
        "cites": list(c.cites),
        "cited_by": list(c.cited_by),
        "direction": c.direction,
        "seeds_linked": c.seeds_linked,
        "coupling": c.coupling,
        "cocitation": c.cocitation,
        "reason": reason(c, len(result.round.seeds), result.seed_noun),
        "round": c.round,
        "new": not c.known,
        "decision": decision_of(c.keys, screened),
    }


def round_summary(result: RoundResult, kept: bool) -> Text:
    done = result.round
    seeds = len(done.seeds)
    text = Text()
    title = f"Round {done.number}" if kept else "Nothing new"
    text.append(title, style="bold")
    text.append(
        f" · {done.direction} · {seeds} seed{'s' if seeds != 1 else ''} ({done.selection})"
        f" · {done.identified} links identified, {done.duplicates} duplicates, "
        f"{done.already_screened} already screened, {done.earlier} found by earlier rounds, "
        f"{len(done.new)} new"
    )
    if not kept:
        text.append(" — no round kept", style="dim")
    return text


def round_table(result: RoundResult, kept: bool, marks: Marks) -> RenderableType:
    """The candidates not screened yet, best first (new ones marked), under a line of counts."""
    screened = decisions(marks)
    shown = [r for r in result.rows if decision_of(r.candidate.keys, screened) is None]
    hidden = len(result.rows) - len(shown)
    parts: list[RenderableType] = [round_summary(result, kept)]
    if not shown:
        parts.append(Text("No candidate left to screen.", style="dim"))
        return Group(*parts)
    table = Table(expand=False, show_lines=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("Article", overflow="fold")
    table.add_column("Year", justify="right", no_wrap=True)
    table.add_column("Why", overflow="fold")
    for n, row in enumerate(shown, start=1):
        c = row.candidate
        flag = Text("new", style="green") if not c.known else Text(f"r{c.round}", style="dim")
        article = Text()
        article.append(printable(row.title or c.label))
        if row.stub:
            article.append("  [stub]", style="yellow")
        ids = id_line(row.pmid, row.pmcid, row.doi)
        if ids:
            article.append("\n" + printable(ids), style="cyan")
        why = literal(reason(c, len(result.round.seeds), result.seed_noun))
        table.add_row(str(n), flag, article, str(row.year or ""), why)
    parts.append(table)
    if hidden:
        parts.append(Text(f"{hidden} already screened, counted and not listed", style="dim"))
    return Group(*parts)


# The report --------------------------------------------------------------------------------------

MEASURES = (
    ("identified", "records identified (links)"),
    ("duplicates", "duplicates removed"),
    ("already_screened", "already screened"),
    ("earlier_rounds", "found by an earlier round"),
    ("records", "records screened or to screen"),
    ("screened", "records screened"),
    ("excluded_total", "records excluded"),
    ("sought", "reports sought for retrieval"),
    ("not_retrieved", "reports not retrieved"),
    ("included", "included"),
    ("awaiting", "awaiting screening"),
)


def run_report(args: argparse.Namespace, out: Console, err: Console) -> int:
    library = open_library(args, err)
    state = SnowballFile.open(library.path).load()
    if not state.rounds:
        raise NotFoundError("no citation chasing rounds yet: pmbrowse snowball runs one")
    done = report(library, state, Marks.open(library.path))
    if args.json:
        sys.stdout.write(json.dumps(done.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(report_table(done))
    return EXIT_OK


def report_table(done: Report) -> RenderableType:
    lines: list[RenderableType] = []
    for stored, _ in done.rounds:
        n = len(stored.seeds)
        seeds = ", ".join(s.label for s in stored.seeds[:8]) + (", ..." if n > 8 else "")
        lines.append(
            literal(
                f"Round {stored.number} · {stored.date} · {stored.direction} · from {stored.selection} "
                f"({n} seed{'s' if n != 1 else ''}: {seeds}) · sources: {', '.join(stored.sources)}"
            )
        )
    table = Table(title="Citation searching (PRISMA 2020)")
    table.add_column("")
    for stored, _ in done.rounds:
        table.add_column(f"Round {stored.number}", justify="right")
    table.add_column("Total", justify="right", style="bold")
    columns = [counts.to_json() for _, counts in done.rounds] + [done.total.to_json()]
    for name, label in MEASURES:
        table.add_row(label, *(str(c[name]) for c in columns))
        if name == "excluded_total":
            reasons = sorted({why for c in columns for why in c["excluded"]})
            for why in reasons:
                table.add_row(literal(f"  {why}"), *(str(c["excluded"].get(why, 0)) for c in columns))
    return Group(*lines, table)


# Exclusion with a reason ---------------------------------------------------------------------------


def run_exclude(args: argparse.Namespace, idents: list[str], out: Console, err: Console) -> int:
    if not idents:
        raise UsageError("say which articles to exclude: pmbrowse snowball exclude ID... --reason TEXT")
    library = open_library(args, err)
    missing: list[str] = []
    try:
        doc_ids = by_ids(library, idents, missing=missing)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    if missing:
        raise NotFoundError(f"no article with {parse_identifier(missing[0])} in {library.path}")
    keys_list = [doc_keys(library.doc(doc_id) or {}) for doc_id in doc_ids]
    marks = Marks.open(library.path)
    file = SnowballFile.open(library.path)
    why = " ".join((args.reason or "").split()) or None
    for keys in keys_list:
        marks.set_screening(keys, "excluded")

    def give_reasons(state: SnowballState) -> None:
        for keys in keys_list:
            state.set_reason(keys, why)

    file.change(give_reasons)
    n = len(keys_list)
    out.print(literal(f"excluded {n} article{'s' if n != 1 else ''}" + (f": {why}" if why else "")))
    return EXIT_OK


SNOWBALL = Command(
    "snowball",
    "citation chasing: candidates from the seeds' references and citing articles, PRISMA counts",
    configure,
    run,
)
