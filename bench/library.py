"""Bench libraries built the way a user builds one: ``pmbrowse import`` of PubMed XML files.

The recipe of the library of ``n`` records: the records ``[0, n)`` of a generated citation graph
(``bench.generate.Graph``, with the famous article: cited by 10,000 of them) written as PubMed XML
files of ``FILE_RECORDS`` records (100,000, or ``n`` when smaller), each imported by its own
``pmbrowse import`` (a user importing baseline files one after another); then newer records of the
same graph in small files of ``TAIL_FILE`` records, imported a few files a command, until the journal
is between ``FILL_LOW`` and ``FILL_HIGH`` of the size at which a command's end compacts it (a user's
library between two compactions, which every command then reads through). So the library has what
an imported one has: stubs (references to articles outside the graph, and citation-only ones), link
sources, a search index and a journal. It holds ``n`` records and the tail records imported last
(a few hundred to a few thousand; ``build.json`` beside it says how many).

Each library is cached in ``bench/out/lib-<recipe>/`` (``library.json`` and what the store keeps
beside it, ``build.json`` with every import's measures), keyed by a hash of the recipe, the
generator's version and the store's schema version; the XML files in ``bench/out/xml-<graph>/``.
A library is made under a temporary name and renamed when whole: an interrupted build is redone.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.generate import Graph, Special, famous, label, write_files
from bench.proc import OUT, Run, pmbrowse, python

FILE_RECORDS = 100_000
TAIL = 5_000  # records generated after the first n, for the small imports at the end
TAIL_FILE = 10  # records in each small file
# Small files imported by one command at most: a command that imports more commits tens of thousands
# of documents and link changes at once, which the store writes as a segment, not into the journal
# (the 100k library of 2026-12-03 17:24 was left with 4 segments and an empty journal that way).
TAIL_PER_COMMAND = 40
FILL_LOW, FILL_HIGH = 0.70, 0.85  # of the compaction threshold
RECIPE_VERSION = 2  # 2: at most TAIL_PER_COMMAND small files a command
LIBRARY_NAME = "library.json"


@dataclass
class ImportRun:
    """One ``pmbrowse import`` as it was measured while the library was built."""

    file: str
    records: int
    library_before: int
    seconds: float
    max_rss_mb: float
    written: int
    cpu_seconds: float = 0.0  # user and system, the parsing child included (0: not measured)

    @classmethod
    def of(cls, file: Path, records: int, before: int, run: Run) -> ImportRun:
        return cls(file.name, records, before, run.seconds, run.max_rss_mb, run.written, run.cpu_seconds)


@dataclass
class Built:
    path: Path  # the library file
    n: int
    famous: int  # the index of the record with 10,000 citing records (or all the later ones)
    famous_citing: int
    tail_records: int  # records imported in small files after the big ones
    journal_bytes: int
    threshold_bytes: int
    imports: list[ImportRun]  # the big files' imports, in order
    fresh: bool  # built in this run (else from the cache)


def graph_for(n: int, extra: tuple[Special, ...] = ()) -> Graph:
    """The graph of the library of ``n`` records: the famous article, and ``extra`` specials."""
    return Graph(n + TAIL, special=(famous(n), *extra))


def main_cuts(n: int) -> list[int]:
    per = min(FILE_RECORDS, n)
    return [*range(0, n, per), n]


def xml_files(graph: Graph, cuts: list[int], name: str, *, references: bool = True) -> list[Path]:
    """The files of records ``[cuts[k], cuts[k+1])`` of ``graph``, written once and cached."""
    folder = OUT / f"xml-{graph.key()}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}-{a:07d}-{b:07d}.xml" for a, b in itertools.pairwise(cuts)]
    if not all(p.exists() for p in paths):
        what = f"{cuts[-1] - cuts[0]:,} records in {len(paths)} file{'s' if len(paths) > 1 else ''}"
        note(f"writing PubMed XML: {what} (once; cached in {folder.relative_to(OUT.parent.parent)})")
        write_files(graph, cuts, paths, references=references)
    return paths


def recipe_key(n: int, extra: tuple[Special, ...] = ()) -> str:
    from store.schema import SCHEMA_VERSION

    recipe = {
        "graph": graph_for(n, extra).key(),
        "n": n,
        "file_records": FILE_RECORDS,
        "tail_file": TAIL_FILE,
        "fill": [FILL_LOW, FILL_HIGH],
        "version": RECIPE_VERSION,
        "schema": SCHEMA_VERSION,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def library(n: int, extra: tuple[Special, ...] = (), rebuild: bool = False) -> Built:
    """The library of ``n`` records (with ``extra`` specials), from the cache or built now."""
    folder = OUT / f"lib-{label(n)}-{recipe_key(n, extra)}"
    log = folder / "build.json"
    if log.exists() and not rebuild:
        data = json.loads(log.read_text())
        data["imports"] = [ImportRun(**r) for r in data["imports"]]
        return Built(path=folder / LIBRARY_NAME, fresh=False, **data)
    graph = graph_for(n, extra)
    files = xml_files(graph, main_cuts(n), "main")
    work = folder.with_name(folder.name + ".building")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    path = work / LIBRARY_NAME
    note(f"building the {label(n)} library by pmbrowse import (once; cached in {folder.name})")
    imports = import_series(path, files, main_cuts(n))
    tail_records, journal, threshold = fill_journal(path, graph, n)
    special = graph.special[0]
    built = Built(
        path=folder / LIBRARY_NAME,
        n=n,
        famous=special.index,
        famous_citing=special.citing,
        tail_records=tail_records,
        journal_bytes=journal,
        threshold_bytes=threshold,
        imports=imports,
        fresh=True,
    )
    data = asdict(built)
    for key in ("path", "fresh"):
        del data[key]
    (work / "build.json").write_text(json.dumps(data, indent=1))
    if folder.exists():
        shutil.rmtree(folder)
    work.rename(folder)
    return built


def import_series(path: Path, files: list[Path], cuts: list[int]) -> list[ImportRun]:
    """Import ``files`` one after another into the library at ``path``, each by its own command."""
    runs = []
    for k, file in enumerate(files):
        run = pmbrowse(path, "import", str(file))
        runs.append(ImportRun.of(file, cuts[k + 1] - cuts[k], cuts[k], run))
        note(
            f"  {file.name}: {run.seconds:.0f} s, {(cuts[k + 1] - cuts[k]) / run.seconds:,.0f} records/s, "
            f"peak {run.max_rss_mb:,.0f} MB, wrote {run.written / 1e6:,.0f} MB"
        )
    return runs


def journal_state(path: Path) -> tuple[int, int]:
    """The journal's size and the size past which a command's end compacts it."""
    from store.library import compact_threshold

    journal = path.with_name(path.name + ".journal")
    size = journal.stat().st_size if journal.exists() else 0
    return size, compact_threshold(path.stat().st_size)


def fill_journal(path: Path, graph: Graph, n: int) -> tuple[int, int, int]:
    """Import the tail's small files, a few a command, until the journal is near the compaction
    threshold (between FILL_LOW and FILL_HIGH of it). Returns the records imported, the journal's size
    and the threshold."""
    tail = xml_files(graph, list(range(n, graph.n + 1, TAIL_FILE)), "tail")
    done = 0  # files imported
    per_file = 0.0  # journal bytes a file adds, as last seen
    journal, threshold = journal_state(path)
    while done < len(tail) and journal < FILL_LOW * threshold:
        room = FILL_HIGH * threshold - journal
        count = 1 if per_file <= 0 else max(1, min(TAIL_PER_COMMAND, int(0.8 * room / per_file)))
        batch = tail[done : done + count]
        pmbrowse(path, "import", *map(str, batch))
        done += len(batch)
        before, (journal, threshold) = journal, journal_state(path)
        if journal > before:  # (else the command's end compacted: the journal starts again)
            per_file = (journal - before) / len(batch)
    if journal < FILL_LOW * threshold:
        note(f"  (the tail ran out before the journal reached {FILL_LOW:.0%} of the threshold)")
    note(
        f"  then {done * TAIL_FILE:,} records in {done} small files: the journal is "
        f"{journal / 1e6:.1f} MB of {threshold / 1e6:.1f} MB ({journal / threshold:.0%})"
    )
    return done * TAIL_FILE, journal, threshold


def scratch_copy(built: Built, name: str = "scratch") -> Path:
    """A copy of a cached library to measure commands that write on (the cache stays as built)."""
    folder = OUT / name
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(built.path.parent, folder, ignore=shutil.ignore_patterns("build.json", "*.lock"))
    # The copy's index must not look older than its base: a base changed after its index (by its change
    # time, which a copy sets) makes the first open rebuild the index (418 MB at 1M: over 20 s), which
    # a user's library never does. Setting its own times back changes the index's change time to now.
    index = folder / (built.path.name + ".idx")
    if index.exists():
        st = index.stat()
        os.utime(index, ns=(st.st_atime_ns, st.st_mtime_ns))
    return folder / built.path.name


def library_bytes(path: Path) -> int:
    """The bytes of a library's files: the base, and everything the store keeps beside it."""
    total = 0
    for p in path.parent.glob(path.name + "*"):
        if p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        elif p.is_file():
            total += p.stat().st_size
    return total


def counts(path: Path) -> dict[str, Any]:
    """Records, stubs and links, from ``pmbrowse stats``'s own figures (read in a fresh process)."""
    code = """
        import json, sys
        from store.library import Library
        from dataclasses import asdict
        print(json.dumps(asdict(Library.open(sys.argv[1], demo=False).stats())))
        """
    try:
        return dict(json.loads(python(code, str(path)).output))
    except (RuntimeError, ValueError, TypeError):
        return {}


__all__ = ["Built", "ImportRun", "Special", "library"]
