"""Citation metrics in the app and in ``show``: the header's one line (the RCR, the count with whose it is
and when it was fetched), every metric in the Details, the year chart labelled with whose counts it
draws, the results ordered by RCR (``O``, ``search --sort rcr``), and a fetch that Europe PMC ended
early said as the command line says it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from store.library import Library
from store.model import Article, Link, Origin
from tests.online_server import EuropePmcList, LocalServer, Reply, json_reply
from tests.store.samples import EPMC, FETCHED, ICITE
from tests.tui.helpers import border_title, make_app, online_at, ready, rows, settle, text_of
from tui.cli import main
from tui.widgets.results import ResultsList
from tui.widgets.yearchart import YearChart


def put(library: Library, pmid: str, title: str, metrics: dict[str, object], **kw: object) -> None:
    with library.transaction() as changes:
        changes.put_article(Article(pmid=pmid, title=title, **kw), Origin("test"))  # type: ignore[arg-type]
        if metrics:
            changes.put_metrics(Link(pmid=pmid), metrics)


@pytest.fixture
def metric_lib(lib_path: Path) -> Path:
    """1: iCite's and Europe PMC's numbers, one citing article in the library (iCite knows 17); 2: a higher
    RCR, fewer citations; 3: the most cited (the record's own count), no RCR; 4: an RCR of 0.5."""
    library = Library.open(lib_path, demo=False)
    put(library, "1", "Exosome study one", {"icite": ICITE, "europepmc": EPMC}, year=2019)
    put(library, "2", "Exosome study two", {"icite": {"fetched": FETCHED, "relative_citation_ratio": 4.0}})
    put(library, "3", "Exosome study three", {}, citation_count=500, year=2015)
    put(library, "4", "Exosome study four", {"icite": {"fetched": FETCHED, "relative_citation_ratio": 0.5}})
    put(library, "5", "A citing article", {}, year=2022, references=[Link(pmid="1")])
    return lib_path


def header(app: object) -> str:
    return text_of(app.screen.query_one("#header"))  # type: ignore[attr-defined]


async def test_the_header_the_details_and_the_chart_show_the_metrics_and_whose_they_are(
    metric_lib: Path,
) -> None:
    app = make_app(metric_lib, "1")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await settle(pilot)
        line = header(app).splitlines()[-1]
        assert line == "RCR 2.18 · cited by 17 (iCite, 2026-12-03) · 1 known here"
        details = text_of(app.screen.query_one("#abstract-text"))
        assert (
            "Citation metrics:\n"
            "  · iCite, fetched 2026-12-03: cited by 17 · RCR 2.18 · NIH percentile 77.1 · APT 0.75 · "
            "research article · not a clinical article · cited by 3 clinical articles · "
            "citing articles per year: 2020 1, 2021 4, 2022 12\n"
            "  · Europe PMC, fetched 2026-12-04: cited by 31"
        ) in details
        # The chart draws iCite's 17 a year, not the library's one citing article, and says so.
        chart = app.screen.query_one(YearChart).content
        assert chart.label == "Cited by, per year (iCite)"  # type: ignore[attr-defined]
        assert chart.counts == [(2020, 1), (2021, 4), (2022, 12)]  # type: ignore[attr-defined]
        assert chart.note == "17 by iCite, 1 here"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("metrics", "kw", "line"),
    [
        ({}, {}, "Cited by 0 known here"),
        ({}, {"citation_count": 189}, "Cited by 189 (its source) · 0 known here"),
        ({"europepmc": EPMC}, {}, "Cited by 31 (Europe PMC, 2026-12-04) · 0 known here"),
        (
            {"icite": dict(ICITE, provisional=True)},
            {"citation_count": 189},
            # (no room for the RCR's date)
            "RCR 2.18 provisional (iCite) · cited by 189 (its source) · 0 known here",
        ),
        (
            {"icite": {"fetched": FETCHED, "citation_count": 0}},
            {},
            "Cited by 0 (iCite, 2026-12-03) · 0 known here",
        ),
    ],
)
def test_the_header_line_names_whose_count_it_is_and_fits_80_columns(
    lib_path: Path,
    capsys: pytest.CaptureFixture[str],
    metrics: dict[str, object],
    kw: dict[str, object],
    line: str,
) -> None:
    from tui.text import metrics_header

    put(Library.open(lib_path, demo=False), "1", "An article", metrics, **kw)
    article = Library.open(lib_path).get("1")
    assert article is not None
    assert metrics_header(article, 0).plain == line and len(line) <= 80
    # ``pmbrowse show`` prints the same line under the identifiers.
    assert main(["--db", str(lib_path), "show", "1"]) == 0
    assert f"\n{line}\n" in capsys.readouterr().out


def test_hostile_text_in_a_metrics_record_is_shown_literally(lib_path: Path) -> None:
    from tui.text import details_text, metrics_header

    hostile = "\x1b[31m[bold]2026"
    put(
        Library.open(lib_path, demo=False),
        "1",
        "An article",
        {"icite": {"fetched": hostile, "citation_count": 3}},
    )
    article = Library.open(lib_path).get("1")
    assert article is not None
    line, details = metrics_header(article, 0), details_text(article)
    assert line.plain == "Cited by 3 (iCite, ␛[31m[bold) · 0 known here"
    assert "iCite, fetched ␛[31m[bold: cited by 3" in details.plain
    console = Console(record=True, width=120, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(line)
    console.print(details)
    shown = console.export_text()
    assert "\x1b" not in shown and "␛[31m[bold" in shown


async def test_O_orders_the_results_by_rcr_and_names_the_order(metric_lib: Path) -> None:
    app = make_app(metric_lib, "exosome")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        results = app.screen.query_one(ResultsList)
        for _ in range(4):
            if border_title(results).startswith("highest RCR first"):
                break
            await pilot.press("O")
            await settle(pilot)
        assert border_title(results) == "highest RCR first · 4 hits — exosome"
        shown = rows(results)
        assert [r.split("\n")[0].split("study ")[1] for r in shown] == ["two", "one", "four", "three"]
        assert "RCR 4.00" in shown[0] and "cited 31 · RCR 2.18" in shown[1] and "RCR" not in shown[3]


def test_search_sort_rcr_on_the_command_line(metric_lib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(metric_lib), "search", "exosome", "--sort", "rcr", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [(h["pmid"], h["rcr"]) for h in hits] == [
        ("2", 4.0),
        ("1", 2.18475199552701),
        ("4", 0.5),
        ("3", None),
    ]
    assert main(["--db", str(metric_lib), "search", "exosome", "--sort", "rcr"]) == 0
    out = capsys.readouterr().out
    assert "cited 31 · RCR 2.18 · 1" in out and out.index("study two") < out.index("study three")


# The app's fetch: a list Europe PMC ended early is said ---------------------------------------------------


@pytest.fixture
def online_env(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    online_at(server, monkeypatch)
    server.route("eutils/elink.fcgi", lambda r: Reply(body=b"<eLinkResult></eLinkResult>"))
    server.route("europepmc/MED/1/references", json_reply('{"hitCount": 0}'))
    return server


async def test_a_fetch_europe_pmc_ended_early_says_how_many_links_were_stored(
    metric_lib: Path, online_env: LocalServer
) -> None:
    online_env.route("europepmc/MED/1/citations", EuropePmcList(60, ends_at=30))
    app = make_app(metric_lib, "1")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("a", "f")  # (the abstract focused: f fetches the open article)
        for _ in range(100):
            await settle(pilot)
            if any(n.title == "Fetched" for n in app._notifications):
                break
        said = [n for n in app._notifications if n.title == "Incomplete"]
        assert [n.message for n in said] == [
            "Europe PMC ended the citing articles of PMID 1 early: 30 of 60 links stored; "
            "fetch again for the rest"
        ]
        assert said[0].severity == "error"
    library = Library.open(metric_lib)
    assert len(library.links(library.find("1"), "cited_by")) == 31  # type: ignore[arg-type]
