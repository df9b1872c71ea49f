"""Ctrl-C while the app starts, before it has the terminal (where ctrl+c becomes a key): the app ends
with the line every interrupted command says, exit status 130, no traceback and no hang, and the first
page's thread (``tui.firstpage``), which may be writing (a library converted, an index rebuilt), is let
finish, not killed with the interpreter.

The interrupt is sent from inside the process at a chosen point (``os.kill`` of itself), so that where
it lands is known: while the first page is worked out (the app's modules being imported meanwhile), and
while the app's screen is being mounted."""

from __future__ import annotations

from pathlib import Path

from tests.tui.ptydrive import in_a_terminal

INTERRUPTED = "pmbrowse: interrupted; the library was left as it was before this command"

# Ctrl-C (SIGINT) while the first page's thread works, which then takes half a second more and leaves
# a file saying it finished.
WHILE_THE_FIRST_PAGE_IS_WORKED_OUT = """
import os, signal, sys, time
from tui import cli, firstpage

work = firstpage._work

def slow(path, target):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.5)
    work(path, target)
    with open(sys.argv[2], "w") as done:
        done.write("finished")

firstpage._work = slow
sys.exit(cli.main(["--db", sys.argv[1]]))
"""

# Ctrl-C (SIGINT) while the app's main screen is mounted, before its first frame.
WHILE_THE_SCREEN_IS_MOUNTED = """
import os, signal, sys
from tui import cli
from tui.screens.main import loading

start = loading.Loading.start

def interrupted(self, target):
    os.kill(os.getpid(), signal.SIGINT)
    return start(self, target)

loading.Loading.start = interrupted
sys.exit(cli.main(["--db", sys.argv[1]]))
"""


def test_ctrl_c_while_the_first_page_is_worked_out_ends_the_app_and_lets_the_thread_finish(
    demo_path: Path, tmp_path: Path
) -> None:
    """Seen red before: exit 130 and the line, but the thread killed with the interpreter (no file
    left; in a terminal, the same killed it in tantivy's code: exit -11, SIGSEGV, 1 start in 32)."""
    finished = tmp_path / "finished"
    status, text = in_a_terminal(WHILE_THE_FIRST_PAGE_IS_WORKED_OUT, str(demo_path), str(finished))
    assert status == 130, text
    assert INTERRUPTED in text and "Traceback" not in text and "Exception ignored" not in text, text
    assert finished.exists()


def test_ctrl_c_while_the_screen_is_mounted_ends_the_app_saying_so(demo_path: Path) -> None:
    """Seen red before: the interrupt cancelled the app's task, which ended with status 0 and nothing
    said (and at times, Ctrl-C at start-up left it on "Loading the library…" for good)."""
    status, text = in_a_terminal(WHILE_THE_SCREEN_IS_MOUNTED, str(demo_path))
    assert status == 130, text
    assert INTERRUPTED in text and "Traceback" not in text, text
