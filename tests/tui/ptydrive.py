"""Python code run in a pseudo-terminal (120x40), as a user's ``pmbrowse`` runs in one: what it wrote and
how it ended, with keys typed into it once the screen shows what each waits for.

Used where what is tested is the process and its terminal (a signal's exit status, what is said on the
terminal after the app has given it back), which an in-process ``run_test`` does not have."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import sys
import time
from collections.abc import Sequence

from tests.conftest import ROOT

# An escape sequence (CSI, OSC or a two-character one), taken out of what the terminal was sent.
ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|.)")


def in_a_terminal(
    code: str, *args: str, keys: Sequence[tuple[str, str]] = (), timeout: float = 30.0
) -> tuple[int | None, str]:
    """``code`` run by Python (``-c``, from the repository's root, with ``args``) in a pseudo-terminal:
    its exit status (None: it had not ended within ``timeout`` seconds, and was killed) and the text it
    wrote, escape sequences taken out. ``keys`` are (key, text) pairs: each key is typed once the screen
    has shown its text since the key before was typed."""
    pid, fd = pty.fork()
    if pid == 0:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        os.chdir(ROOT)
        os.execvpe(sys.executable, [sys.executable, "-c", code, *args], env)
    poll = select.poll()  # (not select: this process may hold more files than select names)
    poll.register(fd, select.POLLIN)
    seen, status, end, left, since = b"", None, time.monotonic() + timeout, list(keys), 0
    try:
        while status is None and time.monotonic() < end:
            if poll.poll(50):
                with contextlib.suppress(OSError):
                    seen += os.read(fd, 1 << 16)
            if left and left[0][1].encode() in seen[since:]:
                key, _shown = left.pop(0)
                since = len(seen)
                os.write(fd, key.encode())
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
    return status, ESCAPE.sub("", seen.decode(errors="replace"))
