"""``pmbrowse repair`` of a segment whose link change is not JSON, its tables intact: ``check`` names it
and says ``repair`` mends it. Seen red before: ``repair`` stopped on it with the same line (exit 3),
every time (``fold._compose``). Now the change is left out and the document's links made to agree
from their other ends: no link is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from tests.store.test_journal_segments import _damage_a_link_change, three_segments
from tests.store.test_reliability import cli


def test_repair_leaves_out_a_segment_s_undecodable_link_change_and_loses_no_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    damaged = three_segments(path, monkeypatch)
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    library = Library.open(path)
    before = library.stats()
    library._storage.close()
    _damage_a_link_change(damaged)
    found = cli(path, "check")
    assert found.returncode == 1 and str(damaged) in found.stdout and "repair" in found.stdout, found
    repaired = cli(path, "repair")
    assert repaired.returncode == 0, repaired
    assert "left out the link changes of 1 documents" in repaired.stdout, repaired.stdout
    found = cli(path, "check")
    assert found.returncode == 0 and "no problems found" in found.stdout, found
    library = Library.open(path)
    assert library.stats() == before  # (the records, the stubs and every link)
    library._storage.close()
