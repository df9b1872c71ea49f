"""Where start-up's CPU goes, from inside: the main thread's CPU time and its Python calls from the
process's start to its first content, for the app and for a bare Textual app, in a pseudo-terminal.

Nearly all of start-up runs on the main thread under the interpreter's one lock (measured at stop 38),
so the main thread's work to the first content is what a change to start-up must cut. Wall time from
outside moves with the machine's load by more than such a change; the main thread's count of Python
calls (``sys.setprofile``, that thread only) does not, and its CPU time (``time.thread_time``) less.
The other threads' calls are counted apart (``thread_calls``: ``threading.setprofile``, the threads
started after the harness: the first page's, ``tui.firstpage``, which takes the interpreter's lock
from the main thread while it works, and the library's loader), and the whole process's CPU time
(``cpu``) takes in what they do without it (the document index's check: ``store.docindex``).

Each process runs a small harness (``HARNESS``) before the program: it wraps Textual's Linux driver's
``write`` as the driver's module is imported (an import hook: no module is imported earlier than the
program imports it), and at the first write whose text holds the first content (the result list's
first title, or the bare app's line) it records the main thread's CPU, the whole process's CPU and
the calls so far. Two kinds of start, taken in turn: ``cpu`` (no profiler: the CPU times are true)
and ``calls`` (the profiler counts calls: its CPU times are inflated, the count is the measure).

    python -m bench.startcalls LIBRARY --runs 5 --tree OLD_TREE --tree NEW_TREE

runs the app of each tree (by ``PYTHONPATH``, from /tmp: not the current directory's modules) and the
bare app in turn, and prints each one's range and median.

    python -m bench.startcalls LIBRARY --opens PMID --tree OLD_TREE --tree NEW_TREE

counts the same for opening articles instead, in the headless app of each tree in turn (``bench.app``'s
measure, ``OPENS``: an ordinary article, then the article ``PMID``, each opened from a pane of links
with enter): the main thread's Python calls from the key to the frame that shows the opened article's
pane (``calls``), or, with no profiler, the process's CPU time over the same span (``cpu``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.app import BARE_APP, BARE_TEXT, compiled, first_title, time_to_text
from bench.proc import PYTHON, ROOT

HARNESS = r"""
import sys, time
_mode, _text, _out = sys.argv[1:4]
del sys.argv[1:4]
_calls = [0]
_others = [0]
_done = [False]

def _count(frame, event, arg):
    if event == "call":
        _calls[0] += 1

def _count_others(frame, event, arg):
    if event == "call" and not _done[0]:
        _others[0] += 1

def _record(writes):
    import json, re
    _done[0] = True
    sys.setprofile(None)
    if _profile:
        _profile[0].disable()
        _profile[0].dump_stats(_out + ".prof")
    with open(_out, "w") as out:
        json.dump({"main_cpu": time.thread_time(), "cpu": time.process_time(), "calls": _calls[0],
                   "thread_calls": _others[0], "writes": writes, "modules": len(sys.modules)}, out)

class _Hook:
    # Wraps LinuxDriver.write once its module has run: the first write holding the text is recorded.
    def find_spec(self, name, path, target=None):
        if name != "textual.drivers.linux_driver":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            write = module.LinuxDriver.write
            writes = [0]

            def wrapped(self, data):
                if not _done[0]:
                    writes[0] += 1
                    import re
                    if _text in re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", data):
                        _record(writes[0])
                write(self, data)

            module.LinuxDriver.write = wrapped

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _Hook())
_profile = []
if _mode == "calls":
    import threading
    threading.setprofile(_count_others)  # (each thread started from now on)
    sys.setprofile(_count)
elif _mode == "profile":  # (cProfile: where the main thread's calls go, written beside the figures)
    import cProfile
    _profile.append(cProfile.Profile(time.thread_time))  # (the main thread's CPU, not its waits)
    _profile[0].enable()
if sys.argv[1] == "--bare":
    del sys.argv[1]
    exec(compile(sys.argv[1], "<bare>", "exec"), {"__name__": "__main__"})
else:
    from tui.cli import main
    sys.exit(main(sys.argv[1:]))
"""


# Run by each tree's Python with the tree's own ``bench.app`` (any tree that has its ``_open_times``):
# its key presses counted, each from the key to the frame that shows what the key should show.
OPENS = r"""
import asyncio, json, sys
from pathlib import Path
import bench.app as A

mode, library, famous, ordinary, famous_runs, out = sys.argv[1:7]
counted = {"enter": [], "a": []}
press = A.FrameWatch.press

async def counting(self, pilot, key, shown):
    calls = [0]

    def count(frame, event, arg):
        if event == "call":
            calls[0] += 1

    def seen(copy):
        found = shown(copy)
        if found:
            sys.setprofile(None)
        return found

    if mode == "calls":
        sys.setprofile(count)
    try:
        return await press(self, pilot, key, seen)
    finally:
        sys.setprofile(None)
        counted[key].append(calls[0])

A.FrameWatch.press = counting
times = asyncio.run(A._open_times(Path(library), int(ordinary), int(famous_runs), famous))
warm, n = 3, int(ordinary)  # (as ``_open_times`` leaves out its first opens)
# (every open counted, or famous opens would be sliced in with the ordinary ones)
assert len(counted["enter"]) == warm + n + int(famous_runs), len(counted["enter"])
times["ordinary_calls"] = counted["enter"][warm : warm + n]
times["famous_calls"] = counted["enter"][warm + n :]
Path(out).write_text(json.dumps(times))
"""


def opens(
    tree: Path, library: Path, mode: str, famous: str, ordinary: int, famous_runs: int
) -> dict[str, Any]:
    """One headless app of ``tree`` opening articles (``OPENS``), measured ``mode``: medians of each
    kind's calls (``calls``) or CPU time (``cpu``)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    try:
        library.with_name(library.name + ".session.json").unlink(missing_ok=True)  # (no trail: no visits)
        argv = [PYTHON, "-c", OPENS, mode, str(library), famous, str(ordinary), str(famous_runs), str(out)]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(argv, env=env, cwd="/tmp", check=True, stdout=subprocess.DEVNULL)
        times = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    key = "calls" if mode == "calls" else "cpu"
    return {kind: statistics.median(times[f"{kind}_{key}"]) for kind in ("ordinary", "famous")}


def one(
    tree: Path | None, library: Path, mode: str, text: str, profile: Path | None = None
) -> dict[str, Any]:
    """One start of the app of ``tree`` on ``library`` (None: the bare app), measured ``mode``
    (``profile``: cProfile's stats of the main thread to the first content written there)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    try:
        if tree is None:
            argv = [PYTHON, "-c", HARNESS, mode, BARE_TEXT, str(out), "--bare", BARE_APP]
        else:
            argv = [PYTHON, "-c", HARNESS, mode, text, str(out), "--db", str(library)]
        session = library.with_name(library.name + ".session.json")
        session.unlink(missing_ok=True)  # (a first start: no saved query or article)
        started = time_to_text(argv, BARE_TEXT if tree is None else text, pythonpath=tree or ROOT, cwd="/tmp")
        found: dict[str, Any] = json.loads(out.read_text())
        found.update(wall=started.seconds, peak_mb=started.max_rss_mb)
        if profile is not None:
            Path(f"{out}.prof").replace(profile)
        return found
    finally:
        out.unlink(missing_ok=True)
        Path(f"{out}.prof").unlink(missing_ok=True)


def summary(runs: list[dict[str, Any]], key: str) -> str:
    """Range and median of ``key`` over ``runs``: calls in thousands, times in milliseconds."""
    scale, unit = (1e-3, "k") if key.endswith("calls") else (1e3, " ms")
    low, high, mid = (
        v * scale
        for v in (
            min(r[key] for r in runs),
            max(r[key] for r in runs),
            statistics.median(r[key] for r in runs),
        )
    )
    return f"{low:.1f}-{high:.1f}{unit} (median {mid:.1f})"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "library", type=Path, help="a scratch library: its saved session (LIBRARY.session.json) is removed"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--tree", type=Path, action="append", help="a worktree whose app is measured (repeat)"
    )
    parser.add_argument("--modes", default="cpu,calls")
    parser.add_argument(
        "--profile", type=Path, help="instead: cProfile each once, stats written to this folder"
    )
    parser.add_argument("--opens", metavar="PMID", help="instead: opening articles, PMID the famous one")
    parser.add_argument("--ordinary", type=int, default=10, help="ordinary articles opened (--opens)")
    parser.add_argument("--famous", type=int, default=10, help="opens of the famous article (--opens)")
    args = parser.parse_args(argv)
    trees: list[Path] = args.tree or [ROOT]
    for tree in trees:
        compiled(tree)
    if args.opens:
        compare_opens(args, trees)
        return
    text = first_title(args.library)[:16]
    names = [str(t) for t in trees] + ["bare"]
    apps: list[Path | None] = [*trees, None]  # (None: the bare app)
    if args.profile is not None:
        for n, (name, app) in enumerate(zip(names, apps, strict=True)):
            where = args.profile / f"{n}-{Path(name).name}.prof"
            print(where, one(app, args.library, "profile", text, where))
        return
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    print(f"load before: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    for _ in range(args.runs):
        for mode in args.modes.split(","):
            for name, app in zip(names, apps, strict=True):
                results.setdefault((name, mode), []).append(one(app, args.library, mode, text))
    print(f"load after: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    for (name, mode), runs in results.items():
        keys = ("calls", "thread_calls") if mode == "calls" else ("main_cpu", "cpu", "wall")
        said = "; ".join(f"{k} {summary(runs, k)}" for k in keys)
        print(f"{name} [{mode}]: {said}; writes {sorted({r['writes'] for r in runs})}")
    print(json.dumps({f"{n}|{m}": r for (n, m), r in results.items()}), file=sys.stderr)


def compare_opens(args: argparse.Namespace, trees: list[Path]) -> None:
    """``--opens``: each tree's opening of articles, in turn, ``args.runs`` times in each mode."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    print(f"load before: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    for _ in range(args.runs):
        for mode in args.modes.split(","):
            for tree in trees:
                run = opens(tree, args.library, mode, args.opens, args.ordinary, args.famous)
                found.setdefault((str(tree), mode), []).append(run)
    print(f"load after: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    for (name, mode), runs in found.items():
        key = "calls" if mode == "calls" else "main_cpu"  # (``summary``'s units: thousands, ms)
        said = "; ".join(
            f"{kind} {summary([{key: r[kind]} for r in runs], key)}" for kind in ("famous", "ordinary")
        )
        print(f"{name} [opens, {mode}]: {said}")
    print(json.dumps({f"{n}|{m}": r for (n, m), r in found.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
