"""One HTTP client per online service: rate limit, timeouts, retries with backoff, one clear error.

Every request waits for its slot on the service's rate limiter, then goes out with connect and read
timeouts. It is tried again, after an exponentially growing pause (capped), when

- the service answers HTTP 429 (over the rate limit) or 5xx,
- the request times out, cannot connect, or the body is cut off (fewer bytes than Content-Length),
- the answer cannot be used (``answers.Unusable``: an HTML error page, XML or JSON that breaks off).

After ``tries`` tries in all it raises ``OnlineError``:
``PubMed did not answer after 4 tries: HTTP 503 Service Unavailable``. Other 4xx answers are not
retried (asking again would not help): ``Europe PMC refused the request: HTTP 400 Bad Request``.
"""

from __future__ import annotations

import http
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TypeVar

import httpx

from store.errors import OnlineError
from store.online.answers import Answer, Unusable, one_line
from store.online.events import RATE_LIMIT, RETRY, Progress, Waiting
from store.online.ratelimit import RateLimiter

T = TypeVar("T")
Params = Mapping[str, str | Sequence[str]]

USER_AGENT = "pmbrowse (terminal literature browser; python-httpx)"
_CUT_OFF = re.compile(r"received (\d+) bytes, expected (\d+)")


def _reason(status: int, phrase: str) -> str:
    if not phrase:
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
    return f"HTTP {status} {phrase}".rstrip()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    # isascii: "²".isdigit() is true, and float("²") raises.
    return float(value) if value.isascii() and value.isdigit() else None


def _tries(n: int) -> str:
    return "1 try" if n == 1 else f"{n} tries"


class ServiceClient:
    """Requests to one service (``name`` is how errors and events call it, e.g. ``PubMed``).

    ``params`` are sent with every request (E-utilities' ``tool``, ``email``, ``api_key``).
    ``sleep`` is what backoff pauses call; tests inject one that records instead of waiting.
    ``progress`` hears about every wait, on the rate limit or before a retry.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        limiter: RateLimiter,
        params: Mapping[str, str] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        tries: int = 4,
        backoff: float = 1.0,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        progress: Progress | None = None,
    ) -> None:
        if tries < 1:
            raise ValueError("tries must be at least 1")
        self.name = name
        self.base_url = base_url
        self.limiter = limiter
        self.params = dict(params or {})
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.tries = tries
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.progress = progress
        self.requests = 0  # requests sent, retries included
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return self.base_url + path

    def backoff_delay(self, retry: int, retry_after: float | None = None) -> float:
        """The pause before retry number ``retry`` (1, 2, ...): backoff, 2x backoff, 4x... up to the cap."""
        delay = self.backoff * 2.0 ** (retry - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.backoff_cap)

    def call(
        self,
        path: str,
        params: Params,
        check: Callable[[Answer], T],
        *,
        post: bool = False,
        accept: Collection[int] = (200,),
    ) -> T:
        """Send ``params`` (GET query, or POST form) to ``path``; return ``check(answer)``.

        ``check`` turns the answer into what the caller wants; it raises ``Unusable`` for an answer
        worth asking for again, or ``OnlineError`` for one that is not. ``accept`` lists the
        statuses that are answers rather than failures (Europe PMC's 404 means "none").
        """
        url = self.url(path)
        merged = {**self.params, **params}
        problem = ""
        retry_after: float | None = None
        for attempt in range(1, self.tries + 1):
            if attempt > 1:
                delay = self.backoff_delay(attempt - 1, retry_after)
                self._notify(Waiting(self.name, delay, RETRY, f"{problem}; try {attempt} of {self.tries}"))
                self._sleep(delay)
            retry_after = None
            self.limiter.wait(self._on_rate_wait)
            self.requests += 1
            try:
                if post:
                    response = self._client.post(url, data=merged)
                else:
                    response = self._client.get(url, params=merged)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise OnlineError(
                    f"{self.name}: cannot use the address {url} ({exc})", service=self.name
                ) from None
            except httpx.TimeoutException as exc:
                problem = self._describe_timeout(exc)
                continue
            except httpx.RequestError as exc:
                problem = self._describe_transport(exc)
                continue

            status = response.status_code
            if status in accept:
                answer = Answer(status, response.content, response.headers.get("Content-Type", ""), url)
                try:
                    return check(answer)
                except Unusable as exc:
                    problem = str(exc)
                    continue
            if status == 429 or status >= 500:
                problem = _reason(status, response.reason_phrase)
                retry_after = _retry_after(response)
                continue
            raise OnlineError(
                f"{self.name} refused the request: {_reason(status, response.reason_phrase)}",
                service=self.name,
                url=url,
                status=status,
            )
        raise OnlineError(
            f"{self.name} did not answer after {_tries(self.tries)}: {problem}", service=self.name, url=url
        )

    def _describe_timeout(self, exc: httpx.TimeoutException) -> str:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"could not connect within {self.connect_timeout:g} s"
        if isinstance(exc, httpx.PoolTimeout):
            return "no free connection"
        return f"no answer within {self.read_timeout:g} s"

    def _describe_transport(self, exc: httpx.RequestError) -> str:
        text = one_line(str(exc)) or type(exc).__name__
        if isinstance(exc, httpx.ConnectError):
            return f"cannot connect ({text})"
        if m := _CUT_OFF.search(text):
            return f"the answer was cut off (received {m.group(1)} of {m.group(2)} bytes)"
        if isinstance(exc, httpx.RemoteProtocolError):
            return f"the connection broke off ({text})"
        return text

    def _on_rate_wait(self, seconds: float) -> None:
        self._notify(Waiting(self.name, seconds, RATE_LIMIT))

    def _notify(self, event: Waiting) -> None:
        if self.progress is not None:
            self.progress(event)
