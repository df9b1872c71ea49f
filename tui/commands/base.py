"""What every command shares: the Command shape, exit codes, errors on stderr, opening the library."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from store.errors import PmbrowseError
from store.ids import parse_identifier
from store.library import Library
from store.paths import library_path
from tui.text import literal

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT, EXIT_UNAVAILABLE, EXIT_ONLINE = 0, 1, 2, 3, 4

Run = Callable[[argparse.Namespace, Console, Console], int]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Run


class UsageError(PmbrowseError):
    """A command line that does not make sense: exit status 2."""


class NotFoundError(PmbrowseError):
    """What the command line names is not there: exit status 1."""


def error(err: Console, message: str) -> None:
    """One line on stderr."""
    err.print(literal(f"pmbrowse: {message}", style="red"), soft_wrap=True)


def path_of(args: argparse.Namespace) -> Path:
    return library_path(getattr(args, "db", None))


def open_library(args: argparse.Namespace, err: Console | None = None) -> Library:
    library = Library.open(path_of(args))
    if library.created and err is not None:
        err.print(literal(f"pmbrowse: created a new library at {library.path}, with the demo article"))
    return library


def article_of(args: argparse.Namespace, err: Console) -> tuple[Library, int]:
    """The library and the document id of the article ``args.id`` names (a PMID, PMCID or DOI)."""
    ident = parse_identifier(args.id)
    if ident is None:
        raise UsageError(f"{args.id!r} is not a PMID, PMCID or DOI")
    library = open_library(args, err)
    doc_id = library.find(ident)
    if doc_id is None:
        raise NotFoundError(f"no article with {ident} in {library.path}")
    return library, doc_id
