"""Screening in the app: the rules every view that screens follows — the main view's lists
(``tui.screens.main.marking``) and the Snowball view (``tui.screens.snowball``) — written once here.

**The keys.** ``i`` includes, ``x`` excludes (asking the reason, ``tui.screens.reason``), ``u`` takes
the decision back (undecided); in the Snowball view's full-text stage ``r`` marks a report not
retrieved. Each acts on the highlighted row, and the decision is recorded with its reason, stage and
screener in one write (``store.marks.Marks.set_screening``).

**A key never silently undoes or replaces a decision** (issue 16, defect 3: pressing ``x`` again
turned an excluded article back to undecided, unseen). Pressing the decision an article has already
records nothing and says so (``already included; u takes it back``); a different decision replaces
it and says what it was (``40036306 was excluded (wrong population); now included``). ``x`` on an
excluded article asks again, with its reason in the field: ``enter`` keeps it, another replaces it.

**The cursor rule** (``next_to_screen``): after a decision is recorded, the cursor moves down to the
next row that is still to screen, as Rayyan and ASReview move on to the next record; rows decided
already are passed over, and with none left below the cursor stays and the view says so. A key that
recorded nothing, ``u`` (you take a decision back to make another), or a cancelled reason dialog
leaves the cursor where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.widget import Widget

from store.snowball.review import describe
from store.snowball.screening import EXCLUDED

NOTHING_BELOW = "Nothing left to screen below this row."


def next_to_screen(index: int, count: int, to_screen: Callable[[int], bool]) -> int | None:
    """The cursor rule: the row the cursor goes to after a decision on row ``index`` of ``count`` rows
    (``to_screen(n)``: row n has no decision yet) — the next such row below; None when there is none
    (the cursor stays)."""
    return next((n for n in range(index + 1, count) if to_screen(n)), None)


def unchanged(decision: str | None, seen: str | None, reason: str = "", new_reason: str = "") -> str:
    """What a decision key says when it would change nothing ("" when it changes something):
    ``decision`` is what the key records (None: undecided), ``seen`` what the article has now."""
    if decision is None and seen is None:
        return "undecided already: nothing to take back"
    if decision is None or decision != seen:
        return ""
    if decision == EXCLUDED and " ".join(new_reason.split()).casefold() != reason.casefold():
        return ""
    taken_back = "; u takes it back"
    return f"{describe(seen, reason)} already{taken_back}"


def changed(label: str, seen: str | None, reason: str, decision: str | None, new_reason: str) -> str:
    """What is said when a decision replaces a different one, or is taken back ("" for a first
    decision: the row shows it, and a notice each time would cover the list being screened)."""
    if seen is None:
        return ""
    return f"{label} was {describe(seen, reason)}; now {describe(decision, new_reason)}"


def ask_reason(
    node: Widget,
    decision: str | None,
    title: str,
    reasons: Callable[[], Sequence[str]],
    current: str,
    then: Callable[[str], None],
) -> None:
    """Go on with ``then(reason)``: at once ("") for any decision but an exclusion; for an exclusion once
    the reason dialog is answered (nothing when it is cancelled)."""
    if decision != EXCLUDED:
        then("")
        return
    from tui.screens.reason import ReasonScreen

    def answered(why: str | None) -> None:
        if why is not None:
            then(why)

    node.app.push_screen(ReasonScreen(reasons(), title, current), answered)


__all__ = ["NOTHING_BELOW", "ask_reason", "changed", "next_to_screen", "unchanged"]
