"""The fetch, export and mark commands, and mark filters in search, end to end through ``main``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from store.library import Library
from store.session import Session
from store.trail import Trail
from tests.conftest import DATA
from tests.online_server import LocalServer, RecordBank, Reply, Request, json_reply
from tests.tui.helpers import run


def test_mark_then_search_and_export_by_marks(capsys, lib_path: Path, tmp_path: Path) -> None:
    db = ("--db", str(lib_path))
    code, out, _ = run(
        capsys, *db, "mark", "30992990", "--star", "--tag", "review", "--include", "--note", "Key paper"
    )
    assert code == 0 and "★ starred" in out and "screening: included" in out and "tags: review" in out
    assert run(capsys, *db, "mark", "40078652", "--tag", "review", "--exclude")[0] == 0
    code, out, _ = run(capsys, *db, "search", "starred", "--json")
    assert code == 0 and [h["pmid"] for h in json.loads(out)] == ["30992990"]
    code, out, _ = run(capsys, *db, "search", "tag:review", "--json", "--sort", "date")
    assert [h["pmid"] for h in json.loads(out)] == ["40078652", "30992990"]
    code, out, _ = run(capsys, *db, "search", "excluded", "--json")
    assert [h["pmid"] for h in json.loads(out)] == ["40078652"]
    target = tmp_path / "starred.ris"
    code, _, err = run(capsys, *db, "export", "--format", "ris", "--starred", "-o", str(target))
    assert code == 0 and "exported 1 article to" in err
    ris = target.read_text(encoding="utf-8")
    assert ris.startswith("TY  - JOUR") and "AN  - 30992990" in ris and ris.rstrip().endswith("ER  -")
    code, out, _ = run(capsys, *db, "export", "--format", "csv", "--tag", "review")
    assert code == 0 and out.count("\n") == 3  # a header and two rows
    # Marks live in their own file: re-importing the records never loses them.
    assert (
        run(capsys, *db, "import", str(Path(__file__).parents[2] / "store" / "demo" / "30992990.txt"))[0] == 0
    )
    code, out, _ = run(capsys, *db, "mark", "30992990")
    assert "★ starred" in out and "note: Key paper" in out


def test_export_a_query_and_by_ids(capsys, lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    code, out, _ = run(capsys, *db, "export", "--format", "bibtex", "periodontitis")
    assert code == 0 and out.count("@article{") == 1 and "Umbilical" in out
    code, out, _ = run(capsys, *db, "export", "-f", "csl-json", "--ids", "30992990", "PMC11900796")
    items = json.loads(out)
    assert [item["PMID"] for item in items] == ["30992990", "40078652"]
    code, _, err = run(capsys, *db, "export", "-f", "csl-json", "--ids", "99999999")
    assert code == 1 and "no article with PMID 99999999" in err
    code, _, err = run(capsys, *db, "export", "-f", "ris")
    assert code == 2 and "say what to export" in err
    code, _, err = run(capsys, *db, "export", "-f", "dot", "--starred")
    assert code == 2 and "use it with --trail" in err
    code, _, err = run(capsys, *db, "export", "-f", "ris", "nothing-matches-this")
    assert code == 1 and "selection is empty" in err


def test_export_the_trail_as_edges_and_dot(capsys, lib_path: Path) -> None:
    Library.open(lib_path)
    Session(trail=Trail(["pmid:30992990", "pmid:40078652", "pmid:30992990"], 2)).save(lib_path)
    code, out, _ = run(capsys, "--db", str(lib_path), "export", "-f", "edges", "--trail")
    assert code == 0
    rows = out.strip().splitlines()
    assert rows[0] == "source,target,relation"
    assert "40078652,30992990,cites" in rows
    assert "30992990,40078652,visited_next" in rows and "40078652,30992990,visited_next" in rows
    code, out, _ = run(capsys, "--db", str(lib_path), "export", "-f", "dot", "--trail")
    assert code == 0 and out.startswith("digraph") and "->" in out


def _elink(request: Request) -> Reply:
    """One LinkSet per id asked: 1000101 cites 1000102; 1000102 is cited by 1000101."""
    name = request.one("linkname")
    sets = []
    for pmid in request.params.get("id", []):
        links = {
            ("pubmed_pubmed_refs", "1000101"): ["1000102"],
            ("pubmed_pubmed_citedin", "1000102"): ["1000101"],
        }
        ids = "".join(f"<Link><Id>{x}</Id></Link>" for x in links.get((name, pmid), []))
        db = f"<LinkSetDb><DbTo>pubmed</DbTo><LinkName>{name}</LinkName>{ids}</LinkSetDb>" if ids else ""
        sets.append(f"<LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>{pmid}</Id></IdList>{db}</LinkSet>")
    return Reply(body=("<?xml version='1.0'?><eLinkResult>" + "".join(sets) + "</eLinkResult>").encode())


@pytest.fixture
def pubmed(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    server.route("eutils/efetch.fcgi", RecordBank(DATA / "pubmed_xml" / "variants.xml"))
    server.route("eutils/elink.fcgi", _elink)
    for pmid in ("1000101", "1000102"):
        server.route(f"europepmc/MED/{pmid}/references", json_reply('{"hitCount":0}'))
        server.route(f"europepmc/MED/{pmid}/citations", json_reply('{"errMsg":"none"}', status=404))
    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.setenv("PMBROWSE_EUROPEPMC_URL", server.europepmc_url)
    monkeypatch.setenv("PMBROWSE_EMAIL", "tester@example.org")
    return server


def test_fetch_stores_records_and_links(capsys, lib_path: Path, pubmed: LocalServer) -> None:
    code, out, err = run(capsys, "--db", str(lib_path), "fetch", "1000101")
    assert code == 0, err
    assert re.search(r"records added\s*│\s*1\s*│", out), out
    library = Library.open(lib_path)
    record = library.get("1000101")
    assert record is not None and not record.stub and record.origins[0].format == "pubmed"
    refs = library.links(library.find("1000101"), "references")  # type: ignore[arg-type]
    assert "1000102" in [v.pmid for v in refs]
    efetch = pubmed.requests_to("eutils/efetch.fcgi")[0]
    assert efetch.one("tool") == "pmbrowse" and efetch.one("email") == "tester@example.org"


def test_a_failing_service_leaves_the_library_as_it_was(capsys, lib_path: Path, pubmed: LocalServer) -> None:
    Library.open(lib_path)
    before = lib_path.read_bytes()
    pubmed.route("eutils/efetch.fcgi", Reply(body=b"<eFetchResult><ERROR>Invalid id</ERROR></eFetchResult>"))
    code, _, err = run(capsys, "--db", str(lib_path), "fetch", "1000101")
    assert code == 4
    assert err.count("\n") == 1 and "the library was left as it was" in err
    assert lib_path.read_bytes() == before


def test_fetch_usage_errors(capsys, lib_path: Path) -> None:
    code, _, err = run(capsys, "--db", str(lib_path), "fetch")
    assert code == 2 and "give identifiers to fetch, or --search QUERY" in err
