"""What a unit of work (``store.changes``) reads and writes through, and what it says of each record
it imports: kept apart so that the unit of work does not depend on the library that uses it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Protocol

from store.merge import Doc
from store.storage.links import Change, LinkState
from store.storage.meta import Meta


class Target(Protocol):
    """What a unit of work reads and writes through (``store.library.Library`` is one): named here, so
    that ``store.changes`` does not depend on the library that uses it."""

    def lookup(self, key: str) -> int | None: ...

    def doc(self, doc_id: int) -> Doc | None: ...

    def meta(self, doc_id: int) -> Meta | None: ...

    def link_state(self, doc_id: int) -> LinkState: ...

    def link_counts(self, doc_id: int) -> tuple[int, int]: ...

    @property
    def next_id(self) -> int: ...

    def apply(
        self, changed: Mapping[int, Doc], removed: Iterable[int], links: Mapping[int, Change]
    ) -> None: ...

    def spill(
        self, changed: Mapping[int, Doc], removed: Iterable[int], links: Mapping[int, Change]
    ) -> None: ...


class Status(str, enum.Enum):
    """What importing one record did."""

    ADDED = "added"
    MERGED = "merged"
    UNCHANGED = "unchanged"
