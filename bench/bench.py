"""pmbrowse benchmark: what the user sees, on libraries built by ``pmbrowse import``, at 10k / 100k / 1M.

    python -m bench.bench                                   # everything: hours with today's importer
    python -m bench.bench --sizes 10k,100k --import-files 2 --one-file 0 --runs 3   # under an hour

For each size: whole commands in fresh processes (``bench.commands``), opening an article in the
headless app from the key press to the painted pane (``bench.app``), and the app's start-up to its
first content beside a bare Textual app's, from outside in a pseudo-terminal (``bench.app``); then
the same figures side by side as ratios to the smallest size; then the import table
(``bench.imports``). Libraries are built as a user builds them and cached (``bench.library``).

These machines are shared and noisy: every time is a median of several fresh processes, shown beside
a baseline measured in the same run, as a ratio; read the ratios, not the milliseconds. The tables
are printed as Markdown and written with every figure to ``bench/out/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import app, commands, imports
from bench.generate import label, pmid_of, sizes_of
from bench.library import Built, counts, library, library_bytes, scratch_copy
from bench.proc import OUT, python

RESULTS = OUT / "results.json"
OPEN_TARGET_MS = 30  # issue 18: an article with 10,000 citing articles opens in <= 30 ms p95
STARTUP_TARGET = 1.5  # the app's first content within 1.5x a bare Textual app's first line


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def mb(value: float) -> str:
    return f"{value:,.0f} MB"


def size(nbytes: float) -> str:
    if nbytes < 1 << 20:
        return f"{nbytes / 1024:,.0f} KiB"
    return f"{nbytes / (1 << 20):,.0f} MiB" if nbytes < 1 << 30 else f"{nbytes / (1 << 30):,.1f} GiB"


def demo_library() -> Path:
    """The demo library, as ``pmbrowse`` makes it on a first start."""
    folder = OUT / "demo"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / "library.json"
    python("import sys\nfrom store.library import Library\nLibrary.open(sys.argv[1])", str(path))
    return path


def measure_size(built: Built, runs: int, starts: int, opens: int, famous_opens: int) -> dict[str, Any]:
    result: dict[str, Any] = {"n": built.n, "library": _composition(built)}
    result["baseline"] = asdict(commands.baseline(runs))
    result["commands"] = {k: asdict(v) for k, v in commands.measure_commands(built, runs).items()}
    scratch = scratch_copy(built, "scratch-app")
    result["startup"] = app.startup(scratch, starts)
    result["open"] = app.open_article(scratch, pmid_of(built.famous), opens, famous_opens)
    return result


def _spread(low_high: list[float]) -> str:
    return f"{ms(low_high[0])}–{ms(low_high[1])}"


def _composition(built: Built) -> dict[str, Any]:
    return {
        **counts(built.path),
        "tail_records": built.tail_records,
        "bytes": library_bytes(built.path),
        "journal_bytes": built.journal_bytes,
        "threshold_bytes": built.threshold_bytes,
        "famous_citing": built.famous_citing,
        "imports": [asdict(r) for r in built.imports],
        "built": _built_when(built),
    }


def _built_when(built: Built) -> str:
    """Which code built the library: this run's, or an earlier run's (the cache is keyed by the recipe
    and the schema version, not by the code: ``--rebuild`` builds it with the code measured)."""
    if built.fresh:
        return "built in this run"
    made = time.strftime("%Y-%m-%d %H:%M", time.localtime((built.path.parent / "build.json").stat().st_mtime))
    return f"from the cache, built {made} by the code of then (--rebuild: by this code)"


def size_table(r: dict[str, Any]) -> str:
    lib, base = r["library"], r["baseline"]
    lines = [
        f"### {r['n']:,}-record library",
        "",
        f"{lib.get('records', 0):,} records ({r['n']:,} in {len(lib['imports'])} file(s) of up to "
        f"100,000, then {lib['tail_records']:,} in small files), {lib.get('stubs', 0):,} stubs, "
        f"{lib.get('links', 0):,} links; {size(lib['bytes'])} on disk; the journal "
        f"{size(lib['journal_bytes'])} ({lib['journal_bytes'] / max(1, lib['threshold_bytes']):.0%} "
        f"of the size that makes a command compact); {lib.get('built', 'built by an unknown run')}.",
        "",
        "| measure | time | peak memory | written | ratio | baseline (same run) |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in r["commands"].items():
        lines.append(
            f"| `{name}` (whole process) | {ms(m['seconds'])} | {mb(m['rss_mb'])} | {size(m['written'])} | "
            f"{m['seconds'] / _base(r, name):.2f} | `python -c 'import textual.app'` {ms(_base(r, name))} "
            f"(run in turn with it), {mb(base['rss_mb'])} |"
        )
    s = r["startup"]
    lines.append(
        "| app start-up to first content (the result list's first title on the terminal) | "
        f"{ms(s['seconds'])} | {mb(s['max_rss_mb'])} |  | {s['ratio']:.2f} (target ≤ {STARTUP_TARGET}) | "
        f"a bare Textual app's one line {ms(s['bare_seconds'])}; medians of {s['starts']} starts each, "
        "in turn "
        f"(the app {_spread(s['seconds_range'])}, the bare app {_spread(s['bare_seconds_range'])}) |"
    )
    o = r["open"]
    switch = o.get("switch")
    for kind, what in (
        ("ordinary", "an ordinary article"),
        ("famous", f"an article with {o['famous_citing']:,} citing"),
    ):
        k = o[kind]
        ratio, base = "", f"target p95 ≤ {OPEN_TARGET_MS} ms"
        if switch:
            ratio = f"{k['p50'] / switch['p50']:.1f} (p50)"
            base += (
                "; the key `a` (to the Abstract pane) to its painted text, p50 / p95 "
                f"{switch['p50'] * 1000:,.1f} / {switch['p95'] * 1000:,.1f} ms"
            )
            if "cpu_p50" in switch:
                base += f" (CPU p50 {switch['cpu_p50'] * 1000:,.1f} ms)"
        cpu = f" (CPU p50 {k['cpu_p50'] * 1000:,.1f} ms)" if "cpu_p50" in k else ""
        lines.append(
            f"| open {what}: key press to its citing articles painted, p50 / p95 ({k['runs']} opens) | "
            f"{k['p50'] * 1000:,.1f} / {k['p95'] * 1000:,.1f} ms{cpu} | {mb(o['max_rss_mb'])} (the app) |  | "
            f"{ratio} | {base} |"
        )
    return "\n".join(lines) + "\n"


def scale_table(results: list[dict[str, Any]]) -> str:
    """Each measure at every size, as a ratio to the smallest size (the ratio of the times each
    divided by its own baseline, so that a busier moment of the machine does not count)."""
    first = results[0]
    head = " | ".join(f"{r['n']:,}" for r in results)
    lines = [
        "### The same at every size (time, peak memory, written; ratio to the smallest size)",
        "",
        f"| measure | {head} | ratio {label(results[-1]['n'])} / {label(first['n'])} |",
        "|---|" + "---|" * (len(results) + 1),
    ]

    def ratio(get: Any) -> str:
        return f"{get(results[-1]) / get(first):.2f}"

    for name in first["commands"]:
        cells = [
            f"{ms(r['commands'][name]['seconds'])}, {mb(r['commands'][name]['rss_mb'])}, "
            f"{size(r['commands'][name]['written'])}"
            for r in results
        ]
        lines.append(
            f"| `{name}` | {' | '.join(cells)} | "
            f"{ratio(lambda r, name=name: r['commands'][name]['seconds'] / _base(r, name))} |"
        )
    cells = [f"{ms(r['startup']['seconds'])}, {mb(r['startup']['max_rss_mb'])}" for r in results]
    lines.append(
        f"| app start-up to first content | {' | '.join(cells)} | {ratio(lambda r: r['startup']['ratio'])} |"
    )
    for kind in ("ordinary", "famous"):
        cells = [f"p95 {r['open'][kind]['p95'] * 1000:,.1f} ms" for r in results]
        lines.append(
            f"| open {'an ordinary' if kind == 'ordinary' else 'the famous'} article | {' | '.join(cells)} | "
            f"{ratio(lambda r, kind=kind: r['open'][kind]['p95'])} |"
        )
    return "\n".join(lines) + "\n"


def _base(result: dict[str, Any], name: str) -> float:
    """The baseline a command's time is divided by: its own, taken in turn with it, when measured."""
    return float(result["commands"][name].get("baseline") or result["baseline"]["seconds"])


def cpu_time(run: dict[str, Any]) -> str:
    """A process's CPU time (user and system, children included), or a dash when not measured."""
    return f"{run['cpu_seconds']:,.1f} s" if run.get("cpu_seconds") else "–"


def import_table(data: dict[str, Any]) -> str:
    lines = ["### Import", ""]
    if "series" in data:
        parse = data["series_parse"]
        lines += [
            "Files of 100,000 records with reference lists, each imported by its own `pmbrowse import` "
            f"into the library the ones before made. lxml alone reads the first in {parse['seconds']:.1f} s "
            f"({parse['records'] / parse['seconds']:,.0f} records/s).",
            "",
            "| file | library before | time | records/s | CPU time | peak memory | written |",
            "|---|---|---|---|---|---|---|",
        ]
        for k, r in enumerate(data["series"], 1):
            lines.append(
                f"| {k} | {r['library_before']:,} | {r['seconds']:,.0f} s | "
                f"{r['records'] / r['seconds']:,.0f} | {cpu_time(r)} | {mb(r['max_rss_mb'])} | "
                f"{size(r['written'])} |"
            )
        last = data["last_to_first"]
        lines += [
            f"| last / first |  | {last['time']:.2f} | | | {last['max_rss']:.2f} | {last['written']:.2f} |",
            "",
        ]
        for key, what in (
            ("no_references", "the first file without reference lists, into an empty library"),
        ):
            r, p = data[key], data[f"{key}_parse"]
            lines.append(
                f"- {what}: {r['seconds']:,.0f} s, {r['records'] / r['seconds']:,.0f} records/s, peak "
                f"{mb(r['max_rss_mb'])}, wrote {size(r['written'])}, CPU {cpu_time(r)}; lxml alone "
                f"{p['seconds']:.1f} s, CPU {cpu_time(p)} ({r['seconds'] / p['seconds']:.1f}× the time)."
            )
    if "one_file" in data:
        r, p = data["one_file"], data["one_file_parse"]
        lines.append(
            f"- one file of {r['records']:,} records with reference lists, into an empty library: "
            f"{r['seconds']:,.0f} s, {r['records'] / r['seconds']:,.0f} records/s, "
            f"peak {mb(r['max_rss_mb'])}, wrote {size(r['written'])}, CPU {cpu_time(r)}; lxml alone "
            f"{p['seconds']:.1f} s, CPU {cpu_time(p)} ({r['seconds'] / p['seconds']:.1f}× the time)."
        )
    return "\n".join(lines) + "\n"


def _at_least_one(text: str) -> int:
    if (n := int(text)) < 1:
        raise argparse.ArgumentTypeError("at least 1 (a median of no starts is no figure)")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--sizes", default="10k,100k,1M", help="library sizes, comma-separated (10k,100k,1M)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measure (median)")
    parser.add_argument(
        "--starts",
        type=_at_least_one,
        default=9,
        help="app starts, each beside a bare app's, per library (median; a start is short and noisy)",
    )
    parser.add_argument("--opens", type=int, default=40, help="ordinary articles opened in the app")
    parser.add_argument("--famous-opens", type=int, default=10, help="opens of the famous article")
    parser.add_argument(
        "--import-files", type=int, default=10, help="100k files in the import series (0: none)"
    )
    parser.add_argument("--one-file", default="1M", help="records in the one-file import (0: none)")
    parser.add_argument("--rebuild", action="store_true", help="build the libraries again")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write every figure")
    args = parser.parse_args(argv)
    sizes = sorted(sizes_of(args.sizes))
    one_file = sizes_of(args.one_file)[0] if args.one_file not in ("", "0") else 0
    started = time.time()
    when = time.strftime("%Y-%m-%d %H:%M")
    header = (
        f"pmbrowse benchmark, {when}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}; python -m bench.bench {' '.join(argv or sys.argv[1:])}"
    )
    print(header + "\n", flush=True)
    out: dict[str, Any] = {"when": when, "header": header, "argv": list(argv or sys.argv[1:])}
    if sizes:
        demo = demo_library()
        out["demo_startup"] = d = app.startup(demo, args.starts)
        print(
            f"### The demo library\n\nApp start-up to first content (its first title on the terminal): "
            f"{ms(d['seconds'])}, a bare Textual app's one line {ms(d['bare_seconds'])}: {d['ratio']:.2f}× "
            f"(target ≤ {STARTUP_TARGET}); the app's peak memory {mb(d['max_rss_mb'])}.\n",
            flush=True,
        )
    results = []
    built_now: dict[int, Built] = {}
    for n in sizes:
        built = library(n, rebuild=args.rebuild)
        if built.fresh:
            built_now[n] = built
        result = measure_size(built, args.runs, args.starts, args.opens, args.famous_opens)
        results.append(result)
        print(size_table(result), flush=True)
        out["sizes"] = results
        _save(out, args.json)
    if len(results) > 1:
        print(scale_table(results), flush=True)
    done = built_now[imports.SERIES_OF].imports if imports.SERIES_OF in built_now else None
    if args.import_files or one_file:
        out["import"] = imports.measure(args.import_files, one_file, done)
        print(import_table(out["import"]), flush=True)
    out["seconds"] = time.time() - started
    _save(out, args.json)
    print(f"(took {out['seconds'] / 60:.0f} minutes; every figure is in {args.json})")
    return 0


def _save(out: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(out, indent=1))
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
