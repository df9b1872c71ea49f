"""A bulk import lets go of what only a later batch would read (the library's answers kept across
batches, ``store.answers``; the keys held from earlier ones, ``store.heldkeys``; the last batch's
look-ups) when it hands its last batch over: before the library commits, and the search index after
it, whose merge of segments is an import's peak of memory (the 8th of the bench's ten 100k files:
1,225 MB at stop 36). Kept to the end, up to ``KEPT`` answers of each kind and every key the import
gave would add to that peak."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import store.importer as importer
from store.changes import Changes
from store.importer import FileReport, import_paths
from store.library import Library
from store.search.feed import TransactionFeed
from tests.store.bulk_files import cited, pubmed_xml

RECORDS = 2000


def _held(changes: Changes) -> dict[str, int]:
    """What the unit of work holds for later look-ups, entries by kind."""
    answers = changes._answers
    return {
        "kept answers": len(answers.keys),
        "kept meta": len(answers.meta),
        "held keys": len(changes._held),
        "recalled": len(changes._held.recalled),
        "looked up": len(changes._seen) + len(changes._keys),
        "read": len(changes._read) + len(changes._before),
    }


def test_what_later_batches_would_read_is_let_go_before_the_index_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5)
    first = pubmed_xml(tmp_path / "a.xml", [(i, cited(rng, i, RECORDS, 5)) for i in range(1, RECORDS + 1)])
    # The second file cites the first's records (and its own): answers and meta from the library.
    more = range(RECORDS + 1, 2 * RECORDS + 1)
    second = pubmed_xml(tmp_path / "b.xml", [(i, cited(rng, i, 2 * RECORDS, 5)) for i in more])
    lib = Library.open(tmp_path / "library.json", demo=False)
    import_paths(lib, [str(first)])
    monkeypatch.setattr(importer, "FLUSH_AT", 300)

    seen: dict[str, dict[str, int]] = {}
    live: list[Changes] = []
    finish = TransactionFeed.finish

    def before_commit(reports: list[FileReport], changes: Changes) -> None:
        live.append(changes)
        seen["before the commit"] = _held(changes)

    def finishing(self: TransactionFeed, *args: object) -> None:
        seen["at the index's commit"] = _held(live[0])
        finish(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(TransactionFeed, "finish", finishing)
    (report,) = import_paths(lib, [str(second)], before_commit=before_commit)
    assert report.records == RECORDS
    held = seen["before the commit"]
    assert held["kept answers"] > 1000 and held["kept meta"] > 1000 and held["held keys"] > 1000
    assert seen["at the index's commit"] == dict.fromkeys(held, 0)
    # (and the import is whole: its records found by search, through the index it committed)
    assert lib.stats().records == 2 * RECORDS
