"""What a bulk import holds of the library between its batches (issue 18: "memory bounded by the batch,
not the library"), and when a merge beside it starts.

- The document index is mapped, and every page a process touches in a map stays in its memory until it
  is dropped (``store.residency``): an import's look-ups, the base's key filter and the tally of every
  document's keys touch the index's columns and keys all over, so an import held all of them, more the
  larger the library (at a million records 43 MB of its peak; 10 MB at 100,000). Each batch now lets
  go of what it touched (``Committer.spill``, ``DocIndex.release``).
- A batch is written by a forked child, and its segment counted only once the child is done, at the
  next batch: the rule that starts a merge beside the import (``Compactor.beside_run``) was asked with
  one batch fewer than the import had written, and a merge due after batch n started after batch n + 1.
  It now counts the batch being written (at the least a batch so far held).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.storage import compactor, spillchild
from store.storage.committer import Committer
from tests.store.test_lookup_layers import _resident_kib
from tests.store.test_merge_beside import LAST, _copy, _import, made
from tests.store.test_tiering import _file, _library_with_a_base

__all__ = ["made"]  # (the module-scoped fixture, used here)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_each_batch_of_an_import_lets_go_of_the_index_pages_it_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _library_with_a_base(tmp_path, monkeypatch)
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


def test_the_rule_for_a_merge_beside_counts_the_batch_a_child_is_writing(
    tmp_path: Path, made: tuple[Path, object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not spillchild.can_fork():
        pytest.skip("the batches are written in the process here")
    path = _copy(made, tmp_path / "lib")
    spills: list[int] = []
    asked: list[tuple[int, int]] = []  # (batches written when asked, the import's segments counted)
    spill, rule = Committer.spill, compactor.beside_run

    def spilled(self: Committer, *args: Any) -> None:
        spill(self, *args)
        spills.append(1)

    def counted(listed: list[int], added: list[int], base_size: int) -> int:
        asked.append((len(spills) + 1, len(added)))
        return rule(listed, added, base_size)

    monkeypatch.setattr(Committer, "spill", spilled)
    monkeypatch.setattr(compactor, "beside_run", counted)
    _import(path, *LAST, 60, command=True).close()
    later = [(batches, counted) for batches, counted in asked if batches > 1]
    assert later, asked
    # (before: each batch after the first counted one fewer: the one its child was writing)
    assert all(counted == batches for batches, counted in later), asked


def test_an_import_keeps_no_column_of_the_librarys_segments_that_its_tally_alone_reads(
    tmp_path: Path, made: tuple[Path, object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tally of every document's keys (``store.storage.runs``) reads each segment's ``link_cited``
    once, at the import's first batch; nothing of the import reads it after: kept, it was 4 bytes a
    link change of the library's segments for the rest of the import (10.6 MB at a million records)."""
    path = _copy(made, tmp_path / "lib")
    kept: list[set[str]] = []
    spill = Committer.spill

    def spilled(self: Committer, *args: Any) -> None:
        spill(self, *args)
        kept.extend(set(getattr(s, "_columns", {})) for s in self.reader.snap.segments)

    monkeypatch.setattr(Committer, "spill", spilled)
    _import(path, *LAST, 60, command=True).close()
    assert kept and all("link_ids" in names for names in kept), kept  # (read: the tally ran)
    assert not any("link_cited" in names for names in kept), kept
