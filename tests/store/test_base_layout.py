"""``pmbrowse check`` and ``pmbrowse repair`` each say, in their own line, when the base's header is not
this version's layout (another schema, or no generation), and touch nothing (one test of the header,
``basescan.base_layout``, shared by both)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from store.errors import LibraryFileError
from store.fileformat import read_base_header
from store.schema import SCHEMA_VERSION
from store.storage.repair import repair
from store.storage.verify import verify


def _header_changed(path: Path, change: str) -> bytes:
    raw = path.read_bytes()
    header, _start = read_base_header(raw[: 1 << 16])
    assert header is not None and header["schema"] == SCHEMA_VERSION
    old = orjson.dumps(header)
    if change == "schema":
        header["schema"] = SCHEMA_VERSION - 1
    elif change == "generation":
        header["generation"] = 7
    else:
        header = [header]  # type: ignore[assignment]
    raw = raw.replace(old, orjson.dumps(header), 1)
    path.write_bytes(raw)
    return raw


@pytest.mark.parametrize("change", ["schema", "generation", "not an object"])
def test_check_and_repair_say_a_base_of_another_layout(demo_path: Path, change: str) -> None:
    raw = _header_changed(demo_path, change)
    problems = verify(demo_path).problems
    assert problems == [
        f"{demo_path} is not a library in this version's layout (schema {SCHEMA_VERSION}); opening it "
        "converts it, if it is one"
    ]
    with pytest.raises(LibraryFileError, match="is not a library in this version's layout; open it once"):
        repair(demo_path)
    assert demo_path.read_bytes() == raw
