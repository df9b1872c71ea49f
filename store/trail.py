"""The trail: the articles a user walked through, with back and forward like a web browser.

Entries are identity keys (``pmid:30992990``), not library document ids, so a saved trail survives
merges and rebuilds of the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Trail:
    entries: list[str] = field(default_factory=list)
    position: int = -1

    @property
    def current(self) -> str | None:
        return self.entries[self.position] if 0 <= self.position < len(self.entries) else None

    @property
    def can_go_back(self) -> bool:
        return self.position > 0

    @property
    def can_go_forward(self) -> bool:
        return self.position < len(self.entries) - 1

    def visit(self, key: str) -> None:
        """Open ``key``: what was ahead of the current entry is dropped, as in a browser."""
        if key == self.current:
            return
        del self.entries[self.position + 1 :]
        self.entries.append(key)
        self.position = len(self.entries) - 1

    def back(self) -> str | None:
        if not self.can_go_back:
            return None
        self.position -= 1
        return self.current

    def forward(self) -> str | None:
        if not self.can_go_forward:
            return None
        self.position += 1
        return self.current

    def visited(self, key: str) -> bool:
        return key in self.entries

    def to_json(self) -> dict[str, object]:
        return {"entries": list(self.entries), "position": self.position}

    @classmethod
    def from_json(cls, data: object) -> Trail:
        if not isinstance(data, dict):
            return cls()
        listed = data.get("entries")  # (a session file edited by hand, or damaged: anything)
        entries = [e for e in listed if isinstance(e, str)] if isinstance(listed, list) else []
        position = data.get("position", len(entries) - 1)
        if not isinstance(position, int) or not -1 <= position < len(entries):
            position = len(entries) - 1
        return cls(entries, position)
