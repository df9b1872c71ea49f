"""The fold at an import's commit takes a link change of a segment the import wrote, alone on its
document and of the plain shape, as the record it makes (``store.storage.joins.plain_record``): the
same bytes the general join makes of it, and the general join for every other shape."""

from __future__ import annotations

import itertools
import re
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
    "both, a source for one": _change({"references": {3: ("pubmed",)}, "cited_by": {4: ()}}, {}),
    "more sources": _change({"references": {3: ("pubmed",)}}, {"references": {11: ("crossref",)}}),
    "an empty list": _change({"references": {}, "cited_by": {4: ("pubmed",)}}, {}),
}
PLAIN = {
    "references, one source",
    "citing, one source",
    "both, one source",
    "an empty list",
}  # (a source named in Greek is left to the join since stop 40: the shortcut reads ASCII names only)


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
        (b"[123,45]", b"[,23,45]"),  # (taken until stop 40: its check of the ids let a leading comma by)
        (b'"pubmed"', b'"pub\xedmed"'),  # (a high bit flipped in the source's name, not UTF-8: taken too)
        (b'{"pubmed"', b'{pubmed"'),  # (the name's opening quote gone: taken until stop 40)
        (b"[123,45]", b"[45,45]"),  # (an id repeated, both lists: taken until stop 40, its count 2, not 1)
    ],
)
def test_a_change_with_damaged_ids_is_left_to_the_join(ids: bytes, damaged: bytes) -> None:
    """Segments keep no checksum of each record: what the join's decoding refused (naming the segment),
    the shortcut must not write into the new base under a fresh CRC (review of stop 38)."""
    raw = _change({"references": {123: ("pubmed",), 45: ("pubmed",)}}, {}).encode()
    assert ids in raw and joins.plain_record(raw) is not None
    assert joins.plain_record(raw.replace(ids, damaged)) is None


def _sliced(raw: bytes) -> tuple[bytes, int, int] | None:
    """``plain_record`` as it was until stop 40 (the bytes sliced and compared in Python), exactly."""
    at = raw.find(b',"link_sources":{')
    if at < 0 or raw[:1] != b"{" or raw[-3:] != b"}}}":
        return None
    lists, sources = raw[1:at], raw[at + 17 : -2]
    found: list[tuple[bytes, bytes]] = []
    for name in (b'"references":', b'"cited_by":'):
        if lists.startswith(name):
            end = lists.find(b"]") + 1
            ids, body = lists[len(name) : end], lists[len(name) + 1 : end - 1]
            plain = body.replace(b",", b"").isdigit() and body[:1] != b"0"
            if len(ids) < 3 or ids[:1] != b"[" or not plain or body[-1:] == b",":
                return None
            if b",," in body or b",0" in body:
                return None
            found.append((name, ids))
            lists = lists[end:]
            if lists[:1] == b",":
                lists = lists[1:]
    if lists or not found:
        return None
    source_end = sources.find(b'":', len(found[0][0]) + 2)
    source = sources[len(found[0][0]) + 1 : source_end + 1]
    if source_end < 0 or b"\\" in source or b'"' in source[1:-1]:
        return None
    if sources != b",".join(name + b"{" + source + b":" + ids + b"}" for name, ids in found):
        return None
    counts = {name: ids.count(b",") + 1 for name, ids in found}
    return raw, counts.get(b'"references":', 0), counts.get(b'"cited_by":', 0)


def test_the_plain_shape_is_told_as_the_bytes_sliced_told_it() -> None:
    """Changes of every shape, and each with bytes changed at random (damage, other shapes): the
    regular expression's answer is the slicing's, but for bytes that are not JSON that the slicing let
    by (a list's leading comma, a source's missing opening quote, a name not UTF-8) and for a source's
    name not ASCII (left to the join), and a change it takes is what the join makes of it."""
    import random

    rng = random.Random(40)
    alphabet = b'0123456789,[]{}":\\ab'
    taken = 0
    for n in range(4000):
        added: dict[str, dict[int, tuple[str, ...]]] = {}
        for rel in ("references", "cited_by"):
            if rng.random() < 0.7:
                source = rng.choice(["pubmed", "pubmed", "europepmc", "πηγή", 'a"b', ""])
                added[rel] = {rng.randint(1, 10**6): (source,) for _ in range(rng.randint(0, 5))}
        raw = _change(added, {}).encode()
        for _ in range(n % 3):
            at = rng.randrange(len(raw))
            raw = raw[:at] + alphabet[rng.randrange(len(alphabet)) :][:1] + raw[at + 1 :]
        found, sliced = joins.plain_record(raw), _sliced(raw)
        if found != sliced:
            assert found is None and (_not_json(raw) or not raw.isascii() or _repeats(raw)), raw
        if found is not None:
            taken += 1
            assert found == joins.joined_links([orjson.loads(raw)], changes=False), raw
    assert taken > 400


def _repeats(raw: bytes) -> bool:
    return any(len(set(ids)) < len(ids) for ids in map(bytes.split, re.findall(rb"\[([0-9,]*)\]", raw), b","))


def _not_json(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return True
    return False
