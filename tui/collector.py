"""The app's start-up without the cyclic garbage collector.

Start-up makes a few hundred thousand objects that live as long as the app (Textual's and pmbrowse's
modules and classes, the screen's widgets, the library's open state) and hardly any garbage in cycles,
yet the collector's passes scan all of them each time enough new objects pile up: at the 10k bench
library, a tenth of the CPU time to the first content (350 ms with it off against 400 ms, medians of 9
starts at load 8, 2026-12-04). So the collector is paused from the start until the first content is
shown, then resumed by the loader (``tui.screens.main.loading``: before it opens the library, which
may take long, or convert it): what start-up made is first *frozen* (``gc.freeze``: moved where no
pass scans it, so the passes after start-up do not walk it all; reference counting still frees it as
usual; only garbage in cycles made during start-up stays), then the collector runs again, its first
generation's threshold raised from Python's 700 to ``YOUNG`` (7,000) new objects.

Why the threshold: after start-up the app still makes long-lived objects by the hundred thousand (the
library's open state, read after the freeze; the panes' rows and drawn lines). At 700 a pass of the
youngest generation ran every few hundred microseconds of work, every tenth a pass of the middle one,
and every hundredth or so a full pass over all that is not frozen. Measured in the bench's opening
measure (``bench.app``: the 10k bench library, 20 ordinary and 2 famous opens, each followed by the
key ``a``), in the app's process, 2026-12-05 at load 8-10 (other helpers' suites running), two runs
each, old (700) against this (7,000): 1,442-1,462 / 130-132 / 11-12 passes of each generation against
104 / 8-9 / 0; the collector's time in all 1,230 and 1,503 ms against 844 and 871 ms; its longest
pause 105 and 159 ms (full passes) against 151 and 69 ms (a pass of the middle generation, now ten
times larger). The key ``a``'s p95 moved with the load more than with the threshold (63 and 132 ms
against 134 and 85 ms); the 71.6 -> 36.1 ms measured earlier was before start-up was frozen.

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

YOUNG = 7000  # new objects between two passes of the youngest generation, once resumed (Python: 700)


class _State:
    paused = False
    frozen = False  # (by ``resume``: ``release`` gives it back)
    threshold: tuple[int, int, int] | None = None  # (the one before ``resume``: ``release`` puts it back)


def pause() -> bool:
    """Stop the collector until ``resume`` (if it runs: one that was stopped by another stays so).
    Whether it was stopped now (by the app: then the app ``release``s it as it ends)."""
    if gc.isenabled():
        gc.disable()
        _State.paused = True
        return True
    return False


def resume() -> None:
    """Freeze what exists and run the collector again, at the threshold ``YOUNG``, if ``pause`` stopped
    it (else nothing)."""
    if _State.paused:
        _State.paused = False
        gc.freeze()
        _State.frozen = True
        young, middle, old = gc.get_threshold()
        _State.threshold = None  # (not one an earlier pause's resume left raised: that one stays)
        if young < YOUNG:
            _State.threshold = (young, middle, old)
            gc.set_threshold(YOUNG, middle, old)
        gc.enable()


def release() -> None:
    """The app that paused the collector has ended: it runs again (if it was still paused), at the
    threshold it had, and what it froze is scanned again."""
    resume()
    if _State.threshold is not None:
        gc.set_threshold(*_State.threshold)
        _State.threshold = None
    if _State.frozen:
        _State.frozen = False
        gc.unfreeze()


def paused() -> bool:
    return _State.paused
