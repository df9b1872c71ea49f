"""What a fetch or an online search did: records added, updated or unchanged, and what failed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Failure:
    """An identifier that was not fetched, and why."""

    identifier: str
    reason: str

    def __str__(self) -> str:
        return f"{self.identifier}: {self.reason}"


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class FetchReport:
    """What a fetch or an online search did.

    ``pmids`` are the records fetched, in the order asked for (for a search: PubMed's order).
    Each of them is in exactly one of ``added`` (the library had no full record of it: absent or a
    stub), ``updated`` (it had one, and the fetch changed it or its links) or ``unchanged``.
    ``neighbours`` counts the records one hop away fetched with ``links_depth=1``.
    ``total`` is how many hits PubMed counts for a search (None for a fetch by identifiers).
    ``incomplete`` says which link lists a service ended early, and how much of each was stored
    (``Europe PMC ended the citing articles of PMID 1 early: 25 of 810 links stored``): the command
    line exits non-zero then. ``metrics`` counts the articles whose citation metrics were stored.
    """

    pmids: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    neighbours: Counts = field(default_factory=Counts)
    links_added: int = 0
    stubs_created: int = 0
    total: int | None = None
    warnings: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    metrics: int = 0
    requests: int = 0
