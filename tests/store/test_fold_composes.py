"""A commit's fold joins the link record of a document that a spilled batch and the last batch both
added to from its stored record and the changes' bytes (``fold._compose``), as it does for the journal's
changes, and builds no link state for it (``Snapshot.link_state`` reads and checks every segment's
change again: 5.9% of an import's time at 30,000 records, cpu35); the links it stores are those one
transaction stores."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.storage.snapshot import Snapshot
from tests.store.bulk_files import cited, pubmed_xml
from tests.store.test_bulk_import import _everything
from tests.store.test_crash_consistency import assert_links_agree


def _file(path: Path, first: int, count: int, among: int, refs: int, seed: int) -> Path:
    rng = random.Random(seed)
    return pubmed_xml(path, [(i, cited(rng, i, among, refs)) for i in range(first, first + count)])


def _fold_states(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many link states the fold builds (``Snapshot.link_state`` called from store/storage/fold.py)."""
    calls = [0]
    state = Snapshot.link_state

    def counted(self: Snapshot, doc_id: int) -> Any:
        calls[0] += sys._getframe(1).f_code.co_filename.endswith("fold.py")
        return state(self, doc_id)

    monkeypatch.setattr(Snapshot, "link_state", counted)
    return calls


def test_a_batched_fold_builds_no_link_state_where_nothing_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = _file(tmp_path / "seed.xml", 1, 20, 20, refs=3, seed=2)
    first = _file(tmp_path / "first.xml", 21, 400, 420, refs=6, seed=3)  # (cites the seed's records)
    whole = Library.open(tmp_path / "whole.json")
    import_paths(whole, [str(seed)])
    import_paths(whole, [str(first)])
    batched = Library.open(tmp_path / "batched.json")
    import_paths(batched, [str(seed)])
    monkeypatch.setattr(importer, "FLUSH_AT", 150)  # (batches: documents each of them adds links to)
    batched.fold_when_due()  # (as `pmbrowse import` does)
    states = _fold_states(monkeypatch)
    import_paths(batched, [str(first)])  # (a new base: 400 records on 20, ``compactor.fold_due``)
    assert states[0] == 0
    assert _everything(batched) == _everything(whole)
    assert_links_agree(batched)
