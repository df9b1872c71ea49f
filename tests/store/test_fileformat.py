"""The library file's layout: plain JSON, one document per line, read back line by line or whole."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from store import fileformat, schema
from store.errors import LibraryFileError
from store.library import Library
from store.wholefile import read_library_file

DATA = {
    "_meta": {"1": {"app": "pmbrowse", "schema": 1}},
    "articles": {str(i): {"title": f'tricky "}}:{{\n text {i}', "n": [i, {"x": "}"}]} for i in range(1, 40)},
    "empty": {},
}


def test_dump_is_plain_json_with_one_document_per_line() -> None:
    raw = fileformat.dump(DATA)
    assert json.loads(raw) == DATA  # any JSON reader (TinyDB's own included) reads it
    lines = raw.decode().splitlines()
    assert lines[:4] == ["{", '"_meta":{', '"1":{"app":"pmbrowse","schema":1}', "},"]
    assert sum(1 for line in lines if line.startswith('"') and '":{"title"' in line) == 39
    assert fileformat.load(raw) == DATA


def test_other_layouts_are_read_whole() -> None:
    compact = orjson.dumps(DATA)
    assert fileformat.load(compact) == DATA
    indented = json.dumps(DATA, indent=2).encode()
    assert fileformat.load(indented) == DATA


@pytest.mark.parametrize("cut", [10, 200, -5])
def test_a_cut_off_file_is_an_error_with_its_line(tmp_path: Path, cut: int) -> None:
    raw = fileformat.dump(DATA)
    path = tmp_path / "lib.json"
    path.write_bytes(raw[:cut])
    with pytest.raises(LibraryFileError, match=r"invalid JSON at line \d+, column \d+"):
        read_library_file(path)


def test_libraries_are_written_in_this_layout(lib_path: Path) -> None:
    Library.open(lib_path)
    raw = lib_path.read_bytes()
    assert raw.startswith(b'{\n"_meta":{\n"1":{"app":"pmbrowse"')
    assert schema.looks_like_library(raw[:64])
    assert not schema.looks_like_library(b'{"something": "else"}')
