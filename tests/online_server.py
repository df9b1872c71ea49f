"""A real HTTP server on 127.0.0.1 for the online client, and sessions pointed at it.

Shared by the online client's tests (``tests/store/online``) and the command line's and app's
(``tests/tui``); each folder's conftest imports the fixtures it needs.

Each test configures routes: a path (``/eutils/efetch.fcgi``, ``/europepmc/MED/1/references``) answers
with a fixed ``Reply``, a list of replies used in turn (the last one repeats), or a function of the
request. Replies can be slow, cut off mid-body, or any status. Every request is recorded with its
method, path, parameters (query string and POST form together) and arrival time.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from store.online.config import OnlineConfig
from store.online.ratelimit import RateLimiter
from store.online.session import Online
from tests.conftest import DATA

ONLINE_DATA = DATA / "online"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, list[str]]
    time: float
    target: str = ""  # the request line's target as sent: path and query string

    @property
    def url_length(self) -> int:
        """The length of the URL as sent (``http://127.0.0.1:PORT`` left out, as it is fixed here)."""
        return len(self.target)

    def one(self, key: str) -> str:
        values = self.params.get(key, [])
        assert len(values) == 1, f"{key}={values}"
        return values[0]

    def ids(self) -> list[str]:
        """The ``id`` values, whether repeated (elink) or a comma list (efetch)."""
        return [x for value in self.params.get("id", []) for x in value.split(",") if x]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/xml; charset=UTF-8"
    delay: float = 0.0
    cut_to: int | None = None  # announce the whole body, send only this many bytes, hang up
    headers: dict[str, str] = field(default_factory=dict)


Route = Reply | list[Reply] | Callable[[Request], Reply]


def xml_reply(path: Path) -> Reply:
    return Reply(body=path.read_bytes())


def json_reply(path: Path | str, status: int = 200) -> Reply:
    body = path.read_bytes() if isinstance(path, Path) else path.encode()
    return Reply(status=status, body=body, content_type="application/json;charset=UTF-8")


HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p></body></html>
"""


class LocalServer:
    """The server, its routes and the requests it has seen."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.calls: dict[str, int] = {}
        self.requests: list[Request] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.connections: set[socket.socket] = set()  # (open now: each held by a handler's thread)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.eutils_url = self.url + "/eutils/"
        self.europepmc_url = self.url + "/europepmc/"
        self.icite_url = self.url + "/icite/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def route(self, path: str, route: Route) -> None:
        self.routes["/" + path.lstrip("/")] = route

    def requests_to(self, path: str) -> list[Request]:
        path = "/" + path.lstrip("/")
        return [r for r in self.requests if r.path == path]

    def reply_for(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self.routes.get(request.path)
            n = self.calls[request.path] = self.calls.get(request.path, 0) + 1
        if route is None:
            return Reply(404, b"no such route: " + request.path.encode(), "text/plain")
        if isinstance(route, Reply):
            return route
        if isinstance(route, list):
            return route[min(n, len(route)) - 1]
        return route(request)

    def close(self) -> None:
        """The server stopped, and each connection a client left open (kept alive, its handler's thread
        waiting for a next request) shut, so that no thread of the server outlives the test (a process
        with a thread does not fork: ``store.storage.halves``)."""
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
        with self._lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes: without this, Nagle's algorithm and the client's
        # delayed ACK hold the body back ~40 ms on every request.
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            with server._lock:
                server.connections.add(self.connection)

        def finish(self) -> None:
            with server._lock:
                server.connections.discard(self.connection)
            super().finish()

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            arrived = time.monotonic()
            parts = urlsplit(self.path)
            params = parse_qs(parts.query, keep_blank_values=True)
            if self.command == "POST":
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                for key, values in form.items():
                    params.setdefault(key, []).extend(values)
            reply = server.reply_for(Request(self.command, parts.path, params, arrived, self.path))
            if reply.delay and server.stop.wait(reply.delay):
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if reply.cut_to is not None:
                self.wfile.write(reply.body[: reply.cut_to])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest's output clean

    return Handler


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    yield local
    local.close()


def fast_config(server: LocalServer, **changes: object) -> OnlineConfig:
    """Settings for the local server: short timeouts and backoff so failing tests fail fast."""
    settings: dict[str, object] = {
        "eutils_url": server.eutils_url,
        "europepmc_url": server.europepmc_url,
        "icite_url": server.icite_url,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "backoff": 0.001,
        "backoff_cap": 0.01,
        **changes,
    }
    return OnlineConfig(**settings)  # type: ignore[arg-type]


SessionFactory = Callable[..., Online]


@pytest.fixture
def make_online(server: LocalServer) -> Iterator[SessionFactory]:
    """Sessions on the local server with generous limiters of their own (rate tests use the real ones).

    ``sleeps``: a list that backoff pauses are recorded in instead of waited; other keywords are
    settings of ``OnlineConfig``.
    """
    sessions: list[Online] = []

    def make(sleeps: list[float] | None = None, **config: object) -> Online:
        session = Online(
            fast_config(server, **config),
            ncbi_limiter=RateLimiter(1000),
            europepmc_limiter=RateLimiter(1000),
            icite_limiter=RateLimiter(1000),
            sleep=sleeps.append if sleeps is not None else time.sleep,
        )
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def online(make_online: SessionFactory) -> Online:
    return make_online()


# PubMed records -----------------------------------------------------------------------------------


class RecordBank:
    """efetch from real PubmedArticle records: answers the ids asked for that it holds, as PubMed does.

    ``synthesize`` makes a minimal record for any other PMID, for tests about batching and paging
    that need hundreds of records and no particular content.
    """

    def __init__(self, *files: Path, synthesize: bool = False) -> None:
        self.records: dict[str, bytes] = {}
        self.synthesize = synthesize
        self.history: list[str] = []  # the result set behind the WebEnv of a search
        for path in files:
            root = ET.parse(path).getroot()
            for record in root.findall("PubmedArticle"):
                pmid = record.findtext("MedlineCitation/PMID") or ""
                self.records[pmid] = ET.tostring(record, encoding="utf-8", xml_declaration=False)

    def record(self, pmid: str) -> bytes | None:
        if pmid in self.records:
            return self.records[pmid]
        if not self.synthesize:
            return None
        return (
            f"<PubmedArticle><MedlineCitation><PMID Version='1'>{pmid}</PMID><Article>"
            f"<ArticleTitle>Record {pmid}.</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        ).encode()

    def __call__(self, request: Request) -> Reply:
        if "WebEnv" in request.params:
            start, size = int(request.one("retstart")), int(request.one("retmax"))
            pmids = self.history[start : start + size]
        else:
            pmids = request.ids()
        parts = [r for r in map(self.record, pmids) if r is not None]
        body = b'<?xml version="1.0" ?>\n<PubmedArticleSet>' + b"".join(parts) + b"</PubmedArticleSet>\n"
        return Reply(body=body)


# iCite ---------------------------------------------------------------------------------------------

# The real 2025 answer every synthesized row is modelled on (see tests/data/online/README.md).
ICITE_2025 = ONLINE_DATA / "icite_pubs_2025_32162448.json"


class ICiteBank:
    """iCite's ``pubs`` from real answers: the rows asked for that it holds, with the fields asked (``fl``).

    ``synthesize`` makes a row in the 2025 shape (that of ``ICITE_2025``) for any other PMID, its
    references and citing articles given by ``links(pmid)``; for tests of batching that need thousands.
    Like a proxy in front of iCite, it answers 414 to a URL longer than ``max_url`` and 413 to a
    request of more than ``max_pmids`` PMIDs.
    """

    def __init__(
        self,
        *files: Path,
        synthesize: bool = False,
        links: Callable[[int], tuple[list[int], list[int]]] | None = None,
        max_url: int | None = None,
        max_pmids: int | None = None,
    ) -> None:
        self.rows: dict[str, dict[str, object]] = {}
        for path in files:
            for row in json.loads(path.read_bytes())["data"]:
                self.rows[str(row["pmid"])] = row
        self.synthesize = synthesize
        self.links = links or (lambda pmid: ([], []))
        self.max_url = max_url
        self.max_pmids = max_pmids
        self.template = json.loads(ICITE_2025.read_bytes())["data"][0]

    def row(self, pmid: str) -> dict[str, object] | None:
        if pmid in self.rows:
            return self.rows[pmid]
        if not self.synthesize:
            return None
        n = int(pmid)
        references, cited_by = self.links(n)
        row = dict(self.template)
        row.update(
            {
                "_id": pmid,
                "pmid": n,
                "title": f"Article {pmid}.",
                "doi": f"10.5555/{pmid}",
                "authors": [
                    {"lastName": f"Author{pmid}", "fullName": f"Author{pmid}, Ana", "firstName": "Ana"}
                ],
                "year": 2000 + n % 25,
                "citation_count": len(cited_by),
                "relative_citation_ratio": round(n % 500 / 100, 2),
                "is_clinical": n % 3 == 0,
                "cited_by_clin": cited_by[:1],
                "cited_by": cited_by,
                "references": references,
                "citedByPmidsByYear": [{str(c): 2000 + c % 25} for c in cited_by],
            }
        )
        return row

    def __call__(self, request: Request) -> Reply:
        if self.max_url is not None and request.url_length > self.max_url:
            return Reply(414, b"<html><title>414 Request-URI Too Large</title></html>", "text/html")
        pmids = request.one("pmids").split(",")
        if self.max_pmids is not None and len(pmids) > self.max_pmids:
            return Reply(413, b"<html><title>413 Request Entity Too Large</title></html>", "text/html")
        fields = request.one("fl").split(",") if "fl" in request.params else None
        data = []
        for pmid in pmids:
            row = self.row(pmid)
            if row is not None:
                data.append({k: v for k, v in row.items() if fields is None or k in fields})
        answer = {"meta": {"pmids": request.one("pmids")}, "links": {}, "data": data}
        return json_reply(json.dumps(answer))


# Europe PMC -----------------------------------------------------------------------------------------

# The real page every generated row is modelled on (see tests/data/online/README.md).
EUROPEPMC_PAGE = ONLINE_DATA / "europepmc_citations_37258680_size2.json"


class EuropePmcList:
    """A Europe PMC reference or citation list of ``total`` rows, served in pages as the service does.

    Each row copies the keys and value types of a real row (``EUROPEPMC_PAGE``), with a made-up PMID
    (``first`` + n) and ``citedByCount`` n % 7. A page is ``(page - 1) * size`` on, where ``size`` is the
    ``pageSize`` asked, but at most ``cap`` (the service's own page size, 25 by default as Europe PMC's).
    Faults: ``cut`` maps a page number to the rows it is cut to, ``cut_times`` times (None: always);
    ``ends_at`` stops the list there (rows after it are never sent, hitCount says more); ``echo`` adds
    the ``request`` echo (``offSet``, ``pageSize``) of the 6.9 answers; ``cursor`` answers with
    ``nextCursorMark`` and pages by ``cursorMark``.
    """

    def __init__(
        self,
        total: int,
        *,
        first: int = 40_000_000,
        cap: int = 25,
        cut: dict[int, int] | None = None,
        cut_times: int | None = 1,
        ends_at: int | None = None,
        echo: bool = False,
        cursor: bool = False,
        holder: tuple[str, str] = ("citationList", "citation"),
    ) -> None:
        template = json.loads(EUROPEPMC_PAGE.read_bytes())["citationList"]["citation"][0]
        self.rows = []
        for n in range(total):
            row = dict(template)
            row.update({"id": str(first + n), "title": f"Citing article {n + 1}.", "citedByCount": n % 7})
            self.rows.append(row)
        self.total = total
        self.cap = cap
        self.cut = dict(cut or {})
        self.cut_times = cut_times
        self.cuts_done: dict[int, int] = {}
        self.ends_at = total if ends_at is None else ends_at
        self.echo = echo
        self.cursor = cursor
        self.holder = holder

    def __call__(self, request: Request) -> Reply:
        size = min(int(request.one("pageSize")), self.cap)
        if self.cursor and "cursorMark" in request.params:
            mark = request.one("cursorMark")
            offset = 0 if mark == "*" else int(mark.removeprefix("after-"))
            page = offset // size + 1
        else:
            page = int(request.one("page"))
            offset = (page - 1) * size
        rows = self.rows[offset : min(offset + size, self.ends_at)]
        if page in self.cut and (self.cut_times is None or self.cuts_done.get(page, 0) < self.cut_times):
            self.cuts_done[page] = self.cuts_done.get(page, 0) + 1
            rows = rows[: self.cut[page]]
        body: dict[str, object] = {"version": "6.9", "hitCount": self.total}
        if self.echo:
            body["request"] = {"id": "37258680", "source": "MED", "offSet": offset, "pageSize": size}
        if self.cursor:
            body["nextCursorMark"] = f"after-{offset + len(rows)}"
        body[self.holder[0]] = {self.holder[1]: rows}
        return json_reply(json.dumps(body))
