"""``pmbrowse compact``: fold the journal of recent commits into the library's base file now."""

from __future__ import annotations

import argparse

from rich.console import Console

from store.errors import InterruptedAfterCommit
from store.library import Library
from tui.commands.base import EXIT_OK, Command, open_library
from tui.text import literal


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--due",
        action="store_true",
        help="only what a command's end does when it is due (the journal made a segment, the newest "
        "segments merged), as the app does when it quits; without it, everything is folded in",
    )


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    library = open_library(args, err)
    before = library.sizes()[1]
    if args.due:
        if _compact(library, full=False):
            out.print(literal(f"compacted what was due in {library.path}"))
        else:
            out.print(literal(f"{library.path} has nothing due: nothing to do"))
        return EXIT_OK
    if _compact(library, full=True):
        out.print(
            literal(f"compacted {library.path}: {before:,} bytes of journal folded into the library file")
        )
    else:
        out.print(literal(f"{library.path} has no commits to fold: nothing to do"))
    return EXIT_OK


def _compact(library: Library, *, full: bool) -> bool:
    """``library.compact``, and a Ctrl-C once it committed said to be after its commit. The compactor
    says so of one inside its transaction (``InterruptedAfterCommit``); one after it, while the search
    index is told of the new state (``Library.compact``), came out as a plain KeyboardInterrupt: "left
    as it was" of a compaction that went through. It went through when the state this process reads
    moved (the compactor reads the state it committed): for a full one, to another base (a new
    generation). (Another process's commit just before ours, then a Ctrl-C before our commit point,
    moves it too: a full compaction's check tells them apart unless that commit was itself a fold.)"""
    state = library.state
    try:
        return library.compact(full=full)
    except KeyboardInterrupt as exc:
        now = library.state
        if isinstance(exc, InterruptedAfterCommit) or now == state or (full and now[0] == state[0]):
            raise
        raise InterruptedAfterCommit() from exc


COMPACT = Command(
    "compact",
    "fold recent commits into the library file (pmbrowse does this by itself when they pile up)",
    configure,
    run,
)
