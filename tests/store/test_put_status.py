"""What ``Changes.put_document`` says of a record already in the library, imported again in one unit
of work: the first time merged, the same again unchanged, changed again merged. The document as it was
before each put is the one compared: how it was when the unit of work first took it (``_before``) for
the first put, how it is now for the next ones."""

from __future__ import annotations

from pathlib import Path

from store.library import Library
from store.model import Article, Origin
from store.unitofwork import Status


def _record(title: str, refs: list[str]) -> dict[str, object]:
    doc = Article(pmid="101", title=title, year=2001).to_doc()
    doc["references"] = [{"pmid": pmid, "sources": ["pubmed"]} for pmid in refs]
    return doc


def test_a_record_put_again_in_one_unit_of_work_is_merged_then_unchanged_then_merged(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json", demo=False)
    origin = Origin("pubmed-xml", "/a.xml")
    with lib.transaction() as changes:
        assert changes.put_document(_record("Old", ["7"]), origin) is Status.ADDED
    with lib.transaction() as changes:
        said = [
            changes.put_document(_record("New", ["7"]), origin),
            changes.put_document(_record("New", ["7"]), origin),
            changes.put_document(_record("Newer", ["7"]), origin),
            changes.put_document(_record("Newer", ["7"]), origin),
            changes.put_document(_record("Newer", ["7", "8"]), origin),
        ]
    assert said == [Status.MERGED, Status.UNCHANGED, Status.MERGED, Status.UNCHANGED, Status.MERGED]
    with lib.transaction() as changes:
        assert changes.put_document(_record("Newer", ["7", "8"]), origin) is Status.UNCHANGED
    lib.close()
