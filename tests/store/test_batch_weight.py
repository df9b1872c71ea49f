"""What a bulk import's batch holds must not grow with the library its file cites.

A file into a new library (the bench's first 100k file) writes a batch at each ``LINKS_AT`` links read:
~16,700 records, whose links' other ends are mostly records the file's earlier batches wrote, some
150,000 distinct cited ends a batch (stop 48, counted at each batch's end: 101,000-167,000). A file
whose references name what the library holds writes its batches at ``FLUSH_AT`` documents' worth
first: each distinct cited end counts a quarter (``store.linkedits``), and a larger library gives
more of them a record (its references name more distinct records): into a library of 300,000 records
some 20 a record, 285,000-300,000 a batch of 14,200-15,300 records. Weighed as measured (a record and
its reference list 10,277 bytes, a cited end 888, 760 since stop 48: ``LinkEdits.size``), such a
batch held a third more than the first file's, and the import's peak grew with it (stop 48: 30,000
records into that library, 574 MB; the bench's ten files, stop 47: 544 MB for the first, 615, 665,
693 for the next).
"""

from __future__ import annotations

from store import importer
from store.linkedits import CHANGE_SHARE

RECORD = 10_277  # bytes a record and its reference list hold (counted two: its document, its links)
# Bytes the change of a stored document a link cites holds (counted 1 / CHANGE_SHARE): 888 as measured
# in stop 33, less the two empty dicts such a change no longer holds since stop 48 (``links.Change``).
CITED_END = 888 - 128
LINKS_A_RECORD = 30  # (the bench's records: 25 references inside the graph, 5 outside)
# Distinct cited ends a record adds to its batch: into a new library (the first file's batches), and
# into a library of three files (the bench's fourth file; more the larger the library, up to its links).
CITED_OWN = 9
CITED_LIBRARY = 20


def _batch_bytes(records: int, cited: int) -> int:
    return records * RECORD + cited * CITED_END


def test_a_batch_citing_the_library_weighs_what_a_batch_into_a_new_library_does() -> None:
    # The first file: written at LINKS_AT links (its size in documents stays under FLUSH_AT).
    own = importer.LINKS_AT // LINKS_A_RECORD
    own_bytes = _batch_bytes(own, own * CITED_OWN)
    assert 2 * own + own * CITED_OWN // CHANGE_SHARE < importer.FLUSH_AT
    # A file citing the library: written once its records (two each) and cited ends reach FLUSH_AT.
    per_record = 2 + CITED_LIBRARY / CHANGE_SHARE
    cites = min(int(importer.FLUSH_AT / per_record), own)
    cites_bytes = _batch_bytes(cites, cites * CITED_LIBRARY)
    assert cites_bytes <= 1.1 * own_bytes, (cites, cites_bytes / own_bytes)
