"""What every command shares: the Command shape, exit codes, errors on stderr, opening the library."""

from __future__ import annotations

import argparse
import atexit
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from store.errors import PmbrowseError, os_reason
from store.paths import library_path

# (Rich is not imported here: ``tui.cli`` imports this module before it starts the app, which needs
# none of it until it has started the first page: ``tui.firstpage``.)
if TYPE_CHECKING:
    from rich.console import Console

    from store.library import Library

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT, EXIT_UNAVAILABLE, EXIT_ONLINE = 0, 1, 2, 3, 4
LEFT_AS_IT_WAS = "the library was left as it was before this command"

Run = Callable[[argparse.Namespace, "Console", "Console"], int]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    body: Run

    def run(self, args: argparse.Namespace, out: Console, err: Console) -> int:
        """The command, then what its libraries said after they were opened (``later_notices``). An
        OSError (a full disk) that left the library's files as they were says so, as a Ctrl-C does; one
        writing standard output says that (``tui.commands.output``)."""
        from tui.commands.output import OutputError, checked_stdout

        before = on_disk(args)
        try:
            with checked_stdout():
                return self.body(args, out, err)
        except OutputError as exc:  # (standard output, not the library: said as such)
            if exc.reader_gone:
                return EXIT_OK
            error(err, f"cannot write to standard output: {exc.strerror or exc}; what it holds is cut short")
            return EXIT_UNAVAILABLE
        except OSError as exc:
            if before is None or on_disk(args) != before:
                raise  # (said as it is: ``tui.cli.failure``)
            failed = exc
        finally:
            later_notices()
        error(err, f"{os_reason(failed)}; {LEFT_AS_IT_WAS}")
        return EXIT_UNAVAILABLE


def on_disk(args: argparse.Namespace) -> tuple[tuple[str, int, int], ...] | None:
    """The files of the library the command line names as they are on disk: each one's name, inode and
    size (a commit appends to the journal or renames a new file in; so do the marks and snowball files,
    ``library.marks.json`` and the like, and an intent, ``library.json.intent``). None when there is no
    library there, or its folder cannot be read: nothing can be said of it."""
    try:
        real = Path(os.path.realpath(path_of(args)))
        mine = real.stem + "."  # (``library.json``, ``library.json.journal``, ``library.marks.json``...)
        with os.scandir(real.parent) as entries:
            mine_files = [e for e in entries if e.name.startswith(mine) and not e.name.endswith(".lock")]
            found = [(e.name, e.stat().st_ino, e.stat().st_size) for e in mine_files if e.is_file()]
    except OSError:
        return None
    return tuple(sorted(found)) if any(name == real.name for name, _, _ in found) else None


class UsageError(PmbrowseError):
    """A command line that does not make sense: exit status 2."""


class NotFoundError(PmbrowseError):
    """What the command line names is not there: exit status 1."""


def error(err: Console, message: str) -> None:
    """One line on stderr."""
    from tui.text import literal

    err.print(literal(f"pmbrowse: {message}", style="red"), soft_wrap=True)


def path_of(args: argparse.Namespace) -> Path:
    return library_path(getattr(args, "db", None))


def creation_notice(path: Path) -> str:
    """What to say before a library is created at ``path`` ("" when it exists): where, and which
    folders are made for it, so that a mistyped ``--db`` does not go unnoticed."""
    if path.exists():
        return ""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    folders = f" (and its folder {missing[-1]})" if missing else ""
    return f"created a new library at {path}{folders}, with the demo article"


def open_library(args: argparse.Namespace, err: Console | None = None) -> Library:
    """Open the library the command line names, saying on stderr if it was made or converted.

    When the command ends, the library is closed: a journal grown past its threshold is made a
    segment then (see ``store.storage.compactor``), so no command pays for it midway."""
    from store.library import Library  # (not needed to open the app: see tui.commands)
    from tui.text import literal

    path = path_of(args)
    notice = creation_notice(path)
    library = Library.open(path)
    if library.created and err is not None and notice:
        err.print(literal(f"pmbrowse: {notice}"))
    if err is not None:
        for line in library.notices:
            err.print(literal(f"pmbrowse: {line}"))
        _opened.append((library, err, len(library.notices)))
    atexit.register(functools.partial(_close, library, err))  # (one callable: tests collect them)
    return library


def _close(library: Library, err: Console | None) -> None:
    """As the command's process ends: the library closed (a compaction made, if one is due), then
    what that said (damage met by the compaction: ``Library.compact_if_due``). ``later_notices`` ran
    before it, at the command's end, and could not say it."""
    said = len(library.notices)
    try:
        library.close()
    finally:
        if err is not None:
            from tui.text import literal

            for line in library.notices[said:]:
                err.print(literal(f"pmbrowse: {line}"))


# The libraries commands opened, with where and how many of their notices were said at the opening.
_opened: list[tuple[Library, Console, int]] = []


def later_notices() -> None:
    """Say on stderr what the libraries a command opened noticed after their opening (a search index
    that could not be kept in step with a commit: ``store.search.feed``), once each."""
    from tui.text import literal

    while _opened:
        library, err, said = _opened.pop(0)
        for line in library.notices[said:]:
            err.print(literal(f"pmbrowse: {line}"))


def article_of(args: argparse.Namespace, err: Console) -> tuple[Library, int]:
    """The library and the document id of the article ``args.id`` names (a PMID, PMCID or DOI)."""
    from store.ids import parse_identifier

    ident = parse_identifier(args.id)
    if ident is None:
        raise UsageError(f"{args.id!r} is not a PMID, PMCID or DOI")
    library = open_library(args, err)
    doc_id = library.find(ident)
    if doc_id is None:
        raise NotFoundError(f"no article with {ident} in {library.path}")
    return library, doc_id
