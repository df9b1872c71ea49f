"""A segment the journal lists that is missing or cut short: every command that opens the library says
so in one line naming what to run (``pmbrowse check``, ``pmbrowse repair``), as the other damage
messages do. ``search`` said it only with a fresh index; with a stale one (rebuilt from the library,
which it opens first) its line, as ``stats``', named the segment and no command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.test_segment_damage import with_segments
from tui.cli import main

RUN = "`pmbrowse check` says what is damaged and `pmbrowse repair` mends it"


@pytest.mark.parametrize("damage", ["cut", "gone"])
@pytest.mark.parametrize("command", ["search-stale", "search-fresh", "stats"])
def test_a_damaged_segment_names_the_commands_to_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    damage: str,
    command: str,
) -> None:
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)
    lib, segments = with_segments(tmp_path, monkeypatch)
    assert main(["--db", str(lib), "search", "water"]) == 0  # (the index made, fresh)
    capsys.readouterr()
    if damage == "gone":
        segments[0].unlink()
    else:
        segments[0].write_bytes(segments[0].read_bytes()[:-1])
    if command == "search-stale":
        # (Put aside in one rename, not deleted: the index the search above dropped may still create
        # .tantivy-meta.lock in its folder (tantivy's meta-file watcher thread reloads a reader once it
        # starts, and the reload takes that lock) while shutil.rmtree empties it: "Directory not empty".)
        lib.with_name(lib.name + ".index").rename(tmp_path / "index-put-aside")
    args = ["search", "water"] if command.startswith("search") else ["stats"]
    rc = main(["--db", str(lib), *args])
    out, err = capsys.readouterr()
    assert rc == 3 and out == "", (out, err)
    assert str(segments[0]) in err and err.count(RUN) == 1, err
    assert err.count("\n") == 1, err
