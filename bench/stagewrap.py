"""Timing an import's stages from inside: the one wrapper both import tools put around a function.

``bench.importstages`` (CPU by stage, exclusive of the stages inside) and ``bench.importtimeline``
(wall time and waits by stage) wrap the same kind of functions the same way: the function is replaced
on its class or module by a wrapper that times each call, in wall time (``time.perf_counter``) and in
the calling thread's CPU (``time.thread_time``), and hands the figures to a ``Recorder``. What each
tool makes of them (sums, exclusive CPU, a list of calls, marks) is the recorder's business.

Functions are named by string (module, class or ``None``, function): only the library may import
storage modules by name (``tests/store/test_layering.py``), and the tools must not hold a reference
taken before the wrapping.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol


class Recorder(Protocol):
    def enter(self, label: str) -> None:
        """A wrapped call begins (before its clocks are read)."""

    def leave(self, label: str, began: float, wall: float, cpu: float) -> None:
        """A wrapped call ended, raised or not: its start (``perf_counter``), wall time and thread CPU."""


def wrap(owner: Any, name: str, label: str, recorder: Recorder) -> None:
    """Replace ``owner.name`` by a wrapper that reports each call to ``recorder`` under ``label``."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        recorder.enter(label)
        began, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            recorder.leave(label, began, time.perf_counter() - began, time.thread_time() - cpu)

    setattr(owner, name, timed)


def owner_of(module: str, cls: str | None) -> Any:
    """The module, or its class, that holds a stage's function."""
    owner: Any = importlib.import_module(module)
    return owner if cls is None else getattr(owner, cls)


def mark_reading(mark: Callable[[str], None]) -> None:
    """Mark the parse child's first event ("first event") and its last ("last event").

    ``store.importer._read`` yields the child's events; its first is the file's format.
    """
    importer = importlib.import_module("store.importer")
    read = importer._read

    def reading(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for event in read(*args, **kwargs):
            if event[0] == "format":
                mark("first event")
            yield event
        mark("last event")

    importer._read = reading
