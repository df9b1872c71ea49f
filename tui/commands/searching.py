"""``pmbrowse search QUERY``: PubMed syntax, answered by the index without loading the library.

A fresh index answers on its own, but not for a library that cannot be read: a segment the journal
lists that is missing, or not of the size it lists (cut short by a copy interrupted or a full disk),
makes the search say the library is damaged, in one line naming the segment (exit 3, as ``stats``
does), and list nothing: its documents could not be shown. That is looked at with a stat of each
segment (``store.check.segments_as_listed``); a table damaged inside a segment of the right size is
found where it is read (a document shown), and by ``pmbrowse check``, not by each search."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from store.check import segments_as_listed
from store.errors import LibraryFileError
from store.library import Library
from store.marks import Marks
from store.search import QuerySyntaxError, SearchIndex
from store.search.index import SORTS
from tui.commands.base import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    Command,
    error,
    open_library,
    path_of,
)
from tui.console import results_list
from tui.text import json_text, literal

# The most hits one search lists: more than a library is likely to hold, and few enough that the
# search engine never meets a number it cannot hold (its limits are 32-bit).
MAX_LIMIT = 1_000_000


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="+", metavar="QUERY", help="the query (several words are joined)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    at_most = f"at most N hits (default 20, at most {MAX_LIMIT:,})"
    p.add_argument("--limit", type=int, default=20, metavar="N", help=at_most)
    p.add_argument("--sort", choices=SORTS, default="relevance", help="order of the hits")


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    query = " ".join(args.query)
    if not query.strip():
        error(err, "the query is empty")
        return EXIT_BAD_INPUT
    if not 1 <= args.limit <= MAX_LIMIT:
        error(err, f"--limit must be between 1 and {MAX_LIMIT:,} (got {args.limit})")
        return EXIT_BAD_INPUT
    path = path_of(args)
    # A fresh index answers on its own: no need to load a library of any size.
    index = SearchIndex.open_if_fresh(path)
    if index is None:
        # (Opened as every command opens it: what the opening says is said, and it is closed at the end.)
        index = SearchIndex.for_library(open_library(args, err))
    elif not segments_as_listed(path):
        # (What is wrong, as opening the library says it, with what to run; if it opens, it was mended.)
        try:
            Library.open(path).close()
        except LibraryFileError as exc:
            error(err, str(exc))
            return EXIT_UNAVAILABLE
    try:
        results = index.search(query, limit=args.limit, sort=args.sort, marks=Marks.open(path).search_filter)
    except QuerySyntaxError as exc:
        error(err, f"bad query: {exc}")
        err.print(literal(exc.pointer()), soft_wrap=True)
        return EXIT_BAD_INPUT
    if args.json:
        sys.stdout.write(json_text([h.to_json() for h in results.hits]) + "\n")
    else:
        out.print(results_list(query, results))
    return EXIT_OK if results.total else EXIT_NOT_FOUND


SEARCH = Command(
    "search", 'search the library (PubMed syntax: AND OR NOT, "phrases", [ti] [au] [dp]...)', configure, run
)
