"""Whole commands, as a user runs them: ``pmbrowse --db LIB COMMAND ...`` in a fresh process each time.

Every command runs on a scratch copy of the built library (the commands that write change the
copy, never the cache), ``runs`` times; its time is the median, its peak memory (max RSS) and bytes
written (by the process and its children, from the kernel's accounting) the largest of the runs.
Each run follows a run of ``python -c 'import textual.app'``, the baseline, whose median is kept with
the command's (the load of a shared machine changes from minute to minute: a baseline taken once per
size was seen at 300 ms while the commands after it ran three times slower). The scale table divides
each command's time by its own baseline before comparing sizes.

What each command does:

- ``show``: ``show PMID --json`` of an ordinary record from the middle of the library.
- ``mark``: ``mark PMID --star`` then ``--unstar`` in turn (each run changes the marks file).
- ``stats``: the library's counts.
- ``search``: a one-word query from the middle of the vocabulary, ``--limit 10``.
- ``related``: ``related PMID`` (co-citation and coupling, top 20) of the ordinary record.
- ``snowball``: one round of citation chasing, both ways, from 20 seeds given by PMID (the command,
  which also saves the round).
- ``import one page``: an article page (the demo's seed page under a new PMID each run): one record
  and its links' stubs.
- ``fetch one record``: ``fetch PMID`` of a new record with its links, against a local HTTP server
  standing in for E-utilities and Europe PMC (the tests' server).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.generate import pmid_of
from bench.library import Built, scratch_copy
from bench.proc import OUT, ROOT, Run, median, pmbrowse, python

SEED_PAGE = ROOT / "store" / "demo" / "30992990.txt"
BASELINE = "import textual.app"


@dataclass
class Measure:
    seconds: float
    rss_mb: float
    written: int  # bytes, the largest of the runs
    baseline: float = 0.0  # the median of the baseline runs taken in turn with these (0: none)

    @classmethod
    def of(cls, runs: list[Run], baselines: list[Run] | None = None) -> Measure:
        base = median([r.seconds for r in baselines]) if baselines else 0.0
        return cls(
            median([r.seconds for r in runs]),
            max(r.max_rss_mb for r in runs),
            max(r.written for r in runs),
            base,
        )


def baseline(runs: int) -> Measure:
    """``python -c 'import textual.app'``: the floor of any pmbrowse command (interpreter and imports)."""
    return Measure.of([python(BASELINE) for _ in range(runs)])


def search_word(seed: int = 7) -> str:
    """A word of middling frequency in the generated vocabulary."""
    from bench.generate import Vocabulary

    return Vocabulary(random.Random(1)).word(random.Random(seed).randint(50, 500))


def page(pmid: int) -> Path:
    """The seed article's page under a new PMID: importing it adds one record and its links' stubs."""
    text = SEED_PAGE.read_text(encoding="utf-8").replace("30992990", str(pmid))
    out = OUT / "pages" / f"page-{pmid}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def measure_commands(built: Built, runs: int) -> dict[str, Measure]:
    """Each command's measure on a scratch copy of ``built``."""
    lib = scratch_copy(built)
    n = built.n
    pmid = pmid_of(n // 2)
    shown = pmbrowse(lib, "show", pmid, "--json").output
    assert f'"pmid": "{pmid}"' in shown, shown[:300]
    seeds = [pmid_of(i) for i in random.Random(5).sample(range(n // 4, 3 * n // 4), 20)]
    word = search_word()
    commands: dict[str, Callable[[int], list[str]]] = {
        "show": lambda i: ["show", pmid, "--json"],
        "mark": lambda i: ["mark", pmid, "--star" if i % 2 == 0 else "--unstar"],
        "stats": lambda i: ["stats"],
        "search": lambda i: ["search", word, "--limit", "10"],
        "related": lambda i: ["related", pmid],
        "snowball": lambda i: ["snowball", "--ids", *seeds],
        "import one page": lambda i: ["import", str(page(90_000_000 + i))],
    }
    # Each run of a command follows a run of the baseline, so that the load of a shared machine,
    # which changes from minute to minute, weighs on both alike.
    out: dict[str, Measure] = {}
    for name, argv in commands.items():
        pairs = [(python(BASELINE), pmbrowse(lib, *argv(i), ok=(0, 1))) for i in range(runs)]
        out[name] = Measure.of([r for _, r in pairs], [b for b, _ in pairs])
    with fetch_server() as fetch:
        pairs = [(python(BASELINE), fetch(lib, 80_000_000 + i)) for i in range(runs)]
        out["fetch one record"] = Measure.of([r for _, r in pairs], [b for b, _ in pairs])
    return out


@contextmanager
def fetch_server() -> Iterator[Callable[[Path, int], Run]]:
    """A local server answering ``fetch`` of any PMID: a synthesized record, two citing links from
    elink, none from Europe PMC; an API key so that the politeness spacing is 0.1 s."""
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

    def fetch(lib: Path, pmid: int) -> Run:
        for rel in ("references", "citations"):
            server.route(f"europepmc/MED/{pmid}/{rel}", json_reply('{"hitCount":0}'))
        return pmbrowse(lib, "fetch", str(pmid), env=env)

    try:
        yield fetch
    finally:
        server.close()
