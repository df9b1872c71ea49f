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
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.generate import label
from bench.library import FILE_RECORDS, ImportRun, graph_for, import_series, main_cuts, xml_files
from bench.proc import OUT, Run, pmbrowse, python

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
