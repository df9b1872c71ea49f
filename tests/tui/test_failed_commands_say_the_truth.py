"""Failed and interrupted commands say what became of the library (stop 28, found at stop 27 and left
then): each case with a test seen red before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import atomicwrite
from store.importer import import_paths
from store.library import Library
from store.search.index import SearchIndex
from tests.conftest import ROOT
from tui.cli import main

XML = ROOT / "tests" / "data" / "pubmed_xml"


def _library(tmp_path: Path) -> Path:
    """A library with commits in its journal (something to compact)."""
    lib = tmp_path / "lib" / "library.json"
    lib.parent.mkdir()
    library = Library.open(lib)
    import_paths(library, [str(XML / "variants.xml")])
    library._storage.close()  # (not ``close``: that could compact what is due)
    return lib


# 1. `pmbrowse compact` interrupted ----------------------------------------------------------------


@pytest.mark.parametrize("due", [False, True], ids=["full", "due"])
def test_compact_interrupted_after_its_commit_says_it_went_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], due: bool
) -> None:
    """A Ctrl-C once the compaction's new files are renamed in (while the search index is told of the
    new state) said "the library was left as it was before this command", although the compaction
    went through: it says it committed now."""
    lib = _library(tmp_path)
    records = Library.open(lib).stats().records
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")  # (``--due``: the journal is past its threshold)

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SearchIndex, "after_compaction", interrupted)
    rc = main(["--db", str(lib), "compact", *(["--due"] if due else [])])
    said = capsys.readouterr().err
    assert rc == 130
    assert "left as it was" not in said and "committed" in said, said
    monkeypatch.undo()
    assert main(["--db", str(lib), "compact"]) == 0
    out = capsys.readouterr().out
    assert ("nothing to do" in out) == (not due), out  # (a full one went through: nothing left)
    again = Library.open(lib)
    assert again.stats().records == records
    again.close()


def test_compact_interrupted_before_its_commit_says_the_library_was_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """(What held before: interrupted before the new base's rename, it is left as it was.)"""
    lib = _library(tmp_path)
    before = lib.read_bytes()
    real = atomicwrite.rename

    def rename(source: Path, target: Path) -> None:
        if Path(target) == lib:
            raise KeyboardInterrupt
        real(source, target)

    monkeypatch.setattr(atomicwrite, "rename", rename)
    assert main(["--db", str(lib), "compact"]) == 130
    assert "left as it was before this command" in capsys.readouterr().err
    assert lib.read_bytes() == before


# 2. `pmbrowse search` over a library whose segment is cut or gone ---------------------------------


def _with_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[Path]]:
    from tests.store.test_segment_damage import with_segments

    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)
    return with_segments(tmp_path, monkeypatch)


@pytest.mark.parametrize("damage", ["cut-1", "cut-half", "gone", "grown"])
def test_search_says_the_library_is_damaged_when_a_segment_is_cut_or_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    """``search`` answers from its index when it is fresh, without opening the library: a segment cut
    short (by one byte: a copy interrupted, a full disk) or removed left its documents listed, which
    nothing else could read (``stats``, ``show``, the app: "truncated"). It says the library is damaged
    now, as ``stats`` does (exit 3, one line naming the segment), and lists nothing."""
    lib, segments = _with_segments(tmp_path, monkeypatch)
    assert main(["--db", str(lib), "search", "water"]) == 0  # (the index made, fresh)
    assert "Vand er H2O" in capsys.readouterr().out
    segment = segments[0]
    raw = segment.read_bytes()
    if damage == "gone":
        segment.unlink()
    else:
        segment.write_bytes(
            {"cut-1": raw[:-1], "cut-half": raw[: len(raw) // 2], "grown": raw + b"\0"}[damage]
        )
    rc = main(["--db", str(lib), "search", "water"])
    out, err = capsys.readouterr()
    assert rc == 3, (out, err)
    assert out == "" and str(segment) in err and "repair" in err, err
    stats = main(["--db", str(lib), "stats"])
    assert stats == 3 and str(segment) in capsys.readouterr().err


# 3. `pmbrowse import` over a segment whose tables are damaged -------------------------------------


def _flip(segment: Path, column: str) -> None:
    """A bit of the first entry of one of a segment's tables flipped (its checksum no longer matches)."""
    from tests.store.test_segment_damage import footer_of

    raw = bytearray(segment.read_bytes())
    footer, _start = footer_of(raw)
    raw[footer["at"][column]] ^= 0x40
    segment.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "column", ["link_ids", "link_off", "link_len", "link_refs", "link_cited", "doc_off", "key_ids"]
)
def test_import_refuses_a_library_whose_segment_tables_are_damaged_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    """An import reads of the segments what it needs (the documents it merges with), so damage to a
    segment's other tables (its link changes' above all) went unseen: it imported, said nothing, and
    committed over the damage (which a later fold or merge carries or refuses). It refuses now, before
    writing anything, in one line naming the segment and the table (exit 3), as for other damage."""
    lib, segments = _with_segments(tmp_path, monkeypatch)
    damaged = segments[-1]
    _flip(damaged, column)
    before = {p.name: p.read_bytes() for p in lib.parent.iterdir() if p.is_file()}
    rc = main(["--db", str(lib), "import", str(XML / "baseline_style.xml")])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert str(damaged) in err and column in err and "repair" in err and "nothing was imported" in err
    after = {p.name: p.read_bytes() for p in lib.parent.iterdir() if p.is_file()}
    assert after == before
