"""Failed and interrupted commands say what became of the library (stop 28, found at stop 27 and left
then): each case with a test seen red before its fix."""

from __future__ import annotations

import atexit
from collections.abc import Callable
from pathlib import Path

import pytest

from store import atomicwrite
from store.library import Library
from store.search.index import SearchIndex
from tests.conftest import ROOT
from tests.tui.helpers import compactable
from tui.cli import main

XML = ROOT / "tests" / "data" / "pubmed_xml"


# 1. `pmbrowse compact` interrupted ----------------------------------------------------------------


@pytest.mark.parametrize("due", [False, True], ids=["full", "due"])
def test_compact_interrupted_after_its_commit_says_it_went_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], due: bool
) -> None:
    """A Ctrl-C once the compaction's new files are renamed in (while the search index is told of the
    new state) said "the library was left as it was before this command", although the compaction
    went through: it says it committed now."""
    lib = compactable(tmp_path / "lib" / "library.json")
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
    lib = compactable(tmp_path / "lib" / "library.json")
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


def _files(lib: Path) -> dict[str, bytes]:
    """Every file of the library's folder (the segments and the search index included), by path."""
    return {
        str(p.relative_to(lib.parent)): p.read_bytes() for p in sorted(lib.parent.rglob("*")) if p.is_file()
    }


def _damaged(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    column: str,
    holding: str | None = None,
) -> tuple[Path, Path]:
    """A library with segments and a fresh search index, one table of one segment damaged: the one
    holding the record of PMID ``holding``, or (None) the newest."""
    lib, segments = _with_segments(tmp_path, monkeypatch)
    assert main(["--db", str(lib), "search", "water"]) == 0  # (the search index made: it must not change)
    capsys.readouterr()
    segment = segments[-1]
    if holding is not None:
        from store.storage.segment import SegmentFile

        library = Library.open(lib)
        doc_id = library.find(holding)
        library._storage.close()
        segment = next(s for s in segments if doc_id in SegmentFile(s).column("doc_ids"))
    _flip(segment, column)
    return lib, segment


def _refused(lib: Path, damaged: Path, column: str, what: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Importing ``what`` is refused in one line naming the segment and the table, nothing written."""
    before = _files(lib)
    rc = main(["--db", str(lib), "import", str(what)])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert str(damaged) in err and column in err and "repair" in err and "nothing was imported" in err, err
    assert _files(lib) == before


@pytest.mark.parametrize("column", ["doc_ids", "key_hashes", "link_ids"])
def test_import_refuses_damage_in_the_tables_every_import_reads_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    """The tables every import reads of every segment (the keys' hashes, the documents' ids, the link
    changes' ids, which the search index's update reads once the import has committed) are read
    against their checksums before anything is written: damage in them is refused in one line naming
    the segment and the table, exit 3, every file as it was (stop 28 read every table of every segment
    here, 230-360 ms at a million records; since stop 29 these alone, which the import reads anyway).
    Seen red with ``before_import`` saying nothing: link_ids was committed over (exit 0) and the search
    index then forgotten; the others are refused where the import reads them, before its commit."""
    lib, damaged = _damaged(tmp_path, monkeypatch, capsys, column)
    _refused(lib, damaged, column, XML / "baseline_style.xml", capsys)


@pytest.mark.parametrize("column", ["doc_off", "doc_len", "doc_flags", "key_ids"])
def test_import_refuses_damage_it_reads_before_its_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    """Damage in a table the import reads for the records it merges with (the same records imported
    again, in the damaged segment): found where it is read, against the table's checksum, before the
    import commits; it stops in one line naming the segment and the table, says nothing was imported
    (seen red without it: the damage alone, as though the import might have gone in), exit 3, every
    file as it was."""
    lib, damaged = _damaged(tmp_path, monkeypatch, capsys, column, holding="1000101")
    _refused(lib, damaged, column, XML / "variants.xml", capsys)


def _problems(lib: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["--db", str(lib), "check"]) in (0, 1)
    return [line for line in capsys.readouterr().out.splitlines() if "no problems found" not in line]


@pytest.mark.parametrize(
    "column",
    [
        "doc_off",
        "doc_len",
        "doc_head_off",
        "link_off",
        "link_len",
        "link_refs",
        "link_cited",
        "key_ids",
        "rank_ids",
    ],
)
def test_import_beside_damage_it_never_reads_leaves_it_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    """Damage in a part of a segment the import never reads (its records are not in it): the import
    goes in beside it (before stop 29 it was refused: the check read every table of every segment, at
    the cost of the library's size), and the library is no worse: the damaged segment is listed as it
    was, byte for byte, even with the command's end due to make the journal a segment and merge (what
    reads it refuses it, changing nothing), ``check`` names the same damage and nothing else, and
    ``repair`` mends it with the import kept. Seen red with the tables read without their checksums
    (the command's end then copied the damage)."""
    lib, damaged = _damaged(tmp_path, monkeypatch, capsys, column)
    raw = damaged.read_bytes()
    problems = _problems(lib, capsys)
    assert len(problems) == 1 and str(damaged) in problems[0], problems
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", "1")  # (the command's end: the journal made a segment)
    ends: list[Callable[[], object]] = []
    monkeypatch.setattr(atexit, "register", ends.append)
    rc = main(["--db", str(lib), "import", str(XML / "baseline_style.xml")])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert ends
    for end in ends:
        end()  # (the command's end: ``Library.close``)
    monkeypatch.undo()
    assert damaged.read_bytes() == raw and damaged.name in (lib.parent / "library.json.journal").read_text()
    assert _problems(lib, capsys) == problems
    assert main(["--db", str(lib), "repair"]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert _problems(lib, capsys) == []
    library = Library.open(lib)
    assert library.find("1000201") is not None and library.find("1000101") is not None
    library._storage.close()


def test_import_refuses_an_older_segment_whose_ids_are_out_of_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A segment written before stop 26 has no checksums: its ids are checked before an import as before
    (below the next id, in order), since a read finds nothing wrong with them (a binary search over
    them misses a document, and the import merged onto an older version of it). Seen red with
    ``before_import`` looking at checksummed segments alone (exit 0)."""
    from tests.store.test_segment_damage import as_older_segment, footer_of, relist

    lib, segments = _with_segments(tmp_path, monkeypatch)
    older = segments[-1]
    as_older_segment(older, run=True)
    raw = bytearray(older.read_bytes())
    footer, _start = footer_of(raw)
    at, n = footer["at"]["link_ids"], footer["links"]
    assert n >= 2
    raw[at : at + 8] = raw[at + 4 : at + 8] + raw[at : at + 4]  # (its first two link ids swapped)
    older.write_bytes(bytes(raw))
    relist(older, len(raw))
    before = _files(lib)
    rc = main(["--db", str(lib), "import", str(XML / "baseline_style.xml")])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert str(older) in err and "link_ids table is out of order" in err and "nothing was imported" in err
    assert _files(lib) == before
