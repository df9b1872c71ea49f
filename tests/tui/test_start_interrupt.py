"""Ctrl-C while the app starts, before it has the terminal (where ctrl+c becomes a key): the app ends
with the line every interrupted command says, exit status 130, no traceback and no hang, and the first
page's thread (``tui.firstpage``), which may be writing (a library converted, an index rebuilt), is let
finish, not killed with the interpreter.

The interrupt is sent from inside the process at a chosen point (``os.kill`` of itself), so that where
it lands is known: while the first page is worked out (the app's modules being imported meanwhile), and
while the app's screen is being mounted."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from store.library import Library
from tests.conftest import ROOT

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


def in_a_terminal(code: str, *args: str, timeout: float = 30.0) -> tuple[int | None, str]:
    """``code`` run by Python in a pseudo-terminal (120x40): its exit status (None: it had not ended
    within ``timeout`` seconds, and was killed) and the text it wrote, escape sequences taken out."""
    pid, fd = pty.fork()
    if pid == 0:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        os.chdir(ROOT)
        os.execvpe(sys.executable, [sys.executable, "-c", code, *args], env)
    poll = select.poll()  # (not select: this process may hold more files than select names)
    poll.register(fd, select.POLLIN)
    seen, status, end = b"", None, time.monotonic() + timeout
    try:
        while status is None and time.monotonic() < end:
            if poll.poll(100):
                with contextlib.suppress(OSError):
                    seen += os.read(fd, 1 << 16)
            done, code_ = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(code_)
        with contextlib.suppress(OSError):
            while poll.poll(200) and (chunk := os.read(fd, 1 << 16)):
                seen += chunk
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return status, re.sub(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|.)", "", seen.decode(errors="replace"))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "library.json"
    Library.open(path).close()
    return path


def test_ctrl_c_while_the_first_page_is_worked_out_ends_the_app_and_lets_the_thread_finish(
    demo: Path, tmp_path: Path
) -> None:
    """Seen red before: exit 130 and the line, but the thread killed with the interpreter (no file
    left; in a terminal, the same killed it in tantivy's code: exit -11, SIGSEGV, 1 start in 32)."""
    finished = tmp_path / "finished"
    status, text = in_a_terminal(WHILE_THE_FIRST_PAGE_IS_WORKED_OUT, str(demo), str(finished))
    assert status == 130, text
    assert INTERRUPTED in text and "Traceback" not in text and "Exception ignored" not in text, text
    assert finished.exists()


def test_ctrl_c_while_the_screen_is_mounted_ends_the_app_saying_so(demo: Path) -> None:
    """Seen red before: the interrupt cancelled the app's task, which ended with status 0 and nothing
    said (and at times, Ctrl-C at start-up left it on "Loading the library…" for good)."""
    status, text = in_a_terminal(WHILE_THE_SCREEN_IS_MOUNTED, str(demo))
    assert status == 130, text
    assert INTERRUPTED in text and "Traceback" not in text, text
