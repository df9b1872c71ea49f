"""TinyDB's own Table API over the journalled storage: what it promises, each write one small commit."""

from __future__ import annotations

from pathlib import Path

from tinydb import Query

from store.library import Library


def test_the_table_api_works_and_writes_only_what_changed(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "library.json")
    table = lib._table  # TinyDB's Table (an ArticleTable) over the library's storage
    journal = lib.path.with_name("library.json.journal")
    count = len(table)
    doc_id = table.insert({"pmid": "777", "title": "Inserted through TinyDB"})
    assert table.get(doc_id=doc_id)["title"] == "Inserted through TinyDB"
    assert lib.find("777") == doc_id and len(table) == count + 1
    size = journal.stat().st_size
    table.update({"title": "Updated"}, doc_ids=[doc_id])
    assert journal.stat().st_size - size < 500  # one document, not the table
    assert table.search(Query().title == "Updated")[0].doc_id == doc_id
    assert table.contains(doc_id=doc_id)
    table.remove(doc_ids=[doc_id])
    assert table.get(doc_id=doc_id) is None and lib.find("777") is None and len(table) == count
    reopened = Library.open(lib.path)
    assert reopened.find("777") is None and reopened.stats() == lib.stats()
