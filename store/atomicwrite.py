"""Writing a file so that a crash, a kill or a full disk leaves the old file or the new one, never a mix:
the one place pmbrowse replaces a file (every other module calls these; ``tests/test_atomicwrite.py``
checks that no other module renames files itself).

``replace_file(path, data)``:

- writes ``data`` (bytes, or an iterable of byte chunks: an export of any size is written as it is made)
  to a temp file in the same folder as the file it replaces (``.NAME.PID.tmp``: a writer killed
  mid-write leaves it, and the owner of the file removes it under its lock), fsyncs it, renames it over
  the file, and fsyncs the folder, so the rename itself survives a power cut;
- keeps the file's permission bits (a new file gets the umask's);
- writes *through* a symbolic link to its target, never replacing the link (a library or export path
  that is a link stays one; the temp file is made beside the target, so the rename stays in one folder);
- streams into a FIFO or a character device (``-o /dev/stdout``, a named pipe read by another program):
  there is nothing to replace, so no temp file and no rename — or refuses one (``special=False``, for
  files pmbrowse reads back: a FIFO would hang the next read);
- refuses a folder, a socket or a block device with one line naming it (``NotARegularFile``), before
  anything is written.

``create_file`` makes a file only where nothing is (linked into place: a link never replaces a file);
``swap_folder`` puts a freshly built folder in place of another (the search index).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

Data = bytes | Iterable[bytes]


class NotARegularFile(OSError):
    """A path that is a folder, a FIFO, a device or a socket where a file is written or read: ``str()``
    is one line naming it and what it is."""

    def __init__(self, path: Path, what: str, doing: str = "write") -> None:
        super().__init__(errno.EINVAL, f"it is {what}, not a file", str(path))
        self.what = what
        self.doing = doing

    def __str__(self) -> str:
        return f"cannot {self.doing} {self.filename}: it is {self.what}, not a file"


class FolderInTheWay(NotARegularFile, IsADirectoryError):
    """A folder where a file is written or read (also an ``IsADirectoryError``)."""

    def __init__(self, path: Path, doing: str = "write") -> None:
        super().__init__(path, "a folder", doing)
        self.errno = errno.EISDIR


def not_a_file(path: Path, mode: int, doing: str = "write") -> NotARegularFile:
    """The error for ``path``, which is not a regular file (its ``st_mode``)."""
    return FolderInTheWay(path, doing) if stat.S_ISDIR(mode) else NotARegularFile(path, kind_of(mode), doing)


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words (for messages)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def target_of(path: Path) -> Path:
    """Where writing ``path`` really writes: a symbolic link (or a chain of them, or a link in a folder on
    the way) resolved to its target, which may not exist yet."""
    return Path(os.path.realpath(path))


def check_regular(path: Path, doing: str = "read") -> os.stat_result | None:
    """``path``'s stat (following links) when it is a regular file, None when nothing is there;
    ``NotARegularFile`` otherwise. Called before opening a file pmbrowse reads whole: opening a FIFO
    blocks until someone writes to it, and ``/dev/zero`` never ends."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise not_a_file(path, st.st_mode, doing)
    return st


def replace_file(
    path: str | os.PathLike[str], data: Data, *, mode: int | None = None, special: bool = True
) -> None:
    """Write ``data`` as the file at ``path``, atomically (see the module's docstring).

    ``mode``: the permission bits to give it (default: the old file's, else the umask's). ``special``:
    stream into a FIFO or a character device found at ``path`` (True) or refuse one (False)."""
    given = Path(path)
    target = target_of(given)
    if not target.name:
        raise FolderInTheWay(given)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if special and (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)):
            _stream(target, data)
            return
        raise not_a_file(given, st.st_mode)
    tmp = _prepare(target, st, data, mode, "tmp")
    commit_prepared(tmp, target)


def prepare_file(
    path: str | os.PathLike[str], data: Data, *, suffix: str = "tmp", mode: int | None = None
) -> tuple[Path, Path]:
    """The first half of ``replace_file``, for a file replaced later (``store.intent``): ``data`` written
    whole to a temp file beside the file (``.NAME.PID.SUFFIX``) and fsynced; returns (the temp file, the
    file it is to replace) for ``commit_prepared``. Only a regular file (or nothing) is prepared for."""
    given = Path(path)
    target = target_of(given)
    if not target.name:
        raise FolderInTheWay(given)
    st = check_regular(target, "write")
    return _prepare(target, st, data, mode, suffix), target


def commit_prepared(temp: Path, target: Path) -> None:
    """The second half: the temp file renamed over the file, the folder fsynced (the rename durable)."""
    try:
        rename(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    fsync_dir(target.parent)


def _prepare(target: Path, st: os.stat_result | None, data: Data, mode: int | None, suffix: str) -> Path:
    if mode is None and st is not None:
        mode = stat.S_IMODE(st.st_mode)
    tmp = temp_path(target, suffix)
    try:
        _write_new(tmp, data, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def create_file(path: str | os.PathLike[str], data: Data) -> None:
    """Write ``data`` as a new file at ``path`` only if nothing is there (``FileExistsError`` otherwise,
    leaving what is there as it was): written whole to a temp file, fsynced, then linked into place, so
    the file appears whole or not at all, and another process taking the name meanwhile makes this fail
    rather than overwrite it."""
    given = Path(path)
    if not given.name or given.is_dir():
        raise FolderInTheWay(given)
    tmp = temp_path(given)
    try:
        _write_new(tmp, data, None)
        os.link(tmp, given)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    fsync_dir(given.parent)


def swap_folder(built: Path, folder: Path) -> None:
    """Put the folder ``built`` (beside ``folder``) in place of ``folder``: the old one is renamed aside,
    the new one renamed in, the parent fsynced, the old one removed. A reader between the two renames
    finds no folder (for the search index: stale, so rebuilt), never half of one.

    The old one is put aside under a name of its own (``.NAME.PID.TOKEN.old``), and its removal tried
    a few times, then left (the search index's next rebuild removes what is left,
    ``SearchIndex.rebuild``): a thread of tantivy's may still create a lock file in a folder that is
    being removed ("Directory not empty"), and a folder so left under the one name every swap of a
    process used made that process's next swap fail, the rename aside refused by a non-empty folder."""
    old = folder.with_name(f".{folder.name}.{os.getpid()}.{os.urandom(4).hex()}.old")
    with contextlib.suppress(FileNotFoundError):
        rename(folder, old)
    rename(built, folder)
    fsync_dir(folder.parent)
    remove_folder(old)


def remove_folder(folder: Path, tries: int = 3) -> bool:
    """Remove a folder and what is in it, tried again while something reappears in it; whether it went."""
    for _ in range(tries):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder):
            return True
    return False


def temp_path(path: Path, suffix: str = "tmp", pid: int | None = None) -> Path:
    """The temp file beside ``path`` that replacing it writes first (``.NAME.PID.tmp``; ``pid``: that of
    another process, a child writing for this one)."""
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.{suffix}")


def remove_temp_files(path: Path) -> None:
    """Temp files left beside ``path`` by writers that were killed: the caller holds the file's lock."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def rename(source: Path, target: Path) -> None:
    """The rename itself (a test replaces it to stop a writer at its commit point)."""
    os.replace(source, target)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a file system that cannot fsync a folder is let be)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_new(tmp: Path, data: Data, mode: int | None) -> None:
    # A temp file of the same name left by an earlier process of the same pid is removed first, so
    # the O_EXCL create never follows a link someone put there.
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    with open(fd, "wb") as fh:
        if mode is not None:
            os.fchmod(fh.fileno(), mode)
        _write_all(fh.write, data)
        fh.flush()
        os.fsync(fh.fileno())


def _stream(target: Path, data: Data) -> None:
    with open(target, "wb") as fh:
        _write_all(fh.write, data)


def _write_all(write: Callable[[bytes], object], data: Data) -> None:
    if isinstance(data, bytes):
        write(data)
        return
    for chunk in data:
        write(chunk)
