"""The ``pmbrowse`` command: the app, or a subcommand (``tui/commands/``).

    pmbrowse [--db PATH] [QUERY | ID]      open the app (on a search, or on an article); without a
                                           terminal, print the search (or the article) instead
    pmbrowse import PATH...                import files or folders (``-`` reads stdin)
    pmbrowse show ID [--json]              one article with its links
    pmbrowse search QUERY [--json] [--limit N] [--sort relevance|date|cited]
    pmbrowse stats                         counts of records, stubs and links
    pmbrowse fetch ID... | --search QUERY  fetch from PubMed and Europe PMC (online, on request)
    pmbrowse export --format F ...         export articles or the trail
    pmbrowse mark ID --star --tag T ...    marks and notes
    pmbrowse snowball [--from SEL | --ids ID...]  citation chasing; snowball report: PRISMA counts
    pmbrowse related ID [--json] [--by cocitation|coupling|both]  articles like this one
    pmbrowse map ID --format txt|dot|svg   the citation map around an article
    pmbrowse compact                       fold recent commits into the library file

A first word that is a command's name runs the command; any other words are a search, never
refused: when the first word is close to a command's name (``pmbrowse rats``), the search runs and
a note beside the results asks whether the command (``stats``) was meant (in the app's status line;
on stderr without a terminal). After ``--`` every word is the query, with no such note.

Exit status: 0 ok, 1 not found, 2 bad input (a malformed file, query or identifier, a bad option),
3 the library is busy or unusable, 4 an online service failed. Errors are one line on stderr.
"""

from __future__ import annotations

# Only what is needed to take ctrl-C and decide what runs is imported with this module: a console
# script imports it before it calls ``main``, and a ctrl-C in an import outside ``main`` ended in a
# traceback. ``main`` takes ctrl-C first (``StartInterrupt``), then imports the rest: for the app, after
# it has started the first page's thread (``tui.firstpage``), so that thread works while Rich, asyncio
# and Textual are imported.
import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.startinterrupt import StartInterrupt

if TYPE_CHECKING:
    from rich.console import Console


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        from tui.commands.base import UsageError

        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the library file (default: $PMBROWSE_DB, else the user data folder)",
    )


def app_parser() -> argparse.ArgumentParser:
    from tui.commands import COMMANDS

    app = _ArgumentParser(
        prog="pmbrowse",
        description="A terminal browser for biomedical literature. Commands: "
        + ", ".join(COMMANDS)
        + " (pmbrowse COMMAND --help).",
        epilog="Any other first word starts a search (one close to a command's name gets a note asking "
        "whether the command was meant; pmbrowse -- WORD searches for it without the note). Without a "
        "terminal the search, or the article, is printed. Exit status: 0 ok, 1 not found, 2 bad input, "
        "3 the library is busy or unusable, 4 an online service failed.",
    )
    _add_db(app)
    app.add_argument(
        "--screener",
        metavar="NAME",
        default=None,
        help="who screens in the app (default: $PMBROWSE_SCREENER, else unnamed); blind to the others",
    )
    app.add_argument("target", nargs="*", metavar="QUERY|ID", help="open on this search or article")
    return app


def command_parser(names: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of the subcommands ``names`` (only those modules are imported)."""
    from tui.commands import COMMANDS

    commands = _ArgumentParser(prog="pmbrowse")
    _add_db(commands)
    sub = commands.add_subparsers(dest="command", required=True)
    for name in names:
        found = COMMANDS[name]
        p = sub.add_parser(found.name, help=found.help, description=found.help)
        _add_db(p)
        found.configure(p)
    return commands


def _first_positional(argv: Sequence[str]) -> str | None:
    """The first word that is not an option; None after ``--`` (what follows is a query)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--":
            return None
        elif arg in ("--db", "--screener"):
            skip = True
        elif not arg.startswith("-") or arg == "-":
            return arg
    return None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions (a swap of two letters is two)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def command_note(word: str | None) -> str:
    """What to say beside the results of a search whose first word is close to a command's name
    ("" when it is not)."""
    near = near_command(word)
    return f"did you mean the command 'pmbrowse {near}'?" if near else ""


def near_command(word: str | None) -> str | None:
    """The subcommand a first word was probably meant to be (within 2 edits), or None.

    A word with a space in it was quoted with others (``pmbrowse "fetal growth"``): a query.
    """
    from tui.commands import COMMANDS

    if not word or " " in word or word in COMMANDS:
        return None
    lowered = word.lower()
    distance, name = min((edit_distance(lowered, name), name) for name in COMMANDS)
    return name if distance <= 2 else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    interrupt = StartInterrupt()
    with interrupt:  # (ctrl-C from here on ends in one line: see ``StartInterrupt``)
        return _main(argv, interrupt)


def _main(argv: list[str], interrupt: StartInterrupt) -> int:
    consoles = _Consoles()
    try:
        from tui.commands import COMMANDS
        from tui.commands.base import EXIT_UNAVAILABLE, error

        if sys.platform == "win32":  # (the library's lock and reads are POSIX calls: fcntl, pread)
            error(
                consoles.err,
                "Windows is not supported: pmbrowse runs on Linux and macOS (POSIX); use it under WSL",
            )
            return EXIT_UNAVAILABLE
        first = _first_positional(argv)
        if first is not None and first in COMMANDS:
            args = command_parser([first]).parse_args(argv)
            command = COMMANDS[args.command]
            out, err = consoles.out, consoles.err
            interrupt.command = args.command
            interrupt.release()  # (a command takes ctrl-C where it lands: see ``store.errors``)
            return command.run(args, out, err)
        # Anything else is a search (or an article), never refused: a first word close to a
        # command's name is searched for, with a note beside the results.
        return run_app(app_parser().parse_args(argv), consoles, command_note(first), interrupt)
    except KeyboardInterrupt as exc:
        _say(consoles, interrupted(exc, interrupt))
        return 130
    except Exception as exc:  # (pmbrowse's own errors are told apart by ``failure``)
        said = failure(exc)
        if said is None:
            raise
        _say(consoles, said[1])
        return said[0]


def failure(exc: Exception) -> tuple[int, str] | None:
    """The exit status and the line to say of an error pmbrowse says in one line (None: a bug, its
    traceback shown). Its classes are imported here, not named in ``except`` clauses of ``_main``: the
    imports there may have failed, and left them unbound (an OSError reading a module came out as an
    UnboundLocalError). An OSError is told without importing anything: it may be one of those."""
    if isinstance(exc, OSError):  # a file or folder pmbrowse could not read or write
        # (``store.errors.os_reason``, written out: nothing is imported on this path)
        return 3, f"{exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}"  # (EXIT_UNAVAILABLE)
    try:
        from store.errors import LibraryBusyError, LibraryFileError, PmbrowseError
        from tui.commands.base import EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_UNAVAILABLE, NotFoundError
    except Exception:  # (the error came from importing them: raised as it is)
        return None
    if isinstance(exc, (LibraryBusyError, LibraryFileError)):
        return EXIT_UNAVAILABLE, str(exc)
    if not isinstance(exc, PmbrowseError):
        return None
    return (EXIT_NOT_FOUND if isinstance(exc, NotFoundError) else EXIT_BAD_INPUT), str(exc)


def interrupted(exc: KeyboardInterrupt, interrupt: StartInterrupt) -> str:
    """What to say of a ctrl-C: what it stopped, and so what the library holds."""
    from store.errors import InterruptedAfterCommit

    stored = "what this session stored is in the library"
    if isinstance(exc, InterruptedAfterCommit):
        if interrupt.app is not None:  # (a commit of the app's, its compaction as it quit included)
            return f"interrupted in the app after the library committed: {stored}"
        did = "the compaction" if interrupt.command == "compact" else "what this command imported or changed"
        return f"interrupted after the library committed: {did} is in it"
    if interrupt.as_the_app_ended:  # (the app stored as it went, each commit whole: nothing was stopped)
        return f"interrupted as the app ended (nothing was cut short): {stored}"
    return "interrupted; the library was left as it was before this command"


def _say(consoles: _Consoles, message: str) -> None:
    """One line on stderr; plain when Rich cannot be imported (that may be the failure said)."""
    try:
        err = consoles.err
        from tui.commands.base import error
    except Exception:
        sys.stderr.write(f"pmbrowse: {message}\n")
        return
    error(err, message)


class _Consoles:
    """The command's output and error consoles, made when first used (Rich is imported then)."""

    def __init__(self) -> None:
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        if self._out is None:
            from rich.console import Console

            # Into a pipe or a file, lines are not wrapped at 80 columns (a title stays one line for grep).
            self._out = Console(soft_wrap=not sys.stdout.isatty())
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._err


def in_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_app(args: argparse.Namespace, consoles: _Consoles, note: str, interrupt: StartInterrupt) -> int:
    """The app on ``args.target`` (a query or an identifier); ``note``: what to say beside the results
    (``command_note``). Without a terminal, what it would show is printed instead (``print_target``).

    The first page's thread (``tui.firstpage``) is started as soon as the library is known to be one,
    before Rich, asyncio and Textual are imported (most of start-up's time), and the garbage collector
    is paused before those imports (``tui.collector``)."""
    from tui import collector, firstpage
    from tui.commands import COMMANDS
    from tui.commands.base import EXIT_OK, UsageError, creation_notice, path_of

    if not in_terminal():
        interrupt.release()  # (a command, as any other: see ``_main``)
        if args.target:
            return print_target(args, consoles.out, consoles.err, note)
        raise UsageError(f"the app needs a terminal; commands: {', '.join(COMMANDS)}")
    collector.pause()  # (until the library is loaded: ``tui.collector``)
    try:
        path = path_of(args)
        notice = creation_notice(path)
        # Fail early, with one line, on a file that is not a library (the app opens it in the
        # background): only a file that does not even start like one is opened here.
        if path.exists():
            from store.header import looks_like_library  # (not store.schema: see store.header)

            with path.open("rb") as fh:
                head = fh.read(64)
            if not looks_like_library(head):
                from store.library import Library

                # Says what is wrong with it (LibraryFileError), or converts an old layout (which the
                # app says: ``store.notices``).
                Library.open(path)
        target = " ".join(args.target)
        firstpage.quick_switches()
        firstpage.start(path, target)  # (while the app is imported: ``tui.firstpage``)
        if notice:
            _say(consoles, notice)  # (seen in the terminal after the app ends; the app says it too)
        from tui.app import PmbrowseApp
        from tui.text import shorten_left

        interrupt.check()
        # In the app, a notification: the path on a line of its own, shortened from the left (a toast
        # is narrow, and a path split mid-word is hard to read).
        toast = f"A new library, with the demo article, at\n{shorten_left(str(path), 40)}" if notice else ""
        app = PmbrowseApp(path, target, notice=toast, note=note, screener=args.screener)
        interrupt.app = app
        app.run()
        interrupt.check()
    finally:
        collector.resume()
        firstpage.usual_switches()
    return EXIT_OK


def print_target(args: argparse.Namespace, out: Console, err: Console, note: str) -> int:
    """Without a terminal, ``pmbrowse QUERY`` prints the search (``pmbrowse search QUERY``) and
    ``pmbrowse ID`` the article (``pmbrowse show ID``), as the app would open on them; the note, if
    any, follows on stderr."""
    from store.ids import parse_identifier
    from tui.commands import COMMANDS
    from tui.text import literal

    words = " ".join(args.target)
    ident = parse_identifier(words) if " " not in words else None
    name = "show" if ident is not None else "search"
    db = ["--db", args.db] if hasattr(args, "db") else []
    command = command_parser([name]).parse_args([*db, name, "--", words])
    code = COMMANDS[name].run(command, out, err)
    if note:
        err.print(literal(f"pmbrowse: searched for {words!r}; {note}"), soft_wrap=True)
    return code
