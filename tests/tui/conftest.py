"""The local HTTP server, for the fetch command and the app's online keys (see ``tests/online_server.py``);
and the snapshot tests skipped, saying why, on any Textual or Rich but the ones they were recorded with.

The SVG snapshots (``tests/tui/__snapshots__``) are Textual's and Rich's rendering, exact to the
character: another release draws the same screen a little differently. ``pip install -e '.[test]'``
installs exactly ``SNAPSHOTS_RECORDED_WITH`` (pyproject.toml's test extra pins them, and
``tests/test_pins.py`` keeps the two the same); the lowest-versions run of CI (``.ci/lowest.py``) and
a user's newer Textual skip them instead of failing on a picture that is not wrong.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
import textual._wait

from tests.online_server import server

# Textual's pilot waits for the app to go idle after every key it presses (twice) and every ``pause()``:
# it sleeps in windows of SLEEP_GRANULARITY (20 ms) until one passes with the process using under a
# twentieth of it (SLEEP_IDLE). The tests press thousands of keys, so these windows were most of the
# app tests' time (the whole review: 548 waits, 23 s of its 25 s). Windows of 5 ms, the same one
# twentieth: the same test of idleness, four times as often (the whole review 25 s -> 10 s). Set only
# where this Textual has them (private names: another release may wait otherwise, at its own pace).
if hasattr(textual._wait, "SLEEP_GRANULARITY") and hasattr(textual._wait, "SLEEP_IDLE"):
    textual._wait.SLEEP_GRANULARITY = 0.005
    textual._wait.SLEEP_IDLE = 0.005 / 20

# The releases the snapshots were drawn with: re-record them (--snapshot-update) when these change.
SNAPSHOTS_RECORDED_WITH = {"textual": "8.2.8", "rich": "15.0.0"}


def snapshot_mismatch() -> str:
    """Why the snapshots cannot be compared here ("" when they can)."""
    other = {
        name: version(name) for name, wanted in SNAPSHOTS_RECORDED_WITH.items() if version(name) != wanted
    }
    if not other:
        return ""
    here = ", ".join(f"{name} {v}" for name, v in other.items())
    recorded = ", ".join(f"{name} {v}" for name, v in SNAPSHOTS_RECORDED_WITH.items())
    return f"the snapshots were recorded with {recorded}; this is {here}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    why = snapshot_mismatch()
    if why:
        for item in items:
            if "snap_compare" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.skip(reason=why))


__all__ = ["server"]
