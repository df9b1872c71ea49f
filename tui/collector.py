"""The app's start-up without the cyclic garbage collector.

Start-up makes a few hundred thousand objects that live as long as the app (Textual's and pmbrowse's
modules and classes, the screen's widgets, the library's open state) and hardly any garbage in cycles,
yet the collector's passes scan all of them each time enough new objects pile up: at the 10k bench
library, a tenth of the CPU time to the first content (350 ms with it off against 400 ms, medians of 9
starts at load 8, 2026-12-04). So the collector is paused from the start until the first content is
shown, then resumed by the loader (``tui.screens.main.loading``: before it opens the library, which
may take long, or convert it): what start-up made is first *frozen* (``gc.freeze``: moved where no
pass scans it, so the passes after start-up do not walk it all; reference counting still frees it as
usual; only garbage in cycles made during start-up stays), then the collector runs again as usual.

Who pauses it: ``PmbrowseApp`` itself, as it starts (``on_load``), so that every way of starting the app
(``pmbrowse``, a headless ``run_test``, the bench, a program of one's own) runs as ``pmbrowse`` does;
``pmbrowse`` (``tui.cli.run_app``) pauses it earlier still, before Textual is imported (most of
start-up's objects). An app that paused it itself gives back, as it ends, what it froze (``release``:
in a process that goes on, a test suite's, the objects of start-up, and any garbage frozen with them,
are the collector's again); ``pmbrowse`` ends with the app and does not (the interpreter's last
collection would walk them all at exit).
"""

from __future__ import annotations

import gc


class _State:
    paused = False
    frozen = False  # (by ``resume``: ``release`` gives it back)


def pause() -> bool:
    """Stop the collector until ``resume`` (if it runs: one that was stopped by another stays so).
    Whether it was stopped now (by the app: then the app ``release``s it as it ends)."""
    if gc.isenabled():
        gc.disable()
        _State.paused = True
        return True
    return False


def resume() -> None:
    """Freeze what exists and run the collector again, if ``pause`` stopped it (else nothing)."""
    if _State.paused:
        _State.paused = False
        gc.freeze()
        _State.frozen = True
        gc.enable()


def release() -> None:
    """The app that paused the collector has ended: it runs again (if it was still paused), and what
    it froze is scanned again."""
    resume()
    if _State.frozen:
        _State.frozen = False
        gc.unfreeze()


def paused() -> bool:
    return _State.paused
