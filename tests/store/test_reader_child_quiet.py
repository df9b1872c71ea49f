"""An import's reader (the forked child that parses the file) whose parent has gone from the pipe
ends quietly: its parent says what happened, in one line.

Found by hand (stop 34) on an 8 MB tmpfs with 3 MB left: a 1,000-record import that filled the
disk while it wrote a batch said, above its one line ("the library could not store the records of
...: No space left on device; the library was left as it was before this command"), a stray
"Process ForkProcess-1:" in two runs of three: the parent let go of the pipe, the child's send
failed (``BrokenPipeError``), its ``except Exception`` tried to send the error too, which failed
again and left ``_child``, and ``multiprocessing`` began printing the child's traceback before the
parent's ``terminate`` ended it."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

import store.importer as importer
from tests.store.test_bulk_import import _file


def test_a_reader_whose_parent_left_the_pipe_ends_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    source = str(_file(tmp_path / "a.xml", 1, 300, 300, refs=3))
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    receiver.close()  # (the parent gone from the pipe: an import that failed while it wrote a batch)
    process = context.Process(target=importer._child, args=(sender, receiver, source), daemon=True)
    process.start()
    sender.close()
    process.join(timeout=60)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Process " not in err, err
    assert process.exitcode == 0
