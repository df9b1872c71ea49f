"""Citation chasing, offline: one round from 200 seeds on a generated library, as a ratio to reading
those seeds' link lists (``Library.links`` of each seed, both ways: every target's document read once
per link), measured in the same run.

Each measure runs in a fresh process (``--measure``) that opens the library, then times only the work
(opening is the same for both); the figure is the median of ``--runs`` runs, the two measures taken in
turn. The library is ``bench/out/lib-N.json`` when the main benchmark has built it, else one written
here in bulk (``store.storage.write_new_library``) as ``bench/out/snowball-lib-N.json``.

    python -m bench.snowball [--size 100000] [--seeds 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def library_path(n: int) -> Path:
    shared = OUT / f"lib-{n}.json"
    if shared.exists():
        return shared
    path = OUT / f"snowball-lib-{n}.json"
    if not path.exists():
        from bench.generate import stored_docs
        from store.storage import write_new_library

        OUT.mkdir(parents=True, exist_ok=True)
        print(f"writing a {n:,}-record library (once; cached in bench/out/)...", file=sys.stderr)
        started = time.perf_counter()
        write_new_library(path, stored_docs(n))
        print(f"  written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def seed_ids(n: int, count: int, seed: int = 11) -> list[int]:
    """Records from the middle of the library's years: both references and citing articles."""
    rng = random.Random(seed)
    return sorted(rng.sample(range(n // 4, 3 * n // 4), count))


def measure(kind: str, path: Path, seeds: list[int]) -> dict[str, float]:
    from store.library import Library

    library = Library.open(path, demo=False)
    started = time.perf_counter()
    if kind == "links":
        links = sum(len(library.links(s, rel)) for s in seeds for rel in ("references", "cited_by"))
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "links": links}
    from store.snowball.engine import run_round
    from store.snowball.state import SnowballState

    result = run_round(library, seeds, "both", state=SnowballState())
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "identified": result.round.identified,
        "candidates": len(result.round.candidates),
    }


def in_process(kind: str, path: Path, seeds: list[int]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "bench.snowball", "--measure", kind, "--library", str(path)]
    argv += ["--seed-ids", ",".join(map(str, seeds))]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--measure", choices=("links", "round"), help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--seed-ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        seeds = [int(s) for s in args.seed_ids.split(",")]
        print(json.dumps(measure(args.measure, Path(args.library), seeds)))
        return
    path = library_path(args.size)
    seeds = seed_ids(args.size, args.seeds)
    links: list[float] = []
    rounds: list[float] = []
    last: dict[str, float] = {}
    for _ in range(args.runs):
        links.append(in_process("links", path, seeds)["seconds"])
        last = in_process("round", path, seeds)
        rounds.append(last["seconds"])
    base, mine = statistics.median(links), statistics.median(rounds)
    print(f"{args.size:,}-record library ({path.name}), {args.seeds} seeds, both ways, {args.runs} runs")
    print(f"links identified {int(last['identified']):,}, candidates {int(last['candidates']):,}")
    print("| measure | pmbrowse | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    print(
        f"| offline round, {args.seeds} seeds | {mine * 1000:.0f} ms | reading the seeds' link lists "
        f"{base * 1000:.0f} ms | {mine / base:.2f} |"
    )


if __name__ == "__main__":
    main()
