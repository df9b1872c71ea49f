"""The search index's record of what it reflects (``pmbrowse-index.json`` in ``<library>.index/``,
beside tantivy's own files): the library's committed state it was made or last updated for
(``store.storage``: the base's generation and checksum, the journal's length), how many documents it
holds, the version of what is indexed (``store.search.fields.INDEX_VERSION``), and the layers of
the library that state has (``store.search.catchup``). An index whose record does not match the
library is caught up with the layers it has not seen, or rebuilt (``store.search.index``)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from store.atomicwrite import replace_file
from store.search.fields import INDEX_VERSION

META = "pmbrowse-index.json"  # tantivy owns meta.json


def index_folder(library_path: Path) -> Path:
    return library_path.with_name(library_path.name + ".index")


def forget_index(library_path: Path) -> None:
    """Mark the index stale (it is rebuilt at the next search or write)."""
    with contextlib.suppress(OSError):
        (index_folder(library_path) / META).unlink()


def read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / META).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("version") != INDEX_VERSION:
        return None
    return meta


def write_meta(
    folder: Path, state: tuple[str | None, int], docs: int, layers: dict[str, Any] | None = None
) -> None:
    """``layers``: which of the library's layers that state has (``store.search.catchup``), when known."""
    meta: dict[str, Any] = {"version": INDEX_VERSION, "library": list(state), "docs": docs}
    if layers is not None:
        meta["layers"] = layers
    replace_file(folder / META, json.dumps(meta).encode(), special=False)
