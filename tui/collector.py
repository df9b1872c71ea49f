"""The app's start-up without the cyclic garbage collector.

Start-up makes a few hundred thousand objects that live as long as the app (Textual's and pmbrowse's
modules and classes, the screen's widgets, the library's open state) and hardly any garbage in cycles,
yet the collector's passes scan all of them each time enough new objects pile up: at the 10k bench
library, a tenth of the CPU time to the first content (350 ms with it off against 400 ms, medians of 9
starts at load 8, 2026-12-04). So ``run_app`` pauses it before importing the app, and the loader
resumes it once the first content is shown (``tui.screens.main.loading``: before it opens the
library, which may take long, or convert it): what start-up made is first *frozen* (``gc.freeze``:
moved where no pass scans it, so the first passes after start-up do not walk it all; reference
counting still frees it as usual; only garbage in cycles made during start-up stays), then the
collector runs again as usual.
"""

from __future__ import annotations

import gc


class _State:
    paused = False


def pause() -> None:
    """Stop the collector until ``resume`` (if it runs: one that was stopped by another stays so)."""
    if gc.isenabled():
        gc.disable()
        _State.paused = True


def resume() -> None:
    """Freeze what exists and run the collector again, if ``pause`` stopped it (else nothing)."""
    if _State.paused:
        _State.paused = False
        gc.freeze()
        gc.enable()


def paused() -> bool:
    return _State.paused
