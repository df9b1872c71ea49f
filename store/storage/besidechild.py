"""The child process of a merge beside an import (``store.storage.beside``): ``python -m
store.storage.besidechild SPEC`` merges the segments SPEC names into the segment it names
(``tiering.write_merged``), fsynced, and exits 0; 1 if it failed (the import goes on without it); 3
when the import's end of its standard input closes (the import ended or was killed: it stops there).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

import orjson

from store.storage.segment import SegmentFile, SegmentWriter
from store.storage.tiering import write_merged


def _watch_parent() -> None:
    """Exit when the import's end of the pipe closes (it ended, or was killed)."""
    with contextlib.suppress(OSError):
        sys.stdin.buffer.read()
    os._exit(3)


def main(spec_text: str) -> int:
    """The child: merge the segments ``spec_text`` names into the segment it names."""
    threading.Thread(target=_watch_parent, daemon=True).start()
    spec = orjson.loads(spec_text)
    folder = Path(spec["folder"])
    segments = [SegmentFile(folder / name, size) for name, size in spec["sources"]]
    writer = SegmentWriter(folder / spec["name"], spec["generation"])
    try:
        write_merged(writer, segments, int(spec["next_id"]), None)
    finally:
        for segment in segments:
            segment.close()
    return 0


if __name__ == "__main__":
    try:
        status = main(sys.argv[1])
    except BaseException:  # (the import goes on without it; the end's merge does what is due)
        status = 1
    sys.stdout.flush()
    os._exit(status)
