"""``pmbrowse repair``: rebuild every derived file of the library from its base and journal; set aside
(never delete) what cannot be read; say what was done, one line each (see ``store.repair``)."""

from __future__ import annotations

import argparse

from rich.console import Console

from tui.commands.base import EXIT_NOT_FOUND, EXIT_OK, EXIT_UNAVAILABLE, Command, error, path_of
from tui.text import literal


def configure(p: argparse.ArgumentParser) -> None:
    del p  # no options


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from store.repair import IndexNotRebuilt, repair

    path = path_of(args)
    if not path.exists():
        out.print(literal(f"{path}: no library there, nothing to repair"))
        return EXIT_NOT_FOUND
    try:
        done = repair(path)
    except IndexNotRebuilt as exc:  # (what was repaired and set aside said all the same)
        for line in exc.done:
            out.print(literal(line), soft_wrap=True)
        error(err, str(exc))
        return EXIT_UNAVAILABLE
    for line in done:
        out.print(literal(line), soft_wrap=True)
    return EXIT_OK


REPAIR = Command(
    "repair",
    "rebuild what is derived from the library's records, set aside what cannot be read (never deleted)",
    configure,
    run,
)
