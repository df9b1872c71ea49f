"""The app as the user sees it: start-up to first content, and opening an article to its painted pane.

**Start-up** is timed from outside, in a pseudo-terminal of 120×40 as a terminal emulator gives one:
from starting the process until its output has drawn the first content (for the app, the first
row's title of the result list, which the app fills once the library's index is open; for a bare
Textual app painting one line, that line). The text is looked for in the bytes the process writes,
escape sequences taken out, so what is timed ends when the terminal has been sent the text. Its peak
memory until then is read from the kernel, and the app is asked to quit (``q``). Each measure is the
median of ``runs`` fresh processes, the app and the bare app taken in turn. pmbrowse's modules are
compiled to bytecode first, as an install leaves them (``PYTHONDONTWRITEBYTECODE`` is set on this
machine: a working tree's would be compiled at every start, ~25 ms of CPU that no user's start pays).

**Opening an article** is timed in the headless app (``App.run_test()``, 120×40): an article A is
open with its "Cited by" pane showing, the row of the article B that cites it is highlighted, and
enter is pressed; the time runs from the key press until a frame the screen sends to the terminal
shows, inside the link pane, one of B's citing articles that A's pane did not show (its first four
title words). Each frame is read as the terminal would receive it: the app's compositor update is
rendered to terminal output (as Textual does for a real terminal) and applied to a copy of the
screen, which is what the check reads. So the time includes handling the key, building the pane,
Textual's layout and rendering, and the screen's refresh timer (Textual paints at most 60 times a
second). B is an ordinary record (a few to a few dozen citing articles) or the famous one (10,000).
The baseline, in the same app at the same moment: after each ordinary open, the key ``a`` (switch to
the Abstract pane, which already holds B's abstract) until its words are painted in the same place.
The garbage collector is paused and resumed as ``pmbrowse`` does (``tui.collector``); until 2026-12-05
each full pass walked start-up's ~80,000 objects that ``pmbrowse`` freezes (14-145 ms): the tail.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import fcntl
import json
import os
import pty
import random
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.proc import PMBROWSE, PYTHON, ROOT, median, percentile, python
from bench.procstat import cpu_seconds, peak_kib

COLUMNS, LINES = 120, 40
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")

BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Static("a bare Textual app is ready")

Bare().run()
"""
BARE_TEXT = "a bare Textual app is ready"


# Start-up, from outside ---------------------------------------------------------------------------


@dataclass
class Started:
    seconds: float  # until the text was on its way to the terminal
    max_rss_mb: float  # the peak memory until then
    cpu_seconds: float = 0.0  # user and system until then: the process and its children


def time_to_text(
    argv: Sequence[str], text: str, timeout: float = 60.0, *, pythonpath: Path = ROOT, cwd: str | None = None
) -> Started:
    """Start ``argv`` in a pseudo-terminal (its modules from ``pythonpath``, run in ``cwd``); the time
    until ``text`` is among what it writes."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "TERM": "xterm-256color", "COLUMNS": "", "LINES": ""}
    env = {k: v for k, v in env.items() if v}
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of our size, ended if the bench dies, then the program
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if cwd is not None:
            os.chdir(cwd)
        os.execvpe(argv[0], list(argv), env)
    seen = ""
    raw = b""
    found: float | None = None
    try:
        while found is None:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise RuntimeError(
                    f"{' '.join(argv)}: {text!r} not seen within {timeout:g} s:\n{seen[-2000:]}"
                )
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # the program ended
                raise RuntimeError(
                    f"{' '.join(argv)} ended before showing {text!r}:\n{seen[-2000:]}"
                ) from None
            raw += chunk
            seen = ANSI.sub("", raw.decode(errors="replace"))
            if text in seen:
                found = time.perf_counter() - start
        peak = peak_kib(pid)
        cpu = cpu_seconds(pid)
        os.write(fd, b"q")
        _reap(pid, fd)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _reap(pid, fd)
        raise
    return Started(found, peak / 1024, cpu)


def _reap(pid: int, fd: int, grace: float = 10.0) -> Any:
    """Wait for the child (draining its terminal so it never blocks writing); kill it after ``grace``."""
    end = time.perf_counter() + grace
    while True:
        done, _status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            os.close(fd)
            return usage
        if time.perf_counter() > end:
            os.kill(pid, signal.SIGKILL)
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            with contextlib.suppress(OSError):
                os.read(fd, 1 << 16)


def first_title(library: Path) -> str:
    """The first row's title of the result list when the app starts on ``library`` (headless)."""
    code = """
        import asyncio, sys
        from pathlib import Path
        from tui.app import PmbrowseApp
        from tui.widgets.results import ResultsList

        async def main():
            app = PmbrowseApp(Path(sys.argv[1]))
            async with app.run_test(size=(120, 40)) as pilot:
                results = app.main.query_one(ResultsList)
                for _ in range(2000):
                    if results.hits:
                        print(results.hits[0].title)
                        return
                    await pilot.pause(0.01)
                raise SystemExit("the result list was never filled")

        asyncio.run(main())
        """
    return python(code, str(library)).output.strip()


def compiled(root: Path = ROOT) -> None:
    """pmbrowse's modules (of the tree at ``root``) compiled to bytecode, as an install leaves them (see
    the module docstring)."""
    import compileall

    for package in ("store", "tui"):
        compileall.compile_dir(root / package, quiet=1)


def startup(library: Path, runs: int) -> dict[str, Any]:
    """The app's start-up to its first content against a bare Textual app's, in turn, ``runs`` times."""
    compiled()
    title = first_title(library)
    text = title[:16]  # (the row may wrap or be cut: the start of its title is on one line)
    session = library.with_name(library.name + ".session.json")
    ours: list[Started] = []
    bare: list[Started] = []
    for _ in range(runs):
        with contextlib.suppress(FileNotFoundError):
            session.unlink()  # (a first start: no saved query or article)
        ours.append(time_to_text([PMBROWSE, "--db", str(library)], text))
        bare.append(time_to_text([PYTHON, "-c", BARE_APP], BARE_TEXT))
    with contextlib.suppress(FileNotFoundError):
        session.unlink()
    app_s, bare_s = median([s.seconds for s in ours]), median([s.seconds for s in bare])
    return {
        "first_title": text,
        "seconds": app_s,
        "bare_seconds": bare_s,
        "ratio": app_s / bare_s,
        "max_rss_mb": max(s.max_rss_mb for s in ours),
        "bare_max_rss_mb": max(s.max_rss_mb for s in bare),
        "starts": runs,
        "seconds_range": [min(s.seconds for s in ours), max(s.seconds for s in ours)],
        "bare_seconds_range": [min(s.seconds for s in bare), max(s.seconds for s in bare)],
        "cpu_seconds": median([s.cpu_seconds for s in ours]),
        "bare_cpu_seconds": median([s.cpu_seconds for s in bare]),
        # (The CPU time's ratio: what each start computed, less at the mercy of the machine's load.)
        "cpu_ratio": median([s.cpu_seconds for s in ours]) / max(median([s.cpu_seconds for s in bare]), 1e-9),
    }


# Opening an article, headless ---------------------------------------------------------------------


class ScreenCopy:
    """The screen as the terminal has it, kept from the compositor's updates (one str per line)."""

    def __init__(self) -> None:
        self.lines = [" " * COLUMNS for _ in range(LINES)]

    def apply(self, update: Any) -> None:
        from textual._compositor import ChopsUpdate, LayoutUpdate

        if isinstance(update, LayoutUpdate):
            for y, strips in enumerate(update.strips, update.region.y):
                if 0 <= y < LINES:
                    self.lines[y] = "".join(strip.text for strip in strips).ljust(COLUMNS)[:COLUMNS]
        elif isinstance(update, ChopsUpdate):
            for y, _x1, _x2 in update.spans:
                if not 0 <= y < LINES:
                    continue
                line = list(self.lines[y])
                for x, strip in update.chops[y].items():
                    if strip is not None:
                        text = strip.text
                        line[x : x + len(text)] = text
                self.lines[y] = "".join(line)[:COLUMNS].ljust(COLUMNS)

    def region_text(self, x: int, y: int, width: int, height: int) -> list[str]:
        return [line[x : x + width] for line in self.lines[y : y + height]]


class FrameWatch:
    """The frames an app sends to the terminal, rendered for one and applied to a ``ScreenCopy`` as they
    come, and a key timed until a frame shows what is wanted (opening an article, screening)."""

    def __init__(self, app: Any) -> None:
        self.copy = ScreenCopy()
        self._check: Callable[[ScreenCopy], bool] | None = None
        self._at: tuple[float, float] | None = None  # (wall, CPU) at the frame that showed it
        display = app._display

        def watched(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            renderable.render_segments(app.console)  # (what Textual does before it writes to a terminal)
            self.copy.apply(renderable)
            if self._check is not None and self._at is None and self._check(self.copy):
                self._at = (time.perf_counter(), time.process_time())

        app._display = watched

    async def press(self, pilot: Any, key: str, shown: Callable[[ScreenCopy], bool]) -> tuple[float, float]:
        """Press ``key``; (wall, CPU) seconds until a frame for which ``shown(copy)`` holds. The CPU time
        is the app's process's over the same span."""
        self._check, self._at = shown, None
        start, cpu_start = time.perf_counter(), time.process_time()
        await pilot.press(key)
        for _ in range(6000):
            if self._at is not None:
                break
            await pilot.pause(0.002)
        else:
            raise RuntimeError(f"after {key}, the screen never showed what it should")
        self._check = None
        return self._at[0] - start, self._at[1] - cpu_start


def words4(title: str) -> set[str]:
    """The first four words of a title, as a key to find it on screen."""
    words = title.lower().split()
    return {" ".join(words[:4])} if len(words) >= 4 else set()


def shown_keys(lines: list[str]) -> set[str]:
    """Every run of four words on these lines."""
    found: set[str] = set()
    for line in lines:
        words = re.sub(r"[^\w\s]", " ", line.lower()).split()
        found.update(" ".join(words[i : i + 4]) for i in range(len(words) - 3))
    return found


async def _open_times(
    library: Path, ordinary: int, famous_runs: int, famous_pmid: str
) -> dict[str, list[float]]:
    from store.ids import identity_keys
    from tui import collector

    collector.pause()  # (as ``pmbrowse`` does before it imports the app: see the module docstring)
    from tui.app import PmbrowseApp
    from tui.widgets.links import LinkList

    app = PmbrowseApp(library)
    frames = FrameWatch(app)
    copy = frames.copy
    times: dict[str, list[float]] = {"ordinary": [], "famous": []}
    async with app.run_test(size=(COLUMNS, LINES)) as pilot:
        screen = app.main
        for _ in range(3000):
            if screen.library is not None:
                break
            await pilot.pause(0.01)
        lib = screen.library
        assert lib is not None, "the library did not load"
        rng = random.Random(17)
        famous_id = lib.lookup(f"pmid:{famous_pmid}")
        assert famous_id is not None

        def citing_titles(doc_id: int) -> set[str]:
            return {k for v in lib.links(doc_id, "cited_by") for k in words4(v.title or "")}

        def pick_ordinary() -> tuple[int, int] | None:
            """An ordinary record B with citing articles, and A: a record among B's references."""
            b = rng.randrange(1, len(lib))
            if b == famous_id or lib.doc(b) is None or lib.doc(b).get("stub"):  # type: ignore[union-attr]
                return None
            cited = [v.target_id for v in lib.links(b, "references") if v.target_id is not None]
            cited = [a for a in cited if a != famous_id and not lib.doc(a).get("stub")]  # type: ignore[union-attr]
            if len(lib.links(b, "cited_by")) < 3 or not cited:
                return None
            return rng.choice(cited), b

        async def one(a: int, b: int) -> float | None:
            """Open B from A's citing articles; the time to B's pane painted, or None when A's pane
            as painted shows none of A's own rows (B's pane could not be told from it)."""
            screen.open_doc(a)
            screen.action_pane("cited_by")
            await pilot.pause(0.05)
            pane = screen.query_one("#cited-by-list", LinkList)
            b_doc = lib.doc(b)
            assert b_doc is not None
            keys = identity_keys(b_doc.get("pmid"), b_doc.get("pmcid"), b_doc.get("doi"))
            row = pane.row_of(keys)
            assert row is not None, "B is not among A's citing articles"
            pane.focus()
            pane.highlighted = row
            await pilot.pause(0.05)
            want, gone = citing_titles(b), citing_titles(a) - citing_titles(b)
            r = pane.region
            if not shown_keys(copy.region_text(r.x, r.y, r.width, r.height)) & gone:
                return None
            # Painted: the pane shows some of B's citing articles and none of those only A has.
            region = (r.x, r.y, r.width, r.height)
            took = await painted("enter", want, gone, region)
            assert screen.current == b
            # The baseline: a cheap key in the same app at the same moment, switching to the abstract
            # pane (B's abstract is there already), to its painted words.
            abstract = " ".join(s.text for s in lib.article(b).abstract)
            switch.append(await painted("a", shown_keys([" ".join(abstract.split()[:80])]), set(), region))
            return took

        async def painted(
            key: str, want: set[str], gone: set[str], region: tuple[int, int, int, int]
        ) -> float:
            """Press ``key``; the time until a frame shows ``want`` and not ``gone`` in ``region``."""

            def shown(screen: ScreenCopy) -> bool:
                found = shown_keys(screen.region_text(*region))
                return bool(found & want) and not found & gone

            took, cpu_took = await frames.press(pilot, key, shown)
            cpu[key].append(cpu_took)
            return took

        switch: list[float] = []
        # The CPU time of the app's process over the same span, per key (less at the mercy of the
        # machine's load than the wall time; the chart's worker thread counts if it runs meanwhile).
        cpu: dict[str, list[float]] = {"enter": [], "a": []}
        warm = 3  # (the first opens warm up the caches, as any use of the app has)
        for _ in range(50 * (ordinary + warm)):
            if len(times["ordinary"]) == ordinary + warm:
                break
            pair = pick_ordinary()
            if pair is not None and (took := await one(*pair)) is not None:
                times["ordinary"].append(took)
        del times["ordinary"][:warm]
        times["switch"] = switch[warm:]
        times["ordinary_cpu"], times["switch_cpu"] = cpu["enter"][warm:], cpu["a"][warm:]
        cpu = {"enter": [], "a": []}
        famous_refs = [v.target_id for v in lib.links(famous_id, "references") if v.target_id is not None]
        for _ in range(50 * famous_runs):
            if len(times["famous"]) == famous_runs:
                break
            if (took := await one(rng.choice(famous_refs), famous_id)) is not None:
                times["famous"].append(took)
        times["famous_citing"] = [float(len(lib.links(famous_id, "cited_by")))]
        times["famous_cpu"] = cpu["enter"]
    return times


def open_article(library: Path, famous_pmid: str, ordinary: int = 40, famous: int = 10) -> dict[str, Any]:
    """Run the opening measure in a fresh process; p50 and p95 of each kind, in seconds."""
    run = python(
        "import sys; from bench.app import main; main(sys.argv[1:])",
        "open",
        str(library),
        famous_pmid,
        str(ordinary),
        str(famous),
    )
    times = json.loads(run.output.strip().splitlines()[-1])
    out: dict[str, Any] = {"max_rss_mb": run.max_rss_mb, "famous_citing": int(times["famous_citing"][0])}
    for kind in ("ordinary", "famous", "switch"):
        values = times[kind]
        out[kind] = {"runs": len(values), "p50": median(values), "p95": percentile(values, 0.95)}
        if times.get(f"{kind}_cpu"):
            out[kind]["cpu_p50"] = median(times[f"{kind}_cpu"])
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """(The child process of ``open_article``.)"""
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("open",))
    parser.add_argument("library")
    parser.add_argument("famous")
    parser.add_argument("ordinary", type=int)
    parser.add_argument("famous_runs", type=int)
    args = parser.parse_args(argv)
    times = asyncio.run(_open_times(Path(args.library), args.ordinary, args.famous_runs, args.famous))
    print(json.dumps(times))
