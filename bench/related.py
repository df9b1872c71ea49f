"""Benchmark of the neighbourhood: related articles and the citation map on a large generated library.

    python -m bench.related                  # a 100,000-record library, 7 runs of each measure
    python -m bench.related --n 20000 --runs 3

The library is built as a user builds one, by ``pmbrowse import`` of PubMed XML (``bench.library``:
25 references to records and 5 to articles outside a record, stubs, a journal), with one article
given exactly 50 references to records and 200 citing articles; it is cached in ``bench/out/``.

Measures (medians; each run with a fresh ``GraphReader``, so nothing is memoised between runs; the
operating system's page cache is warm, as it is in the app after the first look):

- related, top 20, by co-citation, coupling and both (and both with ``--min-shared 1``, ranking the
  articles that share a single link too), against the baseline of reading the link lists the counts
  need (``Library.link_ids`` of the article and of its 250 neighbours), and against reading every
  candidate's document (what the cosine of every candidate would need);
- the layout of a two-hop map of about 2,000 articles (``--map-nodes``), and one frame of the map view
  while moving: the cursor's step and the 40 lines of a screen drawn again.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
REFS, CITING = 50, 200


def library_for(n: int) -> tuple[Path, int]:
    """The library of ``n`` records built by ``pmbrowse import`` (``bench.library``), its record
    ``n // 2`` given exactly REFS references to records and CITING citing records; and that record's
    document id."""
    from bench.generate import Special, pmid_of
    from bench.library import library
    from store.library import Library

    target = n // 2
    built = library(n, extra=(Special(target, REFS, CITING, until=n),))
    doc_id = Library.open(built.path, demo=False).lookup(f"pmid:{pmid_of(target)}")
    assert doc_id is not None
    return built.path, doc_id


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--map-nodes", type=int, default=2_000)
    args = parser.parse_args(argv)

    from store.library import Library
    from store.neighbourhood import GraphReader, layout_map, related
    from store.neighbourhood.layout import MapGrid
    from store.neighbourhood.related import shared_counts

    path, target = library_for(args.n)
    library = Library.open(path, demo=False)
    assert library.doc(target) is not None
    refs, citing = library.link_counts(target)  # (links are kept apart from the documents)
    assert citing == CITING and refs >= REFS
    runs = args.runs

    def read_lists() -> None:
        library.link_ids(target, "references")
        for i in library.link_ids(target, "cited_by"):
            library.link_ids(i, "references")
        for i in library.link_ids(target, "references"):
            library.link_ids(i, "cited_by")

    counts = shared_counts(GraphReader(library), target)
    assert counts is not None
    candidates = set(counts.cocitation) | set(counts.coupling)

    def read_candidates() -> None:
        read_lists()
        for i in candidates:
            library.doc(i)

    read_lists()  # (warm the page cache the same for everyone)
    read_candidates()
    baseline = median_ms(read_lists, runs)
    everything = median_ms(read_candidates, runs)
    rows: list[tuple[str, ...]] = []
    rows.append(("read the link lists the counts need (251 documents)", f"{baseline:.1f} ms", "", "1.00"))
    rows.append(
        (f"read those and every candidate ({len(candidates):,} documents)", f"{everything:.1f} ms", "", "")
    )
    for mode, min_shared in (("cocitation", None), ("coupling", None), ("both", None), ("both", 1)):
        reads: list[int] = []
        peeks: list[int] = []

        def run(
            mode: str = mode,
            min_shared: int | None = min_shared,
            reads: list[int] = reads,
            peeks: list[int] = peeks,
        ) -> None:
            reader = GraphReader(library)
            related(reader, target, mode, limit=20, min_shared=min_shared)
            reads.append(reader.reads)
            peeks.append(reader.peeks)

        took = median_ms(run, runs)
        label = f"related --by {mode}, top 20" + (f" --min-shared {min_shared}" if min_shared else "")
        rows.append(
            (label, f"{took:.1f} ms", f"{reads[-1]:,} whole, {peeks[-1]:,} peeked", f"{took / baseline:.2f}")
        )
    took = median_ms(lambda: related(GraphReader(library), target, "both", limit=None), max(1, runs // 2))
    rows.append(("related --by both, every candidate ranked", f"{took:.1f} ms", "", f"{took / baseline:.2f}"))

    # The map: columns as wide as needed for about --map-nodes articles.
    per_column = 50
    while True:
        layout = layout_map(GraphReader(library), target, per_column=per_column)
        assert layout is not None
        if len(layout) >= args.map_nodes or per_column > 100_000:
            break
        per_column = int(per_column * max(1.1, args.map_nodes / len(layout)))
    took = median_ms(lambda: layout_map(GraphReader(library), target, per_column=per_column), runs)
    rows.append((f"map layout, {len(layout):,} articles ({per_column} a column)", f"{took:.1f} ms", "", ""))
    grid = MapGrid(layout, 20)
    ids = [i for column in layout.columns.values() for i in column]
    rng = random.Random(1)
    frames: list[float] = []
    for _ in range(200):
        start = time.perf_counter()
        focus = rng.choice(ids)
        grid.focus = focus
        row = layout.nodes[focus].row
        layout.step(focus, 0, 1)
        for r in range(max(0, row - 20), row + 20):
            grid.line(r)
        frames.append((time.perf_counter() - start) * 1000)
    frames.sort()
    rows.append(
        (
            "map view, one step and a 40-line screen drawn (p50 / max of 200)",
            f"{statistics.median(frames):.2f} / {frames[-1]:.2f} ms",
            "",
            "",
        )
    )
    print(f"\nNeighbourhood benchmark: {args.n:,} records, article with {REFS} references, {CITING} citing")
    print("\n| measure | time | reads | ratio to reading the link lists |\n|---|---|---|---|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
