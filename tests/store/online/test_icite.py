"""iCite's answers as they really come: the legacy and the 2025 shapes, read by field; unknown shapes refused.

Served by the local HTTP server from real answers (``tests/data/online/README.md`` names their sources).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from store.errors import OnlineError
from store.library import Library
from store.model import Article, Link, Origin
from store.online.config import OnlineConfig
from store.online.icite import DESCRIBE_FIELDS, FIELDS, ShapeError
from store.online.session import Online
from store.snowball.online import fill_links
from tests.online_server import (
    ICITE_2025,
    ONLINE_DATA,
    ICiteBank,
    LocalServer,
    Request,
    SessionFactory,
    json_reply,
)

PUBS = "icite/pubs"
LEGACY = ONLINE_DATA / "icite_pubs_legacy_23456789_27599104.json"


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and "lock" not in p.name}


def test_the_2025_answer_gives_authors_by_field(server: LocalServer, online: Online) -> None:
    server.route(PUBS, ICiteBank(ICITE_2025))
    (record,) = online.icite.pubs(["32162448"], fields=DESCRIBE_FIELDS).values()
    assert record.authors == ["Zhang YL", "Li H", "Zeng H", "Li Q", "Qiu LP", "Dai RP"]
    assert record.title.startswith("Ultrasonographic evaluation of gastric emptying")
    assert (record.doi, record.year, record.journal) == ("10.1111/pan.13853", 2020, "Paediatr Anaesth")
    assert record.metrics["is_clinical"] is True and record.metrics["is_research_article"] is True
    assert record.metrics["provisional"] is False and record.citation_count == 17


def test_the_legacy_answer_gives_the_same_kind_of_record(server: LocalServer, online: Online) -> None:
    server.route(PUBS, ICiteBank(LEGACY))
    found = online.icite.pubs(["23456789", "27599104"], fields=DESCRIBE_FIELDS)
    assert found["23456789"].authors == ["Sharma A", "Schwartz SM", "Méndez E"]
    assert found["27599104"].authors == ["Hutchins BI", "Yuan X", "Anderson JM", "Santangelo GM"]
    legacy = found["27599104"].metrics
    assert (legacy["is_research_article"], legacy["is_clinical"], legacy["provisional"]) == (
        True,
        False,
        False,
    )
    assert legacy["relative_citation_ratio"] == 9.87 and legacy["cited_by_clin"] == ["37552823", "33539992"]


def test_a_snowball_stub_from_the_2025_answer_has_real_names(
    server: LocalServer, online: Online, tmp_path: Path
) -> None:
    """The defect: ``str()`` of each author object made names like ``'Yan-Ling'} Y``."""
    library = Library.open(tmp_path / "lib.json", demo=False)
    with library.transaction() as changes:
        changes.put_article(Article(pmid="30500064", title="A seed"), Origin("test"))
    seed = library.find("30500064")
    assert seed is not None
    bank = ICiteBank(ICITE_2025, synthesize=True, links=lambda pmid: ([], [32162448]))
    server.route(PUBS, bank)
    fill_links(library, [seed], online=online)
    citing = library.article(library.find("32162448"))  # type: ignore[arg-type]
    assert citing.stub
    assert [a.name for a in citing.authors] == ["Zhang YL", "Li H", "Zeng H", "Li Q", "Qiu LP", "Dai RP"]
    assert not any("{" in a.name or "'" in a.name for a in citing.authors)
    # What iCite said of it is kept too, with when it was said.
    kept = citing.metrics["icite"]
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", kept.pop("fetched"))
    assert kept == {
        "citation_count": 17,
        "relative_citation_ratio": 2.18475199552701,
        "nih_percentile": 77.1,
        "apt": 0.75,
        "is_research_article": True,
        "is_clinical": True,
        "provisional": False,
        "cited_by_clin": ["32997821", "38615661", "35166373"],
        "citations_by_year": {"2020": 1, "2021": 1, "2022": 3, "2023": 4, "2024": 4, "2025": 4},
    }
    assert library.article(seed).metrics["icite"]["citation_count"] == 1  # the seed's own, too


def _row_2025() -> dict[str, Any]:
    row: dict[str, Any] = json.loads(ICITE_2025.read_text())["data"][0]
    return row


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"authors": 5}, "'authors' is a number, not a string or a list of author objects"),
        ({"authors": ["Yan-Ling Zhang"]}, "'authors' holds text, not an author object"),
        ({"authors": [{"name": "Zhang"}]}, "an author object has none of lastName, firstName, fullName"),
        ({"authors": [{"lastName": ["Zhang"]}]}, "an author's 'lastName' is a list, not text"),
        ({"is_clinical": "Maybe"}, "'is_clinical' is 'Maybe', not true/false or Yes/No"),
        ({"provisional": 1}, "'provisional' is a number, not true/false or Yes/No"),
        ({"relative_citation_ratio": "2.18"}, "'relative_citation_ratio' is text, not a number"),
        ({"citation_count": -3}, "'citation_count' is a number, not a count"),
        ({"citedByPmidsByYear": {"32997821": 2020}}, "'citedByPmidsByYear' is an object, not a list"),
        (
            {"citedByPmidsByYear": [{"x": 2020}]},
            "'citedByPmidsByYear' holds an entry that is not {PMID: year}",
        ),
        ({"cited_by": [32997821, None]}, "'cited_by' holds null that is not a PMID"),
        ({"title": {"en": "x"}}, "'title' is an object, not text"),
    ],
)
def test_a_shape_not_known_is_refused_in_one_line_and_nothing_is_stored(
    server: LocalServer, online: Online, demo_library: Library, change: dict[str, Any], problem: str
) -> None:
    row = {**_row_2025(), **change}
    server.route(PUBS, json_reply(json.dumps({"data": [row]})))
    with pytest.raises(ShapeError) as caught:
        online.icite.pubs(["32162448"], fields=DESCRIBE_FIELDS)
    assert str(caught.value) == f"iCite answered in a shape pmbrowse does not know (PMID 32162448: {problem})"
    assert len(server.requests) == 1  # asking again would get the same answer
    # Through a snowball: one line, and the library exactly as it was.
    seed = demo_library.find("30992990")
    assert seed is not None
    before = files(demo_library.path.parent)
    server.route(PUBS, json_reply(json.dumps({"data": [{**row, "pmid": 30992990}]})))
    with pytest.raises(
        OnlineError, match=r"^iCite answered in a shape pmbrowse does not know \(PMID 30992990: "
    ):
        fill_links(demo_library, [seed], online=online)
    assert files(demo_library.path.parent) == before


def test_a_row_without_a_pmid_is_refused(server: LocalServer, online: Online) -> None:
    row = _row_2025()
    del row["pmid"]
    server.route(PUBS, json_reply(json.dumps({"data": [row]})))
    with pytest.raises(ShapeError, match=r"\(row 1: 'pmid' is null, not a PMID\)$"):
        online.icite.pubs(["32162448"], fields=FIELDS)


def test_authors_missing_or_in_parts_of_the_current_shape(server: LocalServer, online: Online) -> None:
    rows = [
        {"pmid": 1, "authors": None},
        {"pmid": 2, "authors": []},
        {"pmid": 3, "authors": [{"lastName": "Collaborative Group", "firstName": None, "fullName": None}]},
        {"pmid": 4, "authors": [{"fullName": "García-López, Ana María"}]},
        {"pmid": 5, "authors": [{"fullName": "The ABC Consortium"}]},
        {"pmid": 6, "authors": [{"lastName": "de Ruiter", "firstName": "Pieter J."}]},
    ]
    server.route(PUBS, json_reply(json.dumps({"data": rows})))
    found = online.icite.pubs(["1", "2", "3", "4", "5", "6"], fields=DESCRIBE_FIELDS)
    assert [found[str(n)].authors for n in range(1, 7)] == [
        [],
        [],
        ["Collaborative Group"],
        ["García-López AM"],
        ["The ABC Consortium"],
        ["de Ruiter PJ"],
    ]


def test_links_of_a_record_leave_out_its_own_pmid(server: LocalServer, online: Online) -> None:
    row = {"pmid": 7, "references": [7, 8, "9"], "cited_by": "10 7 11", "cited_by_clin": [7]}
    server.route(PUBS, json_reply(json.dumps({"data": [row]})))
    record = online.icite.pubs(["7"])["7"]
    assert (record.references, record.cited_by) == (["8", "9"], ["10", "11"])
    assert record.metrics["cited_by_clin"] == ["7"]  # a list of PMIDs, not a link list
    assert record.links("references") == [
        Link(pmid="8", sources=["icite"]),
        Link(pmid="9", sources=["icite"]),
    ]


# How many a request ---------------------------------------------------------------------------------


def nine_digit(n: int) -> list[str]:
    return [str(30_000_000 + i) for i in range(n)]


def sizes(server: LocalServer) -> list[int]:
    return [len(r.one("pmids").split(",")) for r in server.requests_to(PUBS)]


def test_at_most_two_hundred_pmids_a_request_and_no_url_over_4_kb(
    server: LocalServer, online: Online
) -> None:
    server.route(PUBS, ICiteBank(synthesize=True))
    found = online.icite.pubs(nine_digit(1001), fields=FIELDS)
    assert len(found) == 1001
    assert sizes(server) == [200, 200, 200, 200, 200, 1]
    assert max(r.url_length for r in server.requests) < 4000
    assert all(r.method == "GET" for r in server.requests)  # iCite documents GET only


def test_a_413_is_survived_by_halving_the_batch(server: LocalServer, online: Online) -> None:
    server.route(PUBS, ICiteBank(synthesize=True, max_pmids=120))
    found = online.icite.pubs(nine_digit(450), fields=FIELDS)
    assert len(found) == 450
    # 200 refused, then halves of it; every later batch at most the halved size.
    assert sizes(server) == [200, 100, 100, 100, 100, 50]


def test_a_414_is_survived_by_halving_until_it_fits(server: LocalServer, online: Online) -> None:
    server.route(PUBS, ICiteBank(synthesize=True, max_url=700))
    found = online.icite.pubs(nine_digit(230), fields=FIELDS)
    assert len(found) == 230
    answered = [r for r in server.requests if r.url_length <= 700]
    assert sum(len(r.one("pmids").split(",")) for r in answered) == 230
    assert sizes(server)[:3] == [200, 100, 50]


def test_one_pmid_still_refused_is_one_line(server: LocalServer, online: Online) -> None:
    server.route(PUBS, ICiteBank(synthesize=True, max_url=10))
    with pytest.raises(OnlineError) as caught:
        online.icite.pubs(nine_digit(3), fields=FIELDS)
    assert str(caught.value) == "iCite refused the request: HTTP 414 Request-URI Too Long"
    assert sizes(server) == [3, 1]


def test_a_long_address_splits_batches_before_they_are_sent(
    server: LocalServer, make_online: SessionFactory
) -> None:
    long_path = "icite/" + "x" * 2500 + "/"
    server.route(long_path + "pubs", ICiteBank(synthesize=True))
    online = make_online(icite_url=f"{server.url}/{long_path}")
    assert len(online.icite.pubs(nine_digit(400), fields=FIELDS)) == 400
    assert max(r.url_length for r in server.requests) < 4000
    assert max(sizes_of(server.requests)) <= 100


def sizes_of(requests: list[Request]) -> list[int]:
    return [len(r.one("pmids").split(",")) for r in requests]


def test_the_batch_size_is_a_setting(
    server: LocalServer, make_online: SessionFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server.route(PUBS, ICiteBank(synthesize=True))
    make_online(icite_batch=50).icite.pubs(nine_digit(120), fields=FIELDS)
    assert sizes(server) == [50, 50, 20]
    monkeypatch.setenv("PMBROWSE_ICITE_BATCH", "80")
    assert OnlineConfig.load(path=tmp_path / "none.toml").icite_batch == 80
    monkeypatch.delenv("PMBROWSE_ICITE_BATCH")
    assert OnlineConfig.load(path=tmp_path / "none.toml").icite_batch == 200
    for bad in ("0", "201", "many", "1000"):
        monkeypatch.setenv("PMBROWSE_ICITE_BATCH", bad)
        with pytest.raises(
            OnlineError, match=rf"^icite_batch must be a whole number from 1 to 200, not '{bad}'$"
        ):
            OnlineConfig.load(path=tmp_path / "none.toml")
