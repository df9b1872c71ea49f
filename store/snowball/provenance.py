"""A round's candidates for export, with their provenance (``store.export.provenance``)."""

from __future__ import annotations

from store.export.provenance import Provenance, ProvenanceTable
from store.library import Library
from store.snowball.state import Candidate, Round


def provenance(candidate: Candidate) -> Provenance:
    return Provenance(tuple(candidate.found_via), candidate.direction, candidate.round)


def round_provenance(stored: Round) -> ProvenanceTable:
    return ProvenanceTable((c.keys, provenance(c)) for c in stored.candidates)


def round_doc_ids(library: Library, stored: Round) -> list[int]:
    """The documents of the candidates this round found first (its records, screened or not), ranked."""
    found: list[int] = []
    for candidate in stored.candidates:
        if candidate.round != stored.number:
            continue
        doc_id = library.find_keys(candidate.keys)
        if doc_id is not None and doc_id not in found:
            found.append(doc_id)
    return found
