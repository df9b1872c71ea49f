"""The app's actions on articles: marks, copy, open, export, and fetching online (local server)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from textual.widgets import Input

from store.library import Library
from store.marks import Marks
from store.online.events import RATE_LIMIT, Step, Waiting
from tests.online_server import LocalServer, RecordBank, Reply, Request, json_reply
from tests.tui.helpers import border_title, make_app, ready, rows, settle, text_of, until
from tui.screens.export import ExportRequest, ExportScreen
from tui.screens.main import MainScreen
from tui.screens.prompt import PromptScreen
from tui.widgets.links import LinkList
from tui.widgets.results import ResultsList
from tui.widgets.trail import StatusLine

SEED = "30992990"


def header(app) -> str:  # type: ignore[no-untyped-def]
    return text_of(app.screen.query_one("#header"))


def citing(app) -> LinkList:  # type: ignore[no-untyped-def]
    return app.screen.query_one("#cited-by-list", LinkList)


async def test_marks_from_the_keyboard(lib_path: Path) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("s")  # the open article
        assert "★" in header(app)
        await pilot.press("c", "down", "i")  # the highlighted citing article; then on to the next
        assert rows(citing(app))[1].startswith("○ ✔ Mesenchymal stem cell-derived small")
        assert citing(app).highlighted == 2
        await pilot.press("up", "u")  # taken back: the cursor stays
        assert rows(citing(app))[1].startswith("○ Mesenchymal")
        assert citing(app).highlighted == 1
        await pilot.press("t")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"to-read", "enter")
        assert rows(citing(app))[1].startswith("○ #to-read Mesenchymal")
        await pilot.press("n")
        await pilot.press(*"check methods", "enter")
        assert "✎" in rows(citing(app))[1]
        marks = Marks.open(lib_path)
        assert marks.get(["pmid:40045380"]).note == "check methods"
        assert marks.get(["pmid:30992990"]).starred
        # The marks filter the search.
        await pilot.press("slash", "ctrl+a", "backspace", *"tag:to-read", "enter")
        await settle(pilot)
        assert border_title(app.screen.query_one(ResultsList)) == "by relevance · 1 hit — tag:to-read"
        # Escape in the prompt cancels.
        await pilot.press("t", "escape")
        assert isinstance(app.screen, MainScreen)


async def test_defect_6_x_in_the_main_view_asks_the_reason(lib_path: Path) -> None:
    """Screening a Cited-by list: x asks why (the same dialog as the Snowball view's), the decision is
    recorded with its reason, and the cursor moves on to the next row still to screen; the same key
    again never undoes it."""
    from tests.tui.helpers import settle
    from tui.screens.reason import ReasonScreen

    app = make_app(lib_path, SEED)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("c", "down", "down", "i")  # row 2 included, then on to row 3
        assert citing(app).highlighted == 3
        await pilot.press("home", "x")
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press(*"wrong species", "enter")
        await settle(pilot)
        first = citing(app).view(0)
        assert first is not None
        mark = Marks.open(lib_path).get([f"pmid:{first.pmid}"])
        assert (mark.screening, mark.reason) == ("excluded", "wrong species")
        assert rows(citing(app))[0].startswith("○ ✘ ")
        assert citing(app).highlighted == 1  # the next still to screen (row 2 is decided)
        await pilot.press("up", "x", "enter")  # x again, the reason kept: nothing changes
        records = Marks.open(lib_path).get([f"pmid:{first.pmid}"]).decisions
        assert [d.decision for d in records] == ["excluded"]
        assert any("excluded (wrong species) already" in n.message for n in app._notifications)
        await pilot.press("x", "escape")  # cancelled
        assert Marks.open(lib_path).get([f"pmid:{first.pmid}"]).reason == "wrong species"
        assert citing(app).highlighted == 0


async def test_copy_and_open(lib_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(lib_path, SEED)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("y")
        assert app.clipboard == (
            "Exosomes from Mesenchymal Stem/stromal Cells: a New Therapeutic Paradigm. "
            "Biomark Res. 2019. PMID: 30992990."
        )
        await pilot.press("r", "o")  # the highlighted reference has only a DOI
        assert opened == ["https://doi.org/10.1681/ASN.2008070798"]


async def test_export_from_the_app(lib_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(documents))
    monkeypatch.chdir(lib_path.parent)  # not where exports go: the user's documents folder is
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        # The dialog names the article "This article" is.
        assert "This article: “Exosomes from Mesenchymal" in text_of(app.screen.query_one("#export-article"))
        assert "(PMID 30992990)" in text_of(app.screen.query_one("#export-article"))
        path_input = app.screen.query_one("#export-path", Input)
        assert path_input.value == str(documents / "pmbrowse-pmid-30992990.bib")  # named for the selection
        path_input.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        bib = (documents / "pmbrowse-pmid-30992990.bib").read_text(encoding="utf-8")
        # The toast gives the path a line of its own, shortened from the left: never split mid-word.
        exported = [n.message for n in app._notifications if n.title == "Exported"][-1]
        assert exported.startswith("1 article to\n") and exported.endswith("/pmbrowse-pmid-30992990.bib")
        assert len(exported.splitlines()[1]) <= 40
        assert bib.startswith("@article{") and "pmid = {30992990}" in bib
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.exporting.write(ExportRequest("trail", "dot", tmp_path / "walk.dot"))
        assert (tmp_path / "walk.dot").read_text().startswith("digraph")
        screen.exporting.write(ExportRequest("starred", "ris", tmp_path / "none.ris"))
        assert not (tmp_path / "none.ris").exists()  # nothing starred: nothing written


@pytest.fixture
def pubmed(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """PubMed answering any PMID with a minimal record; no links; Europe PMC knows nothing."""
    server.route("eutils/efetch.fcgi", RecordBank(synthesize=True))
    server.route(
        "eutils/elink.fcgi",
        lambda r: Reply(
            body=(
                "<eLinkResult>"
                + "".join(f"<LinkSet><IdList><Id>{i}</Id></IdList></LinkSet>" for i in r.params.get("id", []))
                + "</eLinkResult>"
            ).encode()
        ),
    )
    server.route(
        "eutils/esearch.fcgi",
        json_reply(
            '{"esearchresult": {"count": "2", "retmax": "2", "retstart": "0", "idlist": ["40078652", "777"]}}'
        ),
    )
    for pmid in ("40078652", "777"):
        server.route(f"europepmc/MED/{pmid}/references", json_reply('{"hitCount": 0}'))
        server.route(f"europepmc/MED/{pmid}/citations", json_reply('{"hitCount": 0}'))
    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.setenv("PMBROWSE_EUROPEPMC_URL", server.europepmc_url)
    return server


async def test_fetching_a_stub_updates_the_view_in_place(
    lib_path: Path, pubmed: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses: list[str] = []
    real_show = StatusLine.show
    monkeypatch.setattr(StatusLine, "show", lambda self, m: (statuses.append(m), real_show(self, m))[1])
    app = make_app(lib_path, "40078652")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "stub" in header(app)
        await pilot.press("f")
        await settle(pilot)
        assert header(app).startswith("Record 40078652")  # the fetched record replaced the stub's text
        assert "stub" not in header(app).splitlines()[0]
        assert any("waiting on the rate limit" in s for s in statuses)  # three NCBI requests at 3/s
        assert statuses[-1] == ""
        assert any(n.title == "Fetched" for n in app._notifications)
    record = Library.open(lib_path).get("40078652")
    assert record is not None and not record.stub


async def test_the_app_stays_responsive_while_a_fetch_is_slow(lib_path: Path, pubmed: LocalServer) -> None:
    # PubMed answers only when the test lets it, so the fetch is still waiting while the test types and
    # searches however slow the machine (a fixed delay of a few seconds lost that race on busy runs).
    bank, answer = RecordBank(synthesize=True), threading.Event()

    def efetch(request: Request) -> Reply:
        while not answer.wait(0.05):
            if pubmed.stop.is_set():  # (the test ended without letting it answer)
                break
        return bank(request)

    pubmed.route("eutils/efetch.fcgi", efetch)
    app = make_app(lib_path, "40078652")
    async with app.run_test(size=(120, 40)) as pilot:
        try:
            await ready(pilot)
            await pilot.press("f")
            await pilot.press("slash", *"periodontitis", "enter")
            results = app.screen.query_one(ResultsList)
            await until(pilot, lambda: "periodontitis" in border_title(results))
            # The search ran and showed its hits while PubMed was still being waited for.
            assert border_title(results) == "by relevance · 1 hit — periodontitis"
            # (the rate limiter's line may show first, for its wait: the fetch's comes back after it)
            status = app.screen.query_one(StatusLine)
            assert await until(pilot, lambda: "Fetching 40078652" in text_of(status)), text_of(status)
            assert "stub" in header(app)
        finally:
            answer.set()
        await settle(pilot)
        await until(pilot, lambda: not app.screen.query_one(StatusLine).content)
        assert header(app).startswith("Record 40078652")


async def test_the_status_line_shows_the_fetch_again_when_a_wait_ends(lib_path: Path) -> None:
    """A request that waited for its rate-limit slot then waits for its answer: the line said "waiting
    on the rate limit" all that time (seen at -n 2 with the pilot's 5 ms idle windows, the limiter
    shared by the tests' requests); now it gives the line back to the fetch's stage when the wait ends,
    unless the fetch showed another line meanwhile."""
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        online, status = screen.online, screen.query_one(StatusLine)
        online.fetching, online._label = True, "Fetching 1"  # (as ``_go`` sets them, no worker run)
        online._show("Fetching 1…")
        await asyncio.to_thread(online._progress, Waiting("PubMed", 0.2, RATE_LIMIT, ""))
        await pilot.pause()
        assert "waiting on the rate limit (0.2 s)" in text_of(status)
        assert await until(pilot, lambda: text_of(status).startswith("Fetching 1…")), text_of(status)
        for waiting in (0.1, 60.0):  # (a wait after a wait: the first's end leaves the second's line)
            await asyncio.to_thread(online._progress, Waiting("PubMed", waiting, RATE_LIMIT, ""))
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert "waiting on the rate limit (60.0 s)" in text_of(status)
        await asyncio.to_thread(online._progress, Step("records", 1, 2))  # (a stage after a long wait)
        await pilot.pause()
        assert text_of(status).startswith("Fetching 1: records 1/2")
        online.fetching = False


async def test_a_failed_fetch_is_a_notification_and_changes_nothing(
    lib_path: Path, pubmed: LocalServer
) -> None:
    Library.open(lib_path)
    before = lib_path.read_bytes()
    pubmed.route("eutils/efetch.fcgi", Reply(body=b"<eFetchResult><ERROR>Invalid id</ERROR></eFetchResult>"))
    app = make_app(lib_path, "40078652")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "The library was left as it was" in errors[-1].message
        assert "stub" in header(app)
    assert lib_path.read_bytes() == before


async def test_searching_pubmed_online_stores_and_lists_the_hits(lib_path: Path, pubmed: LocalServer) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"pubmed: exosome therapy", "enter")
        await settle(pilot)
        assert border_title(app.screen.query_one(ResultsList)).startswith(
            "newest first · 2 hits — PubMed: exosome therapy (2 online, 2 stored)"
        )
        titles = rows(app.screen.query_one(ResultsList))
        assert any(t.startswith("● Record 777") for t in titles)
        search = pubmed.requests_to("eutils/esearch.fcgi")[0]
        assert search.one("term") == "exosome therapy"


async def test_a_failed_pubmed_search_says_so_in_the_results(lib_path: Path, pubmed: LocalServer) -> None:
    pubmed.route("eutils/esearch.fcgi", Reply(body=b'{"esearchresult": {"ERROR": "Invalid query"}}'))
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"pubmed: (((", "enter")
        await settle(pilot)
        assert border_title(app.screen.query_one(ResultsList)) == "PubMed: ((( — failed, nothing stored"
        assert rows(app.screen.query_one(ResultsList))[0].startswith("The PubMed search failed")
        await pilot.press("q")
    again = make_app(lib_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await ready(pilot)  # the online query was not kept: reopening never goes online
        assert (
            border_title(again.screen.query_one(ResultsList)) == "most cited first · 11 hits — All articles"
        )
    assert not pubmed.requests_to("eutils/esearch.fcgi")[1:]


async def test_tags_are_one_word_and_searchable(lib_path: Path) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("t", *"my review", "enter")
        assert "#my-review" in header(app)
        await pilot.press("slash", *"tag:my-review", "enter")
        await settle(pilot)
        assert border_title(app.screen.query_one(ResultsList)) == "by relevance · 1 hit — tag:my-review"


async def test_defect_9_the_export_dialog_names_its_selection_and_never_overwrites(
    lib_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import RadioButton

    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(documents))
    (documents / "pmbrowse-pmid-30992990.bib").write_text("mine\n")
    (documents / "pmbrowse-starred.ris").write_text("mine too\n")
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("s", "e")  # the article starred, then the dialog
        path_input = app.screen.query_one("#export-path", Input)
        assert path_input.value == str(documents / "pmbrowse-pmid-30992990-2.bib")  # a number, not over it
        app.screen.query_one("#what-starred", RadioButton).value = True
        app.screen.query_one("#format-ris", RadioButton).value = True
        await pilot.pause()
        assert path_input.value == str(documents / "pmbrowse-starred-2.ris")
        # A path typed that names a file: asked, not written; Export again replaces it.
        path_input.value = str(documents / "pmbrowse-starred.ris")
        path_input.focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ExportScreen)
        assert "pmbrowse-starred.ris is there already: Export again replaces it" in text_of(
            app.screen.query_one("#export-error")
        )
        assert (documents / "pmbrowse-starred.ris").read_text() == "mine too\n"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "AN  - 30992990" in (documents / "pmbrowse-starred.ris").read_text()
        assert (documents / "pmbrowse-pmid-30992990.bib").read_text() == "mine\n"


async def test_the_export_dialog_stays_open_when_the_file_cannot_be_written(lib_path: Path) -> None:
    app = make_app(lib_path, SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("e")
        path_input = app.screen.query_one("#export-path", Input)
        path_input.value = "/nonexistent/folder/out.bib"
        path_input.focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ExportScreen)
        assert "Could not write /nonexistent/folder/out.bib" in text_of(app.screen.query_one("#export-error"))


@pytest.mark.parametrize(("screener", "shown"), [("", ""), ("[b]ann", "screener [b]ann (blind)")])
async def test_the_main_view_names_its_screener(lib_path: Path, screener: str, shown: str) -> None:
    """Who the screening keys record decisions for, under the result list (the name as typed: never
    markup); nothing for the unnamed screener, a reviewer working alone."""
    from textual.content import Content

    from tui.app import PmbrowseApp

    app = PmbrowseApp(lib_path, SEED, screener=screener)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        subtitle = screen.query_one(ResultsList).border_subtitle
        assert Content.from_markup(subtitle or "").plain == shown
