"""Frozen value classes written out, for modules the app's start imports.

``@dataclass(frozen=True, slots=True)`` makes each class's methods by compiling their source when the
module is imported, and with ``slots`` makes the class a second time: 0.4-0.5 ms a class. The search
language's seven classes (``store.search.query``, which the first page's thread imports before the app
has drawn anything) took ~3.4 ms of the start that way. A ``Value`` subclass names its fields in
``__slots__`` and sets them with ``_set`` in its own ``__init__``; it compares, hashes, prints and
refuses assignment as the dataclass did (``dataclasses.FrozenInstanceError``), by its fields in order.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

_assign = object.__setattr__


class Value:
    # (its hash, made at the first ask: the fields cannot change, and a table of values is hashed
    # whole at every look-up of a cache keyed by it: the footer's keys, 31 of them, at every render)
    __slots__: tuple[str, ...] = ("_hash",)
    _hash: int

    def _set(self, *values: Any) -> None:
        """The fields, in ``__slots__``'s order (for ``__init__``: the class refuses assignment)."""
        for name, value in zip(self.__slots__, values, strict=True):
            _assign(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Value)
        return self._values() == other._values()

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            made = hash(self._values())
            _assign(self, "_hash", made)
            return made

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
