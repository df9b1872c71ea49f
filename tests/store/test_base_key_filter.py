"""The base's key filter (``store.storage.keyfilter``, ``KeyFilters.base``): a look-up whose key's hash
the base's key table lacks does not search it, and every answer is the one the search gives (issue 18:
a new file's references are mostly keys no document holds, each a binary search of the base's hashes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from store.docindex import DocIndex
from store.importer import import_paths
from store.library import Library
from store.storage import keyfilter
from tests.store.bulk_files import pmid
from tests.store.helpers import count_calls
from tests.store.test_tiering import _file

HELD = [f"pmid:{pmid(n)}" for n in range(1, 121)]  # (the records and what they cite: ``_file``'s PMIDs)
MISSED = [f"pmid:{n}" for n in range(5_000, 7_000)] + ["doi:10.1/none", "pmid:", "pmid:0120"]


def _library(folder: Path) -> Library:
    """A library whose documents are all in its base (none in segments or the journal)."""
    path = folder / "library.json"
    folder.mkdir()
    lib = Library.open(path, demo=False)
    import_paths(lib, [_file(folder / "a.xml", 1, 80, 120)])
    lib.compact()
    return lib


@pytest.mark.parametrize("made", [False, True])
def test_the_base_is_searched_only_where_its_filter_may_hold_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: bool
) -> None:
    monkeypatch.setattr(keyfilter, "MIN_PROBES", 0 if made else 1 << 62)
    monkeypatch.setattr(keyfilter, "BUILD_SHARE", 1 << 40 if made else 1)
    lib = _library(tmp_path / "lib")
    snap = lib._reader.current()
    assert snap.index is not None and not snap.segments
    assert snap.journal is None or not snap.journal.docs
    truth = {key: snap.index.candidates(key) for key in HELD + MISSED}  # (every candidate, searched)
    searched = count_calls(monkeypatch, DocIndex, "candidates_of")
    for _round in range(2):  # (the filter made at the first look-up, when made)
        for key in HELD + MISSED:
            assert lib.lookup(key) == (min(truth[key]) if truth[key] else None), key
    held = sum(1 for key in HELD if lib.lookup(key) is not None)
    assert held > 100
    base = snap._filters.base(snap.index)
    assert (base.made is not None) == made
    if made:
        # The held keys searched; of the others about one in 16 (a hash whose bit another key set).
        assert searched[0] <= 2 * len(HELD) + 2 * len(MISSED) // 8
    else:
        assert searched[0] >= 2 * len(HELD + MISSED)
    lib.close()
