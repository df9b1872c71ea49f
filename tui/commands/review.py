"""The review's actions of ``pmbrowse snowball``: screening decisions, rounds, the flow report, conflicts
and agreement (``tui.commands.snowball`` reads the command line and hands them here).

Every decision command is one write of the marks file, each decision with its reason in one record
(``store.snowball.review.screen``); a decision that would replace a different one is refused unless
``--change`` (so excluding an included seed says so).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import sys
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from store.errors import LibraryBusyError
from store.export.write import write_file
from store.library import Library
from store.marks import Marks
from store.merge import doc_keys
from store.selection import SelectionError, by_ids
from store.snowball.agreement import agreements
from store.snowball.diagram import flow_svg, flow_text
from store.snowball.engine import label_of
from store.snowball.flow import flow
from store.snowball.prisma_csv import to_csv, values
from store.snowball.review import (
    AWAITING_SECOND,
    Target,
    awaits_own,
    conflicts,
    describe,
    screen,
    vote_text,
)
from store.snowball.screening import (
    INCLUDED,
    STAGE_NAMES,
    UNNAMED,
    Screened,
    check_stage,
    control_character,
    screener_name,
)
from store.snowball.state import SnowballFile, SnowballState
from tui.commands.base import EXIT_BAD_INPUT, EXIT_OK, NotFoundError, UsageError, error, open_library
from tui.commands.exporting import one_line_name
from tui.console import counted, print_whole
from tui.text import json_text, literal, printable


def open_review(args: argparse.Namespace, library: Library) -> tuple[Marks, SnowballFile]:
    """The marks as the command line's screener sees them, and the snowball file; reasons a version 1
    snowball file kept apart are moved to their decisions first (when the files can be written)."""
    marks = Marks.open(library.path, screener=args.screener, blind=False if args.unblind else None)
    file = SnowballFile.open(library.path)
    # (on read-only media, or busy: the reasons stay where they are until the next write)
    with contextlib.suppress(OSError, LibraryBusyError):
        file.move_reasons(marks)
    return marks, file


def plain_text(option: str, text: str | None) -> None:
    """Refuse an option's text (``--reason``, ``--source``) holding a control character: an escape
    sequence pasted into a reason would reach every report and export."""
    if text is not None and (bad := control_character(text)):
        raise UsageError(
            f"{option} holds a control character ({bad}): type it as plain text; nothing was changed"
        )


# Decisions ---------------------------------------------------------------------------------------

DECIDED = {"include": "included", "exclude": "excluded", "not-retrieved": "not-retrieved", "undecide": None}


def targets_of(library: Library, idents: list[str]) -> list[Target]:
    missing: list[str] = []
    try:
        doc_ids = by_ids(library, idents, missing=missing)
    except SelectionError as exc:
        # (records with no identifier, a chapter or a citation kept as text, are named by a search)
        raise UsageError(
            f"{exc}; an article without one is named by a search: --from 'words of its title[ti]'"
        ) from None
    if missing:
        from store.ids import parse_identifier

        raise NotFoundError(f"no article with {parse_identifier(missing[0]) or missing[0]} in {library.path}")
    found: list[Target] = []
    for doc_id in doc_ids:
        doc = library.doc(doc_id) or {}
        found.append(Target(label_of(doc), tuple(doc_keys(doc))))
    return found


def targets_chosen(library: Library, marks: Marks, selection: str) -> list[Target]:
    """The articles a ``--from`` selection names (a search, starred, tag:NAME...), as targets."""
    from store.search import QuerySyntaxError
    from store.snowball.seeds import by_selection

    try:
        doc_ids = by_selection(library, marks, selection)
    except QuerySyntaxError as exc:
        raise UsageError(f"bad query: {exc}") from None
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    if not doc_ids:
        raise NotFoundError(f"{selection!r} selects no article")
    docs = [library.doc(d) or {} for d in doc_ids]
    return [Target(label_of(doc), tuple(doc_keys(doc))) for doc in docs]


def run_decision(args: argparse.Namespace, action: str, idents: list[str], out: Console, err: Console) -> int:
    if not idents and not args.selection:
        raise UsageError(f"say which articles: pmbrowse snowball {action} ID... (or --from QUERY)")
    if idents and args.selection:
        raise UsageError("say the articles by ID or by --from, not both")
    if action == "resolve":
        if not args.resolution:
            raise UsageError(
                "say the final decision: pmbrowse snowball resolve ID --as included|excluded|not-retrieved"
            )
        decision: str | None = args.resolution
    else:
        decision = DECIDED[action]
    if args.reason is not None and decision != "excluded":
        raise UsageError("--reason goes with an exclusion")
    plain_text("--reason", args.reason)
    if decision == "not-retrieved" and args.stage == "title-abstract":
        raise UsageError("not-retrieved is a full-text decision: a report sought and not obtained")
    library = open_library(args, err)
    marks, file = open_review(args, library)
    found = targets_of(library, idents) if idents else targets_chosen(library, marks, args.selection)
    done = screen(
        marks,
        found,
        decision,
        reason=args.reason,
        stage=args.stage,
        final=action == "resolve",
        change=args.change,
        state=file.load(),
    )
    n_found = len(found)
    articles = counted(n_found, "article")
    why = " ".join((args.reason or "").split())
    line = {
        "include": f"included {articles}",
        "exclude": f"excluded {articles}" + (f": {why}" if why else ""),
        "not-retrieved": f"marked {articles} not retrieved",
        "undecide": f"took back the decisions on {articles}",
        "resolve": f"resolved {articles}: {describe(decision, why)}",
    }[action]
    stages = {m.stage for m in done.marks if m.stage}
    if args.stage or stages == {"full-text"}:
        line += f" (at {STAGE_NAMES[check_stage(args.stage or 'full-text')]})"
    waiting = sum(1 for m in done.marks if m.screening is None and awaits_own(m, marks.screener))
    if action == "resolve" or marks.screener:
        line += f", by {screener_name(marks.screener)}"
    elif waiting:
        line += ", by you (unnamed)"
    if waiting and action != "resolve":  # (recorded, but no outcome until the second screener decides)
        line += f": {AWAITING_SECOND}" if waiting == n_found else f": {waiting} {AWAITING_SECOND}"
    n = len(found)
    unchanged = n - len(done.changed)
    if unchanged:
        line += f" ({unchanged} already so)"
    out.print(literal(line), soft_wrap=True)
    changed_from = [
        f"{label} was {done.before[label]}" for label in done.changed if done.before[label] != "undecided"
    ]
    if changed_from:
        out.print(
            literal("; ".join(changed_from[:10]) + ("; ..." if len(changed_from) > 10 else "")),
            soft_wrap=True,
        )
    return EXIT_OK


# Rounds ------------------------------------------------------------------------------------------


def run_rounds(args: argparse.Namespace, words: list[str], out: Console, err: Console) -> int:
    if words:
        raise UsageError("snowball rounds takes no arguments")
    library = open_library(args, err)
    state = SnowballFile.open(library.path).load()
    if args.json:
        data = {"rounds": [], "dropped": [d.to_json() for d in state.dropped]}
        for r in state.rounds:
            data["rounds"].append(
                {
                    "round": r.number,
                    "date": r.date,
                    "direction": r.direction,
                    "selection": r.selection,
                    "sources": list(r.sources),
                    "seeds": [s.label for s in r.seeds],
                    "links_identified": r.identified,
                    "links_between_seeds": r.seed_links,
                    "duplicate_links": r.duplicates,
                    "already_screened": r.already_screened,
                    "found_by_earlier_rounds": r.earlier,
                    "new_records": len(r.new),
                    "candidates": len(r.candidates),
                }
            )
        sys.stdout.write(json_text(data) + "\n")
        return EXIT_OK
    if not state.rounds and not state.dropped:
        raise NotFoundError("no citation chasing rounds yet: pmbrowse snowball runs one")
    table = Table(title="Citation chasing rounds")
    for name in ("Round", "When", "Direction", "Seeds", "Sources", "Links", "New records"):
        table.add_column(name, justify="right" if name in ("Round", "Links", "New records") else "left")
    for r in state.rounds:
        seeds = ", ".join(s.label for s in r.seeds[:3]) + (", ..." if len(r.seeds) > 3 else "")
        table.add_row(
            str(r.number),
            r.date,
            r.direction,
            literal(f"{len(r.seeds)} ({r.selection}): {seeds}"),
            ", ".join(r.sources),
            str(r.identified),
            str(len(r.new)),
        )
    parts: list[RenderableType] = [table]
    for d in state.dropped:
        parts.append(
            literal(
                f"round {d.number} ({d.date}, {d.direction}, {counted(len(d.seeds), 'seed')}, "
                f"{counted(d.new, 'new record')}) was dropped on {d.dropped}",
                style="dim",
            )
        )
    print_whole(out, Group(*parts))
    return EXIT_OK


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_drop(args: argparse.Namespace, words: list[str], out: Console, err: Console) -> int:
    if not words:
        raise UsageError("say which round: pmbrowse snowball drop N")
    if len(words) > 1:
        raise UsageError(f"snowball drop takes one round at a time, not {len(words)}: {' '.join(words)}")
    if not words[0].isascii() or not words[0].isdigit():
        raise UsageError(f"{words[0]!r} is not a round number: pmbrowse snowball drop N")
    number = int(words[0])
    library = open_library(args, err)
    marks, file = open_review(args, library)
    state = file.load()
    stored = state.round(number)
    if stored is None:
        have = ", ".join(str(r.number) for r in state.rounds) or "none"
        gone = next((d for d in state.dropped if d.number == number), None)
        if gone is not None:
            raise NotFoundError(f"round {number} was dropped on {gone.dropped} already (rounds kept: {have})")
        raise NotFoundError(f"there is no citation chasing round {number} (rounds kept: {have})")
    leaving, moved = _dropping(state, number)
    paired = marks.paired
    outcomes = [Screened.of(marks.get(keys).decisions, paired) for keys in leaving]
    decided = sum(1 for o in outcomes if o.decided)
    included = sum(1 for o in outcomes if o.state() == INCLUDED)
    kept = f"{decided} with decisions" + (f", {included} of them included" if included else "")
    what = (
        f"round {number} ({stored.date}, {stored.direction}, {counted(len(stored.seeds), 'seed')}, "
        f"{counted(len(stored.new), 'new record')}: {len(leaving)} would leave the flow"
        + (f" ({kept})" if decided else "")
        + (f", {moved} would become a later round's" if moved else "")
        + ")"
    )
    if not args.yes:
        if not (sys.stdin.isatty() and err.is_terminal):
            raise UsageError(f"dropping {what} is asked first on a terminal; say --yes to drop it here")
        answer = err.input(Text(f"Drop {printable(what)}? [y/N] "))
        if answer.strip().lower() not in ("y", "yes"):
            err.print(literal("nothing was dropped"))
            return EXIT_OK
    note = file.change(lambda s: s.drop(number, _now()))
    left = len(note.records)
    if left == note.new:
        line = f"dropped round {note.number}: its {counted(note.new, 'new record')} no longer count"
    else:
        moved = note.new - left
        line = (
            f"dropped round {note.number}: {left} of its {counted(note.new, 'new record')} no longer "
            f"{'counts' if left == 1 else 'count'}, {moved} {'is' if moved == 1 else 'are'} "
            "a later round's now"
        )
    if decided:
        line += f" (the decisions on {decided} of them stay in the marks"
        line += f", {included} of them included)" if included else ")"
    out.print(literal(line), soft_wrap=True)
    return EXIT_OK


def _dropping(state: SnowballState, number: int) -> tuple[list[tuple[str, ...]], int]:
    """What dropping round ``number`` would do, worked out on a copy: the records that would leave the
    flow, and how many would become a later round's."""
    trial = copy.deepcopy(state)
    note = trial.drop(number, "")
    return note.records, note.new - len(note.records)


# The report --------------------------------------------------------------------------------------


def run_report(args: argparse.Namespace, words: list[str], out: Console, err: Console) -> int:
    if words:
        raise UsageError("snowball report takes no arguments (say --format and -o)")
    fmt = args.report_format or ("json" if args.json else "txt")
    library = open_library(args, err)
    marks, file = open_review(args, library)
    state = file.load()
    for search in state.pending:  # (on stderr whatever the format: a CSV or SVG cannot say it)
        error(
            err,
            f"warning: the database search {search.name!r} (begun {search.imported}) did not finish "
            f"importing and counts nowhere: import its files again with --source {search.name!r}",
        )
    if not state.rounds and not state.searches:
        raise NotFoundError(
            "nothing to report yet: no database search imported (pmbrowse import --source NAME) and no "
            "citation chasing rounds yet (pmbrowse snowball runs one)"
        )
    done = flow(library, state, marks)
    if fmt == "json":
        text = json_text({**done.to_json(), "prisma2020": values(done)}) + "\n"
    elif fmt == "csv":
        text = to_csv(done)
    elif fmt == "svg":
        text = flow_svg(done)
    else:
        width = out.width if out.is_terminal and not args.output else 80
        text = flow_text(done, width)
    if args.output:
        shown = one_line_name(args.output)
        try:
            write_file(text, Path(args.output))
        except OSError as exc:
            error(err, f"cannot write {shown}: {exc.strerror or exc}; nothing was written")
            return EXIT_BAD_INPUT
        err.print(literal(f"wrote the PRISMA 2020 flow ({fmt}) to {shown}"), soft_wrap=True)
    elif fmt == "txt" and out.is_terminal:
        out.print(literal(text), end="", soft_wrap=True)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# Two screeners -----------------------------------------------------------------------------------


def screener_key(name: str) -> str:
    """A screener as ``--screeners`` names them: ``unnamed`` is the unnamed screener (decisions made
    without a name)."""
    cleaned = " ".join(name.split())
    return "" if cleaned.casefold() == UNNAMED else cleaned


def run_conflicts(args: argparse.Namespace, words: list[str], out: Console, err: Console) -> int:
    if words:
        raise UsageError("snowball conflicts takes no arguments (say --stage)")
    library = open_library(args, err)
    marks, _ = open_review(args, library)
    stages = (check_stage(args.stage),) if args.stage else None
    found = conflicts(marks, stages) if stages else conflicts(marks)
    rows = []
    for c in found:
        doc_id = library.find_keys(c.keys)
        doc = (library.doc(doc_id) if doc_id is not None else None) or {}
        rows.append((label_of(doc) if doc else c.keys[0], str(doc.get("title") or ""), c))
    if args.json:
        data = [
            {
                "article": label,
                "title": title,
                "stage": c.stage,
                "decisions": [
                    {"screener": v.screener, "decision": v.decision, "reason": v.reason, "at": v.at}
                    for v in c.votes
                ],
            }
            for label, title, c in rows
        ]
        sys.stdout.write(json_text(data) + "\n")
        return EXIT_OK
    if not rows:
        out.print(literal("no conflicts: the screeners agree on every article they both decided"))
        return EXIT_OK
    table = Table(title=f"{counted(len(rows), 'conflict')} (pmbrowse snowball resolve ID --as DECISION)")
    for name in ("Article", "Stage", "Decisions", "Title"):
        table.add_column(name, overflow="fold")
    for label, title, c in rows:
        table.add_row(
            literal(label),
            STAGE_NAMES[c.stage],
            literal("; ".join(vote_text(v) for v in c.votes)),
            literal(title),
        )
    print_whole(out, table)
    return EXIT_OK


def run_agreement(args: argparse.Namespace, words: list[str], out: Console, err: Console) -> int:
    if words:
        raise UsageError("snowball agreement takes no arguments (say --screeners A B)")
    library = open_library(args, err)
    marks, _ = open_review(args, library)
    named = [screener_key(name) for name in args.screeners] if args.screeners else None
    try:
        found = agreements(marks.all(), named)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    known = {d.screener for m in marks.all() for d in m.decisions if not d.final}
    for name in named or ():
        if name not in known:
            error(err, f"warning: {screener_name(name)!r} has made no screening decision here")
    if args.json:
        sys.stdout.write(json_text([a.to_json() for a in found]) + "\n")
        return EXIT_OK
    table = Table(title="Agreement between two screeners")
    for name in ("Stage", "Screeners", "Both decided", "Agreed", "Percent agreement", "Cohen's kappa"):
        table.add_column(name, justify="left" if name in ("Stage", "Screeners") else "right")
    for a in found:
        pair = " and ".join(screener_name(s) for s in a.screeners) if a.screeners else "fewer than two"
        percent = f"{a.percent:.1f}%" if a.percent is not None else "-"
        kappa = f"{a.kappa:.3f}" if a.kappa is not None else ("undefined" if a.items else "-")
        table.add_row(STAGE_NAMES[a.stage], literal(pair), str(a.items), str(a.agreed), percent, kappa)
    parts: list[RenderableType] = [table]
    for a in found:
        if a.only_one:
            parts.append(
                literal(
                    f"{STAGE_NAMES[a.stage]}: {counted(a.only_one, 'article')} decided by one of the two only"
                )
            )
        if a.reasons_differ:
            parts.append(
                literal(
                    f"{STAGE_NAMES[a.stage]}: {counted(a.reasons_differ, 'article')} excluded by both for "
                    "different reasons (agreed here; conflicts for the review: pmbrowse snowball conflicts)"
                )
            )
    print_whole(out, Group(*parts))
    return EXIT_OK
