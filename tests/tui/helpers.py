"""Helpers for driving the app in tests: start it, wait for it, read what it shows."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList, Static

from store.importer import import_paths
from store.library import Library
from store.model import Article, Origin
from store.online.config import OnlineConfig
from store.online.ratelimit import RateLimiter
from store.search import SearchIndex
from tests.conftest import DATA
from tests.online_server import LocalServer, RecordBank, Reply, Request
from tui.app import PmbrowseApp
from tui.cli import main
from tui.screens.main import MainScreen
from tui.screens.snowball import SnowballScreen
from tui.widgets.links import LinkList
from tui.widgets.trail import TrailBar, trail_line


def titled_library(path: Path, titles: list[str]) -> Path:
    """A library at ``path`` of one article a title (PMIDs 1, 2, ...), no abstracts, with a fresh search
    index (the first page is searched only in a fresh index)."""
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        for n, title in enumerate(titles, 1):
            changes.put_article(Article(pmid=str(n), title=title, abstract=[]), Origin("test"))
    SearchIndex.for_library(lib)
    lib.close()
    return path


def json_of(code: str, *argv: str) -> Any:
    """What ``code`` (Python run in a fresh process from the repository's root, with ``argv``) prints,
    read as JSON: a moment of the app measured with nothing of this test process in it."""
    out = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    ).stdout
    return json.loads(out)


def imported_by(code: str, prefixes: tuple[str, ...], *argv: str) -> list[str]:
    """The modules named by ``prefixes`` that ``code`` (Python run in a fresh process, with ``argv``)
    has imported when it ends: what a moment of the app (its start, the first page) loads."""
    listing = (
        "; import json as _j, sys as _s; "
        f"print(_j.dumps(sorted(m for m in _s.modules if m.startswith({prefixes!r}))))"
    )
    return list(json_of(code + listing, *argv))


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the workers (library load, search) are done and the screen has caught up."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot: Pilot[None], condition: Callable[[], object], seconds: float = 4.0) -> bool:
    """Wait (in app time) until ``condition()`` holds, up to ``seconds``; whether it did. The app's
    own workers and timers must do the work: this only lets them run."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
        await pilot.pause()
    return bool(condition())


async def ready(pilot: Pilot[None]) -> MainScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    assert screen.library is not None
    return screen


async def citing_shown(pilot: Pilot[None]) -> MainScreen:
    """The main screen ready, ``c`` pressed: the open article's "Cited by" pane showing."""
    screen = await ready(pilot)
    await pilot.press("c")
    await pilot.pause()
    return screen


async def open_snowball(pilot: Pilot[None]) -> SnowballScreen:
    """The main screen ready, ``S`` pressed: the Snowball view, settled."""
    await ready(pilot)
    await pilot.press("S")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SnowballScreen)
    return screen


def plain(value: object) -> str:
    if isinstance(value, (Text, Content)):
        return value.plain
    return str(value)


def text_of(widget: Widget) -> str:
    """The text a Static shows (its content), or an OptionList's rows joined by newlines."""
    if isinstance(widget, TrailBar):
        return trail_line(widget.trail, 10_000).plain  # the whole trail, however wide the screen
    if isinstance(widget, (OptionList, LinkList)):
        return "\n".join(rows(widget))
    assert isinstance(widget, Static)
    content = widget.content
    content = getattr(content, "renderable", content)  # (the article header's lines: ``DrawnOnce``)
    if isinstance(content, (Text, Content)):
        return content.plain
    # A Group of renderables (the article header)
    renderables = getattr(content, "renderables", None)
    if renderables is not None:
        return "\n".join(plain(r) for r in renderables)
    return str(content)


def rows(widget: OptionList | LinkList) -> list[str]:
    """Every row's text (a link pane builds them all for this: it draws only those on screen)."""
    if isinstance(widget, LinkList):
        return [widget.row_text(i) for i in range(widget.row_count)]
    return [plain(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``pmbrowse ARGS`` run in this process (``tui.cli.main``): its exit status, and what it wrote to
    stdout and stderr (only it: what was captured before is dropped first)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def make_app(library_path: object, target: str = "") -> PmbrowseApp:
    return PmbrowseApp(Path(str(library_path)), target)


def border_title(widget: Widget) -> str:
    """A widget's border title as plain text (Textual hands it out as markup)."""
    return Content.from_markup(widget.border_title or "").plain


def hold(patch: pytest.MonkeyPatch, owner: object, name: str) -> tuple[threading.Event, threading.Event]:
    """``owner.name`` (a function, a method or a classmethod: a step of work under way, in its thread)
    waits to be released each time it is called, then runs: (reached, release)."""
    reached, release = threading.Event(), threading.Event()
    found = inspect.getattr_static(owner, name)
    real = found.__func__ if isinstance(found, classmethod) else getattr(owner, name)

    def waits(*args: Any, **kwargs: Any) -> Any:
        reached.set()
        release.wait(10)
        return real(*args, **kwargs)

    patch.setattr(owner, name, classmethod(waits) if isinstance(found, classmethod) else waits)
    return reached, release


def online_at(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The online settings of ``main`` and the app pointed at the local server (E-utilities, Europe PMC,
    iCite), retrying at once and never waiting on a rate limit (the limits are tested with the clients),
    its efetch answering any PMID with a made-up record: the server, for the caller's own routes."""
    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.setenv("PMBROWSE_EUROPEPMC_URL", server.europepmc_url)
    monkeypatch.setenv("PMBROWSE_ICITE_URL", server.icite_url)
    load = OnlineConfig.load

    def fast(*args: object, **kwargs: object) -> OnlineConfig:
        return dataclasses.replace(load(*args, **kwargs), backoff=0.001, backoff_cap=0.01)  # type: ignore[arg-type]

    monkeypatch.setattr(OnlineConfig, "load", fast)
    monkeypatch.setattr("store.online.session.shared_limiter", lambda service, rate: RateLimiter(1000))
    server.route("eutils/efetch.fcgi", RecordBank(synthesize=True))
    return server


def hold_route(
    server: LocalServer, route: str, answer: Callable[[Request], Reply]
) -> tuple[threading.Event, threading.Event]:
    """The local server (``tests.online_server``) gives ``answer``'s reply on ``route`` only once
    released: (asked, release)."""
    asked, release = threading.Event(), threading.Event()

    def waits(request: Request) -> Reply:
        asked.set()
        release.wait(10)
        return answer(request)

    server.route(route, waits)
    return asked, release


def ended(patch: pytest.MonkeyPatch, owner: object, name: str) -> threading.Event:
    """Set when a call of the method ``owner.name`` (a worker's, whose thread may run on after its screen
    has gone) has ended, however it ended."""
    done = threading.Event()
    real = getattr(owner, name)

    def work(self: object, *args: Any) -> None:
        try:
            real(self, *args)
        finally:
            done.set()

    work.__name__ = name
    patch.setattr(owner, name, work)
    return done


def compactable(lib: Path) -> Path:
    """A library at ``lib`` (its folder made) with commits in its journal, something to compact:
    ``variants.xml`` imported, and its storage closed without compacting (``close`` could compact
    what is due). Its path."""
    lib.parent.mkdir(parents=True, exist_ok=True)
    library = Library.open(lib)
    import_paths(library, [str(DATA / "pubmed_xml" / "variants.xml")])
    library._storage.close()
    return lib


def cited_thrice(path: Path, counts: tuple[int, int, int], first: int, long_id: int, long_title: str) -> Path:
    """A library (written in the v2 layout, converted once here) of records 1 and 2 and ``long_id`` (its
    title ``long_title``, one that wraps in the header) cited by the first ``counts`` of the records
    ``first``, ``first`` + 1, ...: each of those cites 1, and 2 and ``long_id`` while within their counts."""
    from tests.store.bulk_files import pmid
    from tests.store.old_libraries import write_v2_docs

    one, two, three = counts

    def docs() -> Iterator[tuple[int, dict[str, object]]]:
        for doc_id, title, n in ((1, "Cited 1", one), (2, "Cited 2", two), (long_id, long_title, three)):
            yield (
                doc_id,
                {
                    "pmid": pmid(doc_id),
                    "title": title,
                    "year": 1990,
                    "cited_by": list(range(first, first + n)),
                },
            )
        for i in range(first, first + one):
            refs = [1] + ([2] if i < first + two else []) + ([long_id] if i < first + three else [])
            yield i, {"pmid": pmid(i), "title": f"Citing {i}", "year": 2000 + i % 20, "references": refs}

    write_v2_docs(path, docs())
    Library.open(path)
    return path
