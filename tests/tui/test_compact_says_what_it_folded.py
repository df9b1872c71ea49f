"""``pmbrowse compact`` says how many bytes of journal it folded as the journal was when it folded it,
read under the write lock: before stop 31 it was read as the library opened, before the lock, and a
commit by another process in between was folded in but left out of the number."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Origin
from tui.cli import main


def _put(path: Path, pmid: str) -> None:
    other = Library.open(path)
    with other.transaction() as changes:
        changes.put_article(Article(pmid=pmid, title=f"Record {pmid} " + "words " * 40), Origin("test"))
    other.close()


def test_compact_counts_a_commit_made_before_it_took_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    path = tmp_path / "lib.json"
    _put(path, "1")
    real = Library.compact
    journal = path.with_name(path.name + ".journal")

    def another_writer_first(self: Library, *args: object, **kwargs: object) -> bool:
        _put(path, "2")  # (another process's commit, after this one opened the library)
        seen.append(journal.stat().st_size)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    seen: list[int] = []
    monkeypatch.setattr(Library, "compact", another_writer_first)
    assert main(["--db", str(path), "compact"]) == 0
    out = capsys.readouterr().out
    assert f": {seen[0]:,} bytes of journal folded" in out, (seen, out)
