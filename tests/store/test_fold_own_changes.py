"""The fold at an import's commit takes a link change of a segment the import wrote, alone on its
document and of the plain shape, as the record it makes (``store.storage.joins.plain_record``): the
same bytes the general join makes of it, and the general join for every other shape."""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path

import orjson
import pytest

from store import importer
from store.importer import import_paths
from store.library import Library
from store.storage import fold, joins
from store.storage.links import Change
from tests.store.test_bulk_import import _file


def _change(
    added: dict[str, dict[int, tuple[str, ...]]], more: dict[str, dict[int, tuple[str, ...]]]
) -> Change:
    change = Change()
    change.added, change.more_sources = added, more
    return change


SHAPES = {
    "references, one source": _change({"references": {5: ("pubmed",), 9: ("pubmed",)}}, {}),
    "citing, one source": _change({"cited_by": {7: ("pubmed",)}}, {}),
    "both, one source": _change(
        {"references": {3: ("pubmed",)}, "cited_by": {4: ("pubmed",), 8: ("pubmed",)}}, {}
    ),
    "a source named oddly": _change({"references": {3: ('pub"med\\',)}}, {}),
    "a source named in Greek": _change({"references": {3: ("πηγή",)}}, {}),
    "two sources": _change({"references": {3: ("pubmed", "europepmc"), 4: ("pubmed",)}}, {}),
    "two sources, each its targets": _change(
        {"references": {3: ("pubmed",)}, "cited_by": {4: ("crossref",)}}, {}
    ),
    "no source": _change({"references": {3: (), 4: ()}}, {}),
    "more sources": _change({"references": {3: ("pubmed",)}}, {"references": {11: ("crossref",)}}),
    "an empty list": _change({"references": {}, "cited_by": {4: ("pubmed",)}}, {}),
}
PLAIN = {
    "references, one source",
    "citing, one source",
    "both, one source",
    "a source named in Greek",
    "an empty list",
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_change_taken_as_it_is_is_what_the_join_makes_of_it(name: str) -> None:
    change = SHAPES[name]
    raw = change.encode()
    joined = joins.joined_links([orjson.loads(raw)], changes=False)
    taken = joins.plain_record(raw)
    assert (taken is not None) == (name in PLAIN)
    if taken is not None:
        assert taken == joined
        assert taken[1:] == change.counts


def _imported(tmp_path: Path, name: str, file: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    count = itertools.count(1)
    monkeypatch.setattr(secrets, "token_hex", lambda n=8: f"{next(count):0{2 * n}x}")
    lib = Library.open(tmp_path / name / "library.json")
    lib.fold_when_due()  # (as ``pmbrowse import``: the commit is a fold of the batches into a new base)
    import_paths(lib, [str(file)])
    lib.close()
    assert not (tmp_path / name / "library.json.segments").exists()
    index = (tmp_path / name / "library.json.idx").read_bytes()
    return (tmp_path / name / "library.json").read_bytes(), index[index.index(b'"body_crc"') :]


def test_an_import_s_fold_writes_the_same_bytes_taking_its_changes_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "FLUSH_AT", 600)  # (batches: segments of this transaction, folded)
    file = _file(tmp_path / "in.xml", 1, 500, 20_000, refs=6)  # (most cited once: one change)
    taken = []
    plain = joins.plain_record

    def counted(raw: bytes) -> tuple[bytes, int, int] | None:
        found = plain(raw)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(fold, "plain_record", counted)
    fast = _imported(tmp_path, "fast", file, monkeypatch)
    assert sum(taken) > 0.9 * len(taken) > 1000, (sum(taken), len(taken))
    monkeypatch.setattr(fold, "plain_record", lambda raw: None)
    assert _imported(tmp_path, "joined", file, monkeypatch) == fast


@pytest.mark.parametrize(
    ("ids", "damaged"),
    [
        (b"[123,45]", b"[12q,45]"),
        (b"[123,45]", b"[123.45]"),
        (b"[123,45]", b"[123,,5]"),
        (b"[123,45]", b"[123,45,]"),
        (b"[123,45]", b"[123,05]"),
        (b"[123,45]", b"[ 23,45]"),
    ],
)
def test_a_change_with_damaged_ids_is_left_to_the_join(ids: bytes, damaged: bytes) -> None:
    """Segments keep no checksum of each record: what the join's decoding refused (naming the segment),
    the shortcut must not write into the new base under a fresh CRC (review of stop 38)."""
    raw = _change({"references": {123: ("pubmed",), 45: ("pubmed",)}}, {}).encode()
    assert ids in raw and joins.plain_record(raw) is not None
    assert joins.plain_record(raw.replace(ids, damaged)) is None
