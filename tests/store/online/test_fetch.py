"""Fetching into the library end to end, against a local server serving real and hand-written answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.errors import OnlineError
from store.library import Library
from store.model import Origin
from store.online.events import Event, Step
from store.online.fetch import fetch_articles, search_online
from store.online.links import merge_links
from store.online.session import Online
from tests.conftest import shared
from tests.online_server import (
    HTML_PAGE,
    ONLINE_DATA,
    EuropePmcList,
    LocalServer,
    RecordBank,
    Reply,
    Request,
    json_reply,
    xml_reply,
)

EFETCH, ELINK, ESEARCH = "eutils/efetch.fcgi", "eutils/elink.fcgi", "eutils/esearch.fcgi"
JMI = "29963580"  # biopython__pubmed7.xml: 49 references in its ReferenceList
CRYO, MAGN = "11748933", "11700088"  # biopython__pubmed2.xml


def elink(request: Request) -> Reply:
    name = {"pubmed_pubmed_refs": "elink_refs.xml", "pubmed_pubmed_citedin": "elink_citedin.xml"}
    return xml_reply(ONLINE_DATA / name[request.one("linkname")])


def citations(request: Request) -> Reply:
    return json_reply(ONLINE_DATA / f"europepmc_citations_29963580_page{request.one('page')}.json")


@pytest.fixture
def world(server: LocalServer, online: Online) -> RecordBank:
    """PubMed and Europe PMC as the tests see them: real records, hand-written link answers."""
    bank = RecordBank(
        shared("pubmed_xml") / "biopython__pubmed7.xml", shared("pubmed_xml") / "biopython__pubmed2.xml"
    )
    server.route(EFETCH, bank)
    server.route(ELINK, elink)
    server.route(
        f"europepmc/MED/{JMI}/references", json_reply(ONLINE_DATA / "europepmc_references_29963580.json")
    )
    server.route(f"europepmc/MED/{JMI}/citations", citations)
    for pmid in (CRYO, MAGN):
        server.route(
            f"europepmc/MED/{pmid}/references", json_reply(ONLINE_DATA / "europepmc_references_empty.json")
        )
        server.route(f"europepmc/MED/{pmid}/citations", json_reply('{"errMsg":"none"}', status=404))
    online.europepmc.page_size = 2  # the citations answer comes in pages of 2
    return bank


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library.open(tmp_path / "lib.json", demo=False)


def by_pmid(views: list) -> dict:
    return {v.pmid: v for v in views if v.pmid}


def test_fetch_stores_the_record_with_links_from_every_source(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    report = fetch_articles(library, [JMI], online=online)

    assert (report.pmids, report.added, report.updated, report.failed) == ([JMI], [JMI], [], [])
    article = library.get(JMI)
    assert article is not None and not article.stub
    assert article.doi == "10.1117/1.JMI.5.2.026002" and article.pmcid == "PMC6022861"
    assert Origin("pubmed", f"{server.eutils_url}efetch.fcgi?db=pubmed&id={JMI}") in article.origins

    doc_id = library.find(JMI)
    assert doc_id is not None
    refs = library.links(doc_id, "references")
    ref = by_pmid(refs)
    # In PubMed's reference list, in elink's answer and in Europe PMC's: one link, both sources,
    # with Europe PMC's title rather than PubMed's citation string.
    assert sorted(ref["25144646"].sources) == ["europepmc", "pubmed"]
    assert ref["25144646"].title.startswith("Hyperpolarized 3He and 129Xe MR imaging")
    assert ref["25144646"].doi == "10.1148/radiol.14140080" and ref["25144646"].year == 2015
    assert ref["12091962"].sources == ["pubmed"]  # only elink gave this one
    assert ref["11384074"].title == "Phys Med Biol. 2001 May;46(5):R67-99"  # only PubMed's list
    assert any(v.doi == "10.1101/2017.01.02.123456" and v.sources == ["europepmc"] for v in refs)
    assert any(v.pmcid == "PMC4458941" for v in refs)
    assert any(
        v.title.startswith("Principles of magnetic resonance") and v.pmid is None and v.doi is None
        for v in refs
    )
    assert not any(v.in_library for v in refs)  # all stubs: links_depth=0

    cited = library.links(doc_id, "cited_by")
    cite = by_pmid(cited)
    assert set(cite) == {"36400559", "31863009"}
    assert sorted(cite["36400559"].sources) == ["europepmc", "pubmed"]
    assert cite["36400559"].journal == "Neurol Clin"
    assert any(v.pmcid == "PMC7000001" for v in cited)

    # Links are two-way: the cited article's stub knows it is cited by the fetched one.
    stub_id = library.find("25144646")
    assert stub_id is not None
    assert [v.pmid for v in library.links(stub_id, "cited_by")] == [JMI]
    assert report.links_added == len(refs) + len(cited)
    assert report.stubs_created == len(refs) + len(cited)


def test_fetching_again_changes_nothing(world: RecordBank, online: Online, library: Library) -> None:
    fetch_articles(library, [JMI], online=online)
    before = library.path.read_bytes()
    report = fetch_articles(library, [JMI], online=online)
    assert (report.added, report.updated, report.unchanged) == ([], [], [JMI])
    assert report.links_added == 0 and report.stubs_created == 0
    assert library.path.read_bytes() == before


def test_links_of_several_records_go_to_the_right_records(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    report = fetch_articles(library, [CRYO, MAGN, JMI], online=online)
    assert sorted(report.added) == sorted([CRYO, MAGN, JMI])
    elinks = server.requests_to(ELINK)
    assert len(elinks) == 2  # one per link name, all three ids in each
    assert all(r.params["id"] == [CRYO, MAGN, JMI] for r in elinks)

    def pmids(pmid: str, rel: str) -> list[str | None]:
        doc_id = library.find(pmid)
        assert doc_id is not None
        return [v.pmid for v in library.links(doc_id, rel)]

    # CRYO cites MAGN (both fetched, so MAGN is a full record) and 9997.
    assert pmids(CRYO, "references") == [MAGN, "9997"]
    assert pmids(CRYO, "cited_by") == ["28775130"]
    assert pmids(MAGN, "references") == ["9997"]
    assert pmids(MAGN, "cited_by") == [CRYO]  # learnt the other way round, from CRYO's list
    assert "28775130" not in pmids(JMI, "cited_by")
    doc_id = library.find(CRYO)
    assert doc_id is not None
    assert by_pmid(library.links(doc_id, "references"))[MAGN].in_library


def test_links_depth_one_fetches_the_records_one_hop_away(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    world.synthesize = True  # PubMed has a record for every PMID the links name
    report = fetch_articles(library, [CRYO], links_depth=1, online=online)
    assert report.added == [CRYO]
    assert report.neighbours.added == 3  # MAGN, 9997 (references) and 28775130 (cited by)
    for pmid in (MAGN, "9997", "28775130"):
        neighbour = library.get(pmid)
        assert neighbour is not None and not neighbour.stub
    assert library.get(MAGN).title.startswith("Proton MRI of (13)C distribution")  # type: ignore[union-attr]
    neighbour_fetch = server.requests_to(EFETCH)[1]
    assert sorted(neighbour_fetch.ids()) == sorted([MAGN, "9997", "28775130"])


def test_links_depth_one_includes_pubmeds_own_reference_list(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    world.synthesize = True
    report = fetch_articles(library, [JMI], links_depth=1, online=online)
    only_in_pubmeds_list = library.get("11384074")
    assert only_in_pubmeds_list is not None and not only_in_pubmeds_list.stub
    doc_id = library.find(JMI)
    assert doc_id is not None
    targets = {v.pmid for rel in ("references", "cited_by") for v in library.links(doc_id, rel) if v.pmid}
    assert report.neighbours.added == len(targets)
    assert all(
        v.in_library for rel in ("references", "cited_by") for v in library.links(doc_id, rel) if v.pmid
    )


def test_links_depth_one_skips_what_the_library_already_holds(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    world.synthesize = True
    fetch_articles(library, [MAGN], online=online)
    fetch_articles(library, [CRYO], links_depth=1, online=online)
    assert sorted(server.requests_to(EFETCH)[-1].ids()) == sorted(["9997", "28775130"])


def test_an_unknown_pmid_is_a_failure_the_rest_is_stored(
    world: RecordBank, online: Online, library: Library
) -> None:
    report = fetch_articles(library, [CRYO, "99999999", "not-an-id"], sources=["pubmed"], online=online)
    assert report.added == [CRYO]
    assert [(f.identifier, f.reason) for f in report.failed] == [
        ("not-an-id", "not a PMID, PMCID or DOI"),
        ("99999999", "PubMed has no record with this PMID"),
    ]
    assert library.get("99999999") is None


def test_sources_choose_where_links_come_from(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    fetch_articles(library, [JMI], sources=["europepmc"], online=online)
    assert server.requests_to(ELINK) == []
    doc_id = library.find(JMI)
    assert doc_id is not None
    assert "12091962" not in by_pmid(library.links(doc_id, "references"))  # only elink knows it
    with pytest.raises(ValueError, match="unknown link sources: crossref"):
        fetch_articles(library, [JMI], sources=["crossref"], online=online)


def test_europe_pmc_counts_are_kept_as_citation_metrics(
    world: RecordBank, online: Online, library: Library
) -> None:
    report = fetch_articles(library, [JMI], sources=["europepmc"], online=online)
    fetched = library.get(JMI)
    assert fetched is not None and fetched.metrics["europepmc"]["citation_count"] == 3  # the list's hitCount
    citing = library.get("36400559")
    assert citing is not None and citing.stub and citing.metrics["europepmc"]["citation_count"] == 2
    assert library.get("PMC7000001").metrics["europepmc"]["citation_count"] == 0  # type: ignore[union-attr]
    assert report.metrics >= 3
    stamp = fetched.metrics["europepmc"]["fetched"]
    before = library.path.read_bytes()
    again = fetch_articles(library, [JMI], sources=["europepmc"], online=online)
    assert again.metrics == 0 and library.path.read_bytes() == before  # the same numbers: no change
    assert library.get(JMI).metrics["europepmc"]["fetched"] == stamp  # type: ignore[union-attr]


def test_a_citation_list_ended_early_is_stored_as_far_as_it_came_and_said(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    server.route(f"europepmc/MED/{JMI}/citations", EuropePmcList(810, ends_at=500))
    online.europepmc.page_size = 1000
    report = fetch_articles(library, [JMI], sources=["europepmc"], online=online)
    assert report.incomplete == [
        f"Europe PMC ended the citing articles of PMID {JMI} early: 500 of 810 links stored"
    ]
    doc_id = library.find(JMI)
    assert doc_id is not None and len(library.links(doc_id, "cited_by")) == 500
    assert library.get(JMI).metrics["europepmc"]["citation_count"] == 810  # type: ignore[union-attr]


def test_all_810_citing_articles_are_stored_when_the_server_cuts_pages_short(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    server.route(f"europepmc/MED/{JMI}/citations", EuropePmcList(810, cut={2: 5, 14: 0, 30: 11}))
    online.europepmc.page_size = 1000
    report = fetch_articles(library, [JMI], sources=["europepmc"], online=online)
    assert report.incomplete == []
    doc_id = library.find(JMI)
    assert doc_id is not None and len(library.links(doc_id, "cited_by")) == 810


# DOIs and PMCIDs ----------------------------------------------------------------------------------


def test_a_doi_is_looked_up_with_esearch(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    server.route(ESEARCH, xml_reply(ONLINE_DATA / "esearch_doi.xml"))
    report = fetch_articles(library, ["https://doi.org/10.1117/1.JMI.5.2.026002"], sources=[], online=online)
    assert report.added == [JMI]
    assert server.requests_to(ESEARCH)[0].one("term") == '"10.1117/1.JMI.5.2.026002"[doi]'


def test_a_pmcid_the_library_knows_costs_no_lookup(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    fetch_articles(library, [JMI], sources=[], online=online)
    report = fetch_articles(library, ["PMC6022861"], sources=[], online=online)
    assert report.unchanged == [JMI]
    assert server.requests_to(ESEARCH) == []


def test_a_record_that_does_not_carry_the_doi_asked_for_is_refused(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    server.route(ESEARCH, xml_reply(ONLINE_DATA / "esearch_doi.xml"))  # answers 29963580 whatever is asked
    report = fetch_articles(library, ["10.1000/other"], sources=[], online=online)
    assert report.added == []
    assert [str(f) for f in report.failed] == [
        "10.1000/other: PubMed found PMID 29963580, which has 10.1117/1.JMI.5.2.026002"
    ]
    assert library.get(JMI) is None


def test_a_doi_pubmed_does_not_know(
    world: RecordBank, server: LocalServer, online: Online, library: Library
) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "biopython__esearch8.xml"))
    report = fetch_articles(library, ["10.1000/nowhere"], online=online)
    assert [str(f) for f in report.failed] == ["10.1000/nowhere: PubMed has no record with this DOI"]
    assert server.requests_to(EFETCH) == []


# Nothing is written when a request fails -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reply", "message"),
    [
        (
            f"europepmc/MED/{JMI}/citations",
            Reply(500, b"", "text/plain"),
            "Europe PMC did not answer after 4 tries: HTTP 500 Internal Server Error",
        ),
        (
            ELINK,
            Reply(200, HTML_PAGE, "text/html"),
            "PubMed did not answer after 4 tries: an HTML page instead of XML (502 Bad Gateway)",
        ),
        (EFETCH, "cut", "PubMed did not answer after 4 tries: the answer was cut off (received 200 of"),
    ],
)
def test_a_failed_request_leaves_the_library_file_byte_identical(
    world: RecordBank,
    server: LocalServer,
    online: Online,
    library: Library,
    path: str,
    reply: Reply | str,
    message: str,
) -> None:
    fetch_articles(library, [CRYO], online=online)  # something in it already
    before = library.path.read_bytes()
    if reply == "cut":
        body = (shared("pubmed_xml") / "biopython__pubmed7.xml").read_bytes()
        reply = Reply(body=body, cut_to=200)
    server.route(path, reply)
    with pytest.raises(OnlineError) as caught:
        fetch_articles(library, [JMI, MAGN], online=online)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert library.path.read_bytes() == before
    magn = library.get(MAGN)  # a stub since CRYO's links named it, and still only that
    assert library.get(JMI) is None and magn is not None and magn.stub


def test_progress_reports_each_stage_and_may_cancel(
    world: RecordBank, online: Online, library: Library
) -> None:
    events: list[Event] = []
    fetch_articles(library, [CRYO, MAGN], progress=events.append, online=online)
    stages = [e.stage for e in events if isinstance(e, Step)]
    assert stages[0] == "records" and stages[-1] == "store" and "links" in stages
    last_links = [e for e in events if isinstance(e, Step) and e.stage == "links"][-1]
    assert last_links.done == last_links.total > 0
    before = library.path.read_bytes()

    class Cancelled(Exception):
        pass

    def cancel(event: Event) -> None:
        if isinstance(event, Step) and event.stage == "links":
            raise Cancelled

    with pytest.raises(Cancelled):
        fetch_articles(library, [JMI], progress=cancel, online=online)
    assert library.path.read_bytes() == before


# Online search ------------------------------------------------------------------------------------


def test_search_online_stores_the_hits_in_pubmeds_order(
    server: LocalServer, online: Online, library: Library
) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "biopython__esearch1.xml"))
    server.route(EFETCH, RecordBank(synthesize=True))
    report = search_online(library, "biopython", 20, online=online)
    assert report.total == 63 and len(report.pmids) == 20 and len(report.added) == 20
    assert report.pmids[:2] == ["41282813", "41148224"]
    assert library.get("41282813") is not None
    assert (server.requests_to(ESEARCH)[0].one("retmax"), len(server.requests_to(EFETCH))) == ("20", 1)


def test_a_large_search_fetches_through_the_history_server(
    server: LocalServer, online: Online, library: Library
) -> None:
    answer = shared("esearch_xml") / "biopython__esearch2.xml"  # 42249 hits, 100 ids, WebEnv
    bank = RecordBank(synthesize=True)
    bank.history = [line.strip()[4:-5] for line in answer.read_text().splitlines() if line.startswith("<Id>")]
    server.route(ESEARCH, xml_reply(answer))
    server.route(EFETCH, bank)
    report = search_online(library, "cancer", 300, online=online)
    assert server.requests_to(ESEARCH)[0].one("usehistory") == "y"
    (fetch,) = server.requests_to(EFETCH)
    assert (fetch.one("WebEnv"), fetch.one("query_key"), "id" in fetch.params) == (
        "MCID_6927d6e7fee3e90f880ec190",
        "1",
        False,
    )
    assert report.pmids == bank.history and report.total == 42249


def test_search_results_past_ten_thousand_cannot_be_had(
    server: LocalServer, online: Online, library: Library
) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "biopython__esearch8.xml"))
    report = search_online(library, "abcXYZ", 50_000, online=online)
    assert server.requests_to(ESEARCH)[0].one("retmax") == "10000"
    assert report.warnings[0] == "PubMed pages only the first 10,000 hits of a search"
    assert "phrase not found: abcXYZ" in report.warnings and report.pmids == []


def test_merge_links_keeps_one_link_per_target_and_every_source() -> None:
    from store.model import Link

    a = Link(pmid="1", title="From Europe PMC", sources=["europepmc"])
    b = Link(pmid="1", doi="10.1/x", title="1. Citation string", sources=["pubmed"])
    c = Link(pmid="2", doi="10.1/x", sources=["pubmed"])  # contradicts a's PMID: another article
    merged = merge_links([a], [b, c])
    assert [(x.pmid, x.doi, x.title, x.sources) for x in merged] == [
        ("1", "10.1/x", "From Europe PMC", ["europepmc", "pubmed"]),
        ("2", "10.1/x", "", ["pubmed"]),
    ]
    assert a.sources == ["europepmc"]  # inputs are not changed
