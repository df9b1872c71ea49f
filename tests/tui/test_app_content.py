"""What the app shows of a library with real records: records before stubs in an order it names,
stubs known by citation text read as citations, the Details of a record (and MeSH searches from it),
and an identifier the library does not have."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from store.library import Library
from store.model import AbstractSection, Article, Author, Link, Origin
from tests.online_server import LocalServer, RecordBank, Reply, json_reply
from tests.tui.helpers import border_title, make_app, ready, rows, settle, text_of
from tui.cli import main
from tui.screens.headings import HeadingsScreen
from tui.widgets.links import LinkList
from tui.widgets.results import ResultsList

CITATION = "Med Phys. 2017 May;44(5):1718-1733"


@pytest.fixture
def lib_path(tmp_path: Path) -> Path:
    """Two records whose references are cited by both (so the stubs are the most cited), one of them
    known only by a reference list's citation text."""
    path = tmp_path / "library.json"
    library = Library.open(path, demo=False)
    refs = [Link(pmid="900"), Link(pmid="901"), Link(title=CITATION)]
    with library.transaction() as changes:
        changes.put_article(
            Article(
                pmid="100",
                title="Exosome therapy for lung tumours",
                authors=[Author("Ruiz", "A", affiliations=["Lab of Lungs, Madrid"])],
                journal="Lung J",
                year=2020,
                abstract=[AbstractSection("An abstract.")],
                mesh=["Neoplasms/therapy", "Exosomes", "Lung"],
                keywords=["vesicles"],
                publication_types=["Journal Article", "Review"],
                languages=["eng"],
                references=refs,
            ),
            Origin("test"),
        )
        changes.put_article(
            Article(pmid="101", title="A later record", journal="Lung J", year=2023, references=refs),
            Origin("test"),
        )
    return path


def results(app: object) -> ResultsList:
    return app.screen.query_one(ResultsList)  # type: ignore[attr-defined]


async def test_the_first_list_shows_records_first_in_an_order_it_names(lib_path: Path) -> None:
    app = make_app(lib_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        shown = rows(results(app))
        assert [r[0] for r in shown] == ["●", "●", "○", "○", "○"]  # the stubs are cited more, yet after
        assert border_title(results(app)) == "most cited first · 5 hits — All articles"
        await pilot.press("O")
        await settle(pilot)
        assert border_title(results(app)) == "newest first · 5 hits — All articles"
        assert rows(results(app))[0].startswith("● A later record")
        await pilot.press("O")
        await settle(pilot)
        assert border_title(results(app)) == "highest RCR first · 5 hits — All articles"
        await pilot.press("O")
        await settle(pilot)
        assert "most cited first" in border_title(results(app))
        await pilot.press("slash", *"lung", "enter")
        await settle(pilot)
        assert border_title(results(app)) == "most cited first · 2 hits — lung"  # the order chosen stays
        await pilot.press("O")
        await settle(pilot)
        assert border_title(results(app)) == "highest RCR first · 2 hits — lung"
        await pilot.press("O")
        await settle(pilot)
        assert border_title(results(app)) == "by relevance · 2 hits — lung"
        await pilot.press("O")
        await settle(pilot)
        assert border_title(results(app)) == "newest first · 2 hits — lung"
        await pilot.press("slash", *"is:stub", "enter")
        await settle(pilot)
        assert [r[0] for r in rows(results(app))] == ["○", "○", "○"]


async def test_a_stub_known_by_citation_text_reads_as_a_citation(lib_path: Path) -> None:
    app = make_app(lib_path, "100")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        stub = next(r for r in rows(results(app)) if CITATION in r)
        assert stub.splitlines()[1].strip() == "cited 2 · stub: citation text from a reference list"
        await pilot.press("r")
        refs = rows(app.screen.query_one("#references-list", LinkList))
        cited = next(r for r in refs if CITATION in r)
        assert cited.splitlines()[1].strip() == "stub: citation text from a reference list"
        assert all(line.strip() for r in refs for line in r.splitlines())  # no empty second lines


async def test_details_show_and_a_mesh_heading_is_a_search(lib_path: Path) -> None:
    app = make_app(lib_path, "100")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        abstract = text_of(app.screen.query_one("#abstract-text"))
        assert "Details" in abstract
        assert "MeSH: Neoplasms/therapy · Exosomes · Lung" in abstract
        assert "Keywords: vesicles" in abstract
        assert "Publication types: Journal Article · Review" in abstract
        assert "Language: eng" in abstract
        assert "Affiliations:\n  · Lab of Lungs, Madrid" in abstract
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, HeadingsScreen)
        await pilot.press("enter")  # the first heading: Neoplasms/therapy
        await settle(pilot)
        assert app.screen.query_one(Input).value == '"Neoplasms"[mh]'
        assert " · 1 hit — " in border_title(results(app))
        assert rows(results(app))[0].startswith("● Exosome therapy")


async def test_no_hits_for_a_mesh_word_names_the_headings_that_have_it(lib_path: Path) -> None:
    app = make_app(lib_path, "neopl*[mh] AND 1990[dp]")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        said = rows(results(app))[0]
        assert said.startswith("No articles match")
        assert "MeSH headings in the library with “neopl”: Neoplasms." in said
        await pilot.press("slash", *"tumour[mh]", "enter")
        await settle(pilot)
        assert "No MeSH heading in the library has the word “tumour”" in rows(results(app))[0]


def test_show_prints_the_details(lib_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(lib_path), "show", "100"]) == 0
    out = capsys.readouterr().out
    assert "\nDetails\nMeSH: Neoplasms/therapy · Exosomes · Lung\nKeywords: vesicles\n" in out
    assert "Affiliations:\n  · Lab of Lungs, Madrid\n" in out


@pytest.fixture
def pubmed(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    server.route("eutils/efetch.fcgi", RecordBank(synthesize=True))
    server.route("eutils/elink.fcgi", lambda r: Reply(body=b"<eLinkResult></eLinkResult>"))
    server.route("europepmc/MED/99999999/references", json_reply('{"hitCount": 0}'))
    server.route("europepmc/MED/99999999/citations", json_reply('{"hitCount": 0}'))
    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.setenv("PMBROWSE_EUROPEPMC_URL", server.europepmc_url)
    return server


async def test_an_identifier_not_in_the_library_offers_f_to_fetch_it(
    lib_path: Path, pubmed: LocalServer
) -> None:
    app = make_app(lib_path, "99999999")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert text_of(app.screen.query_one("#header")).startswith("99999999 is not in the library")
        assert "Press f to fetch it" in text_of(app.screen.query_one("#abstract-text"))
        await pilot.press("f")
        await settle(pilot)
        assert "PMID 99999999" in text_of(app.screen.query_one("#header"))
