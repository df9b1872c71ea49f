"""Damage to a segment's tables, found by the storage review of stop 25 and left then: each fixed here
with a test seen red on the code before its fix. Real libraries written by ``pmbrowse import``, a byte
of a segment changed, then used through the command line."""

from __future__ import annotations

import os
import resource
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from store import importer
from store.importer import import_paths
from store.library import Library
from store.storage.segmentids import REPAIR
from tests.conftest import PAGES, ROOT

XML = ROOT / "tests" / "data" / "pubmed_xml"


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)


def with_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[Path]]:
    """A library whose import left its batches as segments (not folded into the base)."""
    monkeypatch.setattr(importer, "FLUSH_AT", 2)
    lib = tmp_path / "lib" / "library.json"
    lib.parent.mkdir()
    library = Library.open(lib)
    import_paths(library, [XML / "variants.xml", PAGES / "zero_citations.txt"])
    library._storage.close()  # (not ``close``: that would fold the segments into the base)
    segments = sorted(lib.parent.glob("library.json.segments/*.seg"))
    assert len(segments) >= 2
    return lib, segments


def footer_of(raw: bytes | bytearray) -> tuple[dict[str, Any], int]:
    """A segment's footer, and where it starts."""
    (n,) = struct.unpack_from("<I", raw, len(raw) - 12)
    return orjson.loads(bytes(raw[len(raw) - 12 - n : len(raw) - 12])), len(raw) - 12 - n


def rewrite_footer(raw: bytearray, footer: dict[str, Any]) -> bytes:
    """The segment with another footer (its size changes: the journal's listing is mended to match, so
    that what is found is the tables' damage, not a wrong size)."""
    _old, start = footer_of(raw)
    body = orjson.dumps(footer)
    return bytes(raw[:start]) + body + struct.pack("<I", len(body)) + bytes(raw[-8:])


def as_older_segment(segment: Path, *, run: bool) -> None:
    """The segment as a version before table checksums wrote it (and with ``run`` False, before runs:
    an older library's segment, read as it is), the journal's listing of its size mended."""
    raw = bytearray(segment.read_bytes())
    footer, _start = footer_of(raw)
    footer.pop("crc", None)
    footer.pop("block", None)  # (and before the blocks' checksums: ``store.storage.segmentblocks``)
    footer["at"] = {k: v for k, v in footer["at"].items() if not k.startswith("block_")}
    if not run:
        for key in ("rank", "rank_crc"):
            footer.pop(key, None)
        footer["at"] = {k: v for k, v in footer["at"].items() if not k.startswith("rank_")}
    new = rewrite_footer(raw, footer)
    segment.write_bytes(new)
    relist(segment, len(new))


def relist(segment: Path, size: int) -> None:
    """The journal's line for ``segment`` says ``size``, and its seal's checksum is made anew (as though
    the segment had been written so)."""
    from store.journal import seal_line, segment_line

    journal = segment.parent.parent / "library.json.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    header, body, seal = lines[0], lines[1:-1], lines[-1]
    assert all(line.startswith(b"S\t") for line in body) and seal.startswith(b"#\t")
    listed = [line.decode().rstrip("\n").split("\t")[1:] for line in body]
    new = b"".join(segment_line(name, size if name == segment.name else int(was)) for name, was in listed)
    journal.write_bytes(header + new + seal_line(new, orjson.loads(seal.split(b"\t", 2)[2])))


def set_entry(segment: Path, column: str, index: int, value: int) -> None:
    """Entry ``index`` of one of a segment's u32 columns set to ``value`` (``index`` -1: the last)."""
    raw = bytearray(segment.read_bytes())
    footer, _start = footer_of(raw)
    count = footer["links" if column.startswith("link_") else "docs"]
    at = footer["at"][column] + 4 * (index % count)
    struct.pack_into("<I", raw, at, value)
    segment.write_bytes(bytes(raw))


def run_limited(lib: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``pmbrowse --db LIB ARGS`` in a child that cannot have more than 1.5 GB of address space (so a
    table sized by a damaged id fails as it would on a small machine, not by filling this one)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "PMBROWSE_COMPACT_BYTES": str(1 << 30)}
    command = [sys.executable, "-m", "tui", "--db", str(lib), *args]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, preexec_fn=limit
    )


# 1. Tables sized by the largest id a segment's table names ----------------------------------------


@pytest.mark.parametrize(
    ("column", "index", "run"),
    [("doc_ids", -1, True), ("link_ids", 0, True), ("doc_ids", 0, False)],
    ids=["last-doc-id", "first-link-id", "first-doc-id-no-run"],
)
def test_a_huge_id_in_a_segment_s_table_is_damage_said_in_one_line_never_a_huge_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, index: int, run: bool
) -> None:
    """A segment's id columns (no checksum in segments written before stop 26) size the arrays of
    "most cited first", ``cited>=N``, an import's run and a fold by their largest id. A flipped high
    bit made that two thousand million: gigabytes asked for (MemoryError on a small machine), or,
    an id in the middle, an IndexError. Now each says the segment is damaged in one line (exit 3),
    ``check`` says so too, and ``repair`` sets the segment aside and the library is whole again."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    damaged = segments[-1]
    as_older_segment(damaged, run=run)
    set_entry(damaged, column, index, 0x7FFFFFF0)
    clean = tmp_path / "clean"
    shutil.copytree(lib.parent, clean)
    found = run_limited(lib, "check")
    assert found.returncode == 1 and "Traceback" not in found.stderr, found
    lines = found.stdout.splitlines()
    assert any(str(damaged) in line and "damaged" in line for line in lines), lines
    more = XML / "baseline_style.xml"
    for args in (
        ("search", "--sort", "cited", "is:full"),
        ("search", "cited>=1"),
        ("import", str(more)),
        ("compact",),
    ):
        shutil.rmtree(lib.parent)
        shutil.copytree(clean, lib.parent)
        result = run_limited(lib, *args)
        assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr, (args, result)
        assert result.returncode in (0, 1, 3), (args, result)
        if args == ("compact",):  # (a fold over a damaged segment would carry or drop its damage)
            assert result.returncode == 3, result
        if result.returncode == 3:
            # (after the notice that the copy's index is rebuilt, if any: ``cp -r`` of a library)
            said = [line for line in result.stderr.splitlines() if "is older than" not in line]
            assert len(said) == 1 and str(damaged) in said[0] and "damaged" in said[0], (args, result)
    shutil.rmtree(lib.parent)
    shutil.copytree(clean, lib.parent)
    repaired = run_limited(lib, "repair")
    assert repaired.returncode == 0, repaired
    assert damaged.name in repaired.stdout and "set aside" in repaired.stdout, repaired.stdout
    again = run_limited(lib, "check")
    assert again.returncode == 0, again


def test_a_fold_refuses_an_older_segment_whose_link_ids_are_out_of_order_rather_than_drop_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold (and a merge) walks each segment's link changes in id order. An id out of order in an
    older segment's table (no checksums), below the library's next id, made it stop there: every
    later change of that segment was dropped, and `compact` said it had compacted (found by hand: a
    library's links halved, then `check`: "do not agree at both ends"). It refuses now, in one line
    naming the segment, and the library is as it was."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    damaged = segments[-1]
    as_older_segment(damaged, run=True)
    raw = damaged.read_bytes()
    footer, _start = footer_of(raw)
    assert footer["links"] >= 2
    last = struct.unpack_from("<I", raw, footer["at"]["link_ids"] + 4 * (footer["links"] - 1))[0]
    set_entry(damaged, "link_ids", 0, last)  # (the first id made the last: out of order)
    before = {path.name: path.read_bytes() for path in lib.parent.iterdir() if path.is_file()}
    result = run_limited(lib, "compact")
    assert result.returncode == 3, result
    said = [line for line in result.stderr.splitlines() if "is older than" not in line]
    assert len(said) == 1 and f"{damaged} is damaged (its link_ids table is out of order)" in said[0], said
    assert lib.read_bytes() == before["library.json"]


# 2. The segments' folder fsynced before the journal that lists them is renamed into place ----------


def test_the_segments_folder_is_fsynced_before_the_journal_that_lists_them_is_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk import's commit (and a merge's: the same ``write_listing``) renames a new journal listing
    its segments over the old one. Each segment file is fsynced, but its name in the segments' folder
    was not: after a power cut the journal could list a segment whose folder entry was lost (the
    library unreadable). The folder, and the one holding it (which the first import creates), must be
    fsynced after the last segment is written and before the rename."""
    from store import atomicwrite
    from store.storage import segment as segmentmod
    from store.storage import spillchild

    events: list[tuple[str, Path]] = []
    fsync_dir, rename, finish = atomicwrite.fsync_dir, atomicwrite.rename, segmentmod.SegmentWriter.finish

    def recorded_fsync_dir(folder: Path) -> None:
        events.append(("fsync", Path(folder)))
        fsync_dir(folder)

    def recorded_rename(source: Path, target: Path) -> None:
        events.append(("rename", Path(target)))
        rename(source, target)

    def recorded_finish(self: segmentmod.SegmentWriter) -> int:
        events.append(("segment", self.path))
        return finish(self)

    monkeypatch.setattr(atomicwrite, "fsync_dir", recorded_fsync_dir)
    monkeypatch.setattr(atomicwrite, "rename", recorded_rename)
    monkeypatch.setattr(segmentmod.SegmentWriter, "finish", recorded_finish)
    # (batches written here, not by forked children, whose writes this list would not see; a child's
    # segment is waited for before the commit: ``store.storage.spillchild``)
    monkeypatch.setattr(spillchild, "FORK", False)
    lib, segments = with_segments(tmp_path, monkeypatch)
    journal = lib.parent / "library.json.journal"
    commit = max(i for i, event in enumerate(events) if event == ("rename", journal))
    last_segment = max(i for i, (what, _path) in enumerate(events) if what == "segment" and i < commit)
    between = events[last_segment:commit]
    assert ("fsync", segments[0].parent) in between, events
    assert ("fsync", lib.parent) in between, events


# 3. A short read of a segment says what it is --------------------------------------------------------


def test_a_truncated_segment_is_said_to_be_truncated_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A segment cut short (a copy interrupted, a disk's fault) was "damaged (it is N bytes, and the
    journal says M)"; it is said to be truncated, naming the file, by every command and by ``check``."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    raw = segments[0].read_bytes()
    segments[0].write_bytes(raw[: len(raw) // 2])
    for args in (("stats",), ("check",)):
        result = run_limited(lib, *args)
        said = result.stderr if args == ("stats",) else result.stdout
        assert result.returncode in (1, 3) and "Traceback" not in result.stderr, result
        assert f"{segments[0]} is truncated: it is {len(raw) // 2} bytes, not {len(raw)}" in said, said


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        (b'"generation"', b'"Generation"', "its footer has no 'generation'"),
        (b'"at":{', b'"at":[', "its footer is not JSON"),
    ],
    ids=["a-key", "not-json"],
)
def test_a_segment_whose_footer_is_damaged_is_said_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: bytes, after: bytes, said: str
) -> None:
    """A segment whose footer lost a key was "damaged ('generation')" (a KeyError's repr, found by
    hand), one whose JSON does not parse gave the parser's message. Each says what is wrong in words."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    raw = segments[0].read_bytes()
    _footer, start = footer_of(raw)
    assert raw.count(before, start) == 1
    segments[0].write_bytes(raw[:start] + raw[start:].replace(before, after, 1))
    found = run_limited(lib, "check")
    assert found.returncode == 1, found
    assert f"{segments[0]} is damaged ({said})" in found.stdout, found


def test_a_table_pointing_past_the_segment_s_end_is_damage_not_a_file_shorter_than_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document's offset in its segment's table pointing past the file's end (the file whole) was
    said as "X is shorter than it was (10500 bytes, not 10500)": it is not. It is damage to the
    tables, said as such, naming the segment."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    as_older_segment(segments[-1], run=True)  # (a table checksum would find it first)
    raw = bytearray(segments[-1].read_bytes())
    footer, _start = footer_of(raw)
    struct.pack_into("<Q", raw, footer["at"]["doc_off"], len(raw) + 4096)
    segments[-1].write_bytes(bytes(raw))
    result = run_limited(lib, "check")
    assert result.returncode == 1, result
    line = next(line for line in result.stdout.splitlines() if str(segments[-1]) in line)
    assert "is damaged (its tables point past its end" in line and "shorter" not in line, line


# 4. A repair derives what the tables say from the documents -----------------------------------------


@pytest.mark.parametrize("column", ["doc_year", "doc_flags", "doc_citation", "doc_head_len", "key_hashes"])
def test_repair_derives_a_segment_s_tables_from_its_documents_not_copies_their_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    """A segment's tables keep each document's year, flags, citation count, head and identity keys
    (what reads use instead of the documents). ``repair`` copied them into the new index as they were,
    damaged: ``check`` still found the library damaged after a repair (its index not what its base
    says). It derives them from the documents now: after a repair, ``check`` finds nothing."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    as_older_segment(segments[-1], run=True)  # (a table checksum would find it first)
    raw = bytearray(segments[-1].read_bytes())
    footer, _start = footer_of(raw)
    raw[footer["at"][column]] ^= 0x08
    segments[-1].write_bytes(bytes(raw))
    repaired = run_limited(lib, "repair")
    assert repaired.returncode == 0, repaired
    again = run_limited(lib, "check")
    assert again.returncode == 0, again


# 4b. A segment set aside: check says it once, repair leaves a library whose links agree -------------


def in_journal_order(lib: Path) -> list[Path]:
    """The library's segments as its journal lists them (oldest first)."""
    journal = lib.parent / "library.json.journal"
    names = [line.split("\t")[1] for line in journal.read_text().splitlines() if line.startswith("S\t")]
    return [lib.parent / "library.json.segments" / name for name in names]


def flip_first_byte(segment: Path, column: str) -> None:
    raw = bytearray(segment.read_bytes())
    footer, _start = footer_of(raw)
    raw[footer["at"][column]] ^= 0x01
    segment.write_bytes(bytes(raw))


def test_check_says_a_segment_left_out_once_not_also_the_newer_segments_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a segment left out (its tables damaged), each newer segment's most-cited run was compared
    with a state that lacked it, and said damaged ("its most-cited order is not its documents' order")
    where it touched the left-out segment's documents: a line for each, blaming what was right (found
    by hand: 3 lines and more for one flipped bit in a library of 21 segments). The runs of the
    segments after it are not compared."""
    lib, _segments = with_segments(tmp_path, monkeypatch)
    first = in_journal_order(lib)[0]
    later_links(lib, first, segment=True)
    flip_first_byte(first, "doc_ids")
    found = run_limited(lib, "check")
    assert found.returncode == 1, found
    said = found.stdout.splitlines()
    assert said == [f"{first} is damaged (its doc_ids table does not match its checksum); {REPAIR}"], said


@pytest.mark.parametrize("segment", [False, True], ids=["journal", "segment"])
def test_repair_that_sets_a_segment_aside_leaves_links_whose_ends_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, segment: bool
) -> None:
    """A segment set aside by a repair took its link changes with it, but a later commit's changes to
    the links of its documents stayed (in the journal, or a newer segment): the repaired library's
    links did not agree at both ends, and a repair again did not mend it (found by hand: a 10k library,
    a segment's link table damaged, one more import, `repair`, then `check`: "do not agree at both
    ends; `pmbrowse repair` mends it", again after a second repair). A repair makes both ends agree
    now: a link one end lists is added to the other, one to a document the library no longer holds
    is dropped."""
    lib, _segments = with_segments(tmp_path, monkeypatch)
    last = in_journal_order(lib)[-1]
    lost_pmid, kept_pmid = later_links(lib, last, segment=segment)
    assert run_limited(lib, "check").returncode == 0
    flip_first_byte(last, "doc_ids")
    repaired = run_limited(lib, "repair")
    assert repaired.returncode == 0, repaired
    found = run_limited(lib, "check")
    assert found.returncode == 0, found
    aside = sorted(p.name for p in lib.parent.iterdir() if ".damaged-" in p.name)
    # (the segment set aside, and the layer whose links to it were dropped, kept: nothing deleted)
    later = "library.json.segments." if segment else "library.json.journal."
    assert len(aside) == 2 and sum(name.startswith(later) for name in aside) == 1 + segment, aside
    assert "links to what was set aside" in repaired.stdout, repaired
    again = Library.open(lib)
    citing = again.find("99999901")
    assert citing is not None and again.find(lost_pmid) is None
    kept_id = again.find(kept_pmid)
    assert again.link_ids(citing, "references") == [kept_id]  # (the link to the document set aside: gone)
    assert citing in again.link_ids(kept_id, "cited_by")
    again._storage.close()


def later_links(lib: Path, layer: Path, *, segment: bool) -> tuple[str, str]:
    """A later commit (with ``segment``, a bulk one that writes a newer segment) in which a new stub
    (PMID 99999901) cites a document the segment ``layer`` alone writes and one another layer holds;
    their PMIDs."""
    from store.model import Link

    ordered = in_journal_order(lib)
    held_elsewhere = {d for other in ordered if other != layer for d in _doc_ids(other)}
    only = [d for d in _doc_ids(layer) if d not in held_elsewhere]
    assert only
    library = Library.open(lib)
    kept = next(d for d in sorted(held_elsewhere) if library.article(d).pmid)
    lost_pmid, kept_pmid = (str(library.article(d).pmid) for d in (only[0], kept))
    with library.transaction() as changes:
        changes.put_links(Link(pmid="99999901"), "references", [Link(pmid=lost_pmid), Link(pmid=kept_pmid)])
        if segment:
            changes.flush()
    library._storage.close()
    assert len(in_journal_order(lib)) == len(ordered) + segment
    return lost_pmid, kept_pmid


def _doc_ids(segment: Path) -> list[int]:
    """The ids of the documents a segment writes (not those it removes)."""
    raw = segment.read_bytes()
    footer, _start = footer_of(raw)
    count = footer["docs"]
    ids = struct.unpack_from(f"<{count}I", raw, footer["at"]["doc_ids"])
    lengths = struct.unpack_from(f"<{count}I", raw, footer["at"]["doc_len"])
    return [d for d, length in zip(ids, lengths, strict=True) if length != 0xFFFFFFFF]


# 5. Table checksums: new segments carry them, older ones open as they are ---------------------------


@pytest.mark.parametrize("column", ["doc_ids", "doc_year", "link_cited", "key_hashes", "key_ids"])
def test_a_segment_s_tables_have_checksums_that_reads_and_check_verify_and_repair_mends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    """A segment's tables had no checksum: a flipped bit in its ids or its citing counts gave wrong
    answers said as right (the order, a document's counts), one in its key table was found by nothing
    (``check`` said nothing). Each table's CRC-32 is in the footer now and checked when it is read:
    ``check`` names the segment and the table; a read that needs the table says so in one line; a
    repair derives a damaged count or key table anew (or sets the segment aside, when it is a table
    that says which document a row is) and ``check`` then finds nothing."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    damaged = segments[-1]
    raw = bytearray(damaged.read_bytes())
    footer, _start = footer_of(raw)
    assert set(footer["crc"]) >= {"doc_ids", "doc_year", "link_cited", "key_hashes", "key_ids"}
    raw[footer["at"][column]] ^= 0x01
    damaged.write_bytes(bytes(raw))
    found = run_limited(lib, "check")
    assert found.returncode == 1, found
    said = found.stdout.splitlines()
    # (one line: not also what follows from leaving the segment out, as counts said to be wrong)
    assert said == [f"{damaged} is damaged (its {column} table does not match its checksum); {REPAIR}"], said
    # (a read that needs the table: the order; for the key hashes a look-up by PMID, which bisects
    # them in every segment; the key ids are read where a hash is found, and by a fold: ``compact``)
    reading = {"key_hashes": ("show", "1000101"), "key_ids": ("compact",)}.get(
        column, ("search", "--sort", "cited", "is:full")
    )
    result = run_limited(lib, *reading)
    assert result.returncode == 3 and "Traceback" not in result.stderr, result
    assert f"{damaged} is damaged (its " in result.stderr, result
    repaired = run_limited(lib, "repair")
    assert repaired.returncode == 0, repaired
    again = run_limited(lib, "check")
    assert again.returncode == 0, again


def test_a_library_whose_segments_have_no_checksums_opens_and_checks_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Segments written before table checksums (and before runs) are read as they are: no library
    has to be rebuilt. Each read says what it said of the same segments with their checksums; an
    import over them, a check and a compaction go as they do."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    reads = [
        ("search", "--sort", "cited", "is:full"),
        ("search", "--json", "is:stub"),
        *(("show", pmid) for pmid in ("1000101", "1000102")),
    ]
    before = [run_limited(lib, *args) for args in reads]
    assert all(r.returncode == 0 and r.stdout for r in before), before
    for segment in segments:
        as_older_segment(segment, run=False)
    found = run_limited(lib, "check")
    assert found.returncode == 0, found
    after = [run_limited(lib, *args) for args in reads]
    assert [r.stdout for r in after] == [r.stdout for r in before], after
    imported = run_limited(lib, "import", str(XML / "baseline_style.xml"))
    assert imported.returncode == 0, imported
    for args in (("check",), ("compact",), ("check",)):
        result = run_limited(lib, *args)
        assert result.returncode == 0, (args, result)


# 6. Each run checked once, and each layer walked once by ``check`` ----------------------------------


def test_a_run_s_checksum_is_computed_once_not_at_each_new_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Most cited first" re-checksummed every segment's run at each new state of the library (each
    commit: 14 MB of runs at a million records); a segment is immutable, so once is enough."""
    import zlib

    from store.model import Article, Origin
    from store.storage import segment as segmentmod
    from store.storage.citations import Citations

    lib, _segments = with_segments(tmp_path, monkeypatch)
    library = Library.open(lib)
    citations = Citations(library._reader)
    first = list(citations.order())
    assert first
    runs = {
        segment.column("rank_" + name).tobytes()
        for segment in library._reader.snap.segments
        for name in ("ids", "count", "year")
    }
    counted: list[int] = []

    class Counting:
        @staticmethod
        def crc32(data: bytes, value: int = 0) -> int:
            if bytes(data) in runs:  # (a run's column: ``load_run``)
                counted.append(len(data))
            return zlib.crc32(data, value)

    monkeypatch.setattr(segmentmod, "zlib", Counting)
    with library.transaction() as changes:
        changes.put_article(Article(pmid="99999901", title="A new state"), Origin("test"))
    assert len(list(citations.order())) == len(first) + 1
    assert counted == [], counted
    library._storage.close()


def test_check_walks_each_layer_once_for_the_runs_not_once_per_newer_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check`` compared each segment's run with a tally walked over every layer up to it: S(S+1)/2
    layers for S segments. One tally is taken through the layers once now, and it finds the same."""
    from store.storage import runs
    from store.storage.verify import verify

    lib, segments = with_segments(tmp_path, monkeypatch)
    walked: list[str] = []
    segment_of = runs.Tally.segment

    def counted(self: runs.Tally, segment: Any) -> None:
        walked.append(segment.name)
        segment_of(self, segment)

    monkeypatch.setattr(runs.Tally, "segment", counted)
    assert verify(lib).problems == []
    assert len(segments) >= 2 and sorted(walked) == sorted(s.name for s in segments), walked
