"""Ctrl-C at the two ends of the app: while ``tui.cli`` and what it needs are still being imported
(the first fraction of a second of any ``pmbrowse``), and after the app has given the terminal back,
as it ends. Each ends with exit status 130 and one line that says what is true, never a traceback.

The interrupt is sent from inside the process at a chosen point (``os.kill`` of itself), so that where
it lands is known (``tests.tui.test_start_interrupt`` does the same for the app's start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.marks import Marks
from tests.tui.ptydrive import in_a_terminal
from tests.tui.test_start_interrupt import INTERRUPTED

# Ctrl-C (SIGINT) as the first module that ``tui.cli`` needs beyond the interpreter's own is imported
# (rich's console: the lines on stderr), as a console script runs it (``from tui.cli import main``).
WHILE_THE_CLI_IS_IMPORTED = """
import importlib.abc, os, signal, sys

class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "rich.console":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupt())
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", [[], ["stats"]], ids=["the app", "a command"])
def test_ctrl_c_while_the_cli_is_imported_says_one_line(demo_path: Path, command: list[str]) -> None:
    """Seen red before: a traceback (KeyboardInterrupt raised in ``from tui.cli import main``, outside
    ``main``), and the process killed by the signal (status -2), not 130."""
    status, text = in_a_terminal(WHILE_THE_CLI_IS_IMPORTED, "--db", str(demo_path), *command)
    assert status == 130, text
    assert INTERRUPTED in text and "Traceback" not in text, text
    assert text.count("pmbrowse:") == 1, text


# The app on the library, with SIGINT sent to itself once it has given the terminal back (as it
# ends): where a Ctrl-C typed as the app quits lands.
AS_THE_APP_ENDS = """
import os, signal, sys
from textual.drivers.linux_driver import LinuxDriver
from tui.cli import main

stop = LinuxDriver.stop_application_mode

def stopped(self):
    stop(self)
    os.kill(os.getpid(), signal.SIGINT)

LinuxDriver.stop_application_mode = stopped
sys.exit(main(["--db", sys.argv[1]]))
"""


def test_ctrl_c_as_the_app_ends_does_not_say_the_library_was_left_as_it_was(demo_path: Path) -> None:
    """A star stored in the session, then q; Ctrl-C lands once the terminal is given back. Seen red
    before: "interrupted; the library was left as it was before this command", the star stored."""
    # (s once the list is shown, done once the library is read; q once the row shows the star.)
    status, text = in_a_terminal(AS_THE_APP_ENDS, str(demo_path), keys=[("s", "hits"), ("q", "★")])
    assert any(mark.starred for mark in Marks.open(demo_path).all()), "the star was not stored"
    assert status == 130, text
    assert "left as it was" not in text, text
    assert "pmbrowse: interrupted as the app ended" in text and "Traceback" not in text, text


def test_ctrl_c_as_the_app_starts_still_says_the_library_was_left_as_it_was(demo_path: Path) -> None:
    """(What was true stays said: the app interrupted before it took the terminal.)"""
    from tests.tui.test_start_interrupt import WHILE_THE_SCREEN_IS_MOUNTED

    status, text = in_a_terminal(WHILE_THE_SCREEN_IS_MOUNTED, str(demo_path))
    assert status == 130 and INTERRUPTED in text, text
