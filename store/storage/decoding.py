"""Decoding what a library stores, checked: a damaged document or link record is refused with one line
naming its file and document (and, in a journal, its commit), and the library left as it is."""

from __future__ import annotations

from pathlib import Path

import orjson

from store.errors import LibraryFileError
from store.schema import check_document, check_links


def decode(path: Path, raw: bytes, doc_id: int, where: str = "") -> dict[str, object]:
    """A stored document, checked (a damaged one is refused, naming its file, and ``where`` in it: a
    journal's commit)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LibraryFileError(
            f"{path}{where}: document {doc_id} is not valid JSON ({exc.msg}); the library was left as it is"
        ) from None
    if problem := check_document(doc):
        raise LibraryFileError(f"{path}{where}: document {doc_id}: {problem}; the library was left as it is")
    return doc  # type: ignore[no-any-return]


def decode_links(path: Path, raw: bytes, doc_id: int, where: str = "") -> dict[str, object]:
    """A stored link record or change, checked."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LibraryFileError(
            f"{path}{where}: the links of document {doc_id} are not valid JSON ({exc.msg}); "
            "the library was left as it is"
        ) from None
    if problem := check_links(record):
        raise LibraryFileError(
            f"{path}{where}: the links of document {doc_id}: {problem}; the library was left as it is"
        )
    return record  # type: ignore[no-any-return]
