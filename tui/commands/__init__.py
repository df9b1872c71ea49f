"""The ``pmbrowse`` subcommands, one module per group. Adding a command is adding a ``Command``."""

from __future__ import annotations

from tui.commands.base import Command
from tui.commands.exporting import EXPORT
from tui.commands.fetching import FETCH
from tui.commands.importing import IMPORT
from tui.commands.marking import MARK
from tui.commands.reading import SHOW, STATS
from tui.commands.searching import SEARCH

COMMANDS: dict[str, Command] = {c.name: c for c in (IMPORT, SHOW, SEARCH, STATS, FETCH, EXPORT, MARK)}

__all__ = ["COMMANDS", "Command"]
