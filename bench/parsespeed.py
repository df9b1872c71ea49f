"""What the parse side of an import costs: ``python -m bench.parsespeed [FILE...]``.

For each PubMed XML file (by default the bench's 10k-record file with reference lists and the 100k
file without, in this repository's ``bench/out``: made first if missing, as ``bench.bench`` makes
them; ``bench.imports.parse_bench_files``), in one run and each in a fresh process:

- ``lxml``: ``iterparse`` reading the file alone, each record cleared (the floor);
- ``child``: the import's reading side as an import runs it (``store.importer._events_from_child``:
  the child parses and sends batches, this process receives and decodes them and drops them): the
  child's CPU seconds, this side's, and records per CPU second of the child.

CPU seconds (user + system), not wall time: the machine is shared. The load is printed beside.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.imports import parse_bench_files

LXML = """
import resource, sys
from lxml import etree
for _, el in etree.iterparse(sys.argv[1], tag="PubmedArticle"):
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
u = resource.getrusage(resource.RUSAGE_SELF)
print('{"cpu": %f}' % (u.ru_utime + u.ru_stime))
"""

CHILD = """
import json, resource, sys, time
import store.importer as importer
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
from store.wholefile import paused_gc
with paused_gc():  # (as an import reads)
    docs = sum(kind == "doc" for kind, _ in importer._events_from_child(sys.argv[1], None))
wall = time.perf_counter() - start
me = resource.getrusage(resource.RUSAGE_SELF)
child = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "docs": docs,
    "wall": wall,
    "child": child.ru_utime + child.ru_stime, "child_sys": child.ru_stime,
    "parent": me.ru_utime + me.ru_stime - before.ru_utime - before.ru_stime,
}))
"""


def run(code: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    found: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def main(argv: list[str]) -> None:
    for path in [Path(p) for p in argv] or parse_bench_files(write=True):
        floor = run(LXML, path)["cpu"]
        got = run(CHILD, path)
        print(
            f"{path.name}: {int(got['docs'])} records; lxml alone {floor:.2f} s; "
            f"child {got['child']:.2f} s ({got['docs'] / got['child']:,.0f} records/s), "
            f"parent receiving {got['parent']:.2f} s; wall {got['wall']:.2f} s, "
            f"load {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
