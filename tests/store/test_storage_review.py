"""Defects a review of the storage code found, each reproduced first and seen red before its fix:
a segment whose footer says it is longer than the file, ``check``'s two-process scan failing in its
parent, ... (one test or more each, on libraries made by ``pmbrowse import``)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from store.library import Library
from store.model import Article, Link, Origin
from tests.conftest import ROOT
from tests.store.test_reliability import cli, one_line
from tests.store.test_segment_damage import with_segments

XML = ROOT / "tests" / "data" / "pubmed_xml"


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)


# A segment's footer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("past", [1, 1 << 20, 0xFFFFFFFF - 12], ids=["a-byte", "a-mebibyte", "4-gib"])
def test_a_segment_whose_footer_says_it_is_longer_than_the_file_is_damaged_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, past: int
) -> None:
    """The footer's length is read from the file's end: one larger than what precedes it made a read
    at a negative offset ("Invalid argument") or of gigabytes (MemoryError), not "damaged"."""
    lib, segments = with_segments(tmp_path, monkeypatch)
    raw = bytearray(segments[0].read_bytes())
    raw[-12:-8] = struct.pack("<I", min(len(raw) - 12 + past, 0xFFFFFFFF))
    segments[0].write_bytes(raw)
    for command in ("stats", "check"):
        result = cli(lib, command)
        assert result.returncode in (1, 3), result
        said = result.stderr if command == "stats" else result.stdout.splitlines()[0] + "\n"
        assert str(segments[0]) in one_line(said) and "damaged" in said, said


# A link list whose subject it shows to be another record -------------------------------------------


def test_a_link_list_that_shows_its_subject_to_be_another_record_keeps_every_link(tmp_path: Path) -> None:
    """As ``put_document`` does (test_merge.py): a link list learnt on its own (elink, Europe PMC) whose
    entry names the subject's DOI beside a PMID a stub holds merges the subject into that stub; the
    links after that entry are the merged record's, not connected to the document merged away."""
    from store.check import check

    path = tmp_path / "library.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="5", title="Citing", references=[Link(pmid="1")]), Origin("pubmed"))
        changes.put_article(Article(doi="10.1000/x", title="By DOI"), Origin("ris"))
    stub = lib.find("1")
    with lib.transaction() as changes:
        subject = Link(doi="10.1000/x")
        links = [Link(pmid="8"), Link(pmid="1", doi="10.1000/x"), Link(pmid="9")]
        assert changes.put_links(subject, "references", links) == 2  # (8 and 9: not itself)
    for again in (lib, Library.open(path)):
        assert again.find("10.1000/x") == again.find("1") == stub and stub is not None
        assert [v.pmid for v in again.links(stub, "references")] == ["8", "9"]
        assert [v.pmid for v in again.links(stub, "cited_by")] == ["5"]
        assert again.stats().records == 2 and again.stats().links == 3
    lib.close()
    assert check(path).problems == []


# An article's link record, read once an open --------------------------------------------------------


def test_opening_an_article_decodes_its_link_record_once_and_a_change_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open reads both relations' ids (the References and Cited by panes): one decode and check of
    the link record, not one each; a commit taken in since is read, not the record as it was."""
    from store.storage import snapshot

    path = tmp_path / "library.json"
    lib = Library.open(path, demo=False)
    with lib.transaction() as changes:
        changes.put_article(
            Article(pmid="1", title="Both", references=[Link(pmid="2")], cited_by=[Link(pmid="3")]),
            Origin("pubmed"),
        )
    lib.compact()
    decoded: list[int] = []
    decode_links = snapshot.decode_links

    def counted(path: Path, raw: bytes, doc_id: int, where: str = "") -> dict[str, object]:
        decoded.append(doc_id)
        return decode_links(path, raw, doc_id, where)

    monkeypatch.setattr(snapshot, "decode_links", counted)
    doc = lib.find("1")
    assert doc is not None
    ids = [lib.link_ids(doc, "references"), lib.link_ids(doc, "cited_by")]
    assert decoded == [doc] and [[lib.doc(d)["pmid"] for d in rel] for rel in ids] == [["2"], ["3"]]  # type: ignore[index]
    other = Library.open(path)
    with other.transaction() as changes:
        changes.put_links(Link(pmid="1"), "cited_by", [Link(pmid="4")])
    lib.refresh()
    assert [lib.doc(d)["pmid"] for d in lib.link_ids(doc, "cited_by")] == ["3", "4"]  # type: ignore[index]


def test_a_damaged_id_in_a_link_record_is_said_in_one_line_each_time_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link change in a segment (no checksum of its own) whose first id was damaged in place: reading
    its links is refused in one line naming the segment, every time (what failed is not kept)."""
    from store.errors import LibraryFileError
    from store.storage.segment import SegmentFile

    lib, segments = with_segments(tmp_path, monkeypatch)
    segment = SegmentFile(segments[-1])
    i = next(i for i, d in enumerate(segment.column("link_ids")) if b"[" in segment.link_row(i)[0])
    doc_id, offset, raw = segment.column("link_ids")[i], segment.column("link_off")[i], segment.link_row(i)[0]
    segment.close()
    at = offset + raw.index(b"[") + 1
    with open(segments[-1], "r+b") as fh:
        fh.seek(at)
        fh.write(b"0")  # (an id 0, or one with a leading zero: neither is one pmbrowse writes)
    library = Library.open(lib)
    for _again in range(2):
        with pytest.raises(LibraryFileError) as raised:
            library.link_state(doc_id)
        said = str(raised.value) + "\n"
        assert str(segments[-1]) in one_line(said) and f"the links of document {doc_id}" in said


# A library copied with its base after its index ------------------------------------------------------


def test_a_copied_library_whose_base_looks_newer_than_its_index_has_a_true_search_index(
    tmp_path: Path,
) -> None:
    """``cp -r`` copies the index before the base: the base's change time is then later than the
    index's (``check`` says they do not match), and the index is written again at the next open. The
    search index still holds the library's state (read from the base's own bytes): no problem is said
    of it, and after an open the copy checks clean without it being rebuilt."""
    import shutil

    lib = tmp_path / "made" / "library.json"
    for args in (("import", str(XML / "baseline_style.xml")), ("search", "exosomes")):
        assert cli(lib, *args).returncode == 0
    copy = tmp_path / "copy" / "library.json"
    shutil.copytree(lib.parent, copy.parent)
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))  # (the base written after its index, as cp -r does)
    index = copy.with_name("library.json.idx")
    assert copy.stat().st_ctime_ns > index.stat().st_ctime_ns
    found = cli(copy, "check")
    assert found.returncode == 1 and found.stdout.splitlines() == [
        f"{index} does not match library.json: library.json was changed since the index was made (its "
        "size or times differ); it is rebuilt when the library is next opened, or by `pmbrowse repair`"
    ]
    search = sorted(p.name for p in copy.with_name("library.json.index").iterdir())
    assert cli(copy, "stats").returncode == 0  # (the index written again with the base's times)
    assert cli(copy, "check").returncode == 0
    assert sorted(p.name for p in copy.with_name("library.json.index").iterdir()) == search


# `check` over a segment whose link table is damaged --------------------------------------------------


@pytest.mark.parametrize("column", ["link_len", "link_off"])
def test_check_goes_on_past_a_link_change_its_segment_s_table_points_wrongly_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    """A segment written before table checksums (stop 26): a link change whose length (it then ends
    inside the next one: not JSON) or offset (past the file's end: a short read) was damaged. ``check``
    says so in lines naming the segment and goes on with the rest (the links' ends, the counts, the
    marks, the search index), exit status 1; it stopped at the first read of those links (the short
    read, outside the checks of each change; the decode, when it listed the documents whose ends
    disagree) and said that one line as an error (exit status 3), nothing else."""
    import orjson

    from tests.store.test_segment_damage import as_older_segment

    lib, segments = with_segments(tmp_path, monkeypatch)
    as_older_segment(segments[-1], run=True)  # (no table checksums, which would find it first)
    raw = bytearray(segments[-1].read_bytes())
    (n,) = struct.unpack_from("<I", raw, len(raw) - 12)
    at = orjson.loads(bytes(raw[len(raw) - 12 - n : len(raw) - 12]))["at"][column]
    if column == "link_len":
        struct.pack_into("<I", raw, at, struct.unpack_from("<I", raw, at)[0] + 1)
    else:
        struct.pack_into("<Q", raw, at, len(raw))
    segments[-1].write_bytes(bytes(raw))
    found = cli(lib, "check")
    assert found.returncode == 1 and found.stderr == "", found
    lines = found.stdout.splitlines()
    assert str(segments[-1]) in lines[0] and "Traceback" not in found.stdout, lines
    assert any("do not agree at both ends" in line for line in lines[1:]), lines  # (and it went on)


@pytest.mark.parametrize(
    "column", ["doc_flags", "doc_head_off", "doc_year", "doc_citation", "link_refs", "link_cited"]
)
def test_check_finds_a_segment_s_table_that_does_not_say_what_its_documents_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    """A segment's tables (without checksums before stop 26) keep each document's flags, year, citation
    count and head, and each link change's counts: what reads use instead of the documents (``is:stub``,
    the link panes' rows, the counts shown). One of them damaged is said by ``check`` in a line naming
    the segment and the document. It said nothing of the flags, the heads and the references' counts,
    and blamed the segment's most-cited run (which was right) for the others."""
    import orjson

    from tests.store.test_segment_damage import as_older_segment

    lib, segments = with_segments(tmp_path, monkeypatch)
    as_older_segment(segments[-1], run=True)  # (no table checksums, which would find it first)
    raw = bytearray(segments[-1].read_bytes())
    (n,) = struct.unpack_from("<I", raw, len(raw) - 12)
    at = orjson.loads(bytes(raw[len(raw) - 12 - n : len(raw) - 12]))["at"][column]
    raw[at] ^= 0x08
    segments[-1].write_bytes(bytes(raw))
    found = cli(lib, "check")
    assert found.returncode == 1 and found.stderr == "", found
    assert any(
        str(segments[-1]) in line and "its tables do not say what" in line
        for line in found.stdout.splitlines()
    ), found.stdout
