"""The layout of a library file and its version, with migrations from older versions.

A library is a TinyDB JSON file with two tables:

- ``_meta``: one document, ``{"app": "pmbrowse", "schema": N}``, marking the file as a library;
- ``articles``: one document per article or stub (see ``store.model.Article.to_doc``).

When the layout changes, bump ``SCHEMA_VERSION`` and add a function to ``MIGRATIONS`` that turns data
of the previous version into the new one; old files are migrated on load and written back in the new
layout at their next write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

META_TABLE = "_meta"
ARTICLES_TABLE = "articles"
SCHEMA_VERSION = 1

Data = dict[str, dict[str, Any]]

# MIGRATIONS[n] turns data of schema n into schema n + 1.
MIGRATIONS: dict[int, Callable[[Data], Data]] = {}


def new_library_data() -> Data:
    return {META_TABLE: {"1": {"app": "pmbrowse", "schema": SCHEMA_VERSION}}, ARTICLES_TABLE: {}}


def migrate(data: Data) -> Data:
    version = data[META_TABLE]["1"]["schema"]
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data[META_TABLE]["1"]["schema"] = version
    data.setdefault(ARTICLES_TABLE, {})
    return data
