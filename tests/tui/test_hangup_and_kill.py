"""A hang-up (the terminal or the SSH connection gone: SIGHUP) or a kill (SIGTERM) during an import is
taken as Ctrl-C is (``tui.startinterrupt``): the import is undone, one line says so, exit status 130.
And Ctrl-C itself, typed at the terminal, reaches the import's parsing child too: that child ends
silently (``store.interrupts.default_in_child``).

Seen red before: the child's traceback (15 lines) above the line for Ctrl-C; the process ended by
SIGTERM or SIGHUP where it stood, saying nothing (between the library's commit and its search
index's, that left the index to be rebuilt whole at the next search)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.library import Library
from tests.store.bulk_files import pubmed_xml
from tests.tui.ptydrive import in_a_terminal
from tests.tui.test_start_interrupt import INTERRUPTED

# The import of a file parsed in a child; the child, once it has sent its first batch, sends the
# signal to the whole process group (as the terminal does: the parent and the child), then waits.
SIGNALLED_BY_THE_CHILD = """
import os, signal, sys, time
from store import importer

# (as a terminal's shell starts it: a suite run in the background, or under nohup, ignores some)
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)

importer.PARALLEL_BYTES = 1  # (parsed in a child, as a file of 4 MB or more is)
send = importer._send
ignored = sys.argv[4] == "ignored"
if ignored:
    signal.signal(getattr(signal, sys.argv[3]), signal.SIG_IGN)  # (as nohup starts it)

def signalled(conn, batch, read):
    send(conn, batch, read)
    if not getattr(signalled, "done", False):
        signalled.done = True
        os.killpg(os.getpgrp(), getattr(signal, sys.argv[3]))
        if not ignored:
            time.sleep(5)

importer._send = signalled
from tui.cli import main
sys.exit(main(["--db", sys.argv[1], "import", sys.argv[2]]))
"""


def _library(tmp_path: Path) -> tuple[Path, Path, int]:
    lib = tmp_path / "library.json"
    library = Library.open(lib)
    records = library.stats().records
    library.close()
    records_file = pubmed_xml(tmp_path / "records.xml", [(i, [1]) for i in range(1, 1001)])
    return lib, records_file, records


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_an_interrupt_during_an_import_undoes_it_in_one_line(tmp_path: Path, name: str) -> None:
    lib, records_file, records = _library(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("library.json*") if p.is_file()}
    status, text = in_a_terminal(SIGNALLED_BY_THE_CHILD, str(lib), str(records_file), name, "taken")
    assert status == 130, (status, text)
    assert "Traceback" not in text and text.count("pmbrowse:") == 1 and INTERRUPTED in text, text
    after = {p.name: p.read_bytes() for p in tmp_path.glob("library.json*") if p.is_file()}
    assert after == before
    library = Library.open(lib)
    assert library.stats().records == records
    library.close()


def test_a_hang_up_ignored_as_it_started_is_still_ignored(tmp_path: Path) -> None:
    """``nohup pmbrowse import …``: the import goes on after the terminal is gone."""
    lib, records_file, records = _library(tmp_path)
    status, text = in_a_terminal(SIGNALLED_BY_THE_CHILD, str(lib), str(records_file), "SIGHUP", "ignored")
    assert status == 0, (status, text)
    library = Library.open(lib)
    assert library.stats().records == records + 1000
    library.close()
