"""Where an exported article came from in citation chasing: the seeds it was found via, which way,
and in which round, so a reference manager or a screening tool (Rayyan, ASReview) keeps it.

Exporters given a ``ProvenanceTable`` add it: CSV as the columns ``found_via``, ``direction`` and
``round``; RIS as an ``N1`` note; CSL-JSON as ``note``; BibTeX as ``note``. An article the table does
not know is exported without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from store.model import Article


@dataclass(frozen=True, slots=True)
class Provenance:
    """``found_via``: the seeds' labels (PMID, else PMCID, else DOI); ``direction``: ``backward`` (seeds
    cite it), ``forward`` (it cites seeds) or ``both``; ``round``: the round that first found it."""

    found_via: tuple[str, ...]
    direction: str
    round: int

    def note(self) -> str:
        """One line: ``pmbrowse snowball: round 1; direction backward; found via 30992990; 31000001``."""
        return (
            f"pmbrowse snowball: round {self.round}; direction {self.direction}; "
            f"found via {'; '.join(self.found_via)}"
        )


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
