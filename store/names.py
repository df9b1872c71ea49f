"""Personal names: telling initials from fore names, and writing initials out.

PubMed gives an author's initials (``JA``) and, for most records since 2002, the fore name
(``John A``); older records have fore names that are themselves initials (``T C``). Reference
formats want one given name: the fore name when there is a real one, else the initials spelt out
(``J. A.``), which citation styles recognise as initials. Reading a given name back, initials in any
spelling (``JA``, ``J. A.``, ``M.-S.``) are initials again.
"""

from __future__ import annotations

import re

_PARTS = re.compile(r"[\s.\-]+")
MAX_INITIALS = 4


def initials_in(text: str) -> str | None:
    """The initials a given name consists of (``J. A.`` -> ``JA``, ``Ø`` -> ``Ø``), or None for a name."""
    letters = "".join(_PARTS.split(text))
    if not letters or len(letters) > MAX_INITIALS or not all(c.isalpha() and c.isupper() for c in letters):
        return None
    return letters


def spelt_initials(initials: str) -> str:
    """``JA`` -> ``J. A.``."""
    return " ".join(f"{c}." for c in initials)


def initials_of(fore: str) -> str:
    """The initials of a fore name: ``Peter J A`` -> ``PJA``; ``Jean-Pierre`` -> ``JP``."""
    return "".join(part[0].upper() for part in _PARTS.split(fore) if part and part[0].isalpha())
