"""A damaged block of the document index met while another process writes the library.

A command that meets a damaged block has the index rebuilt from the base (``store.storage.opening``'s
``Reindex``), and writes the rebuilt index only under the library's write lock, if it is free at once
(``conversion.rebuild_index``): a writer's compaction must not have its new index replaced by one of
the old generation. So while an import holds the lock, a reader rebuilds in memory and answers right,
leaving the file for a later command to mend; and the import itself, which holds the lock and meets
the damage too, imports what it was given, all of it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from store import lock
from store.library import Library
from tests.conftest import ROOT
from tests.store.bulk_files import pmid
from tests.store.test_index_blocks import PMID, copy, layout, library  # noqa: F401 (``library``: a fixture)
from tests.store.test_reliability import cli, ok, one_line, stats
from tests.store.test_tiering import _file

# (the fixture's library holds records 1..3,000 (``pmid``): the new file's come after them)
NEW_FIRST, NEW_COUNT = 3_001, 400


def _damage_the_block_of(path: Path, pmid: str) -> bytes:
    """Flip one bit of ``pmid``'s document's place in the index (its ``doc_off`` block); the index's
    bytes before."""
    idx = path.with_name("library.json.idx")
    good = idx.read_bytes()
    lib = Library.open(path)
    doc_id = next(iter(lib._reader.current().holders(f"pmid:{pmid}")))
    lib.close()
    _header, at, _keys, _end = layout(idx)
    raw = bytearray(good)
    raw[at["doc_off"] + 8 * doc_id] ^= 0x10
    idx.write_bytes(bytes(raw))
    return good


def test_a_reader_meets_a_damaged_block_while_another_process_holds_the_lock(
    library: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The reader answers from an index rebuilt in memory and says so in one line; the file is left
    as it was (not written under another's lock); the next command, the lock free, rebuilds it on disk."""
    path = copy(library, tmp_path)
    good = _damage_the_block_of(path, PMID)
    idx = path.with_name("library.json.idx")
    damaged = idx.read_bytes()
    with lock.write_lock(path, timeout=5):  # (this process: the command below runs in a child)
        result = ok(cli(path, "show", PMID, "--json", timeout=120))
        assert json.loads(result.stdout)["pmid"] == PMID
        notice = one_line(result.stderr)
        # (said plainly: which file, what is wrong with it, what was done)
        said = (
            rf"pmbrowse: {re.escape(str(idx))} is damaged: its doc_off/doc_len block \d+ does not match its"
        )
        # (and that the file is left as it was: rebuilt for this command only, and why)
        rebuilt = r" checksum; it was rebuilt from library\.json for this command only"
        busy = r" \(it could not be saved: another process is writing the library\)"
        assert re.fullmatch(said + rebuilt + busy, notice.strip()), notice
        assert idx.read_bytes() == damaged
    again = ok(cli(path, "show", PMID, "--json"))
    assert json.loads(again.stdout)["pmid"] == PMID
    assert idx.read_bytes() == good
    ok(cli(path, "check"))


def test_an_import_and_a_reader_both_meet_a_damaged_block(library: Path, tmp_path: Path) -> None:  # noqa: F811
    """An import (a child, holding the lock) and a reader (this process, while it runs) meet the same
    damaged block: both answer right, the import adds all it was given, and the library is whole after."""
    path = copy(library, tmp_path)
    before = stats(path)["records"]
    _damage_the_block_of(path, PMID)
    more = _file(tmp_path / "more.xml", NEW_FIRST, NEW_COUNT, NEW_FIRST + NEW_COUNT - 1)
    command = [sys.executable, "-m", "tui", "--db", str(path), "import", str(more)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PMBROWSE_COMPACT_BYTES": str(1 << 30)}
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not lock.held(path) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        during = ok(cli(path, "show", PMID, "--json", timeout=120))
        assert json.loads(during.stdout)["pmid"] == PMID
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    counts = stats(path)
    assert counts["records"] == before + NEW_COUNT, (counts, out)
    last = pmid(NEW_FIRST + NEW_COUNT - 1)
    assert json.loads(ok(cli(path, "show", last, "--json")).stdout)["pmid"] == last
    ok(cli(path, "check"))
