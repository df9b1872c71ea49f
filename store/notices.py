"""The one-line notices opening a library says (it was converted, its index rebuilt, its journal is
damaged), kept where the user of that open reads them and, for the app, by process.

(Not a part of the storage: the app, which imports none, asks here.) Each is kept on the files that
said it (``LibraryFiles.notices``: ``Library.notices``, which a command
prints on stderr), and noted here by the library's path: the app opens its library's storage from
several places (its first page's thread and its search index open it before the library itself, and
that first opening is the one that converts or rebuilds), so it asks here what was said of its library
(``take``) rather than asking each open: as it loads, and at each look of its watcher after (a search
index update that failed after a commit of the app's: ``tui.refresh``)."""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_said: dict[tuple[str, str], None] = {}  # (the library's real path, the notice), in the order said


def say(kept: list[str], path: str | os.PathLike[str], line: str) -> None:
    """Say ``line`` of the library at ``path``: kept in ``kept`` (its files' notices), and here."""
    kept.append(line)
    with _lock:
        _said[(os.path.realpath(path), line)] = None


def take(path: str | os.PathLike[str]) -> list[str]:
    """What was said of the library at ``path`` in this process and not taken yet, in order, each once."""
    real = os.path.realpath(path)
    with _lock:
        mine = [key for key in _said if key[0] == real]
        for key in mine:
            del _said[key]
    return [line for _path, line in mine]
