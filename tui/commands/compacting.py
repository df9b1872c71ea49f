"""``pmbrowse compact``: fold the journal of recent commits into the library's base file now."""

from __future__ import annotations

import argparse

from rich.console import Console

from store import compaction
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
    # (A Ctrl-C once the compaction is in is said to be: ``Library.compact``, whoever asks for it.)
    if args.due:
        if library.compact(full=False):
            out.print(literal(f"compacted what was due in {library.path}"))
        else:
            out.print(literal(f"{library.path} has nothing due: nothing to do"))
        return EXIT_OK
    if library.compact(full=True):
        folded = compaction.folded()  # (read under the write lock: what another writer added is in it)
        out.print(
            literal(f"compacted {library.path}: {folded:,} bytes of journal folded into the library file")
        )
    else:
        out.print(literal(f"{library.path} has no commits to fold: nothing to do"))
    return EXIT_OK


COMPACT = Command(
    "compact",
    "fold recent commits into the library file (pmbrowse does this by itself when they pile up)",
    configure,
    run,
)
