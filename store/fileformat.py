"""How a library file's bytes are laid out: plain JSON (TinyDB reads it), one document per line.

    {
    "_meta":{
    "1":{"app":"pmbrowse","schema":1}
    },
    "articles":{
    "1":{"pmid":"30992990",...},
    "2":{...}
    }
    }

Why one document per line: a file of 500 MB parsed in one ``orjson.loads`` call holds the
interpreter for seconds, and the app (which loads the library in a background thread) could not
redraw or take a key meanwhile. Parsed line by line, the same bytes take about as long, but other
threads run in between. A file in any other JSON layout (written by hand, or by TinyDB itself) is
read whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

OPTIONS = orjson.OPT_NON_STR_KEYS


def dump(data: dict[str, dict[str, Any]]) -> bytes:
    parts = [b"{"]
    tables = list(data.items())
    for t, (name, table) in enumerate(tables):
        parts.append(orjson.dumps(str(name)) + b":{")
        docs = list(table.items())
        for i, (doc_id, doc) in enumerate(docs):
            line = orjson.dumps(str(doc_id)) + b":" + orjson.dumps(doc, option=OPTIONS)
            parts.append(line + b"," if i < len(docs) - 1 else line)
        parts.append(b"}," if t < len(tables) - 1 else b"}")
    parts.append(b"}\n")
    return b"\n".join(parts)


def load(raw: bytes) -> Any:
    """The JSON value in ``raw``; raises ``orjson.JSONDecodeError`` (with line and column) if invalid."""
    if raw.startswith(b"{\n"):
        try:
            return _load_lines(raw)
        except (ValueError, IndexError):
            pass  # not quite our layout: the whole-file parse below says what is wrong, and where
    return orjson.loads(raw)


def _lines(raw: bytes) -> Iterator[bytes]:
    """The lines of ``raw`` one at a time (``split`` would be one long call on a large file)."""
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", start)
        if end < 0:
            end = len(raw)
        yield raw[start:end]
        start = end + 1


def _load_lines(raw: bytes) -> dict[str, dict[str, Any]]:
    lines = _lines(raw)
    next(lines)  # the opening brace
    data: dict[str, dict[str, Any]] = {}
    table: dict[str, Any] | None = None
    ended = False
    for line in lines:
        if not line:
            continue
        if ended:
            raise ValueError("text after the end")
        if table is None:
            if line == b"}":
                ended = True
                continue
            if not line.endswith(b":{"):
                raise ValueError("expected a table")
            table = data[orjson.loads(line[:-2])] = {}
        elif line in (b"}", b"},"):
            table = None
        else:
            if line.endswith(b","):
                line = line[:-1]
            split = line.index(b'":')
            table[orjson.loads(line[: split + 1])] = orjson.loads(line[split + 2 :])
    if not ended:
        raise ValueError("cut off")
    return data


def looks_like_library(head: bytes) -> bool:
    """Whether the first bytes of a file are those of a pmbrowse library (in any JSON layout)."""
    compact = b"".join(head.split())
    return compact.startswith(b'{"_meta":{"1":{"app":"pmbrowse"')
