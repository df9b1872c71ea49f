"""A library told by its first bytes, with nothing else imported: ``pmbrowse`` checks the file it is
given before it starts the app (``tui.cli.run_app``), and ``store.schema`` (the layouts, their
migrations and the checks of stored documents, with the model they are read from) was ~10 ms of
imports on the main thread before the first page's thread could start (``tui.firstpage``)."""

from __future__ import annotations

# The table every pmbrowse file starts with (``store.schema``'s ``META_TABLE``), and the start of a
# library's header in it.
META_TABLE = "_meta"
_LIBRARY_START = b'{"' + META_TABLE.encode() + b'":{"1":{"app":"pmbrowse"'


def looks_like_library(head: bytes) -> bool:
    """Whether the first bytes of a file are those of a pmbrowse library (in any JSON layout): told
    before opening one, without reading the rest."""
    return b"".join(head.split()).startswith(_LIBRARY_START)
