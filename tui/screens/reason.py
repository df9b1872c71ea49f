"""Why an article is excluded: the reason dialog of every view that screens (the main view's ``x``, the
Snowball view's ``x``).

Typing goes to the reason at once (the field has the focus when the dialog opens; issue 16, defect 1:
typing reached the field only after ``tab``, and ``enter`` stored the first reason listed). Under the
field, the review's reasons (those offered by default and every reason given so far), narrowed to
those holding what is typed. The rule for ``enter`` is one and is said in the dialog:

- a reason picked with ``↑``/``↓`` (or clicked) is the one stored;
- otherwise what is typed is: a reason the review has already (in any case) is stored as the review
  spells it, so one reason is never counted as two; a new one is stored exactly as typed (the store
  only collapses runs of spaces and drops control characters, ``store.snowball.screening.clean_reason``);
- nothing typed or picked: excluded with no reason (counted as "no reason given").

Typing again after picking drops the pick, so the text on screen is what ``enter`` takes. ``escape``
cancels: nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from store.snowball.screening import clean_reason
from tui.text import literal

HINT = "↑↓ pick a reason · enter: exclude with it (nothing typed: no reason) · escape: cancel"


def chosen_reason(typed: str, offered: Sequence[str]) -> str:
    """The reason ``enter`` stores for ``typed`` (nothing picked): the review's own spelling of a reason
    it has, else the text as typed ("" for none)."""
    text = clean_reason(typed)
    return next((r for r in offered if r.casefold() == text.casefold()), text)


class ReasonScreen(ModalScreen[str | None]):
    """Dismissed with the reason ("" for none), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("down", "pick(1)", "Next reason", show=False),
        Binding("up", "pick(-1)", "Previous reason", show=False),
    ]
    DEFAULT_CSS = """
    ReasonScreen { align: center middle; }
    ReasonScreen > Vertical { width: 72; max-width: 100%; height: auto; max-height: 100%;
                              border: round $accent; padding: 0 1; }
    ReasonScreen OptionList { height: auto; max-height: 10; }
    """

    def __init__(self, reasons: Sequence[str], title: str, current: str = "") -> None:
        """``reasons``: those to offer; ``title``: how the article is named; ``current``: its reason now
        (when it is excluded already), typed in the field to keep or change."""
        super().__init__()
        self.reasons = list(dict.fromkeys(r for r in reasons if r))
        self.title_text = title
        self.current = current
        self.shown: list[str] = list(self.reasons)
        self.picked = False  # a reason was picked with the arrows since the last keystroke

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(f"Exclude: {self.title_text}", style="bold"), id="reason-title")
            yield Input(value=self.current, placeholder="type a reason, or ↑↓ pick one", id="reason-input")
            yield OptionList(*self._options(), markup=False, id="reason-list")
            yield Static(literal(HINT, style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False  # (the field keeps the focus: typing goes there)
        self.query_one(OptionList).highlighted = None
        self.query_one(Input).focus()

    def _options(self) -> list[Option]:
        return [Option(literal(r)) for r in self.shown]

    @on(Input.Changed, "#reason-input")
    def _typed(self, event: Input.Changed) -> None:
        wanted = event.value.casefold().strip()
        self.shown = [r for r in self.reasons if wanted in r.casefold()] if wanted else list(self.reasons)
        options = self.query_one(OptionList)
        options.set_options(self._options())
        options.highlighted = None
        self.picked = False

    def action_pick(self, step: int) -> None:
        options = self.query_one(OptionList)
        if not self.shown:
            return
        if options.highlighted is None:
            options.highlighted = 0 if step > 0 else len(self.shown) - 1
        else:
            options.highlighted = (options.highlighted + step) % len(self.shown)
        self.picked = True

    @on(OptionList.OptionSelected, "#reason-list")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.shown[event.option_index])

    @on(Input.Submitted, "#reason-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        highlighted = self.query_one(OptionList).highlighted
        if self.picked and highlighted is not None:
            self.dismiss(self.shown[highlighted])
            return
        self.dismiss(chosen_reason(event.value, self.reasons))

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["ReasonScreen", "chosen_reason"]
