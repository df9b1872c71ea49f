"""The text of XML elements as the PubMed XML reader stores it: whitespace collapsed, inline markup
(``<i>``, ``<sup>``) flattened, MathML written out as plain text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Element = Any  # (lxml ships no type hints)

MATHML = "{http://www.w3.org/1998/Math/MathML}"
MATH, MULTISCRIPTS, PRESCRIPTS = (f"{MATHML}{name}" for name in ("math", "mmultiscripts", "mprescripts"))


def plain_text(elem: Element | None) -> str:
    """An element's own text with whitespace collapsed (for fields that hold no markup)."""
    if elem is None:
        return ""
    text = elem.text
    if text is None:
        return ""
    # A word (a PMID, a year, "eng") holds no whitespace: as collapsing would leave it, found cheaper.
    return text if text.isalnum() else " ".join(text.split())


def element_text(elem: Element | None) -> str:
    """All the text of an element, inline markup (``<i>``, ``<sup>``, MathML) flattened, spaces collapsed."""
    if elem is None:
        return ""
    if not len(elem):  # no markup inside: the common case, and much cheaper
        return collapse(elem.text or "")
    return collapse("".join(_pieces(elem)))


def collapse(text: str) -> str:
    """``" ".join(text.split())``; a long text (an abstract) that is so already is checked, not split
    (``single_spaced``: a few scans of the text, a fraction of the split's cost)."""
    if len(text) > 100 and single_spaced([text]):
        return text
    return " ".join(text.split())


# The whitespace str.split() splits at, but the space: in ASCII, and in Latin-1 beyond ASCII.
_ASCII_SPACES = ("\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
_LATIN1_SPACES = ("\x85", "\xa0")


def single_spaced(texts: list[str]) -> bool:
    """Whether each text is ``" ".join(text.split())`` already: no whitespace ``split`` knows but
    single spaces, and none at either end. Checked on the texts joined by a space (two spaces in a row
    then also find a space at a text's end), a few scans of one string; a text beyond Latin-1 is asked
    whether it is printable (each whitespace character but the space is not). An empty text, or one
    that only looks doubtful (a soft hyphen is unprintable), makes the record collapsed: slower, never
    wrong."""
    joined = " ".join(texts)
    if joined[:1] == " " or joined[-1:] == " " or "  " in joined:
        return False
    if any(space in joined for space in _ASCII_SPACES):
        return False
    if joined.isascii():
        return True
    if any(space in joined for space in _LATIN1_SPACES):
        return False
    try:
        joined.encode("latin-1")
    except UnicodeEncodeError:
        return all(text.isprintable() for text in texts)
    return True  # (Latin-1 holds no other whitespace)


def _pieces(elem: Element) -> Iterator[str]:
    """Like ``itertext``, except that MathML is written out as plain text."""
    if elem.text:
        yield elem.text
    for child in elem:
        if child.tag == MATH:
            yield _math_text(child)
        elif isinstance(child.tag, str):
            yield from _pieces(child)
        if child.tail:
            yield child.tail


def _math_text(node: Element) -> str:
    """MathML token text in reading order; prescripts (the mass number of ³He) come before their base."""
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        return str(node.text or "")
    names = [c.tag for c in children]
    if node.tag == MULTISCRIPTS and PRESCRIPTS in names:
        i = names.index(PRESCRIPTS)
        children = children[i + 1 :] + children[:i]
    return "".join(_math_text(c) for c in children)
