"""What the repository holds: no virtual environment, not even a link to one. ``.gitignore`` named
``.venv/`` (a folder only), so a worktree whose ``.venv`` was a symbolic link to another's committed the
link (stop 35), and a checkout of that commit replaced the folder of every other worktree by it (git takes
ignored files as expendable): ``.venv`` is ignored whatever it is."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run([git, *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_no_virtual_environment_is_committed() -> None:
    tracked = _git("ls-files").stdout.splitlines()
    assert [p for p in tracked if p.split("/")[0].startswith(".venv")] == []


@pytest.mark.parametrize("name", [".venv", ".venv-lowest"])
def test_a_virtual_environment_is_ignored_even_as_a_link(name: str) -> None:
    # (--no-index: as a new path would be, whatever the index holds)
    assert _git("check-ignore", "--no-index", "-q", name).returncode == 0
