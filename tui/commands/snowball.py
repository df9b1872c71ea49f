"""``pmbrowse snowball``: citation chasing, its rounds, screening, and the PRISMA 2020 flow.

    pmbrowse snowball [--from included|starred|tag:T|QUERY | --ids ID...] [--direction back|forward|both]
                      [--online [--source icite|pubmed|europepmc]] [--rank links|rcr|cited]
                      [--preview] [--json]
    pmbrowse snowball rounds [--json]                 the rounds kept (and dropped)
    pmbrowse snowball drop N [--yes]                  remove a round and what only it found
    pmbrowse snowball report [--format txt|json|csv|svg] [-o FILE]
    pmbrowse snowball include|exclude|not-retrieved|undecide ID... [--stage S] [--reason R] [--change]
    pmbrowse snowball resolve ID... --as included|excluded|not-retrieved [--reason R] [--stage S]
    pmbrowse snowball conflicts [--stage S] [--json]
    pmbrowse snowball agreement [--screeners A B] [--json]

A round reads the library's links (offline); ``--online`` first fetches the seeds the library lacks and
fills in every seed's links (iCite by default), and commits what the services said with the round run
on it, as one (``store.snowball.online.fill_and_round``). A round that finds something new is kept in
the snowball file beside the library (``store.snowball.state``), unless ``--preview``: then it is shown
and counts nowhere. The screening actions live in ``tui.commands.review``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from store.errors import OnlineError
from store.library import Library
from store.marks import Marks
from store.search import QuerySyntaxError
from store.selection import SelectionError
from store.snowball.engine import (
    RANKS,
    RoundResult,
    Row,
    decision_of,
    decisions,
    preview_round,
    rank_rows,
    reason,
)
from store.snowball.screening import INCLUDED, STAGES, Screened, screener_name
from store.snowball.seeds import by_identifiers, by_selection, describe_missing
from store.snowball.state import DIRECTIONS, keep_round
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
from tui.console import counted, print_whole
from tui.text import id_line, json_text, literal, printable

if TYPE_CHECKING:  # (the online client is imported when it is used: it is slow to import)
    from store.snowball.online import Answers, LinkFill

SOURCES = ("icite", "pubmed", "europepmc")
REPORT_FORMATS = ("txt", "json", "csv", "svg")
DECISION_ACTIONS = ("include", "exclude", "not-retrieved", "undecide", "resolve")
ACTIONS = ("rounds", "drop", "report", *DECISION_ACTIONS, "conflicts", "agreement")


# What ``pmbrowse snowball ACTION --help`` says: the action's usage, then what it does.
ACTION_HELP = {
    "rounds": (
        "pmbrowse snowball rounds [--json]",
        "The rounds kept, oldest first (when, direction, seeds, sources, links, new records), and the "
        "rounds dropped.",
    ),
    "drop": (
        "pmbrowse snowball drop N [--yes]",
        "Remove round N and the records only it found (a record a later round met becomes that round's "
        "own); asks on a terminal, --yes elsewhere. Decisions stay in the marks; the number is never "
        "given again.",
    ),
    "report": (
        "pmbrowse snowball report [--format txt|json|csv|svg] [-o FILE]",
        "The PRISMA 2020 flow: txt draws it in the terminal, svg as boxes and arrows, json gives every "
        "number, csv is the PRISMA2020 R package's data template.",
    ),
    "include": (
        "pmbrowse snowball include ID... [--from QUERY] [--stage S] [--change] [--screener NAME]",
        "Screen articles in (named by PMID, PMCID or DOI, or by a search with --from).",
    ),
    "exclude": (
        "pmbrowse snowball exclude ID... --reason TEXT [--from QUERY] [--stage S] [--change] "
        "[--screener NAME]",
        "Screen articles out, saying why.",
    ),
    "not-retrieved": (
        "pmbrowse snowball not-retrieved ID... [--from QUERY] [--screener NAME]",
        "At full text: the report was sought and could not be obtained.",
    ),
    "undecide": (
        "pmbrowse snowball undecide ID... [--from QUERY] [--stage S] [--screener NAME]",
        "Take back your decision.",
    ),
    "resolve": (
        "pmbrowse snowball resolve ID... --as included|excluded|not-retrieved [--reason TEXT] [--stage S] "
        "[--screener NAME]",
        "The final decision on a conflict (or any article); in a two-screener review it stands until "
        "resolved again.",
    ),
    "conflicts": (
        "pmbrowse snowball conflicts [--stage S] [--json]",
        "The articles on which screeners disagree, with each one's decision.",
    ),
    "agreement": (
        "pmbrowse snowball agreement [--screeners A B] [--json]",
        "Percent agreement and Cohen's kappa of two screeners, per stage.",
    ),
}


class ActionHelp(argparse.Action):
    """``--help``: the action's own usage after an action (``snowball drop --help``), else the whole."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        kwargs.pop("default", None)
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        words = getattr(namespace, "action", None) or []
        found = ACTION_HELP.get(words[0]) if words else None
        if found is None:
            parser.print_help()
        else:
            usage, what = found
            sys.stdout.write(f"usage: {usage}\n\n{what}\n\nEvery option: pmbrowse snowball --help\n")
        parser.exit()


def configure(p: argparse.ArgumentParser) -> None:
    # --help is the action's own (ActionHelp): it replaces argparse's (which its options group holds).
    p._optionals.conflict_handler = "resolve"
    p.add_argument("-h", "--help", action=ActionHelp, help="show this help (after an action: that action's)")
    p._optionals.conflict_handler = "error"
    p.add_argument(
        "action",
        nargs="*",
        metavar="ACTION",
        help="none: run a round; rounds; drop N; report; include|exclude|not-retrieved|undecide ID...; "
        "resolve ID...; conflicts; agreement",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--from",
        dest="selection",
        metavar="SELECTION",
        help="the seeds (default: included), or the articles a decision is for: starred, tag:NAME, a search",
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
    p.add_argument(
        "--rank",
        choices=RANKS,
        default="links",
        help="list the candidates by links to the seeds (default), rcr (iCite's RCR, highest first) "
        "or cited (most cited first); the round is kept in its own order",
    )
    p.add_argument("--preview", action="store_true", help="show the round without keeping it")
    p.add_argument("--json", action="store_true", help="print JSON (report: the same as --format json)")
    p.add_argument(
        "--format", dest="report_format", choices=REPORT_FORMATS, help="report: txt (default), json, csv, svg"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="report: write to FILE")
    p.add_argument("--yes", action="store_true", help="drop: do not ask")
    p.add_argument(
        "--reason", metavar="TEXT", help="exclude, resolve: why (wrong population, wrong design...)"
    )
    p.add_argument("--stage", choices=STAGES, help="the screening stage (default: where the article is)")
    p.add_argument("--change", action="store_true", help="replace a different decision")
    p.add_argument(
        "--as",
        dest="resolution",
        choices=("included", "excluded", "not-retrieved"),
        help="resolve: the final decision",
    )
    p.add_argument("--screeners", nargs=2, metavar="NAME", help="agreement: between these two screeners")
    p.add_argument(
        "--screener", metavar="NAME", help="who is screening (default: $PMBROWSE_SCREENER, else unnamed)"
    )
    p.add_argument(
        "--unblind",
        action="store_true",
        help="see the review's decisions, not only your own (named screeners)",
    )


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    words = list(args.action)
    if words and words[0] not in ACTIONS:
        raise UsageError(
            f"{words[0]!r} is not a snowball action ({', '.join(ACTIONS)}); "
            "seeds are chosen with --from or --ids"
        )
    action = words[0] if words else ""
    if action != "report" and (args.report_format or args.output):
        raise UsageError("--format and -o go with: pmbrowse snowball report")
    if args.json and args.report_format not in (None, "json"):
        raise UsageError(f"--json and --format {args.report_format} say two things: say one")
    if action not in ("exclude", "resolve") and args.reason is not None:
        raise UsageError("--reason goes with: pmbrowse snowball exclude ID --reason TEXT")
    if action != "resolve" and args.resolution:
        raise UsageError("--as goes with: pmbrowse snowball resolve ID --as DECISION")
    if action and args.rank != "links":
        raise UsageError("--rank goes with a round: pmbrowse snowball [--from SELECTION] --rank rcr")
    if action:
        from tui.commands import review

        if action in DECISION_ACTIONS:
            return review.run_decision(args, action, words[1:], out, err)
        handlers = {
            "rounds": review.run_rounds,
            "drop": review.run_drop,
            "report": review.run_report,
            "conflicts": review.run_conflicts,
            "agreement": review.run_agreement,
        }
        return handlers[action](args, words[1:], out, err)
    if args.source and not args.online:
        raise UsageError("--source chooses where --online gets links: add --online")
    return run_round_command(args, out, err)


# A round ---------------------------------------------------------------------------------------


def run_round_command(args: argparse.Namespace, out: Console, err: Console) -> int:
    from tui.commands.review import open_review

    library = open_library(args, err)
    marks, file = open_review(args, library)
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
        raise NotFoundError(_no_seeds(selection, marks))
    sources = ["library"]
    if args.online:
        from store.snowball.online import fill_and_round

        sources += list(args.source or ("icite",))
        answers, code = _ask(library, seeds, missing, tuple(sources[1:]), err)
        if answers is None or code != EXIT_OK:
            return code
        fill, done, kept = fill_and_round(
            library,
            answers,
            file,
            lambda seeds, state: preview_round(
                library, seeds, args.direction, marks=marks, state=state, selection=selection, sources=sources
            ),
            keep=not args.preview,
        )
        _said(fill, err)
        if done is None:  # (a list a service ended early: stored as far as it came, no round)
            return EXIT_ONLINE
        preview = done
    else:
        state = file.load()
        preview = preview_round(
            library, seeds, args.direction, marks=marks, state=state, selection=selection, sources=sources
        )
        kept = None if args.preview else keep_round(file, preview.result.round)
    result = preview.result
    ranked = rank_rows(result.rows, args.rank)  # (the round is kept in its own order)
    if args.json:
        screened = decisions(marks)
        rows = [candidate_json(r, screened, result) for r in ranked]
        sys.stdout.write(json_text(rows) + "\n")
    else:
        table = round_table(result, kept is not None, marks, preview=args.preview, ranked=(args.rank, ranked))
        print_whole(out, table)
    return EXIT_OK


def _no_seeds(selection: str, marks: Marks) -> str:
    if selection != "included":
        return f"no seeds: {selection!r} selects no article"
    paired = marks.paired
    waiting = sum(
        1
        for _, records in marks.screenings()
        if (last := Screened.of(records, paired).last) is not None
        and last[1].awaiting
        and INCLUDED in {v.decision for v in last[1].votes.values()}
    )
    if waiting:
        return (
            "no seeds: no article is included by the review "
            f"({counted(waiting, 'article')} included by one screener "
            f"{'awaits' if waiting == 1 else 'await'} the second: in a two-screener review an article "
            "needs both, or a resolution: pmbrowse snowball resolve ID --as included)"
        )
    return "no seeds: no article is included by the review (i in the app, or pmbrowse mark ID --include)"


def _ask(
    library: Library, seeds: list[int], missing: list[str], sources: tuple[str, ...], err: Console
) -> tuple[Answers | None, int]:
    """Ask online for the seeds' links (nothing stored yet), and an exit status (``fill_and_round``
    stores them)."""
    from store.snowball.online import SeedsNotFound, ask_links
    from tui.commands.fetching import FetchProgress

    with FetchProgress(err) as progress:
        try:
            answers = ask_links(library, seeds, missing, sources=sources, progress=progress)
        except OnlineError as exc:
            progress.stop()
            error(err, f"{exc}; the library was left as it was")
            return None, EXIT_ONLINE
        except SeedsNotFound as exc:
            progress.stop()
            error(err, f"{exc}; the library was left as it was")
            return None, EXIT_NOT_FOUND
    return answers, EXIT_OK


def _said(fill: LinkFill, err: Console) -> None:
    """What the fill did, on stderr."""
    line = (
        f"links of {counted(fill.asked, 'seed')} asked online: "
        f"{counted(fill.links_added, 'new link')}, {counted(fill.stubs_created, 'new stub')}, "
        f"{counted(fill.requests, 'request')}"
    )
    if fill.fetched:
        line += f"; fetched {counted(len(fill.fetched), 'seed record')}"
    err.print(literal(line), soft_wrap=True)
    if fill.without_pmid:
        shown = ", ".join(fill.without_pmid[:5]) + (", ..." if len(fill.without_pmid) > 5 else "")
        error(
            err,
            f"warning: no PMID for {counted(len(fill.without_pmid), 'seed')}, "
            f"their links were not asked: {shown}",
        )
    for warning in fill.warnings:
        error(err, f"warning: {warning}")
    for shortfall in fill.incomplete:  # stored as far as it came; the round waits for the whole lists
        error(err, shortfall)


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
        "rcr": row.rcr,
        "cited": row.cited,
        "round": c.round,
        "new": not c.known,
        "decision": decision_of(c.keys, screened),
    }


def round_summary(result: RoundResult, kept: bool, preview: bool = False) -> Text:
    done = result.round
    text = Text()
    if preview:
        title = f"Preview of round {done.number}"
    else:
        title = f"Round {done.number}" if kept else "Nothing new"
    text.append(title, style="bold")
    text.append(
        f" · {done.direction} · {counted(len(done.seeds), 'seed')} ({done.selection})"
        f" · {counted(done.identified, 'link')} identified, {counted(done.duplicates, 'duplicate')}, "
        f"{done.already_screened} already screened, {done.earlier} found by earlier rounds, "
        f"{len(done.new)} new"
    )
    if done.seed_links:
        text.append(f" ({counted(done.seed_links, 'link')} between seeds, not counted)")
    if preview:
        text.append(" — not kept: it counts nowhere (run it without --preview to keep it)", style="dim")
    elif not kept:
        text.append(" — no round kept", style="dim")
    return text


def round_table(
    result: RoundResult,
    kept: bool,
    marks: Marks,
    *,
    preview: bool = False,
    ranked: tuple[str, list[Row]] | None = None,
) -> RenderableType:
    """The candidates not screened yet, best first (new ones marked), under a line of counts and a title
    naming the rule they are listed by (``ranked``: the rule of ``RANKS`` and the rows in its order;
    default: the round's own)."""
    rule, rows = ranked if ranked is not None else ("links", result.rows)
    screened = decisions(marks)
    shown = [r for r in rows if decision_of(r.candidate.keys, screened) is None]
    hidden = len(rows) - len(shown)
    parts: list[RenderableType] = [round_summary(result, kept, preview)]
    if not shown:
        parts.append(Text("No candidate left to screen.", style="dim"))
        return Group(*parts)
    table = Table(expand=False, show_lines=False, title=f"Candidates, {RANKS[rule]}", title_justify="left")
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("Article", overflow="fold")
    table.add_column("Year", justify="right", no_wrap=True)
    number = {"rcr": "RCR", "cited": "Cited"}.get(rule)
    if number:  # (the number the list is ranked by)
        table.add_column(number, justify="right", no_wrap=True)
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
        else:  # (how to screen it: decisions name articles by identifier, else by a search)
            article.append("\nno PMID, PMCID or DOI: screen it by a search, --from 'WORDS[ti]'", style="dim")
        why = literal(reason(c, len(result.round.seeds), result.seed_noun))
        cells: list[RenderableType] = [str(n), flag, article, str(row.year or "")]
        if rule == "rcr":
            cells.append("" if row.rcr is None else f"{row.rcr:.2f}")
        elif rule == "cited":
            cells.append(f"{row.cited:,}")
        table.add_row(*cells, why)
    parts.append(table)
    if hidden:
        # (a blind screener's list leaves out what they decided, which the review may not count as
        # screened yet: awaiting the second screener, or a conflict)
        if marks.viewer.blind:
            said = f"{hidden} decided by {screener_name(marks.screener)} already, not listed"
        else:
            said = f"{hidden} already screened, counted and not listed"
        parts.append(literal(said, style="dim"))
    return Group(*parts)


SNOWBALL = Command(
    "snowball",
    "citation chasing and screening: rounds of candidates, decisions, the PRISMA 2020 flow",
    configure,
    run,
)
