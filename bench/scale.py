"""How one-article commands grow with the library: the same command on each size, as ratios to 10k.

Each command runs as a whole process (``pmbrowse --db LIB ...``), as a user runs it; its wall time is
the median of several runs, its peak memory (max RSS) the largest of them. Bytes written are the growth
of the library's own files (base, index, journal) plus its search index folder.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.bench import OUT, PYTHON, ROOT, Row, Run, _spawn, median
from bench.generate import pmid_of


def run_command(argv: list[str]) -> Run:
    """A command that must succeed (exit 0): a bench of a failing command would measure nothing."""
    return _spawn(argv, ok=(0,))


PMBROWSE = str(Path(PYTHON).parent / "pmbrowse")
SEED = ROOT / "store" / "demo" / "30992990.txt"


@dataclass
class Measure:
    seconds: float
    rss_mb: float
    written: int = -1  # bytes, -1 when not measured


def _library_bytes(path: Path) -> int:
    total = 0
    for p in path.parent.glob(path.name + "*"):
        if p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        elif p.is_file():
            total += p.stat().st_size
    return total


def _page(pmid: int) -> Path:
    """The seed article's page under a new PMID: importing it adds one record and its links' stubs."""
    text = SEED.read_text(encoding="utf-8").replace("30992990", str(pmid))
    out = OUT / f"page-{pmid}.txt"
    out.write_text(text, encoding="utf-8")
    return out


def _copy_of(path: Path) -> Path:
    """A scratch copy of a cached library (commands that write must not change the cache)."""
    scratch = OUT / "scratch" / path.name
    if scratch.parent.exists():
        shutil.rmtree(scratch.parent)
    scratch.parent.mkdir(parents=True)
    for p in path.parent.glob(path.name + "*"):
        if p.is_dir():
            shutil.copytree(p, scratch.parent / p.name)
        elif p.name.endswith((".json", ".idx", ".journal")):
            shutil.copy2(p, scratch.parent / p.name)
    return scratch


def measure_commands(path: Path, n: int, runs: int) -> dict[str, Measure]:
    """show, mark, import of one page, stats: whole processes on a library of ``n`` records."""
    lib = _copy_of(path)
    pmid = pmid_of(n // 2)  # a record in the middle
    out: dict[str, Measure] = {}
    shown = run_command([PMBROWSE, "--db", str(lib), "show", pmid, "--json"]).output
    assert f'"pmid": "{pmid}"' in shown, shown[:200]
    for name, argv in (
        ("show", [PMBROWSE, "--db", str(lib), "show", pmid, "--json"]),
        ("mark", [PMBROWSE, "--db", str(lib), "mark", pmid, "--star"]),
        ("stats", [PMBROWSE, "--db", str(lib), "stats"]),
    ):
        results = []
        for _ in range(runs):
            before = _library_bytes(lib)
            results.append((run_command(argv), _library_bytes(lib) - before))
        out[name] = Measure(
            median([r.seconds for r, _ in results]),
            max(r.max_rss_mb for r, _ in results),
            max(w for _, w in results),
        )
    results = []
    for i in range(runs):
        page = _page(90_000_000 + i)
        before = _library_bytes(lib)
        results.append(
            (run_command([PMBROWSE, "--db", str(lib), "import", str(page)]), _library_bytes(lib) - before)
        )
    out["fetch one record"] = _measure_fetch(lib, runs)
    out["import one page"] = Measure(
        median([r.seconds for r, _ in results]),
        max(r.max_rss_mb for r, _ in results),
        max(w for _, w in results),
    )
    shutil.rmtree(lib.parent)
    return out


def _measure_fetch(lib: Path, runs: int) -> Measure:
    """``pmbrowse fetch`` of one new record with its links, against a local server standing in for
    E-utilities and Europe PMC (the tests' server; an API key so the politeness spacing is 0.1 s)."""
    import os

    from tests.online_server import LocalServer, RecordBank, Reply, Request, json_reply

    def elink(request: Request) -> Reply:
        sets = "".join(
            f"<LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>{pmid}</Id></IdList><LinkSetDb><DbTo>pubmed</DbTo>"
            f"<LinkName>{request.one('linkname')}</LinkName><Link><Id>20000001</Id></Link>"
            f"<Link><Id>20000002</Id></Link></LinkSetDb></LinkSet>"
            for pmid in request.params.get("id", [])
        )
        return Reply(body=f"<?xml version='1.0'?><eLinkResult>{sets}</eLinkResult>".encode())

    server = LocalServer()
    server.route("eutils/efetch.fcgi", RecordBank(synthesize=True))
    server.route("eutils/elink.fcgi", elink)
    env = {
        "PMBROWSE_EUTILS_URL": server.eutils_url,
        "PMBROWSE_EUROPEPMC_URL": server.europepmc_url,
        "NCBI_API_KEY": "bench",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    results = []
    try:
        for i in range(runs):
            pmid = str(80_000_000 + i)
            for rel in ("references", "citations"):
                server.route(f"europepmc/MED/{pmid}/{rel}", json_reply('{"hitCount":0}'))
            before = _library_bytes(lib)
            results.append(
                (run_command([PMBROWSE, "--db", str(lib), "fetch", pmid]), _library_bytes(lib) - before)
            )
    finally:
        server.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Measure(
        median([r.seconds for r, _ in results]),
        max(r.max_rss_mb for r, _ in results),
        max(w for _, w in results),
    )


def scaling_table(by_size: dict[int, dict[str, Measure]]) -> str:
    sizes = sorted(by_size)
    first = sizes[0]
    head = (
        "| command (whole process) | "
        + " | ".join(f"{n:,}" for n in sizes)
        + f" | ratio {sizes[-1]:,} / {first:,} |"
    )
    lines = ["### One article, whatever the library's size", "", head, "|---" * (len(sizes) + 2) + "|"]
    for name in by_size[first]:
        cells = []
        for n in sizes:
            m = by_size[n][name]
            cell = f"{m.seconds * 1000:.0f} ms, {m.rss_mb:.0f} MB"
            if m.written > 0:
                cell += f", wrote {m.written / 1024:.0f} KiB"
            cells.append(cell)
        ratio = by_size[sizes[-1]][name].seconds / by_size[first][name].seconds
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {ratio:.2f} |")
    return "\n".join(lines) + "\n"


def rows_for(measures: dict[str, Measure]) -> list[Row]:
    return [Row(f"`{k}` (whole process)", f"{m.seconds * 1000:.0f} ms", "", "") for k, m in measures.items()]


__all__ = ["Measure", "measure_commands", "re", "scaling_table"]
