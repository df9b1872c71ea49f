"""The search language's tree (``store.search.query`` parses a query into it; ``store.search.compile``
answers it): words to find, conditions on marks and metrics, and the operators joining them.

Value classes (``store.values``), not frozen dataclasses: the first page's thread imports them before
the app has drawn anything, and making the dataclasses' methods took ~3.4 ms of that start.
"""

from __future__ import annotations

from store.values import Value


class Term(Value):
    """Words (or a quoted phrase) to find, in one field or (``field=None``) in all of them."""

    __slots__ = ("text", "field", "phrase", "wildcard", "position")  # noqa: RUF023 (in the fields' order)
    text: str
    field: str | None
    phrase: bool
    wildcard: bool
    position: int

    def __init__(
        self,
        text: str,
        field: str | None = None,
        phrase: bool = False,
        wildcard: bool = False,
        position: int = 0,
    ) -> None:
        self._set(text, field, phrase, wildcard, position)


class Filter(Value):
    """A condition on marks or record kind: ``("mark", "starred")``, ``("tag", "review")``..."""

    __slots__ = ("kind", "value", "position")  # noqa: RUF023 (in the fields' order)
    kind: str
    value: str
    position: int

    def __init__(self, kind: str, value: str, position: int = 0) -> None:
        self._set(kind, value, position)


class Compare(Value):
    """A citation metric compared with a number: ``rcr>2`` is ``Compare("rcr", ">", 2.0)``."""

    __slots__ = ("field", "op", "value", "position")  # noqa: RUF023 (in the fields' order)
    field: str
    op: str  # >, >=, <, <=, =
    value: float
    position: int

    def __init__(self, field: str, op: str, value: float, position: int = 0) -> None:
        self._set(field, op, value, position)


class Op(Value):
    __slots__ = ("op", "left", "right")  # noqa: RUF023 (in the fields' order)
    op: str  # AND, OR, NOT
    left: Node
    right: Node

    def __init__(self, op: str, left: Node, right: Node) -> None:
        self._set(op, left, right)


class MatchAll(Value):
    """The empty query: every record."""

    __slots__ = ()


Node = Term | Filter | Compare | Op | MatchAll
