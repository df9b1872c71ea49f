"""``swap_folder`` (the search index's rebuild) when the old folder cannot be removed at once: a thread
of tantivy's may create a lock file in it while ``rmtree`` empties it ("Directory not empty")."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from store import atomicwrite
from store.atomicwrite import swap_folder


def _built(tmp_path: Path, name: str) -> Path:
    built = tmp_path / f".index.{name}.building"
    built.mkdir()
    (built / name).write_text("")
    return built


def test_an_old_folder_left_behind_does_not_stop_the_next_swap(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    # (what an earlier swap of this process could not remove: a lock file made again in it)
    left = tmp_path / f".index.{os.getpid()}.old"
    left.mkdir()
    (left / ".tantivy-meta.lock").write_text("")
    swap_folder(_built(tmp_path, "new"), folder)
    assert [p.name for p in folder.iterdir()] == ["new"]


def test_a_file_made_again_while_the_old_folder_is_removed_is_removed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "old").write_text("")
    real = shutil.rmtree
    made_again = []

    def racing(path: str | os.PathLike[str], ignore_errors: bool = False) -> None:
        real(path, ignore_errors=ignore_errors)
        if not made_again:  # (tantivy's thread: a lock file in the folder as it is removed)
            Path(path).mkdir(exist_ok=True)
            (Path(path) / ".tantivy-meta.lock").write_text("")
            made_again.append(True)

    monkeypatch.setattr(atomicwrite.shutil, "rmtree", racing)
    swap_folder(_built(tmp_path, "new"), folder)
    assert made_again and sorted(p.name for p in tmp_path.iterdir()) == ["index"]
