"""Where an import's wall time goes: ``python -m bench.importtimeline FILE LIBRARY_JSON``.

Runs ``pmbrowse import FILE`` into ``LIBRARY_JSON`` (written in place: give it a copy) in this
process, and prints a timeline of its main thread: the stages on its critical path, each with its wall
time and the main thread's CPU in it (``time.thread_time``), so a stage whose wall time is more than
its CPU is one where the main thread waited (for the parse child, a batch's writer child, the merge
beside the import, the search index's threads, the disk). Stages called many times (a batch's look-ups,
the waits for the parse child) are summed; those called a few times (each batch written, the commit,
the index's commit, the command's end merge) are listed one by one with when they began.

Where ``bench.importstages`` counts CPU by stage, this counts waits: the tenth of ten files of one size
spends more wall time per CPU second than the first (stop 48: 1.42 cores busy against 1.68).
"""

from __future__ import annotations

import atexit
import importlib
import resource
import sys
import time
from collections import defaultdict

from bench.stagewrap import mark_reading, owner_of, wrap

# (module, class or None, function, label, listed one by one)
STAGES: tuple[tuple[str, str | None, str, str, bool], ...] = (
    ("store.pipemessages", "Messages", "next", "wait: the parse child's next batch", False),
    ("store.library", "Library", "index_ahead", "search index ahead (while the child parses)", False),
    ("store.changes", "Changes", "put_document", "records merged (put_document)", False),
    ("store.changes", "Changes", "flush", "a batch handed over (Changes.flush)", True),
    ("store.search.feed", "IndexFeed", "add", "search index: a batch", True),
    ("store.storage.committer", "Committer", "spill", "a batch written (Committer.spill)", True),
    ("store.storage.spillchild", "Unwritten", "settle", "wait: a batch's writer child (settle)", True),
    ("store.storage.forked", None, "start", "fork", True),
    ("store.storage.beside", "Beside", "start", "merge beside: started", True),
    ("store.storage.beside", "Beside", "result", "wait: the merge beside (result)", True),
    ("store.storage.committer", "Committer", "_commit", "the commit", True),
    ("store.storage.committer", "Committer", "_fold", "the commit: fold", True),
    ("store.storage.committer", "Committer", "_list_segments", "the commit: listing", True),
    ("store.storage.fold", None, "write_state", "a new base written (write_state)", True),
    ("store.search.feed", "IndexFeed", "commit", "search index: commit", True),
    ("store.search.catchup", None, "layers_now", "search index: layers_now", True),
    ("store.library", "Library", "close", "the command's end (Library.close)", True),
    ("store.storage.tiering", None, "merge_newest", "end: merge of the newest segments", True),
    ("store.storage.spilling", None, "start", "spilling.start (the journal a segment)", True),
)


class Timeline:
    """A ``bench.stagewrap.Recorder``: each stage's wall time and main-thread CPU, nested ones in both."""

    def __init__(self, listed: set[str]) -> None:
        self.start = time.perf_counter()
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.listed = listed  # the labels whose calls are listed one by one
        self.events: list[tuple[float, float, float, str]] = []  # (began, wall, cpu, label)
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter() - self.start

    def enter(self, label: str) -> None:
        pass

    def leave(self, label: str, began: float, wall: float, cpu: float) -> None:
        self.wall[label] += wall
        self.cpu[label] += cpu
        self.calls[label] += 1
        if label in self.listed:
            self.events.append((began - self.start, wall, cpu, label))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    file, library = argv
    timeline = Timeline({label for *_, label, listed in STAGES if listed})
    main_cpu = time.thread_time()
    import os

    import store.importer as importer
    import tui.cli

    # (a series cut small: its batches cut as the bench's files' are, ``bench.imports``' proxy)
    importer.FLUSH_AT = int(os.environ.get("TIMELINE_FLUSH_AT", importer.FLUSH_AT))
    importer.LINKS_AT = int(os.environ.get("TIMELINE_LINKS_AT", importer.LINKS_AT))

    for module, cls, name, label, _ in STAGES:
        wrap(owner_of(module, cls), name, label, timeline)
    # (modules that took a wrapped function by name before it was wrapped)
    # (by name, as the stages are: only the library uses its storage, ``tests/store/test_layering.py``)
    committer, compactor, fold, tiering = (
        importlib.import_module(f"store.storage.{name}")
        for name in ("committer", "compactor", "fold", "tiering")
    )
    committer.write_state = fold.write_state
    compactor.write_state = fold.write_state
    compactor.merge_newest = tiering.merge_newest
    import store.search.feed as feed
    from store.search import catchup

    feed.layers_now = catchup.layers_now  # type: ignore[attr-defined]
    mark_reading(timeline.mark)
    status = tui.cli.main(["--db", library, "import", file])
    # (the command's end: the library closed as the process ends, its end's merge made, ``tui.commands.base``)
    atexit._run_exitfuncs()
    wall = time.perf_counter() - timeline.start
    main_cpu = time.thread_time() - main_cpu
    own = resource.getrusage(resource.RUSAGE_SELF)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    process_cpu = own.ru_utime + own.ru_stime
    child_cpu = child.ru_utime + child.ru_stime
    print(f"\n{file} into {library}: exit {status}")
    print(
        f"wall {wall:.2f} s; CPU {process_cpu + child_cpu:.2f} s ({(process_cpu + child_cpu) / wall:.2f} "
        f"cores): children {child_cpu:.2f} s, this process {process_cpu:.2f} s (main thread "
        f"{main_cpu:.2f} s, {main_cpu / wall:.0%} of the wall time; others {process_cpu - main_cpu:.2f} s); "
        f"peak {max(own.ru_maxrss, child.ru_maxrss) / 1024:.0f} MB (this {own.ru_maxrss / 1024:.0f}, "
        f"a child {child.ru_maxrss / 1024:.0f})"
    )
    print(
        "marks: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(timeline.marks.items(), key=lambda kv: kv[1]))
    )
    print("stages, summed (wall / main thread CPU / calls; nested stages counted in both):")
    for label in sorted(timeline.wall, key=lambda k: -timeline.wall[k]):
        print(
            f"  {label:50s} {timeline.wall[label]:7.2f} s wall {timeline.cpu[label]:7.2f} s CPU "
            f"{timeline.calls[label]:8,d}"
        )
    print("one by one (began at, wall, CPU):")
    for began, spent, cpu, label in timeline.events:
        print(f"  {began:7.2f}  {spent:7.3f}  {cpu:7.3f}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
