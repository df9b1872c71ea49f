"""One way to replace a file (``store.atomicwrite``, issue 19.6): atomic, fsynced, keeping the mode,
written through symbolic links, streamed into FIFOs, refusing folders; and no module renaming files
itself around it."""

from __future__ import annotations

import ast
import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from store import atomicwrite
from store.atomicwrite import FolderInTheWay, NotARegularFile, create_file, replace_file, swap_folder
from tests.conftest import ROOT

# Modules of pmbrowse (store/, tui/; bench/ is the measuring scripts' own business) that still rename
# files themselves. Only shrink this: the storage's writes move to ``store.atomicwrite`` with the
# reliability work (issue 19.6).
RENAMERS = {
    "store/atomicwrite.py",
    "store/storage/generation.py",
    "store/storage/conversion.py",
    "store/storage/leftindex.py",  # (an index its writer wrote whole and fsynced, killed before its rename)
}


def _renames(tree: ast.AST) -> list[int]:
    """The lines of ``tree`` that rename a file: ``os.replace`` / ``os.rename`` / ``os.renames``,
    ``shutil.move``, a ``.rename(...)`` call, a ``.replace(x)`` call with one argument (``Path.replace``;
    ``str.replace`` takes two), and ``from os import replace`` and the like."""
    lines = []
    for node in ast.walk(tree):
        renamers = ("replace", "rename", "renames", "move")
        if isinstance(node, ast.ImportFrom) and node.module in ("os", "shutil"):
            lines.extend(node.lineno for a in node.names if a.name in renamers)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name, owner = node.func.attr, node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else ""
        if (
            (owner_name == "os" and name in ("replace", "rename", "renames"))
            or (owner_name == "shutil" and name == "move")
            or name == "rename"
            or (name == "replace" and len(node.args) + len(node.keywords) == 1)
        ):
            lines.append(node.lineno)
    return lines


def test_no_module_renames_files_itself() -> None:
    found: dict[str, list[int]] = {}
    for folder in ("store", "tui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = _renames(ast.parse(path.read_text(encoding="utf-8")))
            if lines:
                found[path.relative_to(ROOT).as_posix()] = lines
    outside = {name: lines for name, lines in found.items() if name not in RENAMERS}
    assert not outside, f"replace files with store.atomicwrite.replace_file, not by hand: {outside}"
    stale = RENAMERS - set(found)
    assert not stale, f"these no longer rename files themselves: take them out of RENAMERS: {stale}"


def test_the_check_sees_each_way_of_renaming() -> None:
    source = (
        "import os, shutil\nfrom os import replace\nos.replace(a, b)\nos.rename(a, b)\n"
        "shutil.move(a, b)\np.rename(q)\np.replace(q)\ns.replace('a', 'b')\n"
    )
    assert _renames(ast.parse(source)) == [2, 3, 4, 5, 6, 7]


def test_replace_keeps_the_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")
    path.chmod(0o640)
    replace_file(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    replace_file(tmp_path / "fresh.txt", iter([b"a", b"b", b"c"]))  # (a stream of chunks)
    assert (tmp_path / "fresh.txt").read_bytes() == b"abc"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")

    def chunks():
        yield b"half"
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError, match="No space left"):
        replace_file(path, chunks())
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]

    def refused(source: Path, target: Path) -> None:
        raise OSError(errno.EIO, "the rename failed")

    monkeypatch.setattr(atomicwrite, "rename", refused)
    with pytest.raises(OSError, match="the rename failed"):
        replace_file(path, b"new")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_the_data_is_fsynced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_rename = os.fsync, atomicwrite.rename

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def rename(source: Path, target: Path) -> None:
        events.append("rename")
        real_rename(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(atomicwrite, "rename", rename)
    replace_file(tmp_path / "out.txt", b"x")
    assert events == ["fsync file", "rename", "fsync folder"]


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.txt"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "link.txt"
    link.symlink_to(Path("real") / "out.txt")
    replace_file(link, b"new")
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "out.txt")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    # A link to a file not there yet makes the file where the link points.
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "real" / "new.txt")
    replace_file(dangling, b"made")
    assert dangling.is_symlink() and (tmp_path / "real" / "new.txt").read_bytes() == b"made"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["new.txt", "out.txt"]


def test_a_fifo_is_written_into_as_a_stream_or_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    replace_file(fifo, iter([b"one ", b"two"]))
    reader.join(10)
    assert got == [b"one two"] and stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(NotARegularFile) as refused:
        replace_file(fifo, b"x", special=False)  # (a file pmbrowse reads back: never a FIFO)
    assert str(refused.value) == f"cannot write {fifo}: it is a FIFO (named pipe), not a file"
    replace_file("/dev/null", b"discarded")  # a character device, as a stream
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_is_refused_in_one_line_naming_it(tmp_path: Path) -> None:
    for where in (tmp_path, tmp_path / ".", Path("/")):
        with pytest.raises(FolderInTheWay) as refused:
            replace_file(where, b"x")
        assert isinstance(refused.value, IsADirectoryError)
        assert str(refused.value) == f"cannot write {where}: it is a folder, not a file"
    assert list(tmp_path.iterdir()) == []


def test_create_file_never_replaces_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "new.txt"
    create_file(path, b"one")
    with pytest.raises(FileExistsError):
        create_file(path, b"two")
    assert path.read_bytes() == b"one" and [p.name for p in tmp_path.iterdir()] == ["new.txt"]


def test_swap_folder_puts_the_new_folder_in_place(tmp_path: Path) -> None:
    folder, built = tmp_path / "index", tmp_path / ".index.building"
    folder.mkdir()
    (folder / "old").write_text("")
    built.mkdir()
    (built / "new").write_text("")
    swap_folder(built, folder)
    assert [p.name for p in tmp_path.iterdir()] == ["index"] and [p.name for p in folder.iterdir()] == ["new"]
