"""Where the user was: the last query, the open article and the trail, kept beside the library.

Saved to ``<library>.session.json`` (written atomically) so reopening the app returns there. A
missing or unreadable session file just means a fresh start; it is never worth an error. The app
encodes the session on its UI thread and writes it in another (``encoded`` and ``write``): one write
at a time in a process, as the temporary file beside the session file is named by the process.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

from store.atomicwrite import check_regular, replace_file
from store.trail import Trail

_WRITING = threading.Lock()  # (two threads of one process would share the temporary file's name)


def session_path(library_path: Path) -> Path:
    return library_path.with_name(library_path.name + ".session.json")


class Session:
    """The last query, the trail and the pane shown, kept beside the library for the next start.

    (A plain class, not a dataclass: making a dataclass's methods took 0.3 ms of the app's start.)"""

    __slots__ = ("pane", "query", "trail")

    def __init__(self, query: str = "", trail: Trail | None = None, pane: str = "abstract") -> None:
        self.query = query
        self.trail = Trail() if trail is None else trail
        self.pane = pane

    @classmethod
    def load(cls, library_path: Path) -> Session:
        path = session_path(library_path)
        try:
            check_regular(path)  # (a FIFO in its place would hang the app's start)
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        query = data.get("query", "")
        pane = data.get("pane", "abstract")
        return cls(
            query=query if isinstance(query, str) else "",
            trail=Trail.from_json(data.get("trail")),
            pane=pane if pane in ("abstract", "references", "cited_by", "related") else "abstract",
        )

    def encoded(self) -> bytes:
        """The session as the file holds it."""
        payload = {"query": self.query, "trail": self.trail.to_json(), "pane": self.pane}
        return json.dumps(payload, ensure_ascii=False).encode()

    def save(self, library_path: Path) -> None:
        self.write(library_path, self.encoded())

    @staticmethod
    def write(library_path: Path, content: bytes) -> None:
        """Write an ``encoded`` session, atomically (from any thread)."""
        # Where you were is never worth an error (a full disk, a read-only folder, a folder in the way).
        with _WRITING, contextlib.suppress(OSError):
            replace_file(session_path(library_path), content, special=False)
