"""The import table: files of 100,000 records imported one after another, and one big file.

- **The series**: the first ``files`` of the ten 100,000-record PubMed XML files of the 1M library's
  recipe (``bench.library``), each imported by its own ``pmbrowse import`` into the library the ones
  before it made (file N into a library of (N-1)×100k records), as a user imports yearly files: time,
  records/s, peak memory and bytes written of each, and the ratio of the last to the first. When the
  1M library is built in the same run from the same ten files, its imports are the series.
- **Without reference lists**: the first file's records without their reference lists (as the
  yearly baseline files are), into an empty library.
- **One file**: ``records`` records in one file (the 1M graph's first records), into an empty library.

Beside each, ``lxml``'s ``iterparse`` reading the same file alone (each element cleared), in a fresh
process in the same run: what parsing costs, the floor of an import.

**The proxy** (``python -m bench.imports --proxy [--files 8] [--records 10000] --base DIR``): the
series in small, which two shared cores can afford, old against new. ``files`` files of ``records``
records of one generated graph (later files cite earlier ones), each imported by its own command
into the library the ones before made, with batches of ``records`` documents (``FLUSH_AT``: a file
then makes the 8-10 batches a 100,000-record file makes, so its end merges as one does), by this
tree's code and by the tree at ``DIR`` (another worktree: ``git worktree add DIR main``; its
``.venv`` if it has one), the two alternating which goes first, file by file. Printed: each file's
wall time, CPU (the command and its parse child), peak memory and bytes written, old and new, the
load average before each, and the last file's over the first's. The fold (the 5th file since stop
48's ``FOLD_SHARE`` 4) and the merges of several files (the 9th) show in these as they do in the series.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.generate import Graph, label
from bench.library import FILE_RECORDS, ImportRun, graph_for, import_series, main_cuts, xml_files
from bench.proc import OUT, ROOT, Run, pmbrowse, python, spawn

SERIES_OF = 1_000_000  # the library whose files the series imports

LXML = """
import sys
from lxml import etree
for _, el in etree.iterparse(sys.argv[1], tag="PubmedArticle"):
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
"""


@dataclass
class Parsed:
    file: str
    records: int
    seconds: float
    max_rss_mb: float
    cpu_seconds: float = 0.0


def lxml_alone(file: Path, records: int) -> Parsed:
    run = python(LXML, str(file))
    return Parsed(file.name, records, run.seconds, run.max_rss_mb, run.cpu_seconds)


def _fresh(name: str) -> Path:
    folder = OUT / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder / "library.json"


def one_import(file: Path, records: int, name: str) -> ImportRun:
    """``pmbrowse import FILE`` into a new, empty library."""
    path = _fresh(name)
    run: Run = pmbrowse(path, "import", str(file))
    shutil.rmtree(path.parent)
    return ImportRun.of(file, records, 0, run)


def parse_bench_files(*, write: bool) -> list[Path]:
    """The PubMed XML files the parse benches read by default (``bench.parsespeed``,
    ``bench.parsecheck``): the 10k library's file, with reference lists, and the import table's first
    100k file without them, in this repository's ``bench/out``; ``write``: made now if missing
    (cached), else only those already there."""
    with_refs = (graph_for(10_000), main_cuts(10_000)[:2], "main", True)
    without = (graph_for(SERIES_OF), main_cuts(SERIES_OF)[:2], "norefs", False)
    found = []
    for graph, cuts, name, references in (with_refs, without):
        if write:
            found += xml_files(graph, cuts, name, references=references)
        else:
            # (where ``xml_files`` keeps the file: its folder and name)
            path = OUT / f"xml-{graph.key()}" / f"{name}-{cuts[0]:07d}-{cuts[1]:07d}.xml"
            found += [path] if path.exists() else []
    return found


def series_files(files: int) -> tuple[list[Path], list[int]]:
    cuts = main_cuts(SERIES_OF)[: files + 1]
    return xml_files(graph_for(SERIES_OF), cuts, "main"), cuts


def measure(files: int, one_file: int, done: list[ImportRun] | None = None) -> dict[str, Any]:
    """The import table (see the module's docstring); ``done``: the series, if already measured."""
    out: dict[str, Any] = {}
    if files:
        paths, cuts = series_files(files)
        if done is None or len(done) < files:
            print(f"importing {files} files of {label(FILE_RECORDS)} records one after another", flush=True)
            runs = import_series(_fresh("import-series"), paths, cuts)
            shutil.rmtree(OUT / "import-series")
        else:
            runs = done[:files]
        out["series"] = [asdict(r) for r in runs]
        out["series_parse"] = asdict(lxml_alone(paths[0], cuts[1] - cuts[0]))
        out["last_to_first"] = {
            "time": runs[-1].seconds / runs[0].seconds,
            "max_rss": runs[-1].max_rss_mb / runs[0].max_rss_mb,
            "written": runs[-1].written / max(1, runs[0].written),
        }
        bare = xml_files(graph_for(SERIES_OF), cuts[:2], "norefs", references=False)[0]
        out["no_references"] = asdict(one_import(bare, cuts[1], "import-norefs"))
        out["no_references_parse"] = asdict(lxml_alone(bare, cuts[1]))
    if one_file:
        big = xml_files(graph_for(SERIES_OF), [0, one_file], "one")[0]
        print(f"importing one file of {label(one_file)} records", flush=True)
        out["one_file"] = asdict(one_import(big, one_file, "import-one"))
        out["one_file_parse"] = asdict(lxml_alone(big, one_file))
    return out


# A command run by another tree's code: that tree first on the path (the bench runs from this one).
PROXY_IMPORT = """
import sys
sys.path.insert(0, sys.argv[1])
import store.importer
store.importer.FLUSH_AT = int(sys.argv[4])
from tui.cli import main
sys.argv = ["pmbrowse", "--db", sys.argv[2], "import", sys.argv[3]]
sys.exit(main())
"""


def proxy_import(tree: Path, library: Path, file: Path, flush: int) -> Run:
    """``pmbrowse import FILE`` by the code of ``tree``, with batches of ``flush`` documents."""
    python_of = tree / ".venv" / "bin" / "python"
    executable = str(python_of) if python_of.exists() else sys.executable
    argv = [executable, "-c", PROXY_IMPORT, str(tree), str(library), str(file), str(flush)]
    return spawn(argv, env={"PYTHONPATH": str(tree)})


def proxy(files: int, records: int, base: Path) -> list[dict[str, Any]]:
    """The proxy of the series (see the module's docstring): the rows it printed."""
    cuts = [k * records for k in range(files + 1)]
    paths = xml_files(Graph(files * records), cuts, "proxy")
    trees = {"old": base.resolve(), "new": ROOT}
    libraries = {name: _fresh(f"import-proxy-{name}") for name in trees}
    rows = []
    print("file  tree  load  wall s  CPU s  peak MiB  written MB", flush=True)
    for k, path in enumerate(paths, 1):
        for name in list(trees) if k % 2 else list(trees)[::-1]:
            load = os.getloadavg()[0]
            run = proxy_import(trees[name], libraries[name], path, records)
            row = {"file": k, "tree": name, "load": load, **asdict(run)}
            del row["output"]
            rows.append(row)
            print(
                f"{k:>4}  {name:>4}  {load:4.1f}  {run.seconds:6.1f}  {run.cpu_seconds:5.1f}  "
                f"{run.max_rss_mb:8.0f}  {run.written / 1e6:10.0f}",
                flush=True,
            )
    for name in trees:
        first, last = (next(r for r in rows if r["tree"] == name and r["file"] == k) for k in (1, files))
        print(
            f"{name}: last / first: wall {last['seconds'] / first['seconds']:.2f}, CPU "
            f"{last['cpu_seconds'] / first['cpu_seconds']:.2f}, "
            f"peak {last['max_rss_mb'] / first['max_rss_mb']:.2f}, "
            f"written {last['written'] / max(1, first['written']):.2f}"
        )
        shutil.rmtree(libraries[name].parent)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description="The import series' proxy.")
    parser.add_argument("--proxy", action="store_true", required=True)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument(
        "--base", type=Path, required=True, help="the tree to compare with (a worktree of main)"
    )
    args = parser.parse_args()
    proxy(args.files, args.records, args.base)
