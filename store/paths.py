"""Where the library lives: ``--db PATH``, else ``$PMBROWSE_DB``, else the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

LIBRARY_FILE = "library.json"


def default_library_path() -> Path:
    if env := os.environ.get("PMBROWSE_DB"):
        return Path(env).expanduser()
    return platformdirs.user_data_path("pmbrowse", appauthor=False) / LIBRARY_FILE


def library_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The library's file, symbolic links followed: the files kept beside it (marks, session, search
    index, journal) are beside the file itself, whichever link it was reached through."""
    path = Path(explicit).expanduser() if explicit else default_library_path()
    return Path(os.path.realpath(path))
