"""Splitting a segment's data into its pieces, and matching each row of its tables to its piece
(``store.storage.mending``, for ``pmbrowse repair``)."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

from store.storage.segment import SegmentError


def pieces_of(path: Path, raw: bytes, end: int) -> list[tuple[int, int, Any]]:
    """The JSON values of the data, one after the other from its start to ``end`` (less the padding
    before the tables): (offset, length, value). Each ends at the first ``}`` after which the text so far
    parses (a ``}`` inside a string or a nested object leaves it unparsed)."""
    while end > 0 and raw[end - 1] == 0:
        end -= 1
    pieces: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < end:
        close = raw.find(b"}{", pos, end)
        while True:
            stop = close + 1 if close >= 0 else end
            try:
                value = orjson.loads(raw[pos:stop])
                break
            except orjson.JSONDecodeError:
                if close < 0:
                    raise SegmentError(
                        f"{path} is damaged (its data cannot be split into its documents at byte {pos})"
                    ) from None
                close = raw.find(b"}{", close + 1, end)
        pieces.append((pos, stop - pos, value))
        pos = stop
    return pieces


def assign(
    path: Path,
    what: str,
    rows: list[int],
    pieces: dict[int, tuple[Any, ...]],
    given: dict[str, array[int]],
    names: tuple[str, ...],
    by_keys: dict[int, set[int]] | None,
    ids: array[int],
    content: Callable[[int], bytes],
    targets: dict[int, list[tuple[int, str]]] | None = None,
) -> dict[int, int]:
    """Each row its one piece: one whose place, length (and counts) are what the row's tables that are
    left say (``names``: the piece's values in that order) and (``by_keys``) whose identity keys name
    the row's document. Rows that agree with the same pieces are a class: one row, one piece; or
    pieces of the same bytes (link changes often are: "cited by document 13", for each document it
    cites), whichever takes which. A class of several rows and pieces of different bytes is told
    apart by the order the pieces were written in, only where every row told apart otherwise shows the
    writer went in id order (a merge does; an import's batch writes its documents so): row n of the
    class is its n-th piece. Else, and for a row with no piece, ``SegmentError``: nothing is guessed."""
    columns = [(n, given[name]) for n, name in enumerate(names) if name in given]
    if len(rows) > 1 and not columns and by_keys is None:
        raise SegmentError(f"{path} is damaged (nothing is left to tell which {what} is which document's)")
    classes: dict[tuple[int, ...], list[int]] = {}
    for k in sorted(pieces):
        classes.setdefault(tuple(pieces[k][n] for n, _column in columns), []).append(k)
    groups: dict[object, tuple[list[int], list[int]]] = {}  # rows, and the pieces they agree with
    for i in rows:
        key = tuple(column[i] for _n, column in columns)
        found = classes.get(key, [])
        if by_keys is not None:
            named = by_keys.get(ids[i], by_keys[-1])
            found = (
                sorted(named.intersection(found))
                if len(named) < len(found)
                else [k for k in found if k in named]
            )
            group: object = (key, tuple(found))
        else:
            group = key
        groups.setdefault(group, ([], found))[0].append(i)

    def several(i: int) -> SegmentError:
        return SegmentError(
            f"{path} is damaged (several pieces of its data could be the {what} of document {ids[i]})"
        )

    chosen: dict[int, int] = {}
    taken: set[int] = set()
    later: list[tuple[list[int], list[int]]] = []
    for members, found in groups.values():
        if len(found) < len(members):
            raise SegmentError(
                f"{path} is damaged (no piece of its data is the {what} of document {ids[members[0]]})"
            )
        if len(found) == len(members) == 1 or len({content(k) for k in found}) == 1:
            chosen.update(zip(members, found, strict=False))
        else:
            later.append((members, found))
            continue
        taken.update(chosen[i] for i in members)
    if later and targets is not None:
        later = _both_ends(chosen, taken, later, targets, ids, content, several)
    if later:
        # (pieces alike went to any of their rows: only those of bytes no other piece has show the order)
        twins = Counter(content(k) for k in pieces)
        ordered = [chosen[i] for i in sorted(chosen) if twins[content(chosen[i])] == 1]
        if any(b <= a for a, b in pairwise(ordered)) or not ordered:
            raise several(later[0][0][0])
        # The rows left, in id order, are the pieces left that any of them could be, in the order
        # they were written: each must be one its tables agree with.
        rows_left = sorted(i for members, _found in later for i in members)
        could = {i: set(found) for members, found in later for i in members}
        left = sorted({k for found in could.values() for k in found} - taken)
        if len(left) != len(rows_left) or any(
            k not in could[i] for i, k in zip(rows_left, left, strict=True)
        ):
            raise several(rows_left[0])
        chosen.update(zip(rows_left, left, strict=True))
        taken.update(left)
    if len(taken) < len(chosen):
        raise SegmentError(f"{path} is damaged (one piece of its data is the {what} of two documents)")
    return chosen


INVERSE = {
    "references": "cited_by",
    "cited_by": "references",
    "-references": "-cited_by",
    "-cited_by": "-references",
}


def _both_ends(
    chosen: dict[int, int],
    taken: set[int],
    later: list[tuple[list[int], list[int]]],
    targets: dict[int, list[tuple[int, str]]],
    ids: array[int],
    content: Callable[[int], bytes],
    several: Callable[[int], SegmentError],
) -> list[tuple[list[int], list[int]]]:
    """Link changes told apart by their other ends: a commit changes both ends of a link together, so
    the change of a document whose row is told names ``T`` (as cited, citing, or removed) only if
    ``T``'s change names it back. From each row told, the rows it names keep only the pieces that name
    it back, and a row left with one piece (or pieces alike) is told in turn. Returns what is left."""
    naming: dict[tuple[int, str], set[int]] = {}
    for k, named in targets.items():
        for target, rel in named:
            naming.setdefault((target, rel), set()).add(k)
    row_of = {ids[i]: i for members, _found in later for i in members}
    left = {i: set(found) for members, found in later for i in members}
    queue = list(chosen.items())
    while queue:
        i, k = queue.pop()
        for target, rel in targets.get(k, ()):
            j = row_of.get(target)
            if j is None or j not in left:
                continue
            could = (left[j] & naming.get((ids[i], INVERSE[rel]), set())) - taken
            if not could:
                raise several(j)
            left[j] = could
            if len({content(p) for p in could}) == 1:
                chosen[j] = min(could)
                taken.add(chosen[j])
                del left[j]
                queue.append((j, chosen[j]))
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, could in left.items():
        groups.setdefault(tuple(sorted(could - taken)), []).append(i)
    return [(sorted(members), list(found)) for found, members in groups.items()]
