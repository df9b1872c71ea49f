"""Marks: stars, tags, screening and notes, kept in their own file and keyed by article identity."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from store.errors import LibraryBusyError, LibraryFileError
from store.importer import import_file
from store.library import Library
from store.lock import write_lock
from store.marks import Mark, Marks, combine, marks_path, same_article
from store.model import Article, Origin
from store.schema import MARKS
from store.snowball.screening import Decision
from store.wholefile import WholeFileStorage
from tests.conftest import SEED

SEED_KEYS = ["pmid:30992990"]


def test_the_marks_file_sits_beside_the_library(tmp_path: Path) -> None:
    assert marks_path(tmp_path / "library.json") == tmp_path / "library.marks.json"
    assert marks_path(tmp_path / "mylib") == tmp_path / "mylib.marks.json"


def test_nothing_is_written_until_something_is_marked(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    assert marks.get(SEED_KEYS) == Mark(keys=("pmid:30992990",))
    marks.set_star(SEED_KEYS, False)  # no change: no file
    assert not marks.path.exists()
    assert len(marks) == 0 and marks.all() == []


def test_marks_persist_across_reopen(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    marks.set_star(SEED_KEYS, True)
    marks.add_tag(SEED_KEYS, "exosomes")
    marks.add_tag(SEED_KEYS, "  to   read ")
    marks.add_tag(SEED_KEYS, "Exosomes")  # tags are one whatever their case
    marks.set_screening(SEED_KEYS, "included")
    marks.set_note(SEED_KEYS, "Good review of MSC exosomes — cite in intro.\n")
    again = Marks.open(lib_path).get(["pmid:30992990", "doi:10.1186/s40364-019-0159-x"])
    assert again.starred and again.screening == "included"
    assert again.tags == ("exosomes", "to-read")  # one word: spaces become hyphens
    assert again.note == "Good review of MSC exosomes — cite in intro."
    data = json.loads(marks.path.read_text(encoding="utf-8"))
    assert data["_meta"] == {"1": {"app": "pmbrowse", "schema": 2, "kind": "marks"}}
    assert list(data) == ["_meta", "marks"]


def test_every_change_replaces_the_file(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    marks.set_star(SEED_KEYS, True)
    with marks.path.open("rb") as old:
        before = old.read()
        inode = marks.path.stat().st_ino
        marks.add_tag(SEED_KEYS, "x")
        # A new file was renamed over the old one: the old one, still open, was never rewritten.
        assert marks.path.stat().st_ino != inode
        old.seek(0)
        assert old.read() == before
    assert marks.path.read_bytes() != before
    names = sorted(p.name for p in marks.path.parent.iterdir())
    assert names == ["library.marks.json", "library.marks.json.lock"]  # no temp files left behind


def test_an_unmarked_article_leaves_the_file(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    marks.set_star(SEED_KEYS, True)
    marks.add_tag(["pmid:1"], "other")
    marks.set_star(SEED_KEYS, False)
    assert [m.keys for m in Marks.open(lib_path).all()] == [("pmid:1",)]
    marks.remove_tag(["pmid:1"], "OTHER")
    assert Marks.open(lib_path).all() == []


def test_reimporting_never_loses_marks(lib_path: Path, tmp_path: Path) -> None:
    library = Library.open(lib_path, demo=False)
    import_file(library, SEED)
    seed = library.get("30992990")
    assert seed is not None
    marks = Marks.open(lib_path)
    marks.set_star(seed.keys, True)
    marks.set_note(seed.keys, "keep")
    # The same file again, then a newer record of the article that also gives its DOI and PMCID.
    import_file(library, SEED)
    with library.transaction() as changes:
        changes.put_article(
            Article(pmid="30992990", pmcid="PMC6449862", doi="10.1186/s40364-019-0159-x", title="Exosomes"),
            Origin("test", "here"),
        )
    updated = library.get("30992990")
    assert updated is not None and len(updated.keys) == 3
    assert Marks.open(lib_path).get(updated.keys).note == "keep"
    # The library rebuilt from scratch: the marks are still there.
    lib_path.unlink()
    rebuilt = Library.open(lib_path, demo=False)
    import_file(rebuilt, SEED)
    again = rebuilt.get("30992990")
    assert again is not None and Marks.open(lib_path).get(again.keys).starred


def test_lookup_by_any_overlapping_key(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    marks.set_star(["pmid:1", "doi:10.1000/a"], True)
    assert marks.get(["doi:10.1000/a"]).starred  # the article lost its PMID
    assert marks.get(["doi:10.1000/a", "pmc:PMC5"]).starred  # ...and gained a PMCID
    assert marks.get(["pmc:PMC5"]).starred is False  # not seen with that PMCID yet
    marks.add_tag(["doi:10.1000/a", "pmc:PMC5"], "t")  # a change records the new key
    assert Marks.open(lib_path).get(["pmc:PMC5"]).tags == ("t",)
    # Another PMID is another article, whatever else it shares.
    assert marks.get(["pmid:2", "doi:10.1000/a"]) == Mark(keys=("pmid:2", "doi:10.1000/a"))


def test_two_marks_found_to_be_one_article_are_merged(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    marks.set_star(["pmid:7"], True)
    marks.set_note(["pmid:7"], "first")
    marks.add_tag(["doi:10.1000/seven"], "b")
    marks.set_note(["doi:10.1000/seven"], "second")
    marks.set_screening(["doi:10.1000/seven"], "excluded")
    both = ["pmid:7", "doi:10.1000/seven"]
    seen = marks.get(both)
    assert (seen.starred, seen.tags, seen.screening, seen.note) == (
        True,
        ("b",),
        "excluded",
        "first\n\nsecond",
    )
    marks.add_tag(both, "a")
    stored = Marks.open(lib_path).all()
    assert len(stored) == 1 and stored[0].keys == ("pmid:7", "doi:10.1000/seven")
    assert stored[0].tags == ("b", "a") and stored[0].note == "first\n\nsecond"


def test_keys_matching(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    marks.set_star(["pmid:1", "doi:10.1/one"], True)
    marks.add_tag(["pmid:2"], "Review")
    marks.set_screening(["pmid:2"], "included")
    marks.set_screening(["pmid:3"], "excluded")
    marks.set_star(["pmid:3"], True)
    assert marks.keys_matching(starred=True) == {"pmid:1", "doi:10.1/one", "pmid:3"}
    assert marks.keys_matching(tag="review") == {"pmid:2"}
    assert marks.keys_matching(screening="included") == {"pmid:2"}
    assert marks.keys_matching(starred=True, screening="excluded") == {"pmid:3"}
    assert marks.keys_matching(starred=False) == {"pmid:2"}
    assert marks.keys_matching() == {"pmid:1", "doi:10.1/one", "pmid:2", "pmid:3"}
    assert marks.tags() == ["Review"]
    with pytest.raises(ValueError, match="included, excluded"):
        marks.keys_matching(screening="maybe")  # type: ignore[arg-type]


def test_bad_input_is_refused(lib_path: Path) -> None:
    marks = Marks.open(lib_path)
    with pytest.raises(ValueError, match="screening"):
        marks.set_screening(SEED_KEYS, "maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tag"):
        marks.add_tag(SEED_KEYS, "   ")
    with pytest.raises(ValueError, match="identity keys"):
        marks.set_star([], True)
    assert marks.get([]) == Mark()  # an article with no keys is simply unmarked
    with pytest.raises(TypeError):
        marks.set_star("pmid:1", True)
    assert not marks.path.exists()


def test_a_corrupt_marks_file_is_reported_and_never_overwritten(lib_path: Path) -> None:
    path = marks_path(lib_path)
    for content in (b'{"marks": {"1": {"keys": ["pmid:1"], "starr', b"[]", b"", b'{"_meta": {}}'):
        path.write_bytes(content)
        with pytest.raises(LibraryFileError) as caught:
            Marks.open(lib_path)
        assert str(path) in str(caught.value) and "marks file" in str(caught.value)
        assert path.read_bytes() == content


def test_a_library_and_a_marks_file_are_never_taken_for_each_other(lib_path: Path) -> None:
    Library.open(lib_path)
    library_bytes = lib_path.read_bytes()
    with pytest.raises(LibraryFileError, match="not a pmbrowse marks file: it is a pmbrowse library file"):
        Marks(WholeFileStorage(lib_path, layout=MARKS))
    assert lib_path.read_bytes() == library_bytes
    marks = Marks.open(lib_path)
    marks.set_star(SEED_KEYS, True)
    with pytest.raises(LibraryFileError, match="not a pmbrowse library: it is a pmbrowse marks file"):
        Library.open(marks.path)


def test_a_newer_marks_file_is_refused(lib_path: Path) -> None:
    path = marks_path(lib_path)
    content = json.dumps({"_meta": {"1": {"app": "pmbrowse", "kind": "marks", "schema": 99}}, "marks": {}})
    path.write_text(content)
    with pytest.raises(LibraryFileError, match="newer pmbrowse"):
        Marks.open(lib_path)
    assert path.read_text() == content


def test_a_busy_marks_file_changes_nothing(lib_path: Path) -> None:
    marks = Marks.open(lib_path, lock_timeout=0.1)
    marks.set_star(SEED_KEYS, True)
    before = marks.path.read_bytes()
    with write_lock(marks.path), pytest.raises(LibraryBusyError):
        marks.add_tag(SEED_KEYS, "late")
    assert marks.path.read_bytes() == before
    assert marks.get(SEED_KEYS).tags == ()


def test_two_processes_do_not_lose_each_others_marks(lib_path: Path) -> None:
    first, second = Marks.open(lib_path), Marks.open(lib_path)
    first.set_star(["pmid:1"], True)
    second.set_star(["pmid:2"], True)  # sees the file changed, reloads, then adds
    first.add_tag(["pmid:2"], "seen by first")
    assert sorted(Marks.open(lib_path).keys_matching(starred=True)) == ["pmid:1", "pmid:2"]
    assert Marks.open(lib_path).get(["pmid:2"]).tags == ("seen-by-first",)
    ids = sorted(json.loads(marks_path(lib_path).read_text())["marks"], key=int)
    assert ids == ["1", "2"]


def test_same_article_and_combine() -> None:
    assert same_article(["pmid:1", "doi:10.1/x"], ["doi:10.1/x"])
    assert not same_article(["pmid:1", "doi:10.1/x"], ["pmid:2", "doi:10.1/x"])
    assert not same_article(["pmid:1"], ["pmid:2"])
    assert same_article(["cite:abc"], ["cite:abc"])
    newer = Mark(
        keys=("pmid:1",),
        decisions=(Decision("title-abstract", "excluded", "wrong design", "", "2025-01-02T00:00:00Z"),),
    )
    older = Mark(
        keys=("doi:10.1/x",),
        starred=True,
        decisions=(Decision("title-abstract", "included", "", "", "2025-01-01T00:00:00Z"),),
    )
    merged = combine([newer, older])
    assert merged.screening == "excluded" and merged.starred and merged.keys == ("pmid:1", "doi:10.1/x")
    assert merged.reason == "wrong design" and [d.decision for d in merged.decisions] == [
        "included",
        "excluded",
    ]


def test_a_star_toggle_does_not_touch_the_library(lib_path: Path) -> None:
    Library.open(lib_path)
    stat = os.stat(lib_path)
    Marks.open(lib_path).toggle_star(SEED_KEYS)
    assert os.stat(lib_path).st_mtime_ns == stat.st_mtime_ns and os.stat(lib_path).st_ino == stat.st_ino
