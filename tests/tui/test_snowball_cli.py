"""``pmbrowse snowball`` and ``export --round N`` end to end through ``main``, on the demo library; the
provenance read back from RIS (rispy), CSV (csv) and CSL-JSON (citeproc-py)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import rispy
from citeproc.source.json import CiteProcJSON

from tests.online_server import ONLINE_DATA, LocalServer, Reply, Request, json_reply
from tests.tui.helpers import online_at, run
from tui.cli import main

DEMO = "30992990"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch, lib_path: Path) -> None:
    """The demo library, made beforehand."""
    assert main(["--db", str(lib_path), "stats"]) == 0


def test_a_round_from_the_included_article_then_the_report(capsys, lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    code, _, err = run(capsys, *db, "snowball")
    assert code == 1 and "no article is included by the review" in err and err.count("\n") == 1
    assert run(capsys, *db, "mark", DEMO, "--include")[0] == 0

    code, out, _ = run(capsys, *db, "snowball", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 10 and {r["round"] for r in rows} == {1}
    citing = next(r for r in rows if r["pmid"] == "40078652")
    assert citing["cites"] == [DEMO] and citing["cited_by"] == [] and citing["decision"] is None
    assert citing["reason"] == "cites 1 of your 1 included" and citing["stub"] is True
    ref = next(r for r in rows if r["doi"] == "10.1681/ASN.2008070798")
    assert ref["cited_by"] == [DEMO] and ref["stub"] is True and ref["pmid"] is None
    assert set(rows[0]) >= {
        "pmid",
        "pmcid",
        "doi",
        "title",
        "year",
        "stub",
        "cites",
        "cited_by",
        "round",
        "decision",
    }

    # Screening, with a reason; a second run finds nothing new and keeps no round.
    assert run(capsys, *db, "mark", "40078652", "--include")[0] == 0
    code, out, _ = run(capsys, *db, "snowball", "exclude", "PMC11884000", "--reason", "wrong  design")
    assert code == 0 and "excluded 1 article: wrong design" in out
    code, out, _ = run(capsys, *db, "snowball", "--from", "included", "--direction", "back")
    # 40078652, now a seed, is a stub with no references of its own: nothing new, no round kept.
    assert code == 0 and out.startswith("Nothing new · back · 2 seeds (included)") and "no round kept" in out

    code, out, _ = run(capsys, *db, "snowball", "report", "--json")
    report = json.loads(out)
    first = report["rounds"][0]
    assert (first["round"], first["direction"], first["seeds"], first["sources"]) == (
        1,
        "both",
        [DEMO],
        ["library"],
    )
    assert (first["links_identified"], first["duplicate_links"], first["records"]) == (10, 0, 10)
    assert (first["records_screened"], first["reports_sought"], first["records_excluded"]) == (2, 1, 1)
    assert first["records_excluded_by_reason"] == {"wrong design": 1}
    # Every candidate is a stub, but nobody tried to retrieve one: none is "not retrieved".
    assert first["reports_not_retrieved"] == 0 and first["awaiting_full_text"] == 1
    assert len(report["rounds"]) == 1 and report["identification"]["citations_results"] == 10
    arm = report["citation_searching"]
    assert {k: arm[k] for k in arm} == {k: first[k] for k in arm}
    assert report["prisma2020"]["citations_results"] == "10"
    assert report["prisma2020"]["other_sought_reports"] == "1"
    code, out, _ = run(capsys, *db, "snowball", "report")
    assert code == 0 and "searching (n = 10)" in out
    assert "Records excluded (n = 1)" in out and "PRISMA 2020 flow diagram" in out


def test_the_table_lists_what_is_left_to_screen(capsys, lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    run(capsys, *db, "mark", DEMO, "--include")
    run(capsys, *db, "mark", "40078652", "--exclude")
    code, out, _ = run(capsys, *db, "snowball", "--ids", DEMO)
    assert code == 0
    assert out.startswith(
        "Round 1 · both · 1 seed (ids) · 10 links identified, 0 duplicates, 1 already screened"
    )
    assert "Human Umbilical Cord" not in out  # screened: counted, not listed
    assert "1 already screened, counted and not listed" in out and out.count("new") >= 9
    code, out, _ = run(capsys, *db, "snowball", "--ids", DEMO)
    assert code == 0 and out.startswith("Nothing new") and "no round kept" in out


def test_seeds_by_identifier_that_the_library_lacks(capsys, lib_path: Path) -> None:
    db = ("--db", str(lib_path))
    code, _, err = run(capsys, *db, "snowball", "--ids", DEMO, "99999999", "10.1000/none")
    assert code == 1 and "99999999" in err and "10.1000/none" in err and "--online" in err
    assert err.count("\n") == 1
    code, _, err = run(capsys, *db, "snowball", "--ids", "not-an-id")
    assert code == 2 and "not a PMID, PMCID or DOI" in err
    code, _, err = run(capsys, *db, "snowball", "exclude", DEMO, "not-an-id")
    assert code == 2 and "'not-an-id' is not a PMID, PMCID or DOI" in err
    code, _, err = run(capsys, *db, "snowball", "exclude", DEMO, "99999999")
    assert code == 1 and "no article with PMID 99999999 in" in err
    code, out, _ = run(capsys, *db, "snowball", "exclude", DEMO)
    assert code == 0 and "excluded 1 article" in out
    code, _, err = run(capsys, *db, "snowball", "sideways")
    assert code == 2 and "not a snowball action" in err
    code, _, err = run(capsys, *db, "export", "--format", "ris", "--round", "3")
    assert code == 1 and "no citation chasing round 3" in err


@pytest.fixture
def exported(capsys, lib_path: Path, tmp_path: Path) -> Path:
    db = ("--db", str(lib_path))
    run(capsys, *db, "mark", DEMO, "--include")
    assert run(capsys, *db, "snowball")[0] == 0
    return tmp_path


def test_export_a_round_with_provenance_ris(capsys, lib_path: Path, exported: Path) -> None:
    target = exported / "round1.ris"
    code, _, err = run(
        capsys, "--db", str(lib_path), "export", "-f", "ris", "--round", "1", "-o", str(target)
    )
    assert code == 0 and "exported 10 articles" in err
    records = rispy.loads(target.read_text(encoding="utf-8"))
    assert len(records) == 10
    notes = {r.get("accession_number") or r["doi"]: r["notes"] for r in records}
    assert notes["40078652"] == [f"pmbrowse review: undecided; round 1; forward from {DEMO}"]
    assert notes["10.1681/ASN.2008070798"] == [f"pmbrowse review: undecided; round 1; backward from {DEMO}"]
    assert all(r["keywords"][-1] == "pmbrowse:undecided" for r in records)


def test_export_a_round_with_provenance_csv(capsys, lib_path: Path, exported: Path) -> None:
    code, out, _ = run(capsys, "--db", str(lib_path), "export", "-f", "csv", "--round", "1")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 10
    assert {(r["found_via"], r["round"], r["decision"]) for r in rows} == {
        (f"forward from {DEMO}", "1", "undecided"),
        (f"backward from {DEMO}", "1", "undecided"),
    }
    assert sum(r["found_via"].startswith("forward") for r in rows) == 5


def test_export_a_round_with_provenance_csl_json(capsys, lib_path: Path, exported: Path) -> None:
    code, out, _ = run(capsys, "--db", str(lib_path), "export", "-f", "csl-json", "--round", "1")
    assert code == 0
    items = json.loads(out)
    source = CiteProcJSON(items)
    notes = {
        str(source[item["id"].lower()].get("PMID", "")) or item["DOI"]: str(source[item["id"].lower()].note)
        for item in items
    }
    assert notes["40078652"] == f"pmbrowse review: undecided; round 1; forward from {DEMO}"
    assert len(notes) == 10 and all("round 1" in n for n in notes.values())


# Online -----------------------------------------------------------------------------------------


def icite(request: Request) -> Reply:
    fields = request.one("fl").split(",")
    name = "icite_pubs_describe.json" if "title" in fields else "icite_pubs_30992990.json"
    body = json.loads((ONLINE_DATA / name).read_text())
    asked = set(request.one("pmids").split(","))
    body["data"] = [row for row in body["data"] if str(row["pmid"]) in asked]
    return json_reply(json.dumps(body))


def test_online_round_and_its_failure(
    capsys, lib_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    online_at(server, monkeypatch)
    db = ("--db", str(lib_path))
    run(capsys, *db, "mark", DEMO, "--include")
    server.route("icite/pubs", Reply(502, b"bad gateway", "text/plain", headers={"Retry-After": "0"}))
    files = {p.name: p.read_bytes() for p in lib_path.parent.iterdir() if p.is_file()}
    code, out, err = run(capsys, *db, "snowball", "--online")
    assert code == 4 and out == ""
    failed = "iCite did not answer after 4 tries: HTTP 502 Bad Gateway; the library was left as it was"
    assert err == f"pmbrowse: {failed}\n"
    assert {p.name: p.read_bytes() for p in lib_path.parent.iterdir() if p.is_file()} == files

    server.route("icite/pubs", icite)
    code, out, err = run(capsys, *db, "snowball", "--online", "--json")
    assert code == 0 and "links of 1 seed asked online: 2 new links" in err
    rows = json.loads(out)
    assert len(rows) == 12 and any(r["pmid"] == "39900101" and r["cites"] == [DEMO] for r in rows)
    code, out, _ = run(capsys, *db, "snowball", "report", "--json")
    assert json.loads(out)["rounds"][0]["sources"] == ["library", "icite"]
