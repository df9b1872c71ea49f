"""The layout of pmbrowse's files and their versions, with migrations from older versions.

A library is a TinyDB JSON file with two tables:

- ``_meta``: one document, ``{"app": "pmbrowse", "schema": N}``, marking the file as a library;
- ``articles``: one document per article or stub (see ``store.model.Article.to_doc``).

A marks file (``store.marks``: stars, tags, screening decisions and notes, kept beside the library) has
the same header plus ``"kind": "marks"``, and one table, ``marks``. The kind keeps either file from
being opened as the other; a header without a kind is a library's (libraries predate kinds).

When a layout changes, bump its version and add a function to its migrations that turns data of the
previous version into the new one; old files are migrated on load and written back in the new layout
at their next write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

META_TABLE = "_meta"
ARTICLES_TABLE = "articles"
MARKS_TABLE = "marks"
SCHEMA_VERSION = 1
MARKS_SCHEMA_VERSION = 1

Data = dict[str, dict[str, Any]]
Migration = Callable[[Data], Data]

# MIGRATIONS[n] turns library data of schema n into schema n + 1.
MIGRATIONS: dict[int, Migration] = {}
MARKS_MIGRATIONS: dict[int, Migration] = {}


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    """One kind of pmbrowse file: the kind its header names, its tables, its version and migrations."""

    kind: str
    noun: str  # how messages name such a file: "library", "marks file"
    tables: tuple[str, ...]
    version: int
    migrations: Mapping[int, Migration]

    def new_data(self) -> Data:
        header: dict[str, Any] = {"app": "pmbrowse", "schema": self.version}
        if self.kind != LIBRARY_KIND:
            header["kind"] = self.kind
        data: Data = {META_TABLE: {"1": header}}
        for table in self.tables:
            data[table] = {}
        return data

    def migrate(self, data: Data) -> Data:
        version = data[META_TABLE]["1"]["schema"]
        while version < self.version:
            data = self.migrations[version](data)
            version += 1
            data[META_TABLE]["1"]["schema"] = version
        for table in self.tables:
            data.setdefault(table, {})
        return data


LIBRARY_KIND = "library"
LIBRARY = Layout(LIBRARY_KIND, "library", (ARTICLES_TABLE,), SCHEMA_VERSION, MIGRATIONS)
MARKS = Layout("marks", "marks file", (MARKS_TABLE,), MARKS_SCHEMA_VERSION, MARKS_MIGRATIONS)


def kind_of(header: Mapping[str, Any]) -> str:
    """The kind of file a ``_meta`` header describes."""
    kind = header.get("kind", LIBRARY_KIND)
    return kind if isinstance(kind, str) else repr(kind)
