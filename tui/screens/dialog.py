"""The look the small dialogs share (export, a prompt, the MeSH headings): a box centred on the screen.

Each dialog's rules are its screen's own (``DEFAULT_CSS``), parsed when it is first shown, not before
the app's first frame (stop 38); the rules they share are written here once."""

from __future__ import annotations


def dialog_css(screen: str, box: str) -> str:
    """The rules of the dialog screen ``screen`` (its class name) centring its box (the id ``box``)."""
    return f"""
    {screen} {{
        align: center middle;
    }}
    #{box} {{
        width: 70;
        max-width: 95%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        padding: 0 1;
        background: $surface;
    }}
    """
