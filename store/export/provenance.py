"""What a review knows of an exported article, so a reference manager or a screening tool (Rayyan,
ASReview, EndNote) keeps it with the record: how it was found (the round of citation chasing that first
found it, from which seeds, which way; the database searches that found it) and, for exports of
screened articles, its screening decision (decision, stage, reason, who decided, when).

Exporters given a ``ProvenanceTable`` add it where their format has a place for it:

- CSV: the review's own columns, exactly ``pmid, pmcid, doi, title, year, round, found_via, decision,
  stage, reason, screener, decided_at`` (``store.export.table``);
- RIS: an ``N1`` note (``pmbrowse review: included at full text by alice on 2026-12-01T10:00:00Z;
  round 1; backward from 30992990``) and a ``KW`` keyword ``pmbrowse:included``;
- BibTeX: the same ``note`` and keyword in ``keywords``; CSL-JSON: the ``note``.

``found_via`` reads ``backward from 30992990`` (the seed cites it), ``forward from 31000001`` (it cites
the seed), ``search PubMed 2026-12-01`` (a database search imported with ``--source``), ``; ``-joined.
An article the table does not know is exported without any of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from store.export.citation import one_line
from store.model import Article

STAGE_WORDS = {"title-abstract": "title/abstract", "full-text": "full text"}


@dataclass(frozen=True, slots=True)
class Provenance:
    """``backward``: the seeds citing it (their labels: PMID, else PMCID, else DOI); ``forward``: the
    seeds it cites; ``round``: the round that first found it; ``searches``: the database searches that
    found it. ``decision`` (empty: the export carries no screening) is included, excluded,
    not-retrieved, conflict or undecided, at ``stage``, with ``reason``, by ``screener`` (``; ``-joined
    when screeners agreed), at ``decided_at``."""

    backward: tuple[str, ...] = ()
    forward: tuple[str, ...] = ()
    round: int | None = None
    searches: tuple[str, ...] = ()
    decision: str = ""
    stage: str = ""
    reason: str = ""
    screener: str = ""
    decided_at: str = ""

    @property
    def found_via(self) -> tuple[str, ...]:
        """Every seed it is linked to: those citing it, then those it cites."""
        return tuple(dict.fromkeys([*self.backward, *self.forward]))

    @property
    def direction(self) -> str:
        """``backward``, ``forward``, ``both``, or "" (not found by citation chasing)."""
        if self.backward and self.forward:
            return "both"
        return "backward" if self.backward else "forward" if self.forward else ""

    def how_found(self) -> str:
        """``backward from 30992990; forward from 31000001; search PubMed 2026-12-01``"""
        parts = [f"backward from {seed}" for seed in self.backward]
        parts += [f"forward from {seed}" for seed in self.forward]
        parts += [f"search {name}" for name in self.searches]
        return "; ".join(parts)

    def decided(self) -> str:
        """``excluded at title/abstract (wrong population) by alice on 2026-12-01T10:00:00Z``"""
        if not self.decision:
            return ""
        text = self.decision.replace("-", " ")
        if self.stage:
            text += f" at {STAGE_WORDS.get(self.stage, self.stage)}"
        if self.reason:
            text += f" ({self.reason})"
        if self.screener:
            text += f" by {self.screener}"
        if self.decided_at:
            text += f" on {self.decided_at}"
        return text

    def note(self) -> str:
        """One line of what is known: ``pmbrowse review: included at full text by alice on ...; round 1;
        backward from 30992990``."""
        parts = [self.decided(), f"round {self.round}" if self.round else "", self.how_found()]
        # (one printable line: a reason or search name stored before they were checked may hold an escape)
        return one_line("pmbrowse review: " + "; ".join(p for p in parts if p))

    def keyword(self) -> str:
        """The decision as a keyword reference managers can filter by: ``pmbrowse:included``."""
        return f"pmbrowse:{self.decision}" if self.decision else ""


class ProvenanceTable:
    """Provenance by article, found by any of its identity keys."""

    def __init__(self, entries: Iterable[tuple[Sequence[str], Provenance]] = ()) -> None:
        self._by_key: dict[str, Provenance] = {}
        for keys, provenance in entries:
            for key in keys:
                self._by_key.setdefault(key, provenance)

    def get(self, article: Article) -> Provenance | None:
        return next((self._by_key[k] for k in article.keys if k in self._by_key), None)

    def __len__(self) -> int:
        return len(set(map(id, self._by_key.values())))
