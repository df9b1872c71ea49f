"""A merge of the newest segments beside a bulk import, in a process of its own.

An import's command ends by merging what the tiering says is due (``store.storage.tiering``): its own
batches, and with them, every few files, the merged segments of the files before it (the 9th of ten
files of one size: four files' worth written at the end of one). Segments are immutable and the
import only adds layers above them, so that merge need not wait for the import's end: once the run
the end would merge, as the batches written so far make it, reaches two or more of the library's
segments and the batches hold about a file's segment (``Committer.beside_rule``:
``store.storage.compactor.beside_run``), a child process (``python -m store.storage.besidechild``:
not a thread, the import's thread is the bottleneck and holds the GIL) merges that run, the library's
segments and the import's batches so far, while the import parses and writes, on the machine's
second core. The end then merges the batches written
after it (the run, as its rule finds it). The whole run is merged, not the library's segments alone:
merging two files' segments without the third left layers of other sizes than the end's merge would,
and the later files' ends merged more (15% more bytes over the ten-file proxy).

The child writes one new segment from the segments it is given (``tiering.write_merged``: what the
end's merge would write of them), fsyncs it and exits; it opens nothing but those segments and the
file it writes, and takes no lock (the import holds the library's for its whole run: nothing else
commits meanwhile). The import's commit, a new journal listing the segments renamed over the old one,
lists the merged segment in the place of the ones it merges (the import's later batches above it,
unchanged), so one rename commits both, as a merge commits; the merged segments are then removed.
Killed at any moment (the child or the import, ``kill -9``), the library holds the old listing or the
new one: before the rename the merged segment is a file nobody lists, removed by the next writer as
any orphan segment; after it, the merged-away segments are. The child reads its standard input, which
the import holds open: when the import ends, however, the child sees its end and exits at once (it
never outlives its import by more than a moment). A child that fails, or an import that commits
otherwise (as a fold, which takes every segment: ``Committer._fold``), leaves the end's merge to do
what is due, as before; its file is removed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import orjson

from store.storage.segment import SegmentError, SegmentFile

# How the child is started (the tests put code before the module's, to stop it at a chosen point).
CHILD = [sys.executable, "-m", "store.storage.besidechild"]


@dataclass
class Beside:
    """A merge running beside the transaction in progress: the segments it merges (name, size; the
    newest of the listing the transaction began from, oldest first) and the segment it writes."""

    proc: subprocess.Popen[bytes]
    first: int  # (where the sources begin in the listing: the library's segments, then the import's)
    sources: list[tuple[str, int]]
    path: Path
    listed: bool = False  # (named by a listing being written: from then on it is never removed here)

    @classmethod
    def start(
        cls,
        folder: Path,
        name: str,
        generation: str,
        next_id: int,
        first: int,
        sources: list[tuple[str, int]],
    ) -> Beside | None:
        """Start the child merging ``sources`` (in ``folder``; from ``first`` on in the listing the
        import will commit) into ``folder / name`` (None: it could not be started; the end's merge does
        what is due)."""
        spec = {
            "folder": str(folder),
            "name": name,
            "generation": generation,
            "next_id": next_id,
            "sources": sources,
        }
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (_root(), os.environ.get("PYTHONPATH")) if p),
        }
        try:
            proc = subprocess.Popen(
                [*CHILD, orjson.dumps(spec).decode()],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # (never read: a full pipe would stop it)
                env=env,
            )
        except OSError:
            return None
        return cls(proc, first, list(sources), folder / name)

    def result(self, listed: list[tuple[str, int]]) -> tuple[int, int, tuple[str, int]] | None:
        """Wait for the child; where in ``listed`` (the listing the import is about to commit: the
        library's segments, then its own) the merged segments are (first, end) and the merged segment
        (name, size), checked to open; None: it failed, or ``listed`` does not hold the sources where
        they were (then the end's merge does what is due)."""
        first, end = self.first, self.first + len(self.sources)
        if listed[first:end] != self.sources:
            return None
        try:
            self.proc.wait()  # (its standard input is left open: it is how the child knows we are here)
        except BaseException:
            self.end()
            raise
        if self.proc.returncode != 0:
            return None
        try:
            size = self.path.stat().st_size
            SegmentFile(self.path, size).close()
        except (OSError, SegmentError):
            return None
        return first, end, (self.path.name, size)

    def end(self) -> None:
        """Stop the child if it runs, and remove its segment unless a listing may name it (then it is
        the library's, or an orphan the next writer removes)."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self.proc.communicate()
        if not self.listed:
            with contextlib.suppress(OSError):
                self.path.unlink()


def _root() -> str:
    """The folder ``store`` is in (the child imports this very tree)."""
    return str(Path(__file__).resolve().parents[2])
