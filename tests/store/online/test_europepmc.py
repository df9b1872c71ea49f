"""Europe PMC references and citations: paging, identifiers by source, authors, and 404 as none."""

from __future__ import annotations

import pytest

from store.errors import OnlineError
from store.online.europepmc import split_authors
from store.online.session import Online
from tests.online_server import HTML_PAGE, ONLINE_DATA, LocalServer, Reply, Request, json_reply

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
