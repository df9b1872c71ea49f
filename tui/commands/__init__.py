"""The ``pmbrowse`` subcommands, one module per group. Adding a command is adding a ``Command`` in a
module and naming it in ``WHERE``.

A command's module is imported only when that command runs: opening the app needs none of them, and
what they import (parsers, the online client, exporters) was most of the app's start-up time.
``COMMANDS`` reads like a dict of every command (``COMMANDS["search"]``; iterating it names them all).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.commands.base import Command

# name -> (module in tui.commands, the Command in it)
WHERE: dict[str, tuple[str, str]] = {
    "import": ("importing", "IMPORT"),
    "show": ("reading", "SHOW"),
    "search": ("searching", "SEARCH"),
    "stats": ("reading", "STATS"),
    "fetch": ("fetching", "FETCH"),
    "export": ("exporting", "EXPORT"),
    "mark": ("marking", "MARK"),
    "compact": ("compacting", "COMPACT"),
    "check": ("check", "CHECK"),
    "repair": ("repair", "REPAIR"),
    "snowball": ("snowball", "SNOWBALL"),
    "related": ("related", "RELATED"),
    "map": ("mapping", "MAP"),
    "metrics": ("metrics", "METRICS"),
}


class CommandTable(Mapping[str, "Command"]):
    """The commands by name, each module imported when its command is first looked up."""

    def __init__(self, where: dict[str, tuple[str, str]]) -> None:
        self._where = dict(where)
        self._loaded: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in self._loaded:
            module, attribute = self._where[name]
            self._loaded[name] = getattr(importlib.import_module(f"tui.commands.{module}"), attribute)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


COMMANDS = CommandTable(WHERE)

__all__ = ["COMMANDS", "WHERE", "CommandTable"]
