"""Where an import's CPU goes: ``python -m bench.importstages FILE [LIBRARY_FOLDER]``.

Runs ``pmbrowse import FILE`` in this process, into a fresh library, or into a copy of the library in
``LIBRARY_FOLDER`` (its ``library.json`` and what the store keeps beside it; the folder itself is not
touched), and prints where the time went:

- the child processes' CPU: the one that reads the file (``store.importer._events_from_child``) and
  the batches' writer children (``store.storage.spillchild``), those waited for;
- this process's CPU, its main thread's and its other threads' (the search index's writer threads);
- the main thread's CPU in each stage, exclusive of the stages inside it: merging records
  (``Changes.put_document``), linking them (``Changes._link``: resolving each link's target, stubs
  made), the links' two ends (``LinkEdits.connect_all``), the library's look-ups (``Library.lookup``,
  ``Library.meta``), decoding the child's batches (``marshal.loads``), indexing for search
  (``IndexFeed.ahead``, ``IndexFeed.add``), writing batches (``Committer.spill``), a batch settled
  (``Unwritten.settle``: its writer child's answer read, its segment opened, the batch freed; at the
  first look-up that reads its segment, or in the next spill or the commit; thread CPU, so the wait
  for the child is not in it), the commit (``Committer._commit``), and the rest (the import loop,
  receiving, the command);
- a timeline (seconds from the start): the child's first and last event, the commit, the index's.

Thread CPU (``time.thread_time``) for the stages: the index's writer threads run beside them. The
wrappers cost a microsecond or so a call: the stages add up to a little more than the import without
them.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.stagewrap import mark_reading, owner_of, wrap

STAGES = (
    ("store.changes", "Changes", "put_document", "merging records (put_document)"),
    ("store.changes", "Changes", "_link", "linking (Changes._link)"),
    ("store.linkedits", "LinkEdits", "connect_all", "both ends of links (connect_all)"),
    ("store.library", "Library", "lookup", "library look-ups (lookup)"),
    ("store.library", "Library", "meta", "library meta (meta)"),
    ("store.library", "Library", "link_state", "library links read (link_state)"),
    ("store.library", "Library", "doc", "library documents read (doc)"),
    ("marshal", None, "loads", "marshal.loads (mostly the child's batches)"),
    ("store.search.feed", "IndexFeed", "ahead", "search index: ahead"),
    ("store.search.feed", "IndexFeed", "add", "search index: batches"),
    ("store.search.feed", "IndexFeed", "commit", "search index: commit"),
    ("store.storage.committer", "Committer", "spill", "writing batches (spill)"),
    # (the first look-up after a batch is handed over settles it: 0.53 s of the 1M file's first 40k
    # records, two batches, counted as look-ups' time before; the wait for the child is not thread CPU)
    ("store.storage.spillchild", "Unwritten", "settle", "a batch settled: segment opened, batch freed"),
    ("store.storage.committer", "Committer", "_commit", "the commit (_commit)"),
)

# Stages whose calls are marked on the timeline: (at its start, at its end).
MARKS = {
    "Committer._commit": ("commit start", "commit end"),
    "IndexFeed.commit": ("index commit start", "index commit end"),
}


class Stages:
    """A ``bench.stagewrap.Recorder``: each stage's main-thread CPU, exclusive of the stages inside it."""

    def __init__(self, marked: dict[str, tuple[str, str]]) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.inner: list[float] = []  # the CPU of the stages inside each open one
        self.marked = marked  # label: (the mark at its start, the mark at its end)
        self.marks: dict[str, float] = {}
        self.start = time.perf_counter()

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter() - self.start

    def enter(self, label: str) -> None:
        if label in self.marked:
            # (the last call's: a new library's first commit is its creation)
            self.mark(self.marked[label][0])
        self.inner.append(0.0)

    def leave(self, label: str, began: float, wall: float, cpu: float) -> None:
        self.cpu[label] += cpu - self.inner.pop()
        self.calls[label] += 1
        if self.inner:
            self.inner[-1] += cpu
        if label in self.marked:
            self.mark(self.marked[label][1])


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    file = Path(argv[0]).resolve()
    marked = {label: MARKS[f"{cls}.{name}"] for _, cls, name, label in STAGES if f"{cls}.{name}" in MARKS}
    stages = Stages(marked)
    main_start, process_start = time.thread_time(), time.process_time()
    import tui.cli

    for module, cls, name, label in STAGES:
        wrap(owner_of(module, cls), name, label, stages)
    mark_reading(stages.mark)
    startup = time.thread_time() - main_start
    with tempfile.TemporaryDirectory(prefix="importstages-") as folder:
        library = Path(folder) / "library" / "library.json"
        if len(argv) == 2:
            shutil.copytree(argv[1], library.parent, ignore=shutil.ignore_patterns("*.lock"))
        else:
            library.parent.mkdir()
        status = tui.cli.main(["--db", str(library), "import", str(file)])
    wall = time.perf_counter() - stages.start
    main_cpu = time.thread_time() - main_start
    process_cpu = time.process_time() - process_start
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = child.ru_utime + child.ru_stime
    into = f"a copy of {argv[1]}" if len(argv) == 2 else "a new library"
    others = process_cpu - main_cpu
    print(f"\n{file.name} into {into}: exit {status}")
    print(
        f"wall {wall:.2f} s; CPU {process_cpu + child_cpu:.2f} s: "
        f"child processes (parse, batch writers) {child_cpu:.2f} s, "
        f"this process {process_cpu:.2f} s (main thread {main_cpu:.2f} s, other threads {others:.2f} s)"
    )
    print("main thread by stage (exclusive):")
    rest = main_cpu - startup - sum(stages.cpu.values())
    rows = [("start-up (imports)", startup, 0), *((k, v, stages.calls[k]) for k, v in stages.cpu.items())]
    rows.append(("the rest (import loop, receiving, the command)", rest, 0))
    for label, spent, calls in sorted(rows, key=lambda row: -row[1]):
        print(f"  {label:48s} {spent:6.2f} s" + (f"  ({calls:,} calls)" if calls else ""))
    marks = sorted(stages.marks.items(), key=lambda kv: kv[1])
    print("timeline: " + ", ".join(f"{name} {at:.2f} s" for name, at in marks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
