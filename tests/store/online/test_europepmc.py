"""Europe PMC references and citations: paging, identifiers by source, authors, and 404 as none."""

from __future__ import annotations

import pytest

from store.errors import OnlineError
from store.online.europepmc import counts_from_rows, links_from_rows, parse_page, split_authors
from store.online.session import Online
from tests.conftest import shared
from tests.online_server import HTML_PAGE, ONLINE_DATA, EuropePmcList, LocalServer, Reply, Request, json_reply

REFS = "europepmc/MED/29963580/references"
CITES = "europepmc/MED/29963580/citations"


def test_references_become_links_with_their_text_and_identifiers(server: LocalServer, online: Online) -> None:
    server.route(REFS, json_reply(ONLINE_DATA / "europepmc_references_29963580.json"))
    links = online.europepmc.references("29963580")
    (request,) = server.requests
    assert (request.one("format"), request.one("page"), request.one("pageSize")) == ("json", "1", "1000")
    assert [(x.pmid, x.pmcid, x.doi) for x in links] == [
        ("25144646", None, "10.1148/radiol.14140080"),
        ("2027991", None, None),
        (None, "PMC4458941", None),  # a PMC row's id is its PMCID
        (None, None, "10.1101/2017.01.02.123456"),  # a preprint's PPR id means nothing here
        (None, None, None),  # a book: known by title and year
    ]  # the row naming nothing at all is left out
    first = links[0]
    assert first.title.startswith("Hyperpolarized 3He") and not first.title.endswith(".")
    assert first.authors[:2] == ["Kirby M", "Svenningsen S"] and first.authors[-1] == "Parraga G"
    assert (first.journal, first.year, first.volume, first.issue, first.pages) == (
        "Radiology",
        2015,
        "274",
        "1",
        "250-259",
    )
    assert links[2].year == 2016  # pubYear as a string
    assert links[4].title.startswith("Principles of magnetic resonance") and links[4].keys[0].startswith(
        "cite:"
    )
    assert all(x.sources == ["europepmc"] for x in links)


def test_citations_are_read_page_by_page(server: LocalServer, online: Online) -> None:
    def pages(request: Request) -> Reply:
        return json_reply(ONLINE_DATA / f"europepmc_citations_29963580_page{request.one('page')}.json")

    server.route(CITES, pages)
    online.europepmc.page_size = 2
    links = online.europepmc.citations("29963580")
    assert [r.one("page") for r in server.requests] == ["1", "2"]
    assert [r.one("pageSize") for r in server.requests] == ["2", "2"]
    assert [(x.pmid, x.pmcid, x.doi) for x in links] == [
        ("36400559", None, None),
        (None, "PMC7000001", None),
        (None, None, "10.21203/rs.3.rs-654321/v1"),
    ]
    assert links[2].authors == ["Lee K", "Park S", "Kim H"] and links[2].year == 2021


def test_404_for_no_citations_is_an_empty_list(server: LocalServer, online: Online) -> None:
    server.route(CITES, json_reply('{"errMsg": "not found"}', status=404))
    assert online.europepmc.citations("29963580") == []
    assert len(server.requests) == 1  # not retried: it is an answer


def test_hit_count_zero_without_a_list_is_empty(server: LocalServer, online: Online) -> None:
    server.route(REFS, json_reply(ONLINE_DATA / "europepmc_references_empty.json"))
    assert online.europepmc.references("29963580") == []


def test_a_server_error_is_retried_then_reported_with_the_service_name(
    server: LocalServer, online: Online
) -> None:
    server.route(REFS, Reply(502, HTML_PAGE, "text/html"))
    with pytest.raises(OnlineError) as caught:
        online.europepmc.references("29963580")
    assert str(caught.value) == "Europe PMC did not answer after 4 tries: HTTP 502 Bad Gateway"
    assert len(server.requests) == 4


def test_json_cut_short_is_not_used(server: LocalServer, online: Online) -> None:
    body = (ONLINE_DATA / "europepmc_references_29963580.json").read_text()[:400]
    server.route(REFS, json_reply(body))
    with pytest.raises(
        OnlineError, match=r"^Europe PMC did not answer after 4 tries: JSON that does not parse"
    ):
        online.europepmc.references("29963580")


def test_json_nested_past_the_parsers_depth_is_not_used(server: LocalServer, online: Online) -> None:
    """A body of 100,000 nested lists is refused as an answer (before, json's RecursionError came out of
    the client: the app's worker failed and the app exited)."""
    server.route(REFS, json_reply("[" * 100_000 + "]" * 100_000))
    with pytest.raises(
        OnlineError, match=r"^Europe PMC did not answer after 4 tries: JSON nested too deeply to read$"
    ):
        online.europepmc.references("29963580")


def test_an_html_page_with_status_200_is_not_json(server: LocalServer, online: Online) -> None:
    server.route(REFS, Reply(200, HTML_PAGE, "text/html"))
    with pytest.raises(OnlineError, match=r"an HTML page instead of JSON \(502 Bad Gateway\)$"):
        online.europepmc.references("29963580")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Schoenfeld JD, Haas-Kogan DA, O'Neill AF.", ["Schoenfeld JD", "Haas-Kogan DA", "O'Neill AF"]),
        ("Doe J, Roe R, et al.", ["Doe J", "Roe R"]),
        ("Nguyen T, The ABC Consortium.", ["Nguyen T", "The ABC Consortium"]),
        ("de  Ruiter P", ["de Ruiter P"]),
        ("", []),
    ],
)
def test_author_strings_are_split_into_names(text: str, names: list[str]) -> None:
    assert split_authors(text) == names


# Paging by hitCount: every page, whatever the service does to them --------------------------------------

BIG = "europepmc/MED/37258680/citations"


def pages_asked(server: LocalServer) -> list[tuple[str, str]]:
    return [(r.params.get("page", ["-"])[0], r.one("pageSize")) for r in server.requests_to(BIG)]


def test_810_citing_articles_in_pages_of_25_are_all_read(server: LocalServer, online: Online) -> None:
    """The defect: a page shorter than pageSize ended the list, 25 of 810 stored and no word said."""
    server.route(BIG, EuropePmcList(810))
    listing = online.europepmc.listing("37258680", "cited_by")
    assert listing.complete and (listing.total, listing.received) == (810, 810)
    assert len(listing.links) == 810 and len({x.pmid for x in listing.links}) == 810
    asked = pages_asked(server)
    # Page 1 came short three times (a service paging by 25): from then on it is asked for 25 a page.
    assert asked[:4] == [("1", "1000"), ("1", "1000"), ("1", "1000"), ("2", "25")]
    assert asked[-1] == ("33", "25") and len(asked) == 35


def test_the_page_size_the_service_echoes_is_used_at_once(server: LocalServer, online: Online) -> None:
    server.route(BIG, EuropePmcList(810, echo=True))
    assert len(online.europepmc.citations("37258680")) == 810
    assert len(server.requests_to(BIG)) == 33  # no retry needed to learn it


def test_pages_cut_short_are_asked_again(server: LocalServer, online: Online) -> None:
    server.route(BIG, EuropePmcList(810, echo=True, cut={3: 10, 9: 0, 33: 4}))
    listing = online.europepmc.listing("37258680", "cited_by")
    assert listing.complete and len(listing.links) == 810
    assert len(server.requests_to(BIG)) == 36  # each cut page once more


def test_a_page_cut_short_for_good_is_said_not_hidden(server: LocalServer, online: Online) -> None:
    server.route(BIG, EuropePmcList(810, echo=True, cut={7: 10}, cut_times=None))
    listing = online.europepmc.listing("37258680", "cited_by")
    assert not listing.complete and listing.received == 795 and len(listing.links) == 795
    assert listing.shortfall() == (
        "Europe PMC ended the citing articles of PMID 37258680 early: 795 of 810 links stored"
    )


def test_a_list_the_service_ends_early_is_said_not_hidden(server: LocalServer, online: Online) -> None:
    server.route(BIG, EuropePmcList(810, ends_at=500))
    listing = online.europepmc.listing("37258680", "cited_by")
    assert (listing.complete, listing.received) == (False, 500)
    assert listing.shortfall().endswith("early: 500 of 810 links stored")
    assert pages_asked(server)[-3:] == [("21", "25")] * 3  # the empty page asked thrice, then no more


def test_the_cursor_is_followed_where_the_service_gives_one(server: LocalServer, online: Online) -> None:
    server.route(BIG, EuropePmcList(810, cursor=True, cut={5: 3}, cut_times=None))
    listing = online.europepmc.listing("37258680", "cited_by")
    assert listing.complete and len(listing.links) == 810  # a cursor loses nothing to a short page
    marks = [r.params.get("cursorMark", [""])[0] for r in server.requests_to(BIG)]
    assert marks[0] == "" and marks[1] == "after-25" and all(m.startswith("after-") for m in marks[1:])


def test_each_rows_citation_count_is_kept(server: LocalServer, online: Online) -> None:
    server.route(BIG, EuropePmcList(3, echo=True, first=41888297))
    listing = online.europepmc.listing("37258680", "cited_by")
    assert [(link.pmid, n) for link, n in listing.counts] == [
        ("41888297", 0),
        ("41888298", 1),
        ("41888299", 2),
    ]


def test_the_real_answer_of_version_6_9_is_read(server: LocalServer, online: Online) -> None:
    server.route(BIG, json_reply(ONLINE_DATA / "europepmc_citations_37258680_size2.json"))
    online.europepmc.page_size = 2
    first = online.europepmc.client.call(
        "MED/37258680/citations",
        {"format": "json", "page": "1", "pageSize": "2"},
        lambda answer: parse_page(answer, "citationList", "citation"),
    )
    assert (first.total, len(first.rows), first.page_size, first.next_cursor) == (857, 2, 2, None)
    links = links_from_rows(first.rows)
    assert [(x.pmid, x.journal, x.year, x.pages) for x in links] == [
        ("42696754", "Brief Bioinform", 2026, "bbag469"),
        ("41888299", "Nat Methods", 2026, "1666-1670"),
    ]
    assert [(link.pmid, n) for link, n in counts_from_rows(first.rows)] == [("42696754", 0), ("41888299", 1)]


def test_the_real_23_row_answer_and_the_real_empty_one(server: LocalServer, online: Online) -> None:
    folder = shared("europepmc_json")
    server.route(
        "europepmc/MED/17183631/citations", json_reply(folder / "lagotto__citations_MED_17183631.json")
    )
    server.route(
        "europepmc/MED/20098740/citations", json_reply(folder / "lagotto__citations_MED_20098740_none.json")
    )
    listing = online.europepmc.listing("17183631", "cited_by")
    assert listing.complete and len(listing.links) == 23 and len(listing.counts) == 23
    assert listing.links[0].pmid == "19749171" and listing.counts[0][1] == 31
    assert len(server.requests) == 1  # 23 of 23 in one page: nothing more asked
    empty = online.europepmc.listing("20098740", "cited_by")
    assert (empty.links, empty.total, empty.complete) == ([], 0, True)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ('"2"', "row 2: not an object"),
        ('{"id": "2", "authorString": ["Liu Y", "Gao H"]}', "row 2: 'authorString' is not text"),
        ('{"id": "2", "title": {"en": "x"}}', "row 2: 'title' is not text"),
        ('{"id": ["2"]}', "row 2: 'id' is neither text nor a number"),
        ('{"id": "2", "pubYear": 20.26}', "row 2: 'pubYear' is neither text nor a number"),
        ('{"id": "2", "citedByCount": "many"}', "row 2: 'citedByCount' is not a count"),
    ],
)
def test_a_row_in_a_shape_not_known_is_refused_in_one_line(
    server: LocalServer, online: Online, row: str, problem: str
) -> None:
    server.route(
        BIG, json_reply(f'{{"hitCount": 2, "citationList": {{"citation": [{{"id": "1"}}, {row}]}}}}')
    )
    with pytest.raises(OnlineError) as caught:
        online.europepmc.citations("37258680")
    assert str(caught.value) == (
        f"Europe PMC answered in a shape pmbrowse does not know (citationList.citation {problem})"
    )
    assert len(server.requests) == 1
