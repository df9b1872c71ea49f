"""Where the user was: the last query, the open article and the trail, kept beside the library.

Saved to ``<library>.session.json`` (written atomically) so reopening the app returns there. A
missing or unreadable session file just means a fresh start; it is never worth an error.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from store.atomicwrite import check_regular, replace_file
from store.trail import Trail


def session_path(library_path: Path) -> Path:
    return library_path.with_name(library_path.name + ".session.json")


@dataclass
class Session:
    query: str = ""
    trail: Trail = field(default_factory=Trail)
    pane: str = "abstract"

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

    def save(self, library_path: Path) -> None:
        payload = {"query": self.query, "trail": self.trail.to_json(), "pane": self.pane}
        # Where you were is never worth an error (a full disk, a read-only folder, a folder in the way).
        with contextlib.suppress(OSError):
            content = json.dumps(payload, ensure_ascii=False).encode()
            replace_file(session_path(library_path), content, special=False)
