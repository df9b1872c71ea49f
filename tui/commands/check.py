"""``pmbrowse check``: look at every file of the library against the others; one line per problem.

Exit status 0 when nothing is wrong, 1 when something is (each problem on a line of its own on
stdout, naming the file); ``pmbrowse repair`` mends what it finds. It changes nothing.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from tui.commands.base import EXIT_NOT_FOUND, EXIT_OK, Command, path_of
from tui.text import literal


def configure(p: argparse.ArgumentParser) -> None:
    del p  # no options


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from store.check import check

    path = path_of(args)
    if not path.exists():
        out.print(literal(f"{path}: no library there"))
        return EXIT_NOT_FOUND
    found = check(path)
    for line in found.problems:
        out.print(literal(line), soft_wrap=True)
    for line in found.notes:
        err.print(literal(f"pmbrowse: {line}"), soft_wrap=True)
    if found.problems:
        return EXIT_NOT_FOUND
    out.print(literal(f"{path}: no problems found in {', '.join(found.looked_at)}"), soft_wrap=True)
    return EXIT_OK


CHECK = Command(
    "check", "look at every file of the library against the others; one line per problem", configure, run
)
