"""pmbrowse benchmark: start-up, search, jump and import on large generated libraries.

    python -m bench.bench                 # 10k, 100k and 1M libraries, 5 runs each (~30 minutes)
    python -m bench.bench --sizes 10000 --runs 3

These machines are shared and noisy, so every number is a median of several runs and is shown next
to a baseline measured in the same run, as a ratio. Each measurement runs in a fresh process, which
also gives its peak memory (max RSS). Generated libraries are cached in ``bench/out/``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
GENERATOR_VERSION = 6  # 6: schema 2 (journal, document index tied to its base), bulk-written
PYTHON = sys.executable


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    output: str


def _spawn(argv: Sequence[str], ok: Sequence[int] = (0,)) -> Run:
    """Run a process; its wall time, its own peak memory (from wait4) and its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    chunks: dict[str, bytes] = {}

    def drain(name: str, stream: IO[bytes]) -> None:
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{chunks['err'].decode(errors='replace')}")
    return Run(seconds, usage.ru_maxrss / 1024, chunks["out"].decode(errors="replace"))


def run(code: str, *args: str) -> Run:
    """Run Python code in a fresh process."""
    return _spawn([PYTHON, "-c", textwrap.dedent(code), *args])


def run_command(argv: Sequence[str]) -> Run:
    """Run a command; exit status 1 (nothing found) counts as success."""
    return _spawn(argv, ok=(0, 1))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# Libraries ------------------------------------------------------------------------------------


def remove_library(path: Path) -> None:
    """A library file and everything kept beside it (index, locks, session, marks)."""
    marks = path.with_name(path.stem + ".marks.json")
    for old in [*path.parent.glob(path.name + "*"), *path.parent.glob(marks.name + "*")]:
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()


def library_for(n: int) -> Path:
    """A generated library of ``n`` records (with its search index), built once and cached."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"lib-{n}.json"
    stamp = OUT / f"lib-{n}.version"
    if path.exists() and stamp.exists() and stamp.read_text() == str(GENERATOR_VERSION):
        return path
    print(f"generating a {n:,}-record library (once; cached in bench/out/)...", file=sys.stderr)
    remove_library(path)
    took = run(
        """
        import sys, time
        from bench.generate import stored_docs
        from store.library import Library
        from store.search import SearchIndex
        from store.storage import write_new_library
        n = int(sys.argv[1])
        write_new_library(sys.argv[2], stored_docs(n))
        SearchIndex.for_library(Library.open(sys.argv[2], demo=False))
        """,
        str(n),
        str(path),
    )
    print(f"  built in {took.seconds:.1f} s (peak {took.max_rss_mb:.0f} MB)", file=sys.stderr)
    stamp.write_text(str(GENERATOR_VERSION))
    return path


def queries(n: int, seed: int = 7) -> list[str]:
    """100 mixed queries: 1-3 words, phrases, field tags, wildcards, drawn from the library's vocabulary."""
    from bench.generate import SURNAMES, Vocabulary

    rng = random.Random(seed)
    vocab = Vocabulary(random.Random(1))  # the vocabulary the libraries were generated from
    out: list[str] = []
    for i in range(100):
        kind = i % 6
        words = [vocab.word(rng.randint(5, 3000)) for _ in range(3)]
        if kind == 0:
            out.append(words[0])
        elif kind == 1:
            out.append(" ".join(words[:2]))
        elif kind == 2:
            out.append(" ".join(words))
        elif kind == 3:
            out.append(f'"{vocab.word(rng.randint(0, 20))} {vocab.word(rng.randint(0, 20))}"')
        elif kind == 4:
            tag = rng.choice(
                [f"{words[0]}[ti]", f"{rng.choice(SURNAMES)}[au]", f"{rng.randint(1990, 2024)}[dp]"]
            )
            out.append(f"{words[1]} {tag}")
        else:
            out.append(words[0][: max(3, len(words[0]) - 2)] + "*")
    return out


# Measurements -----------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    value: str
    baseline: str
    ratio: str


def measure_load(path: Path, runs: int) -> list[Row]:
    base = [run("import store.library") for _ in range(runs)]
    ours = [
        run("import sys\nfrom store.library import Library\nLibrary.open(sys.argv[1])", str(path))
        for _ in range(runs)
    ]
    size = path.stat().st_size / 1e6
    t, b = median([r.seconds for r in ours]), median([r.seconds for r in base])
    m, bm = max(r.max_rss_mb for r in ours), max(r.max_rss_mb for r in base)
    return [
        Row("library file size", f"{size:,.0f} MB", "", ""),
        Row(
            "open the library (whole process)",
            f"{t:.2f} s",
            f"`python -c 'import store.library'` {b:.2f} s",
            f"{t / b:.2f}",
        ),
        Row(
            "peak memory after opening",
            f"{m:,.0f} MB",
            f"importing store.library {bm:,.0f} MB",
            f"{m / bm:.2f}",
        ),
    ]


def measure_cli_search(path: Path, runs: int, query: str) -> list[Row]:
    script = str(Path(PYTHON).parent / "pmbrowse")
    base = [run("import textual.app") for _ in range(runs)]
    ours = [run_command([script, "--db", str(path), "search", query, "--limit", "10"]) for _ in range(runs)]
    t, b = median([r.seconds for r in ours]), median([r.seconds for r in base])
    return [
        Row(
            f"`pmbrowse search {query}` (whole process)",
            f"{t * 1000:.0f} ms",
            f"`python -c 'import textual.app'` {b * 1000:.0f} ms",
            f"{t / b:.2f}",
        )
    ]


def measure_queries(path: Path) -> list[Row]:
    result = run(
        """
        import json, sys, time
        from pathlib import Path
        from store.search import SearchIndex
        index = SearchIndex.open_if_fresh(Path(sys.argv[1]))
        qs = json.loads(sys.argv[2])
        for q in qs[:10]:
            index.search(q, limit=20)  # warm the caches
        ours = []
        for q in qs:
            start = time.perf_counter(); index.search(q, limit=20); ours.append(time.perf_counter() - start)
        # Baseline: what a query costs without an index: one scan of 10,000 titles for one word.
        import itertools
        from store.library import Library
        docs = itertools.islice(Library.open(sys.argv[1]).iter_docs(), 10000)
        titles = [d.get("title", "").lower() for _i, d in docs]
        word = qs[0].strip('"*').split()[0]
        base = []
        for _ in range(5):
            start = time.perf_counter()
            [t for t in titles if word in t]
            base.append(time.perf_counter() - start)
        print(json.dumps({"ours": ours, "base": base}))
        """,
        str(path),
        json.dumps(queries(0)),
    )
    data = json.loads(result.output)
    ours, base = data["ours"], data["base"]
    b = median(base)
    p50, p95 = median(ours), percentile(ours, 0.95)
    return [
        Row(
            "query latency p50 (100 mixed queries, top 20)",
            f"{p50 * 1000:.1f} ms",
            f"scanning 10,000 titles for one word {b * 1000:.1f} ms",
            f"{p50 / b:.2f}",
        ),
        Row("query latency p95", f"{p95 * 1000:.1f} ms", "", f"{p95 / b:.2f}"),
    ]


# A bare Textual app that paints one line, timed to its first paint as the app is (the baseline the
# app's start-up is held to).
BARE_APP = """
import sys, time
from textual.app import App
from textual.widgets import Static
t0 = float(sys.argv[1])

class Bare(App):
    def compose(self):
        yield Static("pmbrowse")

async def watch(pilot):
    print(time.time() - t0)
    pilot.app.exit()

Bare().run(headless=True, auto_pilot=watch)
"""


def measure_app_startup(path: Path, runs: int, label: str) -> list[Row]:
    """The app, headless: time to its first painted screen, and until the library is loaded."""
    code = """
        import asyncio, sys, time
        from pathlib import Path
        from tui.app import PmbrowseApp
        t0 = float(sys.argv[2])

        async def watch(pilot):
            first = time.time() - t0  # the first screen is composed and painted
            while pilot.app.screen.library is None:
                await asyncio.sleep(0.005)
            print(first, time.time() - t0)
            pilot.app.exit()

        PmbrowseApp(Path(sys.argv[1])).run(headless=True, auto_pilot=watch)
        """
    firsts, loads, rss = [], [], []
    for _ in range(runs):
        result = run(code, str(path), repr(time.time()))
        out = result.output.split()
        firsts.append(float(out[0]))
        loads.append(float(out[1]))
        rss.append(result.max_rss_mb)
    base = median([run("import textual.app").seconds for _ in range(runs)])
    bare = median([float(run(BARE_APP, repr(time.time())).output.split()[0]) for _ in range(runs)])
    first, loaded = median(firsts), median(loads)
    return [
        Row(
            f"app start-up to first paint ({label})",
            f"{first * 1000:.0f} ms",
            f"`python -c 'import textual.app'` {base * 1000:.0f} ms",
            f"{first / base:.2f}",
        ),
        Row(
            f"app start-up to first paint ({label}), against a bare Textual app",
            f"{first * 1000:.0f} ms",
            f"a Textual app painting one line {bare * 1000:.0f} ms",
            f"{first / bare:.2f}",
        ),
        Row(
            f"app start-up until the library is loaded ({label})",
            f"{loaded * 1000:.0f} ms",
            "",
            f"{loaded / base:.2f}",
        ),
        Row(f"app peak memory after start ({label})", f"{max(rss):,.0f} MB", "", ""),
    ]


def measure_jump(path: Path) -> list[Row]:
    """Following a link in the app: resolve the target, read its record and both link lists."""
    result = run(
        """
        import json, random, sys, time
        import orjson
        from store.library import Library
        lib = Library.open(sys.argv[1])
        rng = random.Random(3)
        ids = [rng.randint(1, len(lib)) for _ in range(200)]
        for doc_id in ids[:20]:
            lib.links(doc_id, "references")  # (warm up, as the app has by the time a key is pressed)
        ours, base = [], []
        for doc_id in ids:
            start = time.perf_counter()
            lib.article(doc_id); lib.links(doc_id, "references"); lib.links(doc_id, "cited_by")
            ours.append(time.perf_counter() - start)
            doc = lib.doc(doc_id)
            start = time.perf_counter()
            orjson.loads(orjson.dumps(doc))
            base.append(time.perf_counter() - start)
        print(json.dumps({"ours": ours, "base": base}))
        """,
        str(path),
    )
    data = json.loads(result.output)
    p50, p95, b = median(data["ours"]), percentile(data["ours"], 0.95), median(data["base"])
    return [
        Row(
            "jump to an article with its links, p50",
            f"{p50 * 1000:.2f} ms",
            f"copying its document (orjson dumps+loads) {b * 1000:.3f} ms",
            f"{p50 / b:.0f}",
        ),
        Row("jump p95", f"{p95 * 1000:.2f} ms", "", f"{p95 / b:.0f}"),
    ]


def measure_import(records: int, runs: int) -> list[Row]:
    """Import throughput of PubMed XML into an empty library: records with 30 references each, and
    the same records without reference lists (as in the yearly baseline files)."""
    import re

    from bench.generate import articles, pubmed_xml

    with_refs = OUT / f"pubmed-{records}.xml"
    if not with_refs.exists():
        with_refs.write_text(pubmed_xml(list(articles(records, seed=11))), encoding="utf-8")
    without = OUT / f"pubmed-{records}-norefs.xml"
    if not without.exists():
        without.write_text(re.sub(r"<ReferenceList>.*?</ReferenceList>", "", with_refs.read_text()))
    rows: list[Row] = []
    for xml, what in ((without, "no reference lists"), (with_refs, "30 references each")):
        ours = []
        for i in range(runs):
            db = OUT / f"import-{i}.json"
            remove_library(db)
            ours.append(
                run_command([str(Path(PYTHON).parent / "pmbrowse"), "--db", str(db), "import", str(xml)])
            )
        base = [
            run(
                """
                import sys
                from lxml import etree
                for _, el in etree.iterparse(sys.argv[1], tag="PubmedArticle"):
                    el.clear()
                """,
                str(xml),
            )
            for _ in range(runs)
        ]
        t, b = median([r.seconds for r in ours]), median([r.seconds for r in base])
        rows.append(
            Row(
                f"import PubMed XML, {records:,} records, {what} (whole process)",
                f"{records / t:,.0f} records/s",
                f"lxml iterparse alone {records / b:,.0f} records/s",
                f"{t / b:.1f}× the time",
            )
        )
        rows.append(
            Row(
                f"peak memory during that import ({what})",
                f"{max(r.max_rss_mb for r in ours):,.0f} MB",
                "",
                "",
            )
        )
    return rows


def table(title: str, rows: list[Row]) -> str:
    lines = [f"### {title}", "", "| measure | pmbrowse | baseline (same run) | ratio |", "|---|---|---|---|"]
    lines += [f"| {r.what} | {r.value} | {r.baseline} | {r.ratio} |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="library sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--import-records", type=int, default=20000, help="records in the import benchmark")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    demo = OUT / "demo.json"
    remove_library(demo)
    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"pmbrowse benchmark — {when}, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    run("import sys\nfrom store.library import Library\nLibrary.open(sys.argv[1])", str(demo))
    print(table("The demo library", measure_app_startup(demo, args.runs, "demo")))
    from bench.scale import measure_commands, scaling_table

    by_size = {}
    for n in sizes:
        path = library_for(n)
        by_size[n] = measure_commands(path, n, args.runs)
        rows = measure_load(path, args.runs)
        rows += measure_cli_search(path, args.runs, queries(0)[0])
        rows += measure_queries(path)
        rows += measure_jump(path)
        rows += measure_app_startup(path, args.runs, f"{n:,} records")
        print(table(f"{n:,}-record library", rows), flush=True)
    print(scaling_table(by_size), flush=True)
    print(table("Import", measure_import(args.import_records, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
