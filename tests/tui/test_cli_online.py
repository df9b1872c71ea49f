"""The online commands end to end through ``main`` against the local server: a list a service ends early
is never a silent partial (``fetch``, ``snowball --online``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from tests.online_server import (
    ICITE_2025,
    ONLINE_DATA,
    EuropePmcList,
    ICiteBank,
    LocalServer,
    Reply,
    json_reply,
)
from tests.tui.helpers import online_at, run

PMID = "37258680"
LEGACY = ONLINE_DATA / "icite_pubs_legacy_23456789_27599104.json"


@pytest.fixture
def online_env(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The command line's online settings pointed at the local server, without waiting on limits."""
    online_at(server, monkeypatch)
    server.route(
        f"europepmc/MED/{PMID}/references", json_reply(ONLINE_DATA / "europepmc_references_empty.json")
    )
    return server


def test_fetch_says_how_much_of_a_list_ended_early_was_stored_and_exits_4(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    online_env.route(f"europepmc/MED/{PMID}/citations", EuropePmcList(810, ends_at=500))
    db = ("--db", str(lib_path))
    code, out, err = run(capsys, *db, "fetch", PMID, "--source", "europepmc")
    assert code == 4
    assert err.splitlines()[-1] == (
        f"pmbrowse: Europe PMC ended the citing articles of PMID {PMID} early: 500 of 810 links stored"
    )
    assert "links added" in out  # what was stored is reported as well
    library = Library.open(lib_path)
    assert len(library.links(library.find(PMID), "cited_by")) == 500  # type: ignore[arg-type]


def test_fetch_of_a_whole_list_cut_into_short_pages_exits_0(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    online_env.route(f"europepmc/MED/{PMID}/citations", EuropePmcList(810, cut={4: 3, 20: 0}))
    code, _, err = run(capsys, "--db", str(lib_path), "fetch", PMID, "--source", "europepmc")
    assert code == 0 and "early" not in err
    library = Library.open(lib_path)
    assert len(library.links(library.find(PMID), "cited_by")) == 810  # type: ignore[arg-type]


def test_snowball_online_with_europe_pmc_ended_early_exits_4_before_the_round(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    online_env.route(f"europepmc/MED/{PMID}/citations", EuropePmcList(810, ends_at=25))
    online_env.route("icite/pubs", json_reply('{"data": []}'))
    db = ("--db", str(lib_path))
    code, out, err = run(capsys, *db, "snowball", "--ids", PMID, "--online", "--source", "europepmc")
    assert code == 4 and out == ""
    assert err.splitlines()[-1].endswith("early: 25 of 810 links stored")
    code, _, err = run(capsys, *db, "snowball", "report", "--json")
    assert code == 1 and "no citation chasing rounds yet" in err  # no round was run on the partial list


# Citation metrics ----------------------------------------------------------------------------------------


def add_records(lib_path: Path, *pmids: str) -> None:
    library = Library.open(lib_path)
    with library.transaction() as changes:
        for pmid in pmids:
            changes.put_article(Article(pmid=pmid, title=f"Record {pmid}", year=2016), Origin("test"))
    library.close()


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and "lock" not in p.name}


def test_after_a_snowball_show_json_has_the_citation_count_icite_reports(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    """The defect: iCite's metrics were asked for, parsed and thrown away; citation_count stayed null."""
    add_records(lib_path, "32162448")
    online_env.route("icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    db = ("--db", str(lib_path))
    code, _, _ = run(capsys, *db, "snowball", "--ids", "32162448", "--online", "--json")
    assert code == 0
    code, out, _ = run(capsys, *db, "show", "32162448", "--json")
    shown = json.loads(out)
    assert (shown["citation_count"], shown["citation_count_source"]) == (17, "icite")
    icite = shown["metrics"]["icite"]
    assert icite["relative_citation_ratio"] == 2.18475199552701 and icite["nih_percentile"] == 77.1
    assert icite["is_clinical"] is True and icite["fetched"].endswith("Z")
    code, out, _ = run(capsys, *db, "show", "32162448")
    day = icite["fetched"][:10]
    assert f"\nRCR 2.18 · cited by 17 (iCite, {day}) · 17 known here\n" in out
    assert (
        f"\nCitation metrics:\n  · iCite, fetched {day}: cited by 17 · RCR 2.18 · NIH percentile 77.1 · "
        "APT 0.75 · research article · clinical article · cited by 3 clinical articles"
    ) in out
    # The citing articles iCite described came with their metrics too, and are searchable by them.
    code, out, _ = run(capsys, *db, "search", "is:clinical", "--json")
    assert "32162448" in [hit["pmid"] for hit in json.loads(out)]


def test_metrics_online_fetches_stores_and_shows_them(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    add_records(lib_path, "23456789", "27599104")
    online_env.route("icite/pubs", ICiteBank(LEGACY))
    db = ("--db", str(lib_path))
    code, out, err = run(capsys, *db, "metrics", "23456789", "27599104", "30992990", "--online", "--json")
    assert code == 0
    assert "metrics of 3 articles asked from iCite in 1 request: 2 found, 2 new or changed" in err
    assert "1 not known to iCite (30992990)" in err
    (request,) = online_env.requests_to("icite/pubs")
    assert request.one("pmids") == "23456789,27599104,30992990" and "relative_citation_ratio" in request.one(
        "fl"
    )
    rows = {row["pmid"]: row for row in json.loads(out)}
    assert rows["27599104"]["metrics"]["icite"]["relative_citation_ratio"] == 9.87
    assert rows["27599104"]["citation_count"] == 222 and rows["30992990"]["metrics"] == {}
    # Offline, the same numbers; searchable; shown in a table.
    code, out, _ = run(capsys, *db, "metrics", "--from", "rcr>5", "--json")
    assert code == 0 and [row["pmid"] for row in json.loads(out)] == ["27599104"]
    code, out, _ = run(capsys, *db, "metrics", "--from", "is:research AND rcr<2")
    assert code == 0 and "23456789" in out and "27599104" not in out and "1.78" in out
    # Asking again for the same numbers changes nothing.
    before = files(lib_path.parent)
    code, _, err = run(capsys, *db, "metrics", "23456789", "27599104", "--online")
    assert code == 0 and "2 found, 0 new or changed" in err
    assert files(lib_path.parent) == before


def test_metrics_online_failure_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    add_records(lib_path, "23456789")
    online_env.route("icite/pubs", Reply(503, b"busy", "text/plain"))
    before = files(lib_path.parent)
    code, out, err = run(capsys, "--db", str(lib_path), "metrics", "23456789", "--online")
    assert code == 4 and out == ""
    assert err == (
        "pmbrowse: iCite did not answer after 4 tries: HTTP 503 Service Unavailable; "
        "the library was left as it was\n"
    )
    assert files(lib_path.parent) == before


def test_metrics_needs_articles_that_are_there(capsys: pytest.CaptureFixture[str], lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    code, _, err = run(capsys, *db, "metrics")
    assert code == 2 and "name the articles" in err
    code, _, err = run(capsys, *db, "metrics", "99999999")
    assert code == 1 and "no article with PMID 99999999" in err
    code, _, err = run(capsys, *db, "metrics", "--from", "starred")
    assert code == 1 and "selects no article" in err
    code, _, err = run(capsys, *db, "metrics", "--from", "rcr>high")
    assert code == 2 and "rcr> needs a number after it" in err


def test_a_4500_seed_snowball_online_keeps_to_200_pmids_and_4_kb_survives_a_413_and_stores_metrics(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    seeds = [str(1_000_001 + n) for n in range(4500)]
    library = Library.open(lib_path)
    with library.transaction() as changes:
        for pmid in seeds:
            changes.put_article(Article(pmid=pmid, title=f"Seed {pmid}", year=2015), Origin("test"))
    library.close()
    # Each seed cites one article new to the library, and is cited by the next seed. In front of iCite,
    # a proxy refuses requests of more than 150 PMIDs (413) and URLs over 4 kB (414).
    last = 1_000_000 + len(seeds)
    bank = ICiteBank(
        synthesize=True,
        links=lambda n: ([n + 10_000_000], [n + 1] if n < last else []),
        max_url=4096,
        max_pmids=150,
    )
    online_env.route("icite/pubs", bank)

    code, out, err = run(capsys, "--db", str(lib_path), "snowball", "--ids", *seeds, "--online", "--json")

    assert code == 0, err
    requests = online_env.requests_to("icite/pubs")
    sizes = [len(r.one("pmids").split(",")) for r in requests]
    assert max(sizes) <= 200 and max(r.url_length for r in requests) <= 4096
    assert sizes[0] == 200 and sizes[1:3] == [100, 100]  # refused with 413, halved, and on it went
    assert all(size <= 100 for size in sizes[1:])
    assert len(requests) == 1 + 4500 // 100 + 4500 // 100  # the seeds' links, then the new articles
    assert "links of 4,500 seeds asked online: 8,999 new links, 4,500 new stubs, 91 requests" in err
    assert len(json.loads(out)) == 4500  # the round's candidates: the cited articles
    library = Library.open(lib_path)
    stored = [library.doc(doc_id) or {} for doc_id, _ in library.iter_docs()]
    asked = {str(int(p) + k) for p in seeds for k in (0, 10_000_000)}  # (not the demo's)
    mine = [doc for doc in stored if doc.get("pmid") in asked]
    assert len(mine) == 9000
    assert all("citation_count" in doc.get("metrics", {}).get("icite", {}) for doc in mine)
    assert all(doc["metrics"]["icite"]["citations_by_year"] for doc in mine if doc["pmid"] in seeds[1:10])


# Ranking candidates by the metrics: snowball --online describes the stubs it holds ---------------------

CITING = [str(p) for p in json.loads(ICITE_2025.read_bytes())["data"][0]["cited_by"]]


def seed_with_stubs(lib_path: Path, held: int) -> None:
    """32162448 as a record, its first ``held`` citing articles as stubs known by their PMID alone."""
    library = Library.open(lib_path)
    with library.transaction() as changes:
        article = Article(pmid="32162448", title="Gastric emptying", year=2020)
        article.cited_by = [Link(pmid=pmid) for pmid in CITING[:held]]
        changes.put_article(article, Origin("test"))
    library.close()


def test_snowball_online_describes_the_stubs_the_library_holds_so_they_rank_by_rcr(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    """The defect: linked articles the library held as stubs were not described, so they had no RCR."""
    seed_with_stubs(lib_path, 5)
    online_env.route("icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    db = ("--db", str(lib_path))
    args = ("snowball", "--ids", "32162448", "--online", "--direction", "forward")
    code, out, err = run(capsys, *db, *args, "--rank", "rcr", "--json")
    assert code == 0, err
    described = online_env.requests_to("icite/pubs")[1]
    assert set(CITING) <= set(described.one("pmids").split(","))  # the 5 held stubs among them
    rows = json.loads(out)
    assert len(rows) == len(CITING) and all(row["rcr"] is not None for row in rows)
    assert [row["rcr"] for row in rows] == sorted((row["rcr"] for row in rows), reverse=True)
    library = Library.open(lib_path)
    held = library.get(CITING[0])
    assert held is not None and held.stub and held.title == f"Article {CITING[0]}"  # described: a title
    # Asked again, what holds iCite's numbers is not described again: one request, the seed's links.
    online_env.requests.clear()
    code, _, err = run(capsys, *db, *args, "--preview")
    assert code == 0 and len(online_env.requests_to("icite/pubs")) == 1


def test_snowball_rank_names_its_rule_and_shows_the_number(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    seed_with_stubs(lib_path, 0)
    online_env.route("icite/pubs", ICiteBank(ICITE_2025, synthesize=True))
    db = ("--db", str(lib_path))
    code, out, _ = run(capsys, *db, "snowball", "--ids", "32162448", "--online", "--preview")
    assert code == 0 and "\nCandidates, ranked by links to the seeds\n" in out and " RCR " not in out
    by_links = re.findall(r"PMID (\d+)", out)
    code, out, _ = run(capsys, *db, "snowball", "--ids", "32162448", "--preview", "--rank", "rcr")
    assert code == 0 and "\nCandidates, highest RCR first\n" in out and " RCR " in out.splitlines()[3]
    rcrs = {CITING[n]: round(int(CITING[n]) % 500 / 100, 2) for n in range(len(CITING))}  # (the bank's)
    best = max(rcrs, key=lambda pmid: rcrs[pmid])
    assert f"{rcrs[best]:.2f}" in out.split("PMID")[0]  # the first row holds the highest RCR
    code, out, _ = run(capsys, *db, "snowball", "--ids", "32162448", "--preview", "--rank", "cited", "--json")
    cited = [row["cited"] for row in json.loads(out)]
    assert code == 0 and cited == sorted(cited, reverse=True)
    code, out, _ = run(capsys, *db, "snowball", "--ids", "32162448", "--preview", "--json")
    assert [row["pmid"] for row in json.loads(out)] == by_links  # the default order is the round's own
    code, _, err = run(capsys, *db, "snowball", "report", "--rank", "rcr")
    assert code == 2 and "--rank goes with a round" in err
