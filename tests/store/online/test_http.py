"""The HTTP layer against a real local server: rate limits, retries, backoff, timeouts, bad answers."""

from __future__ import annotations

import itertools
import time

import pytest

from store.errors import OnlineError
from store.online.events import RATE_LIMIT, RETRY, Event, Waiting
from store.online.ratelimit import RateLimiter
from store.online.session import Online
from tests.conftest import shared
from tests.online_server import (
    HTML_PAGE,
    LocalServer,
    Reply,
    SessionFactory,
    fast_config,
    json_reply,
    xml_reply,
)

ESEARCH = "eutils/esearch.fcgi"


def esearch_hits() -> Reply:
    return xml_reply(shared("esearch_xml") / "biopython__esearch1.xml")


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def kept_to(limiter: RateLimiter, arrivals: list[float]) -> None:
    """The requests that arrived at ``arrivals`` (the server's clock, ``time.monotonic`` as the
    limiter's) kept to ``limiter``: the slots it granted them are spaced by its interval, and none
    arrived before its slot. Nothing here depends on how fast the machine is: a request sent or
    delivered late (a busy machine) arrives later after its slot, never before, and the slots are the
    limiter's arithmetic. (A span measured at the server did depend on it: a first request's
    connection is made after its slot, and at load 10 it arrived 0.11 s late, eating the span.)"""
    slots = list(limiter.slots)[-len(arrivals) :]
    assert len(slots) == len(arrivals)
    assert all(gap >= limiter.interval - 1e-9 for gap in gaps(slots)), (gaps(slots), limiter.interval)
    late = [arrived - slot for slot, arrived in zip(slots, arrivals, strict=True)]
    assert all(by >= 0 for by in late), late


# Rate limits -------------------------------------------------------------------------------------


def test_ncbi_requests_without_a_key_are_spaced_a_third_of_a_second(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route(ESEARCH, esearch_hits())
    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    events: list[Event] = []
    with Online(progress=events.append) as online:  # the real, shared limiter of the configuration
        for _ in range(3):
            online.eutils.esearch("biopython")
        limiter = online.pubmed_client.limiter
    assert limiter.per_second == 3 and limiter.interval == pytest.approx(1.1 / 3)
    times = [r.time for r in server.requests_to(ESEARCH)]
    assert len(times) == 3
    kept_to(limiter, times)  # (the window rule itself is tested with a fake clock)
    assert any(isinstance(e, Waiting) and e.reason == RATE_LIMIT and e.service == "PubMed" for e in events)


def test_an_api_key_allows_ten_requests_a_second(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route(ESEARCH, esearch_hits())
    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.setenv("NCBI_API_KEY", "secret-key")
    with Online() as online:
        for _ in range(4):
            online.eutils.esearch("biopython")
        limiter = online.pubmed_client.limiter
    # The key raised the limit of the limiter the requests waited on: slots 1.1/10 s apart, not 1.1/3.
    assert limiter.per_second == 10 and limiter.interval == pytest.approx(1.1 / 10)
    requests = server.requests_to(ESEARCH)
    kept_to(limiter, [r.time for r in requests])
    assert all(r.one("api_key") == "secret-key" for r in requests)


# Who we are ---------------------------------------------------------------------------------------


def test_tool_email_and_key_go_with_every_ncbi_request_get_or_post(
    server: LocalServer, make_online: SessionFactory
) -> None:
    server.route(ESEARCH, esearch_hits())
    server.route("eutils/efetch.fcgi", Reply(body=b"<PubmedArticleSet></PubmedArticleSet>"))
    online = make_online(email="me@example.org", api_key="k3y")
    online.eutils.esearch("biopython")
    online.eutils.efetch([str(n) for n in range(10_000_000, 10_000_200)])  # long: sent as a POST form
    get, post = server.requests_to(ESEARCH)[0], server.requests_to("eutils/efetch.fcgi")[0]
    assert (get.method, post.method) == ("GET", "POST")
    for request in (get, post):
        assert request.one("tool") == "pmbrowse"
        assert request.one("email") == "me@example.org"
        assert request.one("api_key") == "k3y"


def test_europe_pmc_never_sees_the_ncbi_key(server: LocalServer, make_online: SessionFactory) -> None:
    server.route("europepmc/MED/1/references", json_reply('{"hitCount": 0}'))
    make_online(email="me@example.org", api_key="k3y").europepmc.references("1")
    (request,) = server.requests
    assert "api_key" not in request.params and "email" not in request.params


# Retries ------------------------------------------------------------------------------------------


def test_a_server_error_is_retried_up_to_the_cap_with_growing_pauses(
    server: LocalServer, make_online: SessionFactory
) -> None:
    server.route(ESEARCH, Reply(500, b"oops", "text/plain"))
    sleeps: list[float] = []
    online = make_online(sleeps, backoff=0.5, backoff_cap=30.0)
    with pytest.raises(OnlineError) as caught:
        online.eutils.esearch("biopython")
    assert str(caught.value) == "PubMed did not answer after 4 tries: HTTP 500 Internal Server Error"
    assert len(server.requests_to(ESEARCH)) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_backoff_pauses_are_capped(server: LocalServer, make_online: SessionFactory) -> None:
    server.route(ESEARCH, Reply(503, b"", "text/plain"))
    sleeps: list[float] = []
    with pytest.raises(OnlineError, match="after 6 tries: HTTP 503 Service Unavailable"):
        make_online(sleeps, backoff=1.0, backoff_cap=2.5, tries=6).eutils.esearch("x")
    assert sleeps == [1.0, 2.0, 2.5, 2.5, 2.5]
    assert len(server.requests) == 6


def test_retries_really_wait_between_tries(server: LocalServer, make_online: SessionFactory) -> None:
    server.route(ESEARCH, Reply(500, b"", "text/plain"))
    with pytest.raises(OnlineError):
        make_online(backoff=0.04, backoff_cap=1.0).eutils.esearch("x")
    spacing = gaps([r.time for r in server.requests_to(ESEARCH)])
    assert len(spacing) == 3
    assert spacing[0] >= 0.04 - 0.005 and spacing[1] >= 0.08 - 0.005 and spacing[2] >= 0.16 - 0.005


def test_429_is_retried_and_the_wait_is_reported(server: LocalServer, make_online: SessionFactory) -> None:
    server.route(
        ESEARCH, [Reply(429, b'{"error":"API rate limit exceeded"}', "application/json"), esearch_hits()]
    )
    online = make_online([])
    events: list[Event] = []
    online.progress = events.append
    assert online.eutils.esearch("biopython").count == 63
    assert len(server.requests) == 2
    retries = [e for e in events if isinstance(e, Waiting) and e.reason == RETRY]
    assert [e.detail for e in retries] == ["HTTP 429 Too Many Requests; try 2 of 4"]


def test_retry_after_is_honoured(server: LocalServer, make_online: SessionFactory) -> None:
    server.route(ESEARCH, [Reply(503, b"", "text/plain", headers={"Retry-After": "2"}), esearch_hits()])
    sleeps: list[float] = []
    make_online(sleeps, backoff=0.5, backoff_cap=30.0).eutils.esearch("biopython")
    assert sleeps == [2.0]


def test_a_client_error_is_not_retried(server: LocalServer, make_online: SessionFactory) -> None:
    server.route(ESEARCH, Reply(400, b"bad", "text/plain"))
    with pytest.raises(OnlineError) as caught:
        make_online([]).eutils.esearch("x")
    assert str(caught.value) == "PubMed refused the request: HTTP 400 Bad Request"
    assert caught.value.status == 400
    assert len(server.requests) == 1


# Failures of transport and of content ------------------------------------------------------------


def test_a_slow_answer_times_out_and_is_retried(server: LocalServer, make_online: SessionFactory) -> None:
    # (The answer comes after 10 s, so a client that waited for it at any try takes 10 s or more; the
    # bound leaves room for a loaded machine: 1.2 s failed at load 11-14.)
    server.route(ESEARCH, Reply(body=b"<eSearchResult/>", delay=10.0))
    started = time.monotonic()
    with pytest.raises(OnlineError) as caught:
        make_online([], read_timeout=0.2, tries=2).eutils.esearch("x")
    assert str(caught.value) == "PubMed did not answer after 2 tries: no answer within 0.2 s"
    assert len(server.requests) == 2
    assert time.monotonic() - started < 5.0  # gave up on each try, did not wait for the answer


def test_a_body_cut_off_before_its_content_length_is_retried_then_reported(
    server: LocalServer, make_online: SessionFactory
) -> None:
    body = (shared("esearch_xml") / "biopython__esearch1.xml").read_bytes()
    server.route(ESEARCH, Reply(body=body, cut_to=100))
    with pytest.raises(OnlineError) as caught:
        make_online([]).eutils.esearch("x")
    assert str(caught.value) == (
        f"PubMed did not answer after 4 tries: the answer was cut off (received 100 of {len(body)} bytes)"
    )
    assert len(server.requests) == 4


def test_a_cut_off_answer_that_recovers_is_used(server: LocalServer, make_online: SessionFactory) -> None:
    good = esearch_hits()
    server.route(ESEARCH, [Reply(body=good.body, cut_to=50), good])
    assert make_online([]).eutils.esearch("x").count == 63


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/xml; charset=UTF-8"])
def test_an_html_error_page_is_not_taken_for_xml(
    server: LocalServer, content_type: str, make_online: SessionFactory
) -> None:
    server.route(ESEARCH, Reply(body=HTML_PAGE, content_type=content_type))
    with pytest.raises(OnlineError) as caught:
        make_online([]).eutils.esearch("x")
    assert (
        str(caught.value)
        == "PubMed did not answer after 4 tries: an HTML page instead of XML (502 Bad Gateway)"
    )


def test_xml_mislabelled_as_html_is_still_read(server: LocalServer, make_online: SessionFactory) -> None:
    hits = esearch_hits()
    server.route(ESEARCH, Reply(body=hits.body, content_type="text/html; charset=UTF-8"))
    assert make_online([]).eutils.esearch("x").count == 63


def test_xml_that_breaks_off_is_not_used(server: LocalServer, make_online: SessionFactory) -> None:
    body = (shared("esearch_xml") / "biopython__esearch1.xml").read_bytes()[:300]
    server.route(ESEARCH, Reply(body=body))  # a whole answer by Content-Length, but half a document
    with pytest.raises(
        OnlineError, match=r"^PubMed did not answer after 4 tries: XML that does not parse \("
    ):
        make_online([]).eutils.esearch("x")


def test_no_server_at_all_is_one_clear_line(server: LocalServer) -> None:
    online = Online(
        fast_config(server, eutils_url="http://127.0.0.1:1/eutils/", tries=2),
        ncbi_limiter=RateLimiter(1000),
        sleep=lambda s: None,
    )
    with pytest.raises(OnlineError) as caught:
        online.eutils.esearch("x")
    message = str(caught.value)
    assert message.startswith("PubMed did not answer after 2 tries: cannot connect (")
    assert "\n" not in message


def test_an_address_that_is_not_http_is_refused_without_retries(make_online: SessionFactory) -> None:
    with pytest.raises(
        OnlineError, match=r"^PubMed: cannot use the address ftp://example\.org/esearch\.fcgi"
    ):
        make_online([], eutils_url="ftp://example.org/").eutils.esearch("x")
