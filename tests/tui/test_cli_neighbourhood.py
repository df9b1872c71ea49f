"""``pmbrowse related`` and ``pmbrowse map``, through ``pmbrowse`` itself."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from store.library import Library
from tests.store.citation_graphs import hand_built
from tui import cli


@pytest.fixture
def db(lib_path: Path) -> str:
    hand_built(Library.open(lib_path, demo=False))
    return str(lib_path)


def test_related_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["related", "1", "--db", db, "--json", "--by", "cocitation", "--limit", "3"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["pmid"] for r in rows] == ["20", "12", "11"]
    first = rows[0]
    assert {"pmid", "pmcid", "doi", "title", "year", "stub", "cocitation", "coupling", "score"} <= set(first)
    assert first["stub"] is True and first["cocitation"] == 3 and first["coupling"] == 0
    assert first["score"] == pytest.approx(3 / 12**0.5, abs=1e-6)


def test_related_min_shared(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["related", "1", "--db", db, "--json", "--by", "cocitation", "--min-shared", "2"]) == 0
    assert [r["pmid"] for r in json.loads(capsys.readouterr().out)] == ["20", "12", "11"]
    # Only three articles share two or more: with --limit 4, those sharing one are ranked too.
    assert cli.main(["related", "1", "--db", db, "--json", "--by", "cocitation", "--limit", "4"]) == 0
    assert [r["pmid"] for r in json.loads(capsys.readouterr().out)] == ["20", "12", "11", "21"]


def test_related_text(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["related", "1", "--db", db, "--by", "coupling"]) == 0
    out = capsys.readouterr().out
    assert "Related to Record 1 (PMID 1), by bibliographic coupling" in out
    assert "shares 3 references" in out and "0.866" in out


def test_related_errors(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["related", "999", "--db", db]) == 1  # not in the library
    assert cli.main(["related", "nonsense!", "--db", db]) == 2
    assert cli.main(["related", "1", "--db", db, "--limit", "0"]) == 2
    assert cli.main(["related", "1", "--db", db, "--by", "magic"]) == 2
    assert cli.main(["related", "1", "--db", db, "--min-shared", "0"]) == 2
    assert cli.main(["related", "13", "--db", db, "--by", "coupling"]) == 1  # a stub with no references
    assert "No related articles" in capsys.readouterr().out


def test_map_txt_and_dot(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["map", "1", "--db", db, "--format", "txt", "--width", "20"]) == 0
    text = capsys.readouterr().out
    assert "References (4)" in text and "Record 1" in text and "2010" in text
    target = tmp_path / "map.dot"
    assert cli.main(["map", "1", "--db", db, "--format", "dot", "-o", str(target)]) == 0
    assert "wrote a map of 9 articles" in capsys.readouterr().err
    assert target.read_text().startswith('digraph "map of PMID 1"') or "digraph" in target.read_text()
    assert cli.main(["map", "1", "--db", db, "-o", str(tmp_path)]) == 2  # a folder


def test_map_svg(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("dot"):
        assert cli.main(["map", "1", "--db", db, "--format", "svg", "-o", str(tmp_path / "m.svg")]) == 0
        assert "<svg" in (tmp_path / "m.svg").read_text()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.main(["map", "1", "--db", db, "--format", "svg"]) == 3
    err = capsys.readouterr().err
    assert "'dot', which is not installed" in err and len(err.strip().splitlines()) == 1
