"""``python -m bench.screening``: screening in the Snowball view with 10,000 candidates in the round —
a decision key to the next row painted (issue 16's target: ≤ 50 ms).

The library: one seed, included, and 10,000 records that cite it (title, authors, journal, year, an
abstract of 120 words), so one round (kept, as ``pmbrowse snowball`` keeps it) has 10,000 candidates.
Two cases: **fresh** (nothing screened yet: 10,000 rows listed, a small marks file) and **half
screened** (5,000 of the round decided before the app starts, with reasons, in one write: those are
counted, not listed, and every decision rewrites a marks file holding 5,000 records).

The time is taken in the headless app (``App.run_test()``, 120×40), as ``bench.app`` takes an article's
opening: each frame the app sends to the terminal is applied to a copy of the screen
(``bench.app.ScreenCopy``), and the time runs from the key press to the first frame in which the row
just decided shows its ``✔`` and the details below the list show the next row's title. So it includes
handling the key, the write of the marks file (atomic, whole), the cursor rule, the row and the
details redrawn, and Textual's refresh timer (at most 60 frames a second). The baseline, in the same
app at the same moment: ``down`` (the cursor to the next row, nothing written) to that row's title
painted in the details. Keys alternate (``i``, ``down``, ``i``…) so each decision lands on a row still
to screen; the first few of each are warm-up. Medians and 95th percentiles of ``--keys`` each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.proc import OUT, median, percentile, python
from bench.review import JOURNALS, WORDS

FOLDER = OUT / "screening"
CANDIDATES = 10_000
SEED = "1"
WARM = 5


def build(path: Path, candidates: int = CANDIDATES, decided: int = 0) -> None:
    """The seed, ``candidates`` records citing it, the round kept; ``decided`` of them excluded (with a
    reason) after it ran."""
    from store.library import Library
    from store.marks import Marks
    from store.model import AbstractSection, Article, Author, Link, Origin
    from store.snowball.engine import run_round
    from store.snowball.state import SnowballFile, keep_round

    rng = random.Random(16)
    library = Library.open(path, demo=False)
    origin = Origin("bench")
    with library.transaction() as changes:
        changes.put_article(Article(pmid=SEED, title="The seed of the review", year=2015), origin)
        for n in range(candidates):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
            changes.put_article(
                Article(
                    pmid=str(2_000_000 + n),
                    title=f"B{n:05d} {words}",
                    authors=[Author(last=rng.choice(WORDS).capitalize(), initials="A") for _ in range(4)],
                    journal=rng.choice(JOURNALS),
                    year=rng.randint(2016, 2025),
                    abstract=[AbstractSection(" ".join(rng.choice(WORDS) for _ in range(120)))],
                    references=[Link(pmid=SEED)],
                ),
                origin,
            )
    marks = Marks.open(path)
    marks.set_screening([f"pmid:{SEED}"], "included")
    seed = library.find(SEED)
    assert seed is not None
    file = SnowballFile.open(path)
    result = run_round(library, [seed], "both", marks=marks, state=file.load(), selection="included")
    assert len(result.round.candidates) == candidates, len(result.round.candidates)
    keep_round(file, result.round)
    if decided:
        with marks.transaction():
            for row in result.rows[:decided]:
                marks.set_screening(list(row.candidate.keys), "excluded", reason=rng.choice(WORDS))


async def _times(path: Path, keys: int) -> dict[str, list[float]]:
    from bench.app import FrameWatch, ScreenCopy
    from tui.app import PmbrowseApp
    from tui.screens.snowball import SnowballScreen

    app = PmbrowseApp(path)
    frames = FrameWatch(app)
    times: dict[str, list[float]] = {"decision": [], "move": []}
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3000):
            if app.main.library is not None:
                break
            await pilot.pause(0.01)
        await app.workers.wait_for_complete()
        await pilot.pause(1.0)  # (the main screen's result list is filled in after its first rows)
        await pilot.press("S")
        screen: Any = None
        for _ in range(6000):
            screen = app.screen
            if isinstance(screen, SnowballScreen) and not screen.loading and screen.rows:
                break
            await pilot.pause(0.01)
        else:
            raise RuntimeError("the Snowball view never listed the round")
        await pilot.pause(0.2)
        listed = len(screen.rows)

        def title(index: int) -> str:
            return str(screen.rows[index].title).split()[0]  # (B01234: each title's own)

        async def painted(key: str, want: list[str]) -> float:
            def shown(copy: ScreenCopy) -> bool:
                text = "\n".join(copy.lines)
                return all(part in text for part in want)

            took, _cpu = await frames.press(pilot, key, shown)
            return took

        for _ in range(keys + WARM):
            row = screen.candidates.cursor
            decided = f"✔ new ● {title(row)}"
            times["decision"].append(await painted("i", [decided, f"\n{title(row + 1)} "]))
            assert screen.candidates.cursor == row + 1
            times["move"].append(await painted("down", [f"\n{title(row + 2)} "]))
    return {k: v[WARM:] for k, v in times.items()} | {"listed": [float(listed)]}


def run_case(name: str, keys: int, decided: int) -> dict[str, Any]:
    folder = FOLDER / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / "library.json"
    build(path, decided=decided)
    run = python(
        "import sys; from bench.screening import main; main(sys.argv[1:])", "app", str(path), str(keys)
    )
    times = json.loads(run.output.strip().splitlines()[-1])
    out: dict[str, Any] = {"case": name, "listed": int(times["listed"][0]), "max_rss_mb": run.max_rss_mb}
    for kind in ("decision", "move"):
        values = times[kind]
        out[kind] = {"runs": len(values), "p50": median(values), "p95": percentile(values, 0.95)}
    return out


def table(found: list[dict[str, Any]]) -> str:
    rows = [
        "| case | rows listed | `i` to the next row painted, p50 / p95 | `down` (baseline), p50 / p95 "
        "| ratio (p50) | app's peak memory |",
        "|---|---|---|---|---|---|",
    ]
    for case in found:
        d, m = case["decision"], case["move"]
        rows.append(
            f"| {case['case']} | {case['listed']:,} | {d['p50'] * 1000:.1f} / {d['p95'] * 1000:.1f} ms "
            f"({d['runs']} keys) | {m['p50'] * 1000:.1f} / {m['p95'] * 1000:.1f} ms | "
            f"{d['p50'] / m['p50']:.2f} | {case['max_rss_mb']:.0f} MB |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["app"]:  # (the child process: the app, timed)
        print(json.dumps(asyncio.run(_times(Path(args[1]), int(args[2])))))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.screening", description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=40, help="decisions timed in each case (default 40)")
    options = parser.parse_args(args)
    found = [
        run_case("fresh round", options.keys, 0),
        run_case("half screened", options.keys, CANDIDATES // 2),
    ]
    print(table(found))
    (FOLDER / "results.json").write_text(json.dumps(found, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
