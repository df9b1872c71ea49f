"""One commit across the library and its small files (issue 20: "one transaction for everything one
command changes, across library, marks and snowball state").

The library commits by appending a sealed commit to its journal; the marks and snowball files are each
replaced whole (``store.wholefile``). A command that changes the library and a small file — ``import
--source``, which imports records and records the database search they came from, and ``snowball
--online``, which stores the links the services gave and keeps the round run on them — makes them one
commit with a write-ahead *intent*, the library's commit being the commit point of the whole:

1. inside the library's transaction, under its write lock, the small files' locks are taken
   (``Carried.join``: always the library's lock first, then the small files', in the order of their
   paths) and their changes made in memory;
2. just before the library commits (``Carried.prepare``), each changed small file's new content is
   written whole to a temp file beside it (``.NAME.PID.pending``, fsynced), then the intent record,
   ``library.json.intent``, atomically: the library's commit token before the commit
   (``Library.commit_token``) and each temp file with the file it replaces;
3. the library commits;
4. each temp file is renamed over its file (the folder fsynced), the intent removed, the locks let go
   (``Carried.finish``). A library commit that fails removes the temp files and the intent
   (``Carried.abort``): nothing happened. A failure after the library committed (an interrupt) is
   told apart by the library's token having moved on, and finishes them instead.

Killed anywhere, what is left is settled by the next process that touches any of these files, before
it reads or writes them (``settle``: ``Library.transaction`` and ``Library.compact`` under the library's
lock, ``Marks.open`` and the snowball file's reads and writes): no intent, nothing to do; an intent and
the library's token still the one it names, the library did not commit — the temp files are removed
(the command did nothing); the token moved on, the library committed — the temp files still there are
renamed into place (the command happened whole). The token moving on means *this* commit was made:
every writer of the library settles an intent first, under the library's lock, so no other commit can
come between. A process that finds an intent while its writer is alive waits for it: the writer holds
the small files' locks from before the intent exists until after it is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.atomicwrite import check_regular, commit_prepared, fsync_dir, replace_file, target_of
from store.errors import LibraryFileError
from store.lock import write_lock

if TYPE_CHECKING:
    from store.wholefile import WholeFileStorage

INTENT_VERSION = 1
PENDING = "pending"  # the temp files' suffix (not ``.tmp``: a small file's writer removes those)
# The intents this process has in progress (``settle`` leaves them to their ``Carried``).
_mine: set[Path] = set()
_mine_lock = threading.Lock()


def intent_path(library_path: str | os.PathLike[str]) -> Path:
    """The intent record beside a library (a library reached through a link: beside its target)."""
    real = Path(os.path.realpath(library_path))
    return real.with_name(real.name + ".intent")


# What identifies the library's last commit, read from its files (``Library.commit_token``: given by
# the caller, as this module sits below the library).
TokenOf = Callable[[Path], "tuple[object, ...] | None"]


def _token(token_of: TokenOf, library_path: Path) -> list[Any] | None:
    token = token_of(library_path)
    return None if token is None else list(token)


@dataclass
class Carried:
    """The small files one library commit carries (see the module's docstring)."""

    library_path: Path
    token_of: TokenOf
    joined: list[WholeFileStorage] = field(default_factory=list)
    # (temp file, the file it replaces, the path its storage locks: a link's own path, when it is one)
    staged: list[tuple[Path, Path, Path]] = field(default_factory=list)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _intent: Path | None = None
    _before: list[Any] | None = None  # the library's commit token the intent names

    def join(self, storage: WholeFileStorage) -> None:
        """Take ``storage``'s lock and begin its transaction (inside the library's transaction); its
        changes are written when the library commits, not before."""
        if storage not in self.joined:
            self._stack.enter_context(storage.transaction())
            self.joined.append(storage)
            # Temp files a writer killed before writing its intent left (any intent was settled when
            # the library's transaction began, and no other writer of this file is alive: we hold its
            # lock).
            target = target_of(storage.path)
            for stale in target.parent.glob(f".{target.name}.*.{PENDING}"):
                with contextlib.suppress(OSError):
                    stale.unlink()

    def prepare(self) -> None:
        """The last thing before the library commits: the changed small files to temp files, then the
        intent naming them."""
        for storage in self.joined:
            staged = storage.stage(PENDING)
            if staged is not None:
                self.staged.append((*staged, storage.path))
        if not self.staged:
            return
        path = intent_path(self.library_path)
        self._before = _token(self.token_of, self.library_path)
        record = {
            "intent": INTENT_VERSION,
            "pid": os.getpid(),
            "library": self._before,
            "files": [[str(temp), str(target), str(locked)] for temp, target, locked in self.staged],
        }
        with _mine_lock:
            _mine.add(path)
        self._intent = path
        replace_file(path, json.dumps(record).encode(), special=False)

    def finish(self) -> None:
        """After the library committed: the temp files renamed into place, the intent removed."""
        try:
            for temp, target, _locked in self.staged:
                commit_prepared(temp, target)
            for storage in self.joined:
                storage.committed_elsewhere()
            self._forget_intent()
        finally:
            with _mine_lock:  # (failed: the intent is left for ``settle`` to roll forward)
                _mine.discard(self._intent or Path())
            self._stack.close()

    def abort(self) -> None:
        """Something failed: when the library did not commit (its token is still the one the intent
        names), nothing of the small files changes; when it did (the failure came after its commit: an
        interrupt), they are finished as it was."""
        if self._intent is not None and _token(self.token_of, self.library_path) != self._before:
            self.finish()
            return
        try:
            for temp, _target, _locked in self.staged:
                with contextlib.suppress(OSError):
                    temp.unlink()
            self._forget_intent()
        finally:
            with _mine_lock:
                _mine.discard(self._intent or Path())
            self._stack.__exit__(RuntimeError, RuntimeError("the library did not commit"), None)

    def _forget_intent(self) -> None:
        if self._intent is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self._intent.unlink()
        fsync_dir(self._intent.parent)
        with _mine_lock:
            _mine.discard(self._intent)
        self._intent = None


@contextlib.contextmanager
def carrying(library_path: str | os.PathLike[str], token_of: TokenOf) -> Iterator[Carried]:
    """A ``Carried`` for the library transaction run inside this block: finished after it, or aborted
    when the block raises (``Carried.abort`` tells a commit that failed from one that was made)."""
    carried = Carried(Path(library_path), token_of)
    try:
        yield carried
    except BaseException:
        carried.abort()
        raise
    carried.finish()


def settle(library_path: str | os.PathLike[str], token_of: TokenOf, lock_timeout: float | None = None) -> str:
    """Finish or undo what a command killed mid-commit left (see the module's docstring); returns what
    was done: "" (nothing to do), "rolled forward" or "discarded"."""
    path = intent_path(library_path)
    if not os.path.lexists(path):
        return ""
    with _mine_lock:
        if path in _mine:
            return ""  # (this process's own, in progress)
    files = _files_of(_read(path), path)
    with contextlib.ExitStack() as stack:
        for locked in sorted({str(f[2]) for f in files}):  # (the writer holds these until it is done)
            stack.enter_context(write_lock(Path(locked), lock_timeout))
        if not os.path.lexists(path):
            return ""  # (its writer finished while we waited)
        record = _read(path)
        files = _files_of(record, path)
        committed = _token(token_of, Path(library_path)) != record["library"]
        for temp, target, _locked in files:
            if not temp.exists():
                continue  # (renamed already)
            if committed:
                commit_prepared(temp, target)
            else:
                temp.unlink()
        path.unlink()
        fsync_dir(path.parent)
        return "rolled forward" if committed else "discarded"


def _files_of(record: dict[str, Any], path: Path) -> list[tuple[Path, Path, Path]]:
    """The (temp file, file, path locked) an intent names, each temp file beside its file and named as
    ``Carried`` names them, each locked path one that leads to the file: an intent naming anything else
    is not followed (it would rename files)."""
    files = []
    for temp, target, locked in record["files"]:
        entry = (Path(temp), Path(target), Path(locked))
        name = entry[0].name
        if (
            entry[0].parent != entry[1].parent
            or not name.startswith(f".{entry[1].name}.")
            or not name.endswith(f".{PENDING}")
            or target_of(entry[2]) != entry[1]
        ):
            raise LibraryFileError(f"{path} names a file it does not own ({temp}); it was left as it is")
        files.append(entry)
    return files


def _read(path: Path) -> dict[str, Any]:
    """The intent record; one that is not one is refused, naming it (it is written atomically, so a
    damaged one was damaged by something else: it is left for the user to look at)."""
    try:
        check_regular(path)
        record = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise LibraryFileError(f"cannot read the intent record {path}: {exc}; it was left as it is") from None
    files = record.get("files") if isinstance(record, dict) else None
    if (
        not isinstance(record, dict)
        or record.get("intent") != INTENT_VERSION
        or not isinstance(files, list)
        or not all(isinstance(f, list) and len(f) == 3 and all(isinstance(p, str) for p in f) for f in files)
    ):
        raise LibraryFileError(f"{path} is not a pmbrowse intent record; it was left as it is")
    return record
