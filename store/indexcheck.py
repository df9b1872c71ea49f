"""What a document index does when a block of it does not match its checksum (``store.indexblocks``).

Checked by the block, an index finds its damage as it is read, anywhere a command reads it (a state's
look-ups, an import's, a ranking's), not at opening, where the storage rebuilt it with a notice. The
readers of its columns are many and none of them can be asked to catch the damage: so the index
itself has it rebuilt, by ``on_damage`` (the storage's ``Reindex``: from the base, with its one-line
notice), checks the new one whole, and reads from it from then on, as the same object (a state and the
readers sharing it hold this one). The value asked for is read again, from the new index. Opened alone
(``pmbrowse check``, a test), an index has no ``on_damage``: the read raises ``IndexMismatch``.
"""

from __future__ import annotations

import mmap
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from store.indexblocks import KEYTABLE as _KEYS
from store.indexblocks import BlockCheck
from store.indexheader import BODY_DAMAGED, IndexMismatch
from store.openfile import FileClosed, OpenFile
from store.residency import crc32_released


class CheckedByBlock:
    """The part of ``DocIndex`` that checks a block before it is read, and takes a rebuilt index in."""

    path: Path | None
    on_damage: Callable[[str], CheckedByBlock] | None  # (None: damage is said, ``IndexMismatch``)
    _blocks: BlockCheck | None  # (None: a PMBIDX04 index, checked whole)
    _damage: str | None
    _rebuilding: threading.Lock
    _retired: list[tuple[list[memoryview], mmap.mmap | bytes]]  # (maps replaced: ``_adopt``)
    _views: list[memoryview]
    _map: mmap.mmap | bytes
    _file: OpenFile | None

    _body: tuple[int, int, int]  # (where the columns and keys begin and end, their CRC-32 as a whole)
    _unread: Any  # (a PMBIDX04 index's columns before their first read: ``DocIndex.__getattr__``)
    _columns: dict[str, memoryview]
    _hashes: memoryview

    def verify(self) -> None:
        raise NotImplementedError

    def check_all(self) -> None:
        """Check every block and the body's CRC-32 (``pmbrowse check``, a rebuilt index), or an old
        index's whole body (its check in a thread, begun if it was not yet, waited for)."""
        blocks = self._blocks
        if blocks is None:
            if self._unread is not None:
                len(self._columns)  # (their first read: its check begun, then waited for)
            self.verify()
            return
        for group in range(_KEYS + 1):
            self._check_group(group)
        body, end, crc = self._body
        if self._blocks is blocks and crc32_released(self._map, self._views[0], body, end) != crc:
            self._damaged(blocks, BODY_DAMAGED)

    def close(self) -> None:
        raise NotImplementedError

    def _check(self, group: int, b: int) -> bool:
        """Check block ``b`` of ``group`` (``_KEYS``: of the key table) before it is read; True when it
        was damaged and the index rebuilt (``_damaged``: read it again, from the new one)."""
        blocks = self._blocks
        assert blocks is not None  # (an old index's blocks are all taken as checked)
        damage = blocks.rows(group, b) if group < _KEYS else blocks.keys(b)
        if damage:
            self._damaged(blocks, damage)
            return True
        return False

    def _check_group(self, group: int) -> None:
        """Check every block of ``group`` (``_KEYS``: the key table): a whole-library pass reads them."""
        blocks = self._blocks
        if blocks is not None and (damage := blocks.group(group) if group < _KEYS else blocks.all_keys()):
            self._damaged(blocks, damage)

    def _damaged(self, blocks: BlockCheck, what: str) -> None:
        """A block does not match its checksum: nothing of it may be trusted. With ``on_damage``, the
        index is rebuilt, checked whole and read from now on (``_adopt``); else ``IndexMismatch``, said
        again by every read of the block and by ``verify``."""
        with self._rebuilding:
            if self._blocks is not blocks:
                return  # (another thread found it first, and the index was rebuilt)
            rebuild = self.on_damage
            if rebuild is None:
                self._damage = what
                raise IndexMismatch(f"{self.path} is damaged ({what})", what)
            new = rebuild(what)
            try:
                new.check_all()
            except BaseException:
                new.close()
                raise
            self._adopt(new)

    def _adopt(self, new: CheckedByBlock) -> None:
        """Read from ``new`` from now on (its map and file taken over); the old map stays until
        ``close`` (a thread may be reading a value it checked), its file is closed (``OpenFile``: a
        head read in flight ends first)."""
        state: dict[str, Any] = {name: value for name, value in new.__dict__.items() if name not in _OWN}
        new.__dict__.clear()  # (its ``__del__`` closes nothing now ours)
        old_views, old_map, old_file = self._views, self._map, self._file
        self.__dict__.update(state)
        self._retired.append((old_views, old_map))
        if old_file is not None:
            old_file.close()


_OWN = ("on_damage", "_rebuilding", "_retired", "path")  # (kept when a rebuilt index is taken: ``_adopt``)


class KeyHashes(Sequence[int]):
    """``DocIndex.key_hashes``: the key table's hashes, sorted, all checked at their first read (the base's
    key filter, ``store.storage.keyfilter``, is made of them only after many look-ups), not when they are
    asked for: its size alone is read at once (a command that looks up a few keys reads a few blocks).

    It holds its index by a weak reference: the filter made of it is kept in a ``WeakKeyDictionary`` by
    that index, and a value holding its own key strongly would keep the index, and the library's files
    with it, open for good (``tests/store/test_library_dropped_unclosed.py``)."""

    __slots__ = ("_index",)

    def __init__(self, index: CheckedByBlock) -> None:
        self._index = weakref.ref(index)

    def _of(self, checked: bool) -> memoryview:
        index = self._index()
        if index is None:
            raise FileClosed("the document index")
        if checked:
            index._check_group(_KEYS)
        return index._hashes

    def __len__(self) -> int:
        return len(self._of(False))

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[int]: ...
    def __getitem__(self, i: int | slice) -> int | Sequence[int]:
        return self._of(True)[i]  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[int]:
        return iter(self._of(True))
