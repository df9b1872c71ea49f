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


def round_export(library: Library, number: int) -> tuple[list[int], ProvenanceTable]:
    """What ``pmbrowse export --round N`` exports: the round's records and their provenance.
    ``SelectionError`` when there is no such round."""
    from store.selection import SelectionError
    from store.snowball.state import SnowballFile

    state = SnowballFile.open(library.path).load()
    stored = state.round(number)
    if stored is None:
        rounds = f"rounds 1 to {state.last.number}" if state.last else "no rounds yet"
        raise SelectionError(
            f"there is no citation chasing round {number} ({rounds}; pmbrowse snowball runs one)"
        )
    return round_doc_ids(library, stored), round_provenance(stored)
