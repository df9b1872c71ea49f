"""The reviewer's files into the library: identifier entries matched (never turning a stub into a
"record"), records merged, and --resolve through NCBI's ID converter and ECitMatch on the local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from store.errors import OnlineError
from store.formats import Parser
from store.formats.idlist import IdListParser
from store.formats.ris import RisFileParser
from store.library import Library
from store.online import idconv
from store.online.answers import Answer, Unusable
from store.online.ecitmatch import Citation
from store.online.ecitmatch import read_answer as ecitmatch_answer
from store.online.idconv import read_answer as idconv_answer
from store.online.ratelimit import RateLimiter
from store.snowball.intake import Intake, read_references, sniff_format
from tests.conftest import DATA, SHARED_DATA
from tests.online_server import LocalServer, Reply, Request, json_reply

REFS = DATA / "references"


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def import_references(
    library: Library, sources: list[tuple[str, type[Parser]]], **options: Any
) -> list[Intake]:
    """What ``pmbrowse import --source`` does with reference files alone: read them, then commit."""
    references = read_references(library, sources, **options)
    references.commit(library)
    return references.intakes


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library.open(tmp_path / "library.json")  # the demo: 30992990, its references and citing articles


def test_identifier_entries_are_matched_and_a_stub_stays_a_stub(library: Library, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text((REFS / "seeds.txt").read_text() + "10.1000/not-in-the-library\n")
    before = {key: library.doc(library.find(key) or 0) for key in ("30992990", "PMC11900796")}
    assert sniff_format(str(seeds)) is IdListParser
    [intake] = import_references(library, [(str(seeds), IdListParser)])
    report = intake.report
    assert (report.added, report.merged, report.unchanged, report.stubs) == (0, 0, 4, 1)
    assert intake.matched == 4
    # Nothing a record or a stub held changed: the stub of 40078652 is still a stub.
    for key, doc in before.items():
        assert library.doc(library.find(key) or 0) == doc
    assert library.doc(library.find("PMC11900796") or 0)["stub"] is True
    new = library.doc(library.find("10.1000/not-in-the-library") or 0)
    assert new is not None and new["stub"] is True
    assert intake.entries[0] == ("pmid:30992990",) and intake.entries[1][0] == "pmid:40078652"
    assert [(e.number, e.text) for e in intake.unresolved] == [
        (4, "10.1681/ASN.2008070798"),
        (5, "10.1000/not-in-the-library"),
    ]


def test_records_merge_into_what_the_library_holds(library: Library) -> None:
    [intake] = import_references(library, [(str(REFS / "endnote.ris"), RisFileParser)])
    assert (intake.report.added, intake.report.merged) == (1, 1)  # Li into its stub; Bruno (no ids) added
    li = library.doc(library.find("40078652") or 0)
    assert li is not None and not li.get("stub") and li["pages"] == "2879-2899"
    assert [e.text for e in intake.unresolved] == [
        "Mesenchymal stem cell-derived microvesicles protect against acute tubular injury"
    ]


def test_a_malformed_file_changes_nothing_and_says_where(library: Library, tmp_path: Path) -> None:
    bad = tmp_path / "cut.ris"
    bad.write_bytes((REFS / "endnote.ris").read_bytes()[:300])
    folder = library.path.parent
    before = files_of(folder)
    [intake] = import_references(library, [(str(bad), RisFileParser)])
    assert intake.report.error.startswith(f"{bad}, line ") and "no ER line" in intake.report.error
    assert files_of(folder) == before


def idconv_route(request: Request) -> Reply:
    known = {
        "10.1681/asn.2008070798": {"pmid": 19389847, "pmcid": "PMC2676194", "doi": "10.1681/ASN.2008070798"},
    }
    records = []
    for asked in request.one("ids").split(","):
        found = known.get(asked.lower())
        records.append(
            {"requested-id": asked, **found}
            if found
            else {"requested-id": asked, "status": "error", "errmsg": "invalid article id"}
        )
    return json_reply(json.dumps({"status": "ok", "responseDate": "2026-12-03 10:00:00", "records": records}))


def ecitmatch_route(request: Request) -> Reply:
    lines = []
    for line in request.one("bdata").split("\r"):
        fields = line.split("|")
        pmid = "19389847" if fields[0] == "j am soc nephrol" and fields[2] == "20" else "NOT_FOUND"
        lines.append("|".join(fields[:6]) + "|" + pmid)
    return Reply(body=("\n".join(lines) + "\n").encode(), content_type="text/plain")


@pytest.fixture
def ncbi(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    monkeypatch.setenv("PMBROWSE_IDCONV_URL", server.url + "/idconv/")
    monkeypatch.setattr(idconv, "shared_limiter", lambda service, rate: RateLimiter(1000))
    server.route("idconv/", idconv_route)
    server.route("eutils/ecitmatch.cgi", ecitmatch_route)
    return server


def test_resolve_online_with_the_id_converter_and_ecitmatch(
    library: Library, ncbi: LocalServer, make_online
) -> None:
    sources = [(str(REFS / "seeds.txt"), IdListParser), (str(REFS / "endnote.ris"), RisFileParser)]
    seeds, endnote = import_references(library, sources, resolve=True, online=make_online())
    [asked] = ncbi.requests_to("idconv/")
    assert (asked.one("ids"), asked.one("idtype"), asked.one("format"), asked.one("tool")) == (
        "10.1681/ASN.2008070798",
        "doi",
        "json",
        "pmbrowse",
    )
    assert "api_key" not in asked.params
    [cited] = ncbi.requests_to("eutils/ecitmatch.cgi")
    assert cited.one("bdata") == "j am soc nephrol|2009|20|1053|bruno s|citation_1|"
    assert (seeds.resolved, endnote.resolved) == (1, 1)
    assert seeds.unresolved == [] and endnote.unresolved == []
    # The stub of the DOI got its PMID, and the citation's record found the same article: one article.
    doc = library.doc(library.find("19389847") or 0)
    assert doc is not None and doc["doi"] == "10.1681/ASN.2008070798" and doc["pmcid"] == "PMC2676194"
    assert not doc.get("stub") and doc["title"].startswith("Mesenchymal stem cell-derived microvesicles")
    assert library.find("10.1681/ASN.2008070798") == library.find("19389847")


def test_a_failing_service_leaves_the_library_as_it_was(
    library: Library, ncbi: LocalServer, make_online
) -> None:
    ncbi.route("idconv/", Reply(503, b"busy", "text/plain"))
    folder = library.path.parent
    before = files_of(folder)
    with pytest.raises(OnlineError, match="PMC ID Converter did not answer after 4 tries: HTTP 503"):
        import_references(
            library, [(str(REFS / "seeds.txt"), IdListParser)], resolve=True, online=make_online()
        )
    assert files_of(folder) == before


def answer(body: bytes, content_type: str = "application/json") -> Answer:
    return Answer(200, body, content_type, "http://x/")


def test_the_answers_are_read_by_their_shape() -> None:
    body = {
        "status": "ok",
        "records": [
            {
                "requested-id": "PMC3531190",
                "pmcid": "PMC3531190",
                "pmid": "23193287",
                "doi": "10.1093/nar/gks1195",
            },
            {"requested-id": "PMC0", "status": "error", "errmsg": "invalid article id"},
        ],
    }
    found = idconv_answer(body)
    assert list(found) == ["PMC3531190"] and found["PMC3531190"].pmid == "23193287"
    with pytest.raises(Unusable):
        idconv_answer({"status": "ok"})
    with pytest.raises(OnlineError, match="reported an error: bad tool"):
        idconv_answer({"status": "error", "message": "bad tool"})
    text = (
        b"j am soc nephrol|2009|20|1053|bruno s|citation_1|19389847\n"
        b"x|2000|1|1|a b|citation_2|AMBIGUOUS (2 citations)\n"
    )
    assert ecitmatch_answer(answer(text, "text/plain")) == {"citation_1": "19389847"}
    with pytest.raises(Unusable):
        ecitmatch_answer(answer(b"<html><title>Oops</title></html>", "text/html"))
    assert Citation("Proc Natl Acad Sci U S A", "1991", "88", "3248", "Mann BJ", "citation_1").line() == (
        "proc natl acad sci u s a|1991|88|3248|mann bj|citation_1|"
    )


def test_the_real_ecitmatch_answer() -> None:
    path = SHARED_DATA / "ecitmatch_txt" / "biopython__ecitmatch.txt"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    assert ecitmatch_answer(answer(path.read_bytes(), "text/plain")) == {"citation_1": "2014248"}
