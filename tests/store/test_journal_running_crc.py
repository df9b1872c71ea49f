"""The CRC-32 of the journal's bytes to a state's end, which the search index records with the layers it
reflects (``store.search.catchup``), is kept running as the journal's commits are taken in
(``crc_through``, ``Replay.crc``): it is the CRC of the bytes on disk, and after the first time only
each new commit's bytes are read for it."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

import store.importer as importer
from store.importer import import_paths
from store.library import Library
from store.model import Article, Link, Origin
from store.openfile import OpenFile
from store.search.catchup import layers_of, layers_of_snapshot
from tests.store.bulk_files import pubmed_xml

ORIGIN = Origin("test", "here")


def _put(lib: Library, n: int) -> None:
    with lib.transaction() as changes:
        changes.put_article(
            Article(
                pmid=str(99_000_000 + n), title=f"Record {n}", references=[Link(pmid=str(98_000_000 + n))]
            ),
            ORIGIN,
        )


def _on_disk(lib: Library) -> dict[str, object] | None:
    snap = lib._reader.snap
    assert snap.journal is not None
    raw = lib.path.with_name(lib.path.name + ".journal").read_bytes()
    return layers_of(raw, snap.journal.end)


def test_the_running_crc_is_the_journals_and_no_byte_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(tmp_path / "lib.json")
    _put(lib, 0)
    read: list[int] = []
    real = OpenFile.pread

    def pread(self: OpenFile, size: int, at: int) -> bytes:
        if self is lib._reader.snap.journal_file:
            read.append(size)
        return real(self, size, at)

    monkeypatch.setattr(OpenFile, "pread", pread)
    for n in range(1, 8):
        snap = lib._reader.snap
        assert snap.journal is not None
        layers = layers_of_snapshot(snap)
        assert layers == _on_disk(lib), n
        raw = lib.path.with_name(lib.path.name + ".journal").read_bytes()
        assert layers is not None and layers["crc"] == zlib.crc32(raw[: snap.journal.end])
        if n > 1:  # (the first time: the journal to its end; then the last commit's bytes alone)
            assert read == [snap.journal.end - snap.journal.ends[-2]], (n, read)
        read.clear()
        _put(lib, n)
    # Another process's library, opened after those commits: the same, read once.
    other = Library.open(lib.path)
    assert layers_of_snapshot(other._reader.snap) == _on_disk(other)


def test_a_journal_listing_segments_gives_the_same_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "FLUSH_AT", 60)
    lib = Library.open(tmp_path / "lib.json")
    _put(lib, 0)
    import_paths(lib, [str(pubmed_xml(tmp_path / "a.xml", [(i, [i - 1]) for i in range(1, 200)]))])
    for n in range(1, 4):
        layers = layers_of_snapshot(lib._reader.snap)
        assert layers == _on_disk(lib) and layers is not None, n
        assert layers["segments"], n  # (the import's listing)
        _put(lib, n)
