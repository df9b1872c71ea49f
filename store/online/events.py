"""What the online client tells its caller while it works: progress, and why it is waiting.

One callback, ``Progress``, receives both kinds of event. It is called from the thread doing the
fetch (the app runs fetches in a worker thread and forwards these as messages). Raising from the
callback aborts the fetch; since every request happens before anything is stored, an aborted fetch
leaves the library as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Reasons for Waiting.reason.
RATE_LIMIT = "rate limit"
RETRY = "retry"


@dataclass(frozen=True, slots=True)
class Step:
    """Progress through one stage of a fetch: ``done`` of ``total`` items (requests or records).

    Stages, in order: ``resolve`` (DOIs/PMCIDs to PMIDs), ``search``, ``records`` (efetch),
    ``links`` (elink and Europe PMC), ``neighbours`` (records one hop away), ``store``.
    """

    stage: str
    done: int
    total: int
    message: str = ""


@dataclass(frozen=True, slots=True)
class Waiting:
    """A request is about to wait ``seconds``: for its rate-limit slot, or before a retry.

    ``detail`` says why a retry is needed, e.g. ``HTTP 503 Service Unavailable; try 2 of 4``.
    """

    service: str
    seconds: float
    reason: str
    detail: str = ""


Event = Step | Waiting
Progress = Callable[[Event], None]
