"""An import's batches written by a forked child (``store.storage.spillchild``): the same library as
written in process; a child killed, or one that exits non-zero, fails the import and leaves the
library exactly as it was; the parent killed (``kill -9``) while its child writes takes the child with
it (no write into the library's folder after), and the next writer finds the library as it was.

The imports run in a process of their own: a test worker has other threads (a fork there is not
made: ``spillchild.can_fork``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from store.library import Library
from tests.conftest import ROOT
from tests.store.test_tiering import _file
from tui.cli import main

Done = subprocess.CompletedProcess[str]

# An import of FILE into LIB in batches of 200 documents; ``{patch}`` runs first (in the import's
# process, and so in the children it forks).
SCRIPT = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
import store.importer as importer
import store.storage.spillchild as spillchild
from store.storage.segment import SegmentWriter
from tui.cli import main
importer.FLUSH_AT = 200
PARENT = os.getpid()
spillchild.FORK = {fork!r}
{patch}
sys.exit(main(["--db", {lib!r}, "import", {file!r}]))
"""

# In the child only (the commit's last batch is written by the import's own process), at the end of
# its first batch's write: the file written but for its tables and footer.
IN_THE_CHILD = """
finish = SegmentWriter.finish
def finishing(self):
    if os.getpid() != PARENT:
        {act}
    return finish(self)
SegmentWriter.finish = finishing
"""


def _import(lib: Path, file: Path, *, act: str | None = None, fork: bool = True, extra: str = "") -> Done:
    patch = extra + "\n" + (textwrap.dedent(IN_THE_CHILD).format(act=act) if act else "")
    script = SCRIPT.format(root=str(ROOT), lib=str(lib), file=str(file), patch=patch, fork=fork)
    command = [sys.executable, "-c", script]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=300)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of the library (the lock files and the search index aside), by path, with its bytes."""
    index = folder / "library.json.index"
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock") and not p.is_relative_to(index)
    }


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """A library of 300 records, their references' stubs and a search index."""
    folder = tmp_path / "lib"
    folder.mkdir()
    path = folder / "library.json"
    first = _file(tmp_path / "first.xml", 1, 300, 600, refs=4)
    assert main(["--db", str(path), "import", str(first)]) == 0
    return path


def _checked(path: Path) -> None:
    assert main(["--db", str(path), "check"]) == 0


def _documents(path: Path) -> list[tuple[object, ...]]:
    """Every document, its links both ways, and the counts (ids as this library gave them: both
    libraries give the same ids to the same records, the import being the same)."""
    library = Library.open(path)
    try:
        docs = [
            (i, doc, sorted(library.link_ids(i, "references")), sorted(library.link_ids(i, "cited_by")))
            for i, doc in library.iter_docs()
        ]
        return [*sorted(docs, key=lambda row: row[0]), ("stats", library.stats())]
    finally:
        library.close()


def test_batches_written_by_a_child_make_the_library_written_in_process(tmp_path: Path, lib: Path) -> None:
    """Several batches, each written by a child (the next batch reading the one before through it):
    the library is the one written in process, and checks clean."""
    other = tmp_path / "other" / "library.json"
    other.parent.mkdir()
    for name in os.listdir(lib.parent):
        if not name.endswith(".lock") and (lib.parent / name).is_file():
            (other.parent / name).write_bytes((lib.parent / name).read_bytes())
    big = _file(tmp_path / "big.xml", 200, 900, 1500, refs=6)
    forked = _import(lib, big, act="print('a child wrote', flush=True)")
    assert forked.returncode == 0, forked.stderr
    assert "a child wrote" in forked.stdout  # (else both libraries were written in process)
    here = _import(other, big, fork=False)
    assert here.returncode == 0, here.stderr
    _checked(lib)
    assert _documents(lib) == _documents(other)


@pytest.mark.parametrize(
    "act, said",
    [
        ("os.kill(os.getpid(), signal.SIGKILL)", "was killed by signal 9"),
        ("os._exit(5)", "ended before it was written"),
        ("raise OSError(28, 'No space left on device')", "No space left on device"),
        # (an error that pickles, but whose type the parent cannot load back, made in the child only: its
        # text, not the pickle's bytes)
        (
            'exec(\'class Odd(Exception):\\n    pass\\nglobals()["Odd"] = Odd\\nraise Odd("an odd error")\')',
            "writing a batch of the import failed: Odd: an odd error",
        ),
    ],
    ids=["killed", "exits-non-zero", "full-disk", "unpicklable"],
)
def test_a_child_that_fails_fails_the_import_and_leaves_the_library_as_it_was(
    tmp_path: Path, lib: Path, act: str, said: str
) -> None:
    before = _files(lib.parent)
    big = _file(tmp_path / "big.xml", 200, 900, 1500, refs=6)
    done = _import(lib, big, act=act)
    assert done.returncode != 0 and said in done.stderr, done.stderr
    assert "could not store the records of" in done.stderr
    assert _files(lib.parent) == before  # (its segment removed with the transaction's)
    _checked(lib)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl's death signal is Linux's")
def test_the_parent_killed_while_its_child_writes_takes_the_child_with_it(tmp_path: Path, lib: Path) -> None:
    """The child kills its parent (``kill -9``) as it is about to write its tables, then would go on
    writing after a moment: it must be dead by then (its death signal), and write nothing more into
    the library's folder; the next writer removes what it left, and the library is as it was."""
    before = _files(lib.parent)
    big = _file(tmp_path / "big.xml", 200, 900, 1500, refs=6)
    marker = tmp_path / "child.pid"
    survived = tmp_path / "survived"
    act = (
        f"open({str(marker)!r}, 'w').write(str(os.getpid())); os.kill(PARENT, signal.SIGKILL); "
        f"time.sleep(1.0); open({str(survived)!r}, 'w').close()"
    )
    done = _import(lib, big, act=act)
    assert done.returncode == -9, done.stderr
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    time.sleep(1.5)  # (longer than the child would have slept: it would have written by now)
    assert not survived.exists()
    left = _files(lib.parent)
    assert {k: v for k, v in left.items() if not k.startswith("library.json.segments/")} == before
    library = Library.open(lib)  # (the next writer: the orphan removed)
    with library.transaction():
        pass
    library.close()
    assert _files(lib.parent) == before
    _checked(lib)


@pytest.mark.parametrize("bound, forked", [(None, True), (0, False)], ids=["below", "past"])
def test_a_process_past_its_memory_bound_writes_its_batches_itself(
    tmp_path: Path, lib: Path, bound: int | None, forked: bool
) -> None:
    """Past ``FORK_BELOW`` of resident memory, no child: its pages and those copied while it lives
    would take the import past its bound (``store.storage.spillchild``)."""
    big = _file(tmp_path / "big.xml", 200, 900, 1500, refs=6)
    marker = tmp_path / "forked"
    extra = "" if bound is None else f"spillchild.FORK_BELOW = {bound}"
    done = _import(lib, big, act=f"open({str(marker)!r}, 'w').close()", extra=extra)
    assert done.returncode == 0, done.stderr
    assert marker.exists() == forked
    _checked(lib)


def test_the_segments_children_wrote_are_let_go_with_their_import(tmp_path: Path, lib: Path) -> None:
    """With the collector off, every segment a child wrote is freed by the end of the command (its open
    file closed, the transaction's tally with it). Two things kept each alive: a callback closing over
    the segment it belonged to (a cycle, which the import's end froze: ``wholefile.paused_gc``), and
    each segment's key filter, kept while its segment lives and holding it (``store.storage.keyfilter``:
    so every segment ever searched stayed open for the life of the process)."""
    big = _file(tmp_path / "big.xml", 200, 900, 1500, refs=6)
    extra = """
import atexit, gc, weakref
gc.disable()
made = []
init = spillchild.Unwritten.__init__
def tracked(self, *args):
    init(self, *args)
    made.append(weakref.ref(self))
spillchild.Unwritten.__init__ = tracked
def report():
    if os.getpid() == PARENT:
        print("alive", sum(r() is not None for r in made), "of", len(made))
atexit.register(report)
"""
    done = _import(lib, big, extra=extra)
    assert done.returncode == 0, done.stderr
    alive, made = map(int, done.stdout.split("alive", 1)[1].split(" of "))
    assert made >= 2 and alive == 0, done.stdout


def test_the_child_loads_no_library(tmp_path: Path, lib: Path) -> None:
    """``prctl`` is looked up before the fork: a child forked while native threads run (the search
    index's writer's) must not ``dlopen``, which takes a lock such a thread may have held."""
    big = _file(tmp_path / "big.xml", 200, 900, 1500, refs=6)
    extra = """
import ctypes
loader = ctypes.CDLL
def loading(*args, **kwargs):
    if os.getpid() != PARENT:
        os._exit(7)
    return loader(*args, **kwargs)
ctypes.CDLL = loading
"""
    done = _import(lib, big, act="print('a child wrote', flush=True)", extra=extra)
    assert done.returncode == 0, done.stderr
    assert "a child wrote" in done.stdout
    _checked(lib)


def test_a_bulk_transaction_counts_the_batch_a_child_writes() -> None:
    """The library's counts inside a bulk transaction, right after a batch is handed to a child, hold
    that batch (they are the child's until it ends: the count waits for it)."""
    script = f"""
import sys, tempfile
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from store.library import Library
from store.model import Article, Origin
folder = Path(tempfile.mkdtemp())
library = Library.open(folder / "library.json")
before = len(library)
with library.transaction() as changes:
    for n in range(1, 301):
        changes.put_article(Article(pmid=str(n), title=f"Paper {{n}}"), Origin("test", "here"))
    changes.flush()
    print("added", len(library) - before)
library.close()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["added", "300"]
