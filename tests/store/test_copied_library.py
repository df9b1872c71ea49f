"""A library copied as ``cp -r`` copies it (every file gets new times; the index may be written before
the base) opens with its document index as it is: the base's bytes are checked against the CRC-32 the
index recorded, and the index is written again with the base's new times, not rebuilt from the base
(5.5-15 s at 100,000 records). A copy whose base's bytes differ is still rebuilt, said in one line."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from store.docindex import aligned, read_header
from store.storage import conversion
from tests.conftest import ROOT
from tests.store.test_reliability import cli, ok, one_line

XML = ROOT / "tests" / "data" / "pubmed_xml"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lib = tmp_path_factory.mktemp("made") / "library.json"
    ok(cli(lib, "import", str(XML / "baseline_style.xml")))
    ok(cli(lib, "search", "exosomes"))  # (the search index made)
    return lib


def copied(lib: Path, tmp_path: Path) -> Path:
    """A copy of the library's folder as ``cp -r`` makes it: new times, the base written last."""
    folder = tmp_path / "copy"
    shutil.copytree(lib.parent, folder, copy_function=shutil.copyfile)  # (copyfile: no times kept)
    copy = folder / lib.name
    os.utime(copy)  # (its change time after the index's)
    index = copy.with_name("library.json.idx")
    assert copy.stat().st_ctime_ns > index.stat().st_ctime_ns
    assert read_header(index)["base"] != [copy.stat().st_size, copy.stat().st_mtime_ns]  # type: ignore[index]
    return copy


def test_a_copied_library_opens_with_its_index_as_it_is_not_rebuilt(
    made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen red before the fix: the copy said "library.json.idx is older than library.json, which was
    changed since; it was rebuilt" (and the scan below ran)."""
    copy = copied(made, tmp_path)
    before = copy.with_name("library.json.idx").read_bytes()

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the index was rebuilt from the base")

    monkeypatch.setattr(conversion, "scan_base", no_scan)
    assert ok(cli(copy, "stats")).stderr == ""
    assert ok(cli(copy, "search", "exosomes")).stdout == ok(cli(made, "search", "exosomes")).stdout
    assert ok(cli(copy, "check")).stderr == ""
    index = copy.with_name("library.json.idx")
    header = read_header(index)
    assert header is not None and header["base"] == [copy.stat().st_size, copy.stat().st_mtime_ns]
    assert header == {**(read_header(made.with_name("library.json.idx")) or {}), "base": header["base"]}
    assert body(index.read_bytes()) == body(before)  # (only the header's times were written anew)


def body(raw: bytes) -> bytes:
    """An index file's columns, keys and heads: what follows its header."""
    (n,) = struct.unpack_from("<I", raw, 8)
    return raw[aligned(16 + n) :]


def test_a_copy_whose_base_changed_is_rebuilt_and_says_so_in_one_line(made: Path, tmp_path: Path) -> None:
    """The same copy with one title's letters changed (the size kept): the bytes are not those the
    index was made from, so its offsets are not trusted and it is rebuilt, with a line saying why.
    (Checked by breaking it: with the CRC-32 not compared, the copy kept the old index.)"""
    copy = copied(made, tmp_path)
    raw = copy.read_bytes()
    title = b'"title":"'
    at = raw.index(title, raw.index(b"\n") + 1) + len(title)
    changed = raw[:at] + (b"X" if raw[at : at + 1] != b"X" else b"Y") + raw[at + 1 :]
    copy.write_bytes(changed)
    result = ok(cli(copy, "stats"))
    line = one_line(result.stderr)
    assert "library.json.idx is older than library.json, which was changed since; it was rebuilt" in line
    assert result.stdout.replace(str(copy), "") == ok(cli(made, "stats")).stdout.replace(str(made), "")


@pytest.mark.parametrize("where", ["header", "first document", "a third in", "two thirds in", "last byte"])
def test_any_byte_of_a_copy_changed_and_its_index_is_not_kept(
    made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """One bit of one byte of the copy's base changed (its size kept), wherever it is: the index is
    not put back in use (``reuse_index`` refuses it; a change in the header is not even taken for a
    copy of the same library), whatever the open then says of the bytes.
    (Checked by breaking it: with the base's bytes not read, their CRC-32 taken to be the index's,
    every case but the header's kept the old index.)"""
    copy = copied(made, tmp_path)
    raw = bytearray(copy.read_bytes())
    docs = raw.index(b'"articles":{\n') + len(b'"articles":{\n')
    at = {
        "header": raw.index(b'"generation":"') + len(b'"generation":"'),
        "first document": docs,
        "a third in": docs + (len(raw) - docs) // 3,
        "two thirds in": docs + 2 * (len(raw) - docs) // 3,
        "last byte": len(raw) - 1,
    }[where]
    raw[at] ^= 0x01
    copy.write_bytes(bytes(raw))
    kept: list[object] = []
    reuse = conversion.reuse_index

    def spy(*args: object) -> object:
        kept.append(result := reuse(*args))  # type: ignore[arg-type]
        return result

    monkeypatch.setattr(conversion, "reuse_index", spy)
    cli(copy, "stats")
    assert (kept or where == "header") and all(isinstance(result, str) for result in kept), kept


def test_a_copy_made_with_its_times_kept_opens_with_its_index_as_it_is(
    made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cp -a`` keeps the files' modification times, but every copy gets a new change time, and the
    base's may come after its index's: the index is written again, not rebuilt."""
    folder = tmp_path / "copy"
    shutil.copytree(made.parent, folder)  # (copy2: the times kept)
    copy = folder / made.name
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))  # (its change time after the index's)
    index = copy.with_name("library.json.idx")
    assert copy.stat().st_ctime_ns > index.stat().st_ctime_ns

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the index was rebuilt from the base")

    monkeypatch.setattr(conversion, "scan_base", no_scan)
    assert ok(cli(copy, "stats")).stderr == ""
    assert ok(cli(copy, "check")).stderr == ""
    assert index.stat().st_ctime_ns >= copy.stat().st_ctime_ns
