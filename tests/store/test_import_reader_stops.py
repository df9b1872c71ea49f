"""An import whose reader (the parse child, ``store.importer``) stops before its last message, between
two messages or within one (killed, or out of memory), fails naming the file it was reading, whatever
the point at which the pipe ended (within a message it said only "got end of file during message")."""

from __future__ import annotations

import os
import struct
from multiprocessing.connection import Connection

import pytest

from store import importer


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the reader is a forked child")
@pytest.mark.parametrize(
    "sent",
    [b"", struct.pack("!i", 100), struct.pack("!i", 100) + b"part of it"],
    ids=["between messages", "after a header", "within a message"],
)
def test_a_reader_that_stops_is_named(monkeypatch: pytest.MonkeyPatch, sent: bytes) -> None:
    def stopping(conn: Connection, receiver: Connection, source: str) -> None:
        os.write(conn.fileno(), sent)
        os._exit(0)

    monkeypatch.setattr(importer, "_child", stopping)
    with pytest.raises(OSError, match=r"the reader of x\.xml stopped unexpectedly"):
        list(importer._events_from_child("x.xml", None))
