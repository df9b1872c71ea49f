"""The online client: PubMed (NCBI E-utilities) and Europe PMC, asked only when the user says so.

What is fetched is stored in the library, so the next visit is offline. The command line and the
app call ``fetch_articles`` and ``search_online`` (``fetch.py``); everything else here serves them:

- ``config``: where the services are and who we are (environment, then ``config.toml``);
- ``ratelimit``: requests spaced to each service's limit, shared across threads;
- ``http``: one client per service, with timeouts, retries and one-line errors (``OnlineError``);
- ``answers``: telling usable answers from HTML error pages, cut-off bodies and stated errors;
- ``eutils`` / ``europepmc``: the requests and what their answers mean;
- ``session``: both clients, configured; ``events``: progress and waiting, for the screen;
- ``links``: merging link lists per target; ``saving``: one transaction; ``report``: what a fetch did.
"""

from __future__ import annotations

from store.online.config import OnlineConfig
from store.online.events import Event, Progress, Step, Waiting
from store.online.fetch import fetch_articles, search_online
from store.online.report import Counts, Failure, FetchReport
from store.online.session import Online

__all__ = [
    "Counts",
    "Event",
    "Failure",
    "FetchReport",
    "Online",
    "OnlineConfig",
    "Progress",
    "Step",
    "Waiting",
    "fetch_articles",
    "search_online",
]
