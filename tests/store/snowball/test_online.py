"""iCite and the online round against the local HTTP server (``tests/online_server.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.errors import OnlineError
from store.library import Library
from store.model import Article, Link, Origin
from store.online.config import OnlineConfig
from store.online.icite import BATCH, ICite
from store.online.ratelimit import RateLimiter
from store.online.session import Online
from store.snowball.engine import run_round
from store.snowball.online import SeedsNotFound, fetch_records, fill_links
from store.snowball.state import snowball_path
from tests.online_server import ONLINE_DATA, LocalServer, RecordBank, Reply, Request, fast_config, json_reply

PUBS = "icite/pubs"
DEMO = "30992990"


def icite_url(server: LocalServer) -> str:
    return server.url + "/icite/"


def bank(request: Request) -> Reply:
    """iCite from the recorded answers: the rows asked for, in the shape asked (``fl``)."""
    fields = request.one("fl").split(",")
    name = "icite_pubs_describe.json" if "title" in fields else "icite_pubs_30992990.json"
    body = json.loads((ONLINE_DATA / name).read_text())
    asked = set(request.one("pmids").split(","))
    rows = [
        {k: v for k, v in row.items() if k in fields} for row in body["data"] if str(row["pmid"]) in asked
    ]
    answer = {"meta": {"pmids": request.one("pmids"), "fl": request.one("fl")}, "links": {}, "data": rows}
    return json_reply(json.dumps(answer))


def synthetic(request: Request) -> Reply:
    """Any PMID: one reference (PMID + 1,000,000,000 would not be one; so 900,000,000 + n)."""
    rows = [
        {"pmid": int(p), "year": 2020, "references": [900_000_000 + int(p) % 1000], "cited_by": []}
        for p in request.one("pmids").split(",")
    ]
    return json_reply(json.dumps({"meta": {}, "links": {}, "data": rows}))


@pytest.fixture
def session(server: LocalServer) -> Online:
    online = Online(
        fast_config(server, icite_url=icite_url(server)),
        ncbi_limiter=RateLimiter(1000),
        europepmc_limiter=RateLimiter(1000),
        icite_limiter=RateLimiter(1000),
    )
    yield online
    online.close()


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_links_from_icite_describe_new_articles_and_merge_with_known_ones(
    server: LocalServer, session: Online, demo_library: Library
) -> None:
    server.route(PUBS, bank)
    library = demo_library
    seed = library.find(DEMO)
    assert seed is not None
    stub_before = library.find("10.1681/ASN.2008070798")
    records_before = len(library)

    fill = fill_links(library, [seed], online=session)

    asked = server.requests_to(PUBS)
    assert len(asked) == 2  # the links of the seed, then what the linked articles are
    assert asked[0].one("pmids") == DEMO and "references" in asked[0].one("fl")
    # The 7 new PMIDs, and the 5 citing articles the demo holds as stubs without iCite's numbers
    # (iCite's answer describes the 7: the 5 keep what the library knows).
    assert sorted(asked[1].one("pmids").split(",")) == sorted(
        [
            *("19144749", "19920080", "20506342", "22431970", "22530546", "39900101", "39800202"),
            *("40078652", "40045380", "40036306", "39985030", "39963133"),
        ]
    )
    assert (fill.asked, fill.described, fill.fetched) == (1, 7, [])
    # The DOI-only stub of a reference is now known by its PMID too: one article, not two.
    assert library.find("19144749") == stub_before
    assert len(library) == records_before + 2  # only the two citing articles the demo did not know
    refs = {v.pmid: v for v in library.links(seed, "references")}
    assert refs["19144749"].doi == "10.1681/ASN.2008070798" and refs["19144749"].sources == ["page", "icite"]
    cited = {v.pmid: v for v in library.links(seed, "cited_by")}
    assert cited["39900101"].title == "[Exosomes] of <i>stromal</i> cells in periodontitis: a review"
    assert cited["39900101"].authors == ["García-López A", "Zhang W"] and cited["39900101"].year == 2025
    assert cited["39800202"].authors == ["Collaborative Group"] and cited["39800202"].doi is None
    assert cited["40078652"].sources == ["page", "icite"]

    result = run_round(library, [seed], "both")
    assert len(result.round.candidates) == 12  # 5 references and 7 citing articles
    assert result.round.identified == 12 and result.round.duplicates == 0


def test_seeds_are_asked_two_hundred_a_request(server: LocalServer, session: Online, tmp_path: Path) -> None:
    server.route(PUBS, synthetic)
    client = ICite(session.icite_client)
    pmids = [str(n) for n in range(1, 1002)]
    found = client.pubs([*pmids, "5", "7"])  # repeated ones are asked once
    sizes = [len(r.one("pmids").split(",")) for r in server.requests_to(PUBS)]
    assert BATCH == 200 and sizes == [200, 200, 200, 200, 200, 1] and len(found) == 1001
    assert found["5"].references == ["900000005"]

    library = Library.open(tmp_path / "lib.json", demo=False)
    with library.transaction() as changes:
        for n in range(1, 1001):
            changes.put_article(Article(pmid=str(n), title=f"Seed {n}"), Origin("test"))
    seeds = [d for n in range(1, 1001) if (d := library.find(str(n))) is not None]
    server.requests.clear()
    fill = fill_links(library, seeds, online=session)
    links_requests = [r for r in server.requests_to(PUBS) if "references" in r.one("fl")]
    assert len(links_requests) == 5 and fill.asked == 1000
    # The 1,000 PMIDs the links brought in are described in five more requests: 10 to iCite in all.
    assert len(server.requests_to(PUBS)) == 10 and fill.requests == 10 and fill.described == 1000
    assert fill.links_added == 1000


def test_requests_keep_to_the_rate_limit(server: LocalServer) -> None:
    server.route(PUBS, synthetic)
    limiter = RateLimiter(OnlineConfig().icite_rate)
    with Online(fast_config(server, icite_url=icite_url(server)), icite_limiter=limiter) as online:
        client = ICite(online.icite_client, batch=2)
        client.pubs(["1", "2", "3", "4", "5", "6", "7", "8"])
    times = [r.time for r in server.requests_to(PUBS)]
    assert len(times) == 4
    # 3 a second at most: any 4 consecutive requests span more than a second.
    assert times[3] - times[0] >= 1.0


def test_failure_leaves_the_library_as_it_was(
    server: LocalServer, session: Online, demo_library: Library
) -> None:
    server.route(PUBS, Reply(503, b"busy", "text/plain"))
    seed = demo_library.find(DEMO)
    assert seed is not None
    before = files(demo_library.path.parent)
    with pytest.raises(OnlineError) as caught:
        fill_links(demo_library, [seed], online=session)
    assert str(caught.value) == "iCite did not answer after 4 tries: HTTP 503 Service Unavailable"
    assert len(server.requests_to(PUBS)) == 4
    assert files(demo_library.path.parent) == before
    assert not snowball_path(demo_library.path).exists()


def test_an_error_icite_states_is_not_retried(
    server: LocalServer, session: Online, demo_library: Library
) -> None:
    server.route(PUBS, json_reply('{"error": "pmids must be\\n numbers"}', status=200))
    seed = demo_library.find(DEMO)
    assert seed is not None
    with pytest.raises(OnlineError, match=r"^iCite reported an error: pmids must be numbers$"):
        fill_links(demo_library, [seed], online=session)
    assert len(server.requests_to(PUBS)) == 1


def test_html_and_cut_off_answers_are_retried(
    server: LocalServer, session: Online, demo_library: Library
) -> None:
    good = bank
    replies = iter(
        [
            Reply(200, b"<html><title>Gateway</title></html>", "text/html"),
            Reply(200, b'{"data": [', "application/json"),
        ]
    )

    def flaky(request: Request) -> Reply:
        return next(replies, None) or good(request)

    server.route(PUBS, flaky)
    seed = demo_library.find(DEMO)
    assert seed is not None
    fill = fill_links(demo_library, [seed], online=session)
    assert fill.asked == 1 and fill.links_added == 2  # the two citing articles the demo did not know


def test_a_missing_seed_is_fetched_or_named(
    server: LocalServer, session: Online, demo_library: Library
) -> None:
    records = RecordBank(synthesize=True)
    server.route("eutils/efetch.fcgi", records)
    server.route(PUBS, synthetic)
    seed = demo_library.find(DEMO)
    assert seed is not None
    fill = fill_links(demo_library, [seed], ["31000001"], online=session)
    fetched = demo_library.find("31000001")
    assert fill.fetched == ["31000001"] and fetched in fill.seeds
    assert demo_library.doc(fetched)["title"] == "Record 31000001"  # type: ignore[index]

    server.route("eutils/efetch.fcgi", Reply(body=b"<PubmedArticleSet></PubmedArticleSet>"))
    before = files(demo_library.path.parent)
    with pytest.raises(SeedsNotFound, match="31000002"):
        fill_links(demo_library, [seed], ["31000002"], online=session)
    assert files(demo_library.path.parent) == before


def test_the_icite_address_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PMBROWSE_ICITE_URL", "http://127.0.0.1:9/icite")
    assert OnlineConfig.load(path=tmp_path / "none.toml").icite_url == "http://127.0.0.1:9/icite/"
    monkeypatch.delenv("PMBROWSE_ICITE_URL")
    assert OnlineConfig.load(path=tmp_path / "none.toml").icite_url == "https://icite.od.nih.gov/api/"


def test_stub_records_are_fetched_200_a_request(server: LocalServer, session: Online, tmp_path: Path) -> None:
    server.route("eutils/efetch.fcgi", RecordBank(synthesize=True))
    library = Library.open(tmp_path / "lib.json", demo=False)
    with library.transaction() as changes:
        refs = [Link(pmid=str(n)) for n in range(1000, 1450)]
        changes.put_article(Article(pmid="1", title="Seed", references=refs), Origin("test"))
    stubs = [str(n) for n in range(1000, 1450)]
    report = fetch_records(library, stubs, online=session)
    sizes = [len(r.ids()) for r in server.requests_to("eutils/efetch.fcgi")]
    assert sizes == [200, 200, 50] and len(report.added) == 450
    assert not library.article(library.find("1200")).stub  # type: ignore[arg-type]
    server.route("eutils/efetch.fcgi", Reply(500, b"down", "text/plain"))
    before = files(library.path.parent)
    with pytest.raises(OnlineError, match="PubMed did not answer after 4 tries: HTTP 500"):
        fetch_records(library, ["5"], online=session)
    assert files(library.path.parent) == before
