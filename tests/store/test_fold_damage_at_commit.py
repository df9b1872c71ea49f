"""An import whose commit is a fold (``Committer._fold``) that meets damage in an older segment commits
as a listing of segments instead, the damage said once: until stop 31 the whole import failed on it
(nothing imported, ``repair`` named), though the listing reads no older segment."""

from __future__ import annotations

from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from tests.store.bulk_files import pmid, pubmed_xml
from tests.store.test_journal_segments import _damage_a_link_change, _files, three_segments


def test_a_fold_at_commit_meeting_damage_commits_the_import_as_a_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    damaged = three_segments(path, monkeypatch)
    _damage_a_link_change(damaged)
    before = {name: data for name, data in _files(path).items() if name != damaged.name}
    monkeypatch.setattr(importer, "FLUSH_AT", 40)  # (batches: a bulk commit)
    lib = Library.open(path)
    lib.fold_when_due()
    lib._storage.committer.fold_rule = lambda sizes, base: True  # (the fold due at this commit)
    records = lib.stats().records
    reports = import_paths(lib, [str(pubmed_xml(tmp_path / "in.xml", [(i, []) for i in range(1, 121)]))])
    assert reports[0].added == 120
    assert lib.stats().records == records + 120
    said = [n for n in lib.notices if damaged.name in n]
    assert len(said) == 1 and "pmbrowse repair" in said[0], lib.notices
    assert damaged.exists() and path.read_bytes() == before[path.name]  # (no new base: a listing)
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # (the fold's removed)
    lib.close()  # (the command's end: the same fold not tried again, not said again)
    assert len([n for n in lib.notices if damaged.name in n]) == 1, lib.notices
    again = Library.open(path)
    assert again.find(pmid(120)) is not None and again.stats().records == records + 120
