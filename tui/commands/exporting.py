"""``pmbrowse export --format F [QUERY | --ids ... | --starred | --tag T | --trail] [-o FILE]``, and a
review's exports: ``--included``, ``--excluded``, ``--screened``, ``--round N`` and ``--stage S``,
which combine (``--round 2 --included``: what round 2 found that is included; ``--included``: the
studies included at full text, ``--included --stage title-abstract``: the records included at
title/abstract), every article with how it was found and its screening decision
(``store.snowball.provenance``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from store.export.write import FORMATS, WALK_FORMATS, render, write_file
from store.library import Library
from store.marks import Marks
from store.search import QuerySyntaxError
from store.selection import SelectionError, by_ids, by_marks, by_query, by_trail
from store.snowball.screening import STAGES
from tui.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    Command,
    UsageError,
    error,
    open_library,
)
from tui.console import counted
from tui.text import literal


def one_line_name(name: str) -> str:
    """A file name for a one-line message: a newline or tab in it is shown as its control picture."""
    return name.translate({0x0A: "\u240a", 0x09: "\u2409"})


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        "-f",
        required=True,
        choices=FORMATS,
        help="bibtex, ris, medline, csl-json, csv; for the trail also edges (CSV) or dot",
    )
    p.add_argument("query", nargs="*", metavar="QUERY", help="export the hits of this search")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--ids", nargs="+", metavar="ID", help="these PMIDs, PMCIDs or DOIs")
    which.add_argument("--starred", action="store_true", help="the starred articles")
    which.add_argument("--tag", metavar="TAG", help="the articles tagged TAG")
    which.add_argument("--trail", action="store_true", help="the articles of the trail walked in the app")
    review = p.add_argument_group("a review's articles (these combine)")
    review.add_argument("--included", action="store_true", help="the studies included (see --stage)")
    review.add_argument("--excluded", action="store_true", help="the articles excluded")
    review.add_argument("--screened", action="store_true", help="every article with a decision")
    review.add_argument("--round", type=int, metavar="N", help="the records citation chasing round N found")
    review.add_argument(
        "--stage",
        choices=STAGES,
        help="with --included/--excluded/--screened: the decisions at this stage (--included alone: "
        "the studies included at full text; --included --stage title-abstract: the records included "
        "at title/abstract)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument(
        "--raw",
        action="store_true",
        help="CSV: write cells as they are (by default a cell a spreadsheet would run as a formula, "
        "one starting with = + - @, gets a leading ', and control characters are left out)",
    )


def review_options(args: argparse.Namespace) -> list[str]:
    """The decision options given: included, excluded, screened."""
    return [name for name in ("included", "excluded", "screened") if getattr(args, name)]


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    reviewing = bool(review_options(args)) or args.round is not None or args.stage is not None
    chosen = [bool(args.query), bool(args.ids), args.starred, bool(args.tag), args.trail, reviewing]
    if sum(chosen) != 1:
        raise UsageError(
            "say what to export: a QUERY, or one of --ids, --starred, --tag, --trail, or a review's "
            "--included, --excluded, --screened, --round N (these combine)"
        )
    if args.raw and args.format != "csv":
        raise UsageError("--raw is for --format csv")
    if args.format in WALK_FORMATS and not args.trail:
        raise UsageError(f"--format {args.format} exports the walk: use it with --trail")
    library = open_library(args, err)
    marks = Marks.open(library.path)
    provenance = None
    try:
        if reviewing:
            from store.snowball.provenance import review_export
            from store.snowball.state import SnowballFile

            state = SnowballFile.open(library.path).load()
            decisions = review_options(args)
            doc_ids, provenance = review_export(
                library, state, marks, round_number=args.round, decisions=decisions, stage=args.stage
            )
        elif args.query:
            doc_ids = by_query(library, " ".join(args.query), marks)
        elif args.ids:
            doc_ids = by_ids(library, args.ids)
        elif args.trail:
            doc_ids = by_trail(library)
        else:
            doc_ids = by_marks(library, marks, starred=args.starred or None, tag=args.tag)
    except QuerySyntaxError as exc:
        error(err, f"bad query: {exc}")
        return EXIT_BAD_INPUT
    except SelectionError as exc:
        error(err, str(exc))
        return EXIT_NOT_FOUND
    if not doc_ids:
        error(err, "nothing to export: the selection is empty" + _awaiting_full_text(args, library, marks))
        return EXIT_NOT_FOUND
    rendered = render(library, doc_ids, args.format, marks, provenance, raw=args.raw)
    if args.output:
        shown = one_line_name(args.output)
        try:
            write_file(rendered.text, Path(args.output))
        except OSError as exc:
            error(err, f"cannot write {shown}: {exc.strerror or exc}; nothing was written")
            return EXIT_BAD_INPUT
        n = rendered.written
        err.print(literal(f"exported {n} article{'s' if n != 1 else ''} to {shown}"), soft_wrap=True)
    else:
        sys.stdout.write(rendered.text)
    if rendered.skipped:
        error(err, f"left out {rendered.skipped} article(s) {args.format} cannot hold (MEDLINE needs a PMID)")
    return EXIT_OK


def _awaiting_full_text(args: argparse.Namespace, library: Library, marks: Marks) -> str:
    """Why ``--included`` found nothing when records were included at title/abstract: it is the studies
    included (at full text), and says how to have the others."""
    if args.stage is not None or review_options(args) != ["included"]:
        return ""
    from store.snowball.provenance import review_export
    from store.snowball.state import SnowballFile

    state = SnowballFile.open(library.path).load()
    sought, _ = review_export(
        library, state, marks, round_number=args.round, decisions=["included"], stage="title-abstract"
    )
    if not sought:
        return ""
    return (
        f" (--included is the studies included at full text; {counted(len(sought), 'record')} included at "
        "title/abstract: --included --stage title-abstract)"
    )


EXPORT = Command(
    "export",
    "export articles (BibTeX, RIS, MEDLINE, CSL-JSON, CSV) or the trail (edges, DOT)",
    configure,
    run,
)
