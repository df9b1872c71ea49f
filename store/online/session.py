"""``Online``: E-utilities, Europe PMC and iCite, configured and rate limited, ready for fetches.

Build one with the settings of ``OnlineConfig.load()`` (the default), or hand it a config and
limiters (tests do, to point at a local server and keep their own clock). Clients share the
process-wide limiter of their service unless given one, so two fetches running at once still keep
NCBI's limit between them. Close it when done, or use it as a context manager.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from store.online import europepmc, eutils, icite
from store.online.config import OnlineConfig
from store.online.europepmc import EuropePmc
from store.online.eutils import EUtils
from store.online.events import Progress
from store.online.http import ServiceClient
from store.online.icite import ICite
from store.online.ratelimit import RateLimiter, shared_limiter


class Online:
    """The E-utilities, Europe PMC and iCite clients of one configuration.

    One fetch at a time per session: ``progress`` belongs to the session. Concurrent fetches each
    take their own session and still share the rate limits.
    """

    def __init__(
        self,
        config: OnlineConfig | None = None,
        *,
        ncbi_limiter: RateLimiter | None = None,
        europepmc_limiter: RateLimiter | None = None,
        icite_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: Progress | None = None,
    ) -> None:
        self.config = config = config if config is not None else OnlineConfig.load()
        self._sleep = sleep
        self.pubmed_client = self._client(
            eutils.SERVICE,
            config.eutils_url,
            ncbi_limiter or shared_limiter("ncbi", config.ncbi_rate),
            config.ncbi_params(),
        )
        self.europepmc_client = self._client(
            europepmc.SERVICE,
            config.europepmc_url,
            europepmc_limiter or shared_limiter("europepmc", config.europepmc_rate),
        )
        self.icite_client = self._client(
            icite.SERVICE, config.icite_url, icite_limiter or shared_limiter("icite", config.icite_rate)
        )
        self.eutils = EUtils(self.pubmed_client)
        self.icite = ICite(self.icite_client, batch=config.icite_batch)
        self.europepmc = EuropePmc(self.europepmc_client)
        self.progress = progress

    def _client(
        self, name: str, url: str, limiter: RateLimiter, params: dict[str, str] | None = None
    ) -> ServiceClient:
        config = self.config
        return ServiceClient(
            name,
            url,
            limiter=limiter,
            params=params,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            tries=config.tries,
            backoff=config.backoff,
            backoff_cap=config.backoff_cap,
            sleep=self._sleep,
        )

    @property
    def progress(self) -> Progress | None:
        return self.pubmed_client.progress

    @progress.setter
    def progress(self, callback: Progress | None) -> None:
        self.pubmed_client.progress = callback
        self.europepmc_client.progress = callback
        self.icite_client.progress = callback

    @property
    def requests(self) -> int:
        """Requests sent so far, retries included."""
        return self.pubmed_client.requests + self.europepmc_client.requests + self.icite_client.requests

    def close(self) -> None:
        self.pubmed_client.close()
        self.europepmc_client.close()
        self.icite_client.close()

    def __enter__(self) -> Online:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
