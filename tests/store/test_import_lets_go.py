"""What a bulk import holds of the library between its batches (issue 18: "memory bounded by the batch,
not the library").

- The document index is mapped, and every page a process touches in a map stays in its memory until it
  is dropped (``store.residency``): an import's look-ups, the base's key filter and the tally of every
  document's keys touch the index's columns and keys all over, so an import held all of them, more the
  larger the library (at a million records 68 MB of the index after its first batch, 25 now). Each
  batch lets go of what it touched (``Committer.spill``, ``DocIndex.release``).
- The tally of every document's keys reads each of the library's segments' ``link_cited`` once, and
  it is not kept (``SegmentFile.column_once``): that test is in ``test_merge_beside``, beside the
  library with three segments it imports into (a module's fixture: built there once, not once more here).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.storage.committer import Committer
from tests.store.test_lookup_layers import _resident_kib
from tests.store.test_tiering import _file


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_each_batch_of_an_import_lets_go_of_the_index_pages_it_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a name no other open index has: the test reads the resident pages of every map of that name, and
    # in a worker of the full suite other tests' libraries named library.json may still be mapped)
    path = tmp_path / "lets-go-alone.json"
    monkeypatch.setattr(importer, "FLUSH_AT", 400)
    first = Library.open(path)
    import_paths(first, [_file(tmp_path / "first.xml", 1, 1200, 1200)])
    first.close()
    del first
    gc.collect()  # (its map, freed with the last view of it)
    index_name = path.name + ".idx"
    monkeypatch.setattr(importer, "FLUSH_AT", 500)
    lib = Library.open(path)
    lib.stats()
    resident: list[int] = []
    spill = Committer.spill

    def spilled(self: Committer, *args: Any) -> None:
        spill(self, *args)
        resident.append(_resident_kib(index_name))

    monkeypatch.setattr(Committer, "spill", spilled)
    # (references to the base's records all over it: their look-ups touch its index's pages)
    import_paths(lib, [_file(tmp_path / "next.xml", 1201, 600, 1800, refs=20)])
    lib.close()
    size_kib = (path.parent / index_name).stat().st_size // 1024
    assert len(resident) >= 3 and size_kib >= 200, (resident, size_kib)
    # (before: 192 KiB of the 250 KiB index after each batch, all that the look-ups had touched)
    assert max(resident) <= 16, (resident, size_kib)
