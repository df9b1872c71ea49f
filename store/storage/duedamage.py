"""A compaction that is due but cannot be made because what it would copy is damaged: said once, not
retried at every command's end.

A command's end makes what is due (``Library.compact_if_due``): a journal past its threshold made a
segment, segments merged or folded (``store.storage.compactor``). A merge or a fold copies the
segments and refuses damage (a table that does not match its checksum, a link change that is not
JSON: one line naming the file). Until stop 30 that refusal was dropped silently, so a damaged
segment made every command's end try again, read up to the damage, and fail again, without a word.
Now the first end that meets it says it (a notice naming ``pmbrowse check`` and ``pmbrowse repair``)
and writes ``NAME.compact-damaged`` beside the library: the layers it failed on (the base's file id,
the segments the journal lists) and the line. An end that finds the same layers does not try again;
any change of them (a repair, a new import's segments, a fold by ``pmbrowse compact``) makes the next
end try (and say it again if it fails again). The file is derived and small: removing it only makes
the next end try.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import orjson

from store import atomicwrite
from store.errors import LibraryFileError, PmbrowseError
from store.storage.opening import CHECK_AND_REPAIR
from store.storage.snapshot import Snapshot

Layers = list[object]


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".compact-damaged")


def layers_of(base_id: tuple[int, int] | None, segments: list[tuple[str, int]]) -> Layers:
    """What a compaction of a state reads, as the marker keeps it (JSON-comparable)."""
    return [list(base_id) if base_id is not None else None, [[name, size] for name, size in segments]]


def failed_before(path: Path, layers: Layers) -> bool:
    """Whether a compaction of these same layers failed on damage before (then it is not tried)."""
    try:
        kept = orjson.loads(marker_path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return isinstance(kept, dict) and kept.get("layers") == layers


def say(path: Path, layers: Layers, damage: Exception) -> str:
    """Remember that a compaction of ``layers`` failed on ``damage``; the notice that says it."""
    line = str(damage).splitlines()[0] if str(damage) else type(damage).__name__
    with contextlib.suppress(OSError):  # (read-only: it is then tried, and said, again)
        atomicwrite.replace_file(
            marker_path(path), orjson.dumps({"layers": layers, "damage": line}), special=False
        )
    return (
        f"the compaction due was not made: {line}. It is not tried again until the library changes; "
        f"{CHECK_AND_REPAIR}"
    )


def attempt(path: Path, snap: Snapshot, notices: list[str], compact: Callable[[], object]) -> None:
    """``compact()`` (what is due, at a command's end, for the library at ``path`` in state ``snap``),
    unless it failed on damage on these same layers before; damage it meets now is said in ``notices``
    and remembered. A busy library, a read-only one or a full disk is left for later, silently."""
    layers = layers_of(snap.base_id, list(snap.journal.segments) if snap.journal is not None else [])
    if failed_before(path, layers):
        return
    try:
        compact()
    except LibraryFileError as exc:  # (damage; a busy library is a PmbrowseError)
        notices.append(say(path, layers, exc))
    except (PmbrowseError, OSError):
        pass
