"""Quitting: what is due when the app quits (a journal grown past its threshold by fetches and imports
in the app made a segment, segments merged: ``store.storage.compactor``) is done as the app quits, or
by a ``pmbrowse compact --due`` started in the background when the library is large, so that quitting
never waits for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from store.library import Library

# A library up to this size is compacted as the app quits (a fifth of a second or so: 333 MB took
# 1.6 s here); a larger one in the background.
INLINE_COMPACT_BYTES = 48 << 20


def compact_on_quit(library: Library) -> None:
    """Do what is due (see the module docstring)."""
    import contextlib
    import subprocess
    import sys

    if not library.compaction_due:
        return
    if library.sizes()[0] <= INLINE_COMPACT_BYTES:
        library.compact_if_due()
        return
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-m", "tui", "--db", str(library.path), "compact", "--due"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
