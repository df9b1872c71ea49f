"""A segment cut short at its end, or whose tables that say where each document and link change is do
not match their checksums, is read past its damage by ``pmbrowse repair``: its tables made anew from
its documents, every document kept (stop 28). It was set aside whole, its documents gone from the
library until restored by hand. Only what cannot be read is set aside now: a segment whose id tables
are lost (which document each piece is cannot be told), or cut into its tables.

Real libraries written by ``pmbrowse import``, a segment damaged, then repaired through the command
line."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from store import importer
from store.importer import import_paths
from store.library import Library
from tests.store.test_bulk_import import _file
from tests.store.test_segment_damage import footer_of, run_limited, with_segments


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)


def _everything(lib: Path) -> tuple[object, dict[str, object], dict[str, object]]:
    """The counts, and every document and its links, by PMID or title (ids are given anew)."""
    library = Library.open(lib, demo=False)
    try:
        name = {i: str(doc.get("pmid") or doc.get("title")) for i, doc in library.iter_docs()}
        docs = {name[i]: {k: v for k, v in doc.items() if k != "origins"} for i, doc in library.iter_docs()}
        links = {
            name[i]: {rel: sorted(name[t] for t in targets) for rel, targets in library.link_state(i).items()}
            for i in name
        }
        return library.stats(), docs, links
    finally:
        library._storage.close()


def _flip(segment: Path, column: str, entry: int = 0) -> None:
    raw = bytearray(segment.read_bytes())
    footer, _start = footer_of(raw)
    raw[footer["at"][column] + 4 * entry] ^= 0x40
    segment.write_bytes(bytes(raw))


DAMAGE = [
    "doc_off",
    "doc_len",
    "doc_off+doc_len",
    "link_off",
    "link_len",
    "link_off+link_len",
    "cut-1",
    "cut-12",
    "cut-13",
    "cut-footer-half",
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_repair_reads_a_segment_past_damage_to_its_place_tables_or_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    lib, segments = with_segments(tmp_path, monkeypatch)
    whole = _everything(lib)
    damaged = segments[-1]
    raw = damaged.read_bytes()
    if damage.startswith("cut-"):
        (n,) = struct.unpack_from("<I", raw, len(raw) - 12)
        cut = n // 2 + 12 if damage == "cut-footer-half" else int(damage.split("-")[1])
        os.truncate(damaged, len(raw) - cut)  # (a copy interrupted, a full disk)
    else:
        for column in damage.split("+"):
            _flip(damaged, column)
    as_damaged = damaged.read_bytes()
    broken = run_limited(lib, "check")
    assert broken.returncode == 1 and str(damaged) in broken.stdout, broken
    repaired = run_limited(lib, "repair")
    assert repaired.returncode == 0, repaired
    said = repaired.stdout
    assert (
        f"read the segment {damaged.name} past its damage" in said and "set aside the segment" not in said
    ), said
    again = run_limited(lib, "check")
    assert again.returncode == 0, again
    assert _everything(lib) == whole
    kept = [p for p in lib.parent.iterdir() if ".damaged-" in p.name and damaged.name in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == as_damaged  # (its bytes kept as they were)


@pytest.mark.parametrize("damage", ["doc_ids", "link_ids", "cut-into-tables"])
def test_repair_still_sets_aside_a_segment_whose_documents_cannot_be_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """(Which document each piece is cannot be told without its id tables: set aside as before, the
    library whole otherwise, and check clean.)"""
    lib, segments = with_segments(tmp_path, monkeypatch)
    damaged = segments[-1]
    raw = damaged.read_bytes()
    if damage == "cut-into-tables":
        footer, _start = footer_of(raw)
        os.truncate(damaged, footer["at"]["doc_ids"] + 4)
    else:
        _flip(damaged, damage)
    copy = tmp_path / "copy"
    shutil.copytree(lib.parent, copy)
    repaired = run_limited(lib, "repair")
    assert repaired.returncode == 0, repaired
    assert f"set aside the segment {damaged.name}" in repaired.stdout, repaired.stdout
    assert run_limited(lib, "check").returncode == 0
    aside = [p for p in lib.parent.iterdir() if ".damaged-" in p.name and damaged.name in p.name]
    assert (
        len(aside) == 1
        and aside[0].read_bytes() == (copy / "library.json.segments" / damaged.name).read_bytes()
    )


@pytest.fixture(scope="module")
def merged_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library whose one segment is a merge: three imports' batches and a commit of the journal, as
    a command's end merges them, over a base their link changes name (built once: copied by each
    test)."""
    tmp_path = tmp_path_factory.mktemp("merged")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
        monkeypatch.setattr(importer, "FLUSH_AT", 300)
        lib = tmp_path / "lib" / "library.json"
        lib.parent.mkdir()
        library = Library.open(lib)
        import_paths(library, [str(_file(tmp_path / "a.xml", 1, 2000, 5000, refs=6))])
        library.compact()
        for n in range(3):
            more = _file(tmp_path / f"b{n}.xml", 2001 + n * 300, 300, 5000, refs=6, seed=n)
            import_paths(library, [str(more)])
        import_paths(library, [str(_file(tmp_path / "c.xml", 4000, 3, 5000, refs=2, seed=9))])
        monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1000")
        assert library.compact(full=False)
        library._storage.close()
    return lib


@pytest.mark.parametrize("damage", ["link_off", "link_off+link_len", "doc_off+doc_len"])
def test_repair_reads_a_merged_segment_past_damage_to_its_place_tables(
    tmp_path: Path, merged_library: Path, damage: str
) -> None:
    """A merge writes in id order, and a batch's link changes are mostly alike in length and counts
    ("cited by document N"): told apart by their other ends (a commit changes both ends of a link
    together) and, where nothing else does, by that order (found by hand: 3,624 link changes, set
    aside whole, "several pieces could be the link change of document 358")."""
    shutil.copytree(merged_library.parent, tmp_path / "lib")
    lib = tmp_path / "lib" / "library.json"
    merged = sorted(lib.parent.glob("library.json.segments/*.seg"))
    assert len(merged) == 1
    whole = _everything(lib)
    for column in damage.split("+"):
        _flip(merged[0], column)
    repaired = run_limited(lib, "repair")
    assert f"read the segment {merged[0].name} past its damage" in repaired.stdout, repaired.stdout
    assert run_limited(lib, "check").returncode == 0
    assert _everything(lib) == whole
