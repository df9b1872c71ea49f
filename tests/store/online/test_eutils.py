"""E-utilities: esearch, efetch and elink against recorded NCBI answers served by a local server."""

from __future__ import annotations

import pytest

from store.errors import OnlineError
from store.online.eutils import EFETCH_BATCH, LINK_CITED_BY, LINK_REFERENCES, History
from store.online.session import Online
from tests.conftest import shared
from tests.online_server import ONLINE_DATA, LocalServer, RecordBank, Reply, json_reply, xml_reply

ESEARCH, EFETCH, ELINK = "eutils/esearch.fcgi", "eutils/efetch.fcgi", "eutils/elink.fcgi"


# esearch ------------------------------------------------------------------------------------------


def test_esearch_gives_the_count_and_the_pmids(server: LocalServer, online: Online) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "biopython__esearch1.xml"))
    result = online.eutils.esearch("biopython", retstart=0, retmax=20)
    assert result.count == 63
    assert len(result.pmids) == 20 and result.pmids[0] == "41282813" and result.pmids[-1] == "37810457"
    assert result.history is None and result.warnings == []
    (request,) = server.requests
    assert (request.one("db"), request.one("term"), request.one("retmax")) == ("pubmed", "biopython", "20")
    assert "usehistory" not in request.params


def test_esearch_with_the_history_server(server: LocalServer, online: Online) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "biopython__esearch2.xml"))
    result = online.eutils.esearch("cancer", 0, 100, usehistory=True)
    assert result.count == 42249 and len(result.pmids) == 100
    assert result.history == History("MCID_6927d6e7fee3e90f880ec190", "1")
    assert server.requests[0].one("usehistory") == "y"


def test_esearch_json_answers_are_read_too(server: LocalServer, online: Online) -> None:
    server.route(ESEARCH, json_reply(shared("esearch_json") / "ualib_cookbook__esearch_darwin_au.json"))
    result = online.eutils.esearch("Darwin[au]")
    assert result.count == 603 and result.pmids[:2] == ["36374290", "36370080"]


def test_zero_hits_come_with_warnings_not_an_error(server: LocalServer, online: Online) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "biopython__esearch8.xml"))
    result = online.eutils.esearch("abcXYZ")
    assert result.count == 0 and result.pmids == []
    assert result.warnings == ["phrase not found: abcXYZ", "No items found."]


def test_a_count_only_answer_has_no_ids(server: LocalServer, online: Online) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "hawc__esearch_count_only.xml"))
    result = online.eutils.esearch("x")
    assert result.count == 6 and result.pmids == []


def test_an_error_stated_in_the_answer_is_raised_at_once(server: LocalServer, online: Online) -> None:
    server.route(ESEARCH, xml_reply(shared("esearch_xml") / "eutilsjson__esearch.baderror.xml"))
    with pytest.raises(OnlineError) as caught:
        online.eutils.esearch("x")
    assert str(caught.value) == "PubMed reported an error for the search: Invalid db name specified: fleegle"
    assert len(server.requests) == 1  # asking again would get the same answer


def test_an_error_field_in_json_is_raised(server: LocalServer, online: Online) -> None:
    body = (
        '{"header":{"type":"esearch","version":"0.3"},"esearchresult":{"ERROR":"Empty term and query_key"}}'
    )
    server.route(ESEARCH, json_reply(body))
    with pytest.raises(OnlineError, match=r"reported an error for the search: Empty term and query_key$"):
        online.eutils.esearch("")


# efetch -------------------------------------------------------------------------------------------


def test_efetch_asks_for_at_most_200_ids_at_a_time(server: LocalServer, online: Online) -> None:
    server.route(EFETCH, RecordBank(synthesize=True))
    pmids = [str(n) for n in range(20_000_001, 20_000_451)]
    articles = online.eutils.efetch(pmids)
    requests = server.requests_to(EFETCH)
    assert [len(r.ids()) for r in requests] == [200, 200, 50]
    assert [x for r in requests for x in r.ids()] == pmids  # each once, in order
    assert all(r.method == "POST" for r in requests[:2])  # 200 ids make too long a URL
    assert [a.pmid for a in articles] == pmids
    assert EFETCH_BATCH == 200


def test_efetch_reads_real_records_with_the_pubmed_parser(server: LocalServer, online: Online) -> None:
    server.route(EFETCH, xml_reply(shared("pubmed_xml") / "biopython__pubmed2.xml"))
    articles = online.eutils.efetch(["11748933", "11700088"])
    assert [a.pmid for a in articles] == ["11748933", "11700088"]
    assert articles[0].doi == "10.1006/cryo.2001.2328" and articles[0].journal == "Cryobiology"
    request = server.requests_to(EFETCH)[0]
    assert (request.method, request.one("id"), request.one("retmode")) == ("GET", "11748933,11700088", "xml")


@pytest.mark.parametrize(
    ("folder", "name", "message"),
    [
        (
            "epost_xml",
            "biopython__epost3.xml",
            "Empty ID list; Nothing to store; Some IDs have invalid value",
        ),
        ("einfo_xml", "eutilsjson__einfo.error.xml", "Can not retrieve DbInfo for db=fleegle"),
        ("esummary_xml", "biopython__esummary8_error.xml", "Neither query_key nor id specified"),
    ],
)
def test_error_elements_in_any_answer_are_reported(
    server: LocalServer, online: Online, folder: str, name: str, message: str
) -> None:
    server.route(EFETCH, xml_reply(shared(folder) / name))
    with pytest.raises(OnlineError, match=f"^PubMed reported an error for the records: {message}"):
        online.eutils.efetch(["1"])


def test_an_answer_that_is_not_a_pubmed_article_set_is_not_used(server: LocalServer, online: Online) -> None:
    server.route(EFETCH, xml_reply(shared("esummary_xml") / "biopython__esummary1_pubmed.xml"))
    with pytest.raises(OnlineError, match=r"instead of <PubmedArticleSet>$"):
        online.eutils.efetch(["1"])


def test_efetch_from_the_history_server(server: LocalServer, online: Online) -> None:
    bank = RecordBank(synthesize=True)
    bank.history = [str(n) for n in range(30_000_000, 30_000_300)]
    server.route(EFETCH, bank)
    xml = online.eutils.efetch_history_xml(History("MCID_1", "1"), 200, 200)
    request = server.requests_to(EFETCH)[0]
    assert (request.one("WebEnv"), request.one("query_key"), request.one("retstart")) == (
        "MCID_1",
        "1",
        "200",
    )
    assert xml.count(b"<PubmedArticle>") == 100


# elink --------------------------------------------------------------------------------------------


def test_elink_asks_once_for_many_ids_and_keeps_which_links_to_which(
    server: LocalServer, online: Online
) -> None:
    server.route(ELINK, xml_reply(ONLINE_DATA / "elink_citedin.xml"))
    result = online.eutils.elink(["29963580", "11748933", "11700088"], LINK_CITED_BY)
    (request,) = server.requests
    assert request.params["id"] == ["29963580", "11748933", "11700088"]  # repeated id=, not a comma list
    assert (request.one("linkname"), request.one("cmd"), request.one("dbfrom")) == (
        LINK_CITED_BY,
        "neighbor",
        "pubmed",
    )
    # The answer lists the LinkSets in another order; each id still gets its own links.
    assert result.links == {
        "29963580": ["36400559", "31863009"],
        "11748933": ["28775130"],
        "11700088": [],
    }


def test_elink_reads_only_the_link_name_asked_for(server: LocalServer, online: Online) -> None:
    # A real answer holding every pubmed->pubmed link name for one id.
    server.route(ELINK, xml_reply(shared("elink_xml") / "biopython__elink1.xml"))
    similar = online.eutils.elink(["9298984"], "pubmed_pubmed").links["9298984"]
    refs = online.eutils.elink(["9298984"], LINK_REFERENCES).links["9298984"]
    cited_by = online.eutils.elink(["9298984"], LINK_CITED_BY).links["9298984"]
    assert similar[:3] == ["8794856", "9700164", "7914521"]
    assert "9298984" not in similar  # an article is not its own neighbour
    assert refs[:4] == ["14732139", "8909532", "8898221", "8824189"] and len(refs) == 56
    assert cited_by[:4] == ["38830800", "38188366", "37424454", "34205694"] and len(cited_by) == 39


def test_an_id_without_links_and_an_id_not_asked_for(server: LocalServer, online: Online) -> None:
    server.route(ELINK, xml_reply(shared("elink_xml") / "metapub__medgen_elink_pubmed_0_entries.xml"))
    assert online.eutils.elink(["123"], LINK_CITED_BY).links == {"123": []}


def test_a_linkset_merging_several_ids_is_refused(server: LocalServer, online: Online) -> None:
    # What a comma-separated id list gets: one LinkSet for two ids, so the links cannot be attributed.
    server.route(ELINK, xml_reply(shared("elink_xml") / "biopython__elink3.xml"))
    with pytest.raises(OnlineError, match=r"2 ids in one LinkSet \(11812492, 11774222\)"):
        online.eutils.elink(["11812492", "11774222"], LINK_CITED_BY)


def test_elink_batches_long_id_lists(server: LocalServer, online: Online) -> None:
    server.route(ELINK, Reply(body=b"<eLinkResult></eLinkResult>"))
    pmids = [str(n) for n in range(1, 251)]
    result = online.eutils.elink(pmids, LINK_REFERENCES, batch=100)
    assert [len(r.params["id"]) for r in server.requests] == [100, 100, 50]
    assert set(result.links) == set(pmids)


# Answers in a shape pmbrowse does not know ---------------------------------------------------------
# Each is refused in one line naming what was wrong, never read as something else: a string idlist
# would be read letter by letter as PMIDs, an object as the text of a Python dict.

ESEARCH_JSON = '{{"header":{{"type":"esearch"}},"esearchresult":{{"count":"2","retmax":"2",{}}}}}'


ESEARCH_XML = (
    "<?xml version='1.0'?><eSearchResult><Count>{count}</Count><RetMax>2</RetMax><RetStart>0</RetStart>"
    "<IdList>{ids}</IdList></eSearchResult>"
)
ELINK_XML = (
    "<?xml version='1.0'?><eLinkResult><LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>{source}</Id></IdList>"
    "<LinkSetDb><DbTo>pubmed</DbTo><LinkName>pubmed_pubmed_citedin</LinkName>{links}</LinkSetDb>"
    "</LinkSet></eLinkResult>"
)


def _esearch_json(fields: str, problem: str) -> tuple[str, Reply, str]:
    return ESEARCH, json_reply(ESEARCH_JSON.format(fields)), problem


def _esearch_xml(count: str, ids: str, problem: str) -> tuple[str, Reply, str]:
    return ESEARCH, Reply(body=ESEARCH_XML.format(count=count, ids=ids).encode()), problem


def _elink_xml(source: str, links: str, problem: str) -> tuple[str, Reply, str]:
    return ELINK, Reply(body=ELINK_XML.format(source=source, links=links).encode()), problem


UNKNOWN_SHAPES = [
    _esearch_json('"idlist":"12345"', "esearch idlist: not a list of PMIDs"),
    _esearch_json('"idlist":["1",{"id":"2"}]', "esearch idlist item 2: not a PMID"),
    _esearch_json('"idlist":["1","2x"]', "esearch idlist item 2: not a PMID"),
    _esearch_json('"idlist":[],"webenv":{"a":1},"querykey":"1"', "esearch webenv: not text"),
    _esearch_json('"idlist":[],"querytranslation":["a"]', "esearch querytranslation: not text"),
    _esearch_json(
        '"idlist":[],"warninglist":{"phrasesignored":"and"}',
        "esearch warninglist.phrasesignored: not a list of texts",
    ),
    (
        ESEARCH,
        json_reply(ESEARCH_JSON.format('"idlist":[]').replace('"2"', '"-2"', 1)),
        "esearch count: not a count",
    ),
    _esearch_xml("2", "<Id>1</Id><Id>PMC2</Id>", "esearch IdList item 2: not a PMID"),
    _esearch_xml("2", "<Id>1</Id><Id><b>2</b></Id>", "esearch IdList item 2: not a PMID"),
    _esearch_xml("-2", "", "esearch Count: not a count"),
    _elink_xml(
        "11",
        "<Link><Id>12</Id></Link><Link><Id>doi:10.1/x</Id></Link>",
        "elink links of 11 item 2: not a PMID",
    ),
    _elink_xml("11", "<Link><Id></Id></Link>", "elink links of 11 item 1: not a PMID"),
    _elink_xml("1 1", "<Link><Id>12</Id></Link>", "elink LinkSet 1: its id is not a PMID"),
]


@pytest.mark.parametrize(("route", "reply", "problem"), UNKNOWN_SHAPES)
def test_an_answer_of_an_unknown_shape_is_refused_in_one_line(
    server: LocalServer, online: Online, route: str, reply: Reply, problem: str
) -> None:
    server.route(route, reply)
    with pytest.raises(OnlineError) as caught:
        if route == ESEARCH:
            online.eutils.esearch("x")
        else:
            online.eutils.elink(["11"], LINK_CITED_BY)
    message = str(caught.value)
    assert message == f"PubMed answered in a shape pmbrowse does not know ({problem})"
    assert "\n" not in message and len(server.requests) == 1  # (asking again would get the same)


def test_the_known_shapes_still_read(server: LocalServer, online: Online) -> None:
    server.route(
        ELINK, Reply(body=ELINK_XML.format(source="11", links="<Link><Id> 12 </Id></Link>").encode())
    )
    assert online.eutils.elink(["11"], LINK_CITED_BY).links == {"11": ["12"]}
    server.route(
        ESEARCH, json_reply(ESEARCH_JSON.format('"idlist":["1",2],"warninglist":{"phrasesignored":[]}'))
    )
    assert online.eutils.esearch("x").pmids == ["1", "2"]
