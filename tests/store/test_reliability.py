"""Damage to the library's files (issue 20, items 3-8, 10-12), found and survived: real libraries
written by ``pmbrowse import``, edited with a hex editor's precision, then used through the command
line. Each test failed before its fix (seen red by breaking the guarded code)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from array import array
from pathlib import Path

import orjson
import pytest

from store.docindex import COLUMNS
from tests.conftest import PAGES, ROOT
from tests.killed import killed_once_flagged
from tui.cli import main

XML = ROOT / "tests" / "data" / "pubmed_xml"
FILES = (
    XML / "baseline_style.xml",
    XML / "variants.xml",
    PAGES / "authors_present.txt",
    PAGES / "zero_citations.txt",
)
# The records of those files (PMID: title), and the demo article.
TITLES = {
    "30992990": "Exosomes from Mesenchymal Stem/stromal Cells",
    "1000201": "An old record with one affiliation for all",
    "1000101": "[Ageing of the intestinal epithelium]",
    "1000102": "Vand er H2O",
    "1000003": "Régulation of β-catenin by 14-3-3 proteins",
    "1000002": "Stem-cell niches in the ageing gut",
}


def cli(lib: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """``pmbrowse --db LIB ARGS``: in this process (fast), or with a ``timeout`` in a child (what might
    hang)."""
    argv = ["--db", str(lib), *args]
    if timeout is not None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PMBROWSE_COMPACT_BYTES": str(1 << 30)}
        command = [sys.executable, "-m", "tui", *argv]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(autouse=True)
def _no_compaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the commits stay in the journal)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library made by ``pmbrowse import`` of four files, one commit each (journalled)."""
    lib = tmp_path_factory.mktemp("built") / "library.json"
    ok(cli(lib, "stats"))  # (created with the demo article)
    for file in FILES:
        ok(cli(lib, "import", str(file)))
    return lib


def copy_of(built: Path, tmp_path: Path, *, compact: bool = False) -> Path:
    folder = tmp_path / "lib"
    shutil.copytree(built.parent, folder, symlinks=True)
    lib = folder / built.name
    # (A copy's index must not be older than its copied base: touched after it, its time kept.)
    idx = lib.with_name("library.json.idx")
    os.utime(idx, ns=(idx.stat().st_atime_ns, idx.stat().st_mtime_ns))
    if compact:
        ok(cli(lib, "compact"))
    return lib


def shows(lib: Path, pmid: str) -> str:
    result = ok(cli(lib, "show", pmid, "--json"))
    return str(json.loads(result.stdout)["title"])


def stats(lib: Path) -> dict[str, int]:
    out = ok(cli(lib, "stats")).stdout
    return {k: int(v.replace(",", "")) for k, v in re.findall(r"(records|stubs|links)\s*│\s*([\d,]+)", out)}


def one_line(text: str) -> str:
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text


def assert_whole(lib: Path) -> None:
    """Every record the import wrote is there, with its title; ``check`` finds nothing wrong."""
    for pmid, title in TITLES.items():
        assert shows(lib, pmid).startswith(title)
    assert stats(lib) == {"records": 6, "stubs": 21, "links": 21}
    result = cli(lib, "check")
    assert result.returncode == 0, result.stdout + result.stderr


# The document index (item 3, 8) ------------------------------------------------------------------------


def index_layout(idx: Path) -> tuple[dict[str, object], dict[str, int], int]:
    """The header of an index file, where each column starts, and where the key tables start."""
    raw = idx.read_bytes()
    (n,) = struct.unpack_from("<I", raw, 8)
    header = orjson.loads(raw[16 : 16 + n])
    pos = (16 + n + 7) & ~7
    where = {}
    for name, code in COLUMNS:
        where[name] = pos
        pos = (pos + array(code).itemsize * (header["max_id"] + 1) + 7) & ~7
    return header, where, pos


def swap_offsets(raw: bytearray, idx: Path, a: int, b: int) -> None:
    _header, where, _keys = index_layout(idx)
    for column, size in (("doc_off", 8), ("doc_len", 4)):
        pa, pb = where[column] + size * a, where[column] + size * b
        raw[pa : pa + size], raw[pb : pb + size] = raw[pb : pb + size], raw[pa : pa + size]


def edit_header(raw: bytearray, old: bytes, new: bytes) -> None:
    assert len(old) == len(new)
    at = raw.index(old, 16)
    raw[at : at + len(old)] = new


def damage_index(idx: Path, how: str, lib: Path) -> None:
    raw = bytearray(idx.read_bytes())
    header, _where, keys = index_layout(idx)
    if how == "offsets swapped":
        doc_a, doc_b = 13, 19  # ([Ageing of the intestinal epithelium], Régulation of β-catenin)
        swap_offsets(raw, idx, doc_a, doc_b)
    elif how == "key table emptied":
        raw[keys : keys + 12 * int(header["keys"])] = bytes(12 * int(header["keys"]))  # type: ignore[call-overload]
    elif how == "counts edited":
        edit_header(raw, b'"records":6', b'"records":9')
    elif how == "next id below the last":
        edit_header(raw, b'"next_id":28', b'"next_id":20')
    elif how == "truncated":
        del raw[len(raw) // 2 :]
    elif how == "oversized":
        raw += bytes(4096)
    idx.write_bytes(bytes(raw))


INDEX_DAMAGE = [
    "offsets swapped",
    "key table emptied",
    "counts edited",
    "next id below the last",
    "truncated",
    "oversized",
]


@pytest.mark.parametrize("how", INDEX_DAMAGE)
def test_a_damaged_document_index_is_noticed_and_rebuilt(built: Path, tmp_path: Path, how: str) -> None:
    lib = copy_of(built, tmp_path, compact=True)
    idx = lib.with_name("library.json.idx")
    good = idx.read_bytes()
    damage_index(idx, how, lib)
    found = cli(lib, "check")
    assert found.returncode != 0 and "library.json.idx" in found.stdout, found.stdout + found.stderr
    result = ok(cli(lib, "show", "1000101", "--json"))
    assert json.loads(result.stdout)["title"] == TITLES["1000101"]
    notice = one_line(result.stderr)
    assert "library.json.idx" in notice and "rebuilt" in notice
    assert idx.read_bytes() == good  # (rebuilt from the base: as it was before the damage)
    assert_whole(lib)
    # The next import gets new ids (none overwritten, whatever the damaged index said).
    ok(cli(lib, "import", str(PAGES / "minimal.txt")))
    assert_whole_but(lib, records=7)


def test_a_damaged_head_in_the_document_index_is_named_by_check_and_repaired(
    built: Path, tmp_path: Path
) -> None:
    lib = copy_of(built, tmp_path, compact=True)
    idx = lib.with_name("library.json.idx")
    good = idx.read_bytes()
    header, _where, _keys = index_layout(idx)
    raw = bytearray(good)
    raw[int(header["heads"]) + 3] ^= 1  # type: ignore[call-overload]  # (one bit of the first head)
    idx.write_bytes(bytes(raw))
    found = cli(lib, "check")
    assert found.returncode != 0 and "library.json.idx" in found.stdout and "head" in found.stdout, (
        found.stdout + found.stderr
    )
    ok(cli(lib, "repair"))  # (writes the base anew: a new generation, so not the old bytes)
    assert_whole(lib)


def assert_whole_but(lib: Path, records: int) -> None:
    for pmid, title in TITLES.items():
        assert shows(lib, pmid).startswith(title)
    assert stats(lib)["records"] == records


def test_an_index_that_does_not_match_its_base_is_caught_when_a_document_is_read(
    built: Path, tmp_path: Path
) -> None:
    """A title shortened and a later one lengthened by as much in the base, its size and time put
    back: the records between moved, and the index (whole and checksummed) points beside them; a read
    checks the record's line carries the id it looked for."""
    lib = copy_of(built, tmp_path, compact=True)
    raw = lib.read_bytes()
    assert raw.count(b"Wnt signalling!") == 1 and raw.count(b"Organoids, 10 years on!") == 1
    edited = raw.replace(b"Wnt signalling!", b"Wnt signal!").replace(
        b"Organoids, 10 years on!", b"Organoids, 10 years on!!!!!"
    )
    st = lib.stat()
    lib.write_bytes(edited)
    os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert len(edited) == len(raw)
    idx = lib.with_name("library.json.idx")  # (touched after the base: only the read can tell)
    os.utime(idx, ns=(idx.stat().st_atime_ns, idx.stat().st_mtime_ns))
    result = ok(cli(lib, "show", "30000001", "--json"))  # (record 25, between the two)
    assert json.loads(result.stdout)["title"].startswith("Wnt signals in the crypt")
    assert shows(lib, "1000002").endswith("Wnt signal!")


# The journal (items 4, 5, 12) -------------------------------------------------------------------------


def journal_of(lib: Path) -> Path:
    return lib.with_name("library.json.journal")


def last_commit(raw: bytes) -> tuple[int, int]:
    """Where the last commit of a journal starts and where its seal line starts."""
    seal = raw.rindex(b"\n#\t", 0, len(raw) - 1) + 1
    start = raw.rindex(b"\n#\t", 0, seal - 1) + 1
    start = raw.index(b"\n", start) + 1
    return start, seal


def reseal(raw: bytearray, meta: dict[str, object] | None = None) -> None:
    """Give the last commit a seal with the right CRC (and ``meta`` if given)."""
    start, seal = last_commit(bytes(raw))
    old = orjson.loads(raw[seal:].split(b"\t", 2)[2])
    line = b"#\t%08x\t%s\n" % (zlib.crc32(bytes(raw[start:seal])), orjson.dumps(meta or old))
    raw[seal:] = line


def damage_journal(journal: Path, how: str) -> bytes:
    raw = bytearray(journal.read_bytes())
    start, seal = last_commit(bytes(raw))
    old = orjson.loads(raw[seal:].split(b"\t", 2)[2])
    if how == "flipped bit":
        raw[start + 40] ^= 0x04
    elif how == "flipped crc":
        raw[seal + 3] ^= 0x01
    elif how == "zeroed middle":
        raw[start + 20 : seal - 20] = bytes(seal - 40 - start)
    elif how.startswith("seal: "):
        key, value = how[6:].split("=", 1)
        meta = dict(old)
        if key.startswith("counts."):
            meta["counts"] = {**old["counts"], key[7:]: json.loads(value)}
        else:
            meta[key] = json.loads(value)
        reseal(raw, meta)
    journal.write_bytes(bytes(raw))
    return bytes(raw)


JOURNAL_DAMAGE = [
    "flipped bit",
    "flipped crc",
    "zeroed middle",
    'seal: counts="6"',
    "seal: counts=[6, 21, 21]",
    "seal: counts.records=-1",
    "seal: counts.links=25",
    "seal: counts.stubs=40",
    "seal: next_id=20",
    'seal: next_id="28"',
]


@pytest.mark.parametrize("how", JOURNAL_DAMAGE)
def test_a_damaged_last_commit_is_read_past_refused_for_writes_and_repaired(
    built: Path, tmp_path: Path, how: str
) -> None:
    lib = copy_of(built, tmp_path)
    journal = journal_of(lib)
    damaged = damage_journal(journal, how)
    result = ok(cli(lib, "show", "1000003", "--json"))  # (a record of the commit before the damaged one)
    warning = one_line(result.stderr)
    assert "library.json.journal" in warning and "pmbrowse repair" in warning
    assert stats(lib) == {"records": 5, "stubs": 18, "links": 18}  # as of the last good commit
    refused = cli(lib, "import", str(PAGES / "minimal.txt"))
    # (the warning, as for every command, then the refusal: one line each)
    assert refused.returncode == 3 and refused.stderr.count("\n") == 2 and "Traceback" not in refused.stderr
    assert "nothing was changed: run `pmbrowse repair`" in refused.stderr.splitlines()[1]
    assert journal.read_bytes() == damaged  # never cut
    found = cli(lib, "check")
    assert found.returncode != 0 and "library.json.journal" in found.stdout
    repaired = ok(cli(lib, "repair"))
    aside = list(lib.parent.glob("library.json.journal.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged, repaired.stdout
    assert aside[0].name in repaired.stdout
    if how.startswith("seal: "):  # (its documents check: repair brings them back)
        assert_whole(lib)
    else:
        assert stats(lib) == {"records": 5, "stubs": 18, "links": 18}
        assert ok(cli(lib, "check")).stderr == ""
    ok(cli(lib, "import", str(PAGES / "zero_citations.txt")))
    assert_whole(lib)


def test_a_damaged_commit_in_the_middle_keeps_what_comes_before(built: Path, tmp_path: Path) -> None:
    lib = copy_of(built, tmp_path)
    journal = journal_of(lib)
    raw = bytearray(journal.read_bytes())
    raw[raw.index(b"Vand er H2O") + 2] ^= 0x20  # (commit 2 of 4)
    journal.write_bytes(bytes(raw))
    result = ok(cli(lib, "show", "1000201", "--json"))
    assert "commit 2" in one_line(result.stderr)
    assert cli(lib, "show", "1000102").returncode == 1  # (not found: past the damage)
    ok(cli(lib, "repair"))
    for pmid in ("30992990", "1000201", "1000003", "1000002"):  # (commits 3 and 4 check: kept)
        assert shows(lib, pmid).startswith(TITLES[pmid])
    assert ok(cli(lib, "check")).returncode == 0


def test_a_commit_with_a_good_checksum_and_bad_json_names_the_journal_and_commit(
    built: Path, tmp_path: Path
) -> None:
    lib = copy_of(built, tmp_path)
    journal = journal_of(lib)
    raw = bytearray(journal.read_bytes())
    at = raw.index(b'"title":"Stem-cell niches')
    raw[at] = ord("{")  # (the document's JSON is broken; its commit is resealed)
    reseal(raw)
    journal.write_bytes(bytes(raw))
    result = cli(lib, "show", "1000002")
    assert result.returncode == 3
    message = one_line(result.stderr)
    assert "library.json.journal" in message and "commit 4" in message and "document 24" in message


def test_a_journal_that_is_a_folder_is_named(built: Path, tmp_path: Path) -> None:
    lib = copy_of(built, tmp_path, compact=True)
    journal = journal_of(lib)
    journal.unlink()
    journal.mkdir()
    result = cli(lib, "stats")
    assert result.returncode == 3 and "library.json.journal is a folder" in one_line(result.stderr)
    found = cli(lib, "check")
    assert found.returncode != 0 and "library.json.journal is a folder" in found.stdout


# Things that are not files (item 7) ----------------------------------------------------------------------


@pytest.mark.parametrize("what", ["fifo", "dev-zero"])
@pytest.mark.parametrize("name", ["library.json.journal", "library.json.idx"])
def test_a_fifo_or_a_device_in_place_of_a_file_is_refused_without_hanging(
    built: Path, tmp_path: Path, name: str, what: str
) -> None:
    lib = copy_of(built, tmp_path, compact=True)
    target = lib.with_name(name)
    target.unlink()
    if what == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    result = cli(lib, "stats", timeout=20)
    assert result.returncode == 3
    message = one_line(result.stderr)
    assert name in message and ("FIFO" in message or "device" in message)
    assert "pmbrowse repair" in message
    found = cli(lib, "check", timeout=20)
    assert found.returncode != 0 and name in found.stdout
    repaired = ok(cli(lib, "repair", timeout=60))
    assert name in repaired.stdout
    aside = list(lib.parent.glob(f"{name}.damaged-*"))
    assert len(aside) == 1 and (aside[0].is_fifo() or aside[0].is_symlink())  # (set aside, as it was)
    assert_whole(lib)


# The base (items 6, 10, 11) -------------------------------------------------------------------------------

TRUNCATE_UNDER_A_READER = """
import os, sys
sys.path.insert(0, {root!r})
from store.errors import LibraryFileError
from store.library import Library
lib = Library.open({lib!r})
with open({lib!r}, "r+b") as fh:
    fh.truncate(200)
try:
    lib.doc(max(lib._reader.ids()))  # (past the first page of the file: a mapped read of it is a SIGBUS)
except LibraryFileError as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_base_truncated_under_a_reader_is_an_error_not_a_sigbus(built: Path, tmp_path: Path) -> None:
    lib = copy_of(built, tmp_path, compact=True)
    script = TRUNCATE_UNDER_A_READER.format(root=str(ROOT), lib=str(lib))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert "library.json" in one_line(result.stdout) and "shorter" in result.stdout


TRUNCATE_A_SEGMENT_UNDER_A_READER = """
import sys
sys.path.insert(0, {root!r})
from store.errors import LibraryFileError
from store.library import Library
lib = Library.open({lib!r})
snap = lib._reader.snap
number, segment = max(enumerate(snap.segments, 1), key=lambda pair: pair[1].size)
doc_id = max(d for d, removed in segment.ids() if not removed and snap.layer_of(d)[0] == number)
with open(segment.path, "r+b") as fh:
    fh.truncate(200)
try:
    lib.doc(doc_id)  # (past the first page of the file: a mapped read of it is a SIGBUS)
except LibraryFileError as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_segment_truncated_under_a_reader_is_an_error_not_a_sigbus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store import importer
    from store.importer import import_paths
    from store.library import Library
    from tests.store.bulk_files import pubmed_xml

    monkeypatch.setattr(importer, "FLUSH_AT", 100)  # (segments of some 50 kB: many pages)
    lib = tmp_path / "library.json"
    library = Library.open(lib)
    records = [(i, [i - 1, i - 2] if i > 2 else []) for i in range(1, 201)]
    import_paths(library, [pubmed_xml(tmp_path / "records.xml", records)])
    library._storage.close()  # (not ``close``: that would fold the segments into the base)
    assert list(lib.parent.glob("library.json.segments/*.seg"))
    script = TRUNCATE_A_SEGMENT_UNDER_A_READER.format(root=str(ROOT), lib=str(lib))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert ".seg is truncated: it is " in one_line(result.stdout)


TRUNCATE_DURING_A_CONVERSION = """
import os, sys
sys.path.insert(0, {root!r})
from store.errors import LibraryFileError
from store.library import Library
from store.storage import conversion
checked = conversion.check_ids


def cut_short(*args):  # (after the file was scanned, before its documents are read)
    checked(*args)
    os.truncate({lib!r}, os.path.getsize({lib!r}) // 2 // 4096 * 4096)  # (at a page: past it, a map faults)


conversion.check_ids = cut_short
try:
    Library.open({lib!r})
except LibraryFileError as exc:
    print(exc)
    sys.exit(3)
"""


def test_an_old_library_truncated_while_it_is_converted_is_an_error_not_a_sigbus(tmp_path: Path) -> None:
    from tests.store.bulk_files import v2_library

    lib = tmp_path / "library.json"
    v2_library(lib, 2000)
    script = TRUNCATE_DURING_A_CONVERSION.format(root=str(ROOT), lib=str(lib))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert "library.json is shorter than it was" in one_line(result.stdout)
    assert not list(tmp_path.glob(".*.tmp")) and not lib.with_name("library.json.idx").exists()


def test_an_empty_library_whose_index_was_deleted_is_rebuilt(tmp_path: Path) -> None:
    from store.library import Library

    lib = tmp_path / "library.json"
    Library.open(lib, demo=False).close()
    lib.with_name("library.json.idx").unlink()
    assert stats(lib) == {"records": 0, "stubs": 0, "links": 0}
    assert lib.with_name("library.json.idx").is_file()


def test_a_base_edited_in_place_with_its_size_and_time_put_back_is_searched_as_it_is(
    built: Path, tmp_path: Path
) -> None:
    lib = copy_of(built, tmp_path, compact=True)
    ok(cli(lib, "search", "catenin"))  # (the search index is made, and fresh)
    st = lib.stat()
    raw = lib.read_bytes()
    lib.write_bytes(raw.replace(b"Vand er H2O", b"Vand er Ice"))
    os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert lib.stat().st_size == st.st_size and lib.stat().st_mtime_ns == st.st_mtime_ns
    assert shows(lib, "1000102") == "Vand er Ice"
    found = json.loads(ok(cli(lib, "search", "Ice", "--json")).stdout)
    assert "Vand er Ice" in [hit["title"] for hit in found]
    assert "Vand er H2O" not in cli(lib, "search", "H2O", "--json").stdout


# check and repair on a healthy library; repair killed -----------------------------------------------------


def test_check_finds_nothing_wrong_with_a_healthy_library_and_repair_changes_no_record(
    built: Path, tmp_path: Path
) -> None:
    lib = copy_of(built, tmp_path)
    result = ok(cli(lib, "check"))
    assert result.stdout.count("\n") == 1 and "library.json" in result.stdout
    repaired = ok(cli(lib, "repair"))
    assert "set aside" not in repaired.stdout
    assert_whole(lib)


REPAIR_KILLED = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from store import atomicwrite
real = atomicwrite.rename
def rename(source, target):  # (the repair's commit point: the new base's rename)
    if str(target).endswith("library.json"):
        if {pause!r} == "after":
            real(source, target)
        open({marker!r}, "w").close()
        time.sleep(60)
    return real(source, target)
atomicwrite.rename = rename
from store.repair import repair
repair(Path({lib!r}))
"""


@pytest.mark.parametrize("pause", ["before", "after"], ids=["before-its-commit", "after-its-commit"])
def test_repair_killed_at_its_commit_point_loses_nothing(built: Path, tmp_path: Path, pause: str) -> None:
    lib = copy_of(built, tmp_path)
    damaged = damage_journal(journal_of(lib), "flipped bit")
    marker = tmp_path / "at-commit"
    script = REPAIR_KILLED.format(root=str(ROOT), lib=str(lib), pause=pause, marker=str(marker))
    killed_once_flagged(subprocess.Popen([sys.executable, "-c", script]), marker)
    assert marker.exists()
    aside = list(lib.parent.glob("library.json.journal.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # (set aside before the commit point)
    assert stats(lib) == {"records": 5, "stubs": 18, "links": 18}
    for pmid in ("30992990", "1000201", "1000101", "1000102", "1000003"):
        assert shows(lib, pmid).startswith(TITLES[pmid])
    ok(cli(lib, "repair"))
    assert stats(lib) == {"records": 5, "stubs": 18, "links": 18}
    assert ok(cli(lib, "check")).returncode == 0
    ok(cli(lib, "import", str(PAGES / "zero_citations.txt")))
    assert_whole(lib)


def test_check_and_repair_a_library_with_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk import's batches are segments: check reads them, repair folds them in."""
    from store import importer
    from store.importer import import_paths
    from store.library import Library

    monkeypatch.setattr(importer, "FLUSH_AT", 2)
    lib = tmp_path / "library.json"
    import_paths(Library.open(lib), [XML / "variants.xml", PAGES / "zero_citations.txt"])
    assert list(lib.parent.glob("library.json.segments/*"))
    before = stats(lib)
    result = ok(cli(lib, "check"))
    assert "segments" in result.stdout
    ok(cli(lib, "repair"))
    assert not list(lib.parent.glob("library.json.segments/*")) and stats(lib) == before
    assert ok(cli(lib, "check")).returncode == 0


def test_check_names_a_damaged_marks_file_and_a_fifo_snowball_file_and_repair_sets_them_aside(
    built: Path, tmp_path: Path
) -> None:
    lib = copy_of(built, tmp_path)
    ok(cli(lib, "mark", "1000002", "--star"))
    marks = lib.with_name("library.marks.json")
    damaged = marks.read_bytes()[:-9]
    marks.write_bytes(damaged)
    snowball = lib.with_name("library.snowball.json")
    os.mkfifo(snowball)
    found = cli(lib, "check", timeout=30)
    assert found.returncode == 1 and "Traceback" not in found.stdout + found.stderr
    assert [line.split(" ", 1)[0] for line in found.stdout.splitlines()] == [str(marks), str(snowball)]
    repaired = ok(cli(lib, "repair", timeout=60))
    assert (
        "library.marks.json.damaged-" in repaired.stdout
        and "library.snowball.json.damaged-" in repaired.stdout
    )
    (aside,) = lib.parent.glob("library.marks.json.damaged-*")
    assert aside.read_bytes() == damaged
    assert next(lib.parent.glob("library.snowball.json.damaged-*")).is_fifo()
    assert_whole(lib)


def test_the_commit_token_does_not_change_with_the_index(built: Path, tmp_path: Path) -> None:
    """``store.intent`` rolls a killed command's small-file change forward when the library's commit
    token moved on: an index deleted, damaged or older than its base is no commit."""
    from store.library import Library

    lib = copy_of(built, tmp_path)
    before = Library.commit_token(lib)
    assert before is not None
    idx = lib.with_name("library.json.idx")
    damage_index(idx, "truncated", lib)
    assert Library.commit_token(lib) == before
    idx.unlink()
    assert Library.commit_token(lib) == before
