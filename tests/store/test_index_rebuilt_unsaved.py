"""A damaged document index that cannot be saved once rebuilt says so (``conversion.rebuild_index``).

A command that meets a damaged block rebuilds the index from the base and answers right. On a full
disk or a read-only folder the rebuilt index stays in memory and the file stays damaged; until stop 51
the notice still said "it was rebuilt", which reads as mended. It now says it was rebuilt for this
command only, and why it could not be saved; the first command that can write it mends the file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.mounts import remount, tmpfs
from tests.store.test_index_damage_busy import _damage_the_block_of
from tests.store.test_reliability import cli, ok, one_line
from tests.store.test_tiering import _file

PMID = "20000007"  # (``tests.store.bulk_files.pmid(7)``)


def _notice(path: Path) -> str:
    """``show PMID`` answers right; its one line on stderr."""
    result = ok(cli(path, "show", PMID, "--json", timeout=60))  # (a child: a command of its own)
    assert json.loads(result.stdout)["pmid"] == PMID
    return one_line(result.stderr).strip()


def test_a_rebuilt_index_that_cannot_be_saved_says_so_and_the_next_command_saves_it(tmp_path: Path) -> None:
    source = tmp_path / "source" / "library.json"
    ok(cli(source, "import", str(_file(tmp_path / "f.xml", 1, 60, 60))))
    ok(cli(source, "compact"))  # (the records in the base, where the index's blocks are)
    damaged = r"pmbrowse: \S+library\.json\.idx is damaged: its doc_off/doc_len block \d+ does not match its"
    damaged += " checksum"
    with tmpfs("4m") as disk:
        shutil.copytree(source.parent, disk / "lib")
        path = disk / "lib" / "library.json"
        idx = path.with_name("library.json.idx")
        good = _damage_the_block_of(path, PMID)
        bad = idx.read_bytes()

        filler = disk / "filler"
        with open(filler, "wb") as fh:  # (the disk filled to its last byte)
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        notice = _notice(path)
        unsaved = r"; it was rebuilt from library\.json for this command only \(it could not be saved: "
        assert re.fullmatch(damaged + unsaved + r"No space left on device\)", notice), notice
        assert idx.read_bytes() == bad
        filler.unlink()

        remount(disk, read_only=True)
        try:
            notice = _notice(path)
            assert re.fullmatch(damaged + unsaved + r"Read-only file system \(.+\)\)", notice), notice
            assert idx.read_bytes() == bad
        finally:
            remount(disk, read_only=False)

        notice = _notice(path)
        assert re.fullmatch(damaged + r"; it was rebuilt from library\.json", notice), notice
        assert idx.read_bytes() == good
        ok(cli(path, "check"))
