"""``pmbrowse map ID --format dot|svg|txt [-o FILE]``: the two-hop citation map of an article."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from store.export.write import write_file
from store.neighbourhood import GraphReader, layout_map
from store.neighbourhood.layout import PER_COLUMN, to_dot, to_text
from tui.commands.base import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE, Command, article_of, error
from tui.commands.exporting import one_line_name
from tui.text import literal

FORMATS = ("txt", "dot", "svg")
NO_DOT = "SVG is drawn by Graphviz's 'dot', which is not installed; --format dot writes the graph for it"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="a PMID, PMCID or DOI")
    p.add_argument("--format", choices=FORMATS, default="txt", help="text (default), Graphviz DOT, or SVG")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument(
        "--per-column",
        type=int,
        default=PER_COLUMN,
        metavar="N",
        help=f"at most N articles a column, the most connected (default {PER_COLUMN})",
    )
    p.add_argument("--width", type=int, default=24, metavar="W", help="text: W characters a column")


def svg_of(dot: str) -> str:
    """``dot -Tsvg``; FileNotFoundError when Graphviz is not installed, RuntimeError when it fails."""
    program = shutil.which("dot")
    if program is None:
        raise FileNotFoundError("dot")
    proc = subprocess.run(
        [program, "-Tsvg"], input=dot.encode(), capture_output=True, check=False, timeout=120
    )
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(message[0] if message else f"dot exited with status {proc.returncode}")
    return proc.stdout.decode()


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    if not 1 <= args.per_column <= 100_000:
        error(err, f"--per-column must be between 1 and 100,000 (got {args.per_column})")
        return EXIT_BAD_INPUT
    if not 8 <= args.width <= 200:
        error(err, f"--width must be between 8 and 200 (got {args.width})")
        return EXIT_BAD_INPUT
    if args.format == "svg" and shutil.which("dot") is None:
        error(err, NO_DOT)
        return EXIT_UNAVAILABLE
    library, doc_id = article_of(args, err)
    layout = layout_map(GraphReader(library), doc_id, per_column=args.per_column)
    assert layout is not None
    if args.format == "txt":
        text = to_text(layout, args.width)
    else:
        text = to_dot(layout, name=f"map of {library.article(doc_id).label}")
        if args.format == "svg":
            try:
                text = svg_of(text)
            except FileNotFoundError:
                error(err, NO_DOT)
                return EXIT_UNAVAILABLE
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                error(err, f"Graphviz's dot failed: {exc}")
                return EXIT_UNAVAILABLE
    if args.output:
        shown = one_line_name(args.output)
        try:
            write_file(text, Path(args.output))
        except OSError as exc:
            error(err, f"cannot write {shown}: {exc.strerror or exc}; nothing was written")
            return EXIT_BAD_INPUT
        n = len(layout)
        err.print(literal(f"wrote a map of {n} article{'s' if n != 1 else ''} to {shown}"), soft_wrap=True)
    else:
        sys.stdout.write(text)
    return EXIT_OK


MAP = Command(
    "map",
    "the citation map of an article: references left, citing articles right, two hops, by year",
    configure,
    run,
)
