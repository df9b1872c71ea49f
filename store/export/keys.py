"""Citation keys: short, unique and stable names for exported records (``li2019exosomes``).

A key is the first author's surname, the year and the first word of the title that is not a stop
word, folded to lower-case ASCII. Keys are unique within one export: the second record with the same
key gets ``a``, the third ``b``, and so on, in the order the records are written, so exporting the same
records in the same order gives the same keys.
"""

from __future__ import annotations

import re
import unicodedata

from store.model import Article

STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "for",
        "and",
        "or",
        "to",
        "with",
        "from",
        "at",
        "by",
        "is",
        "are",
        "as",
        "its",
        "into",
        "via",
        "about",
        "between",
        "de",
        "la",
        "le",
        "les",
        "des",
        "du",
        "der",
        "die",
        "das",
        "el",
        "los",
        "un",
        "une",
    }
)
# Letters NFKD does not take apart into an ASCII letter and accents.
_SPELLED = {
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "ς": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}
MAX_NAME = 24


def ascii_words(text: str) -> list[str]:
    """Lower-case ASCII words of ``text``: accents dropped, a few letters spelt out (``β`` -> ``beta``)."""
    folded = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        if unicodedata.combining(char):
            continue
        folded.append(_SPELLED.get(char, char) if not char.isascii() else char)
    return re.findall(r"[a-z0-9]+", "".join(folded))


def base_key(article: Article) -> str:
    """The key before any suffix: ``surname`` + ``year`` + ``titleword``."""
    name = ""
    if article.authors:
        author = article.authors[0]
        name = "".join(ascii_words(author.last))[:MAX_NAME]
    year = str(article.year) if article.year else "nd"
    word = next((w for w in ascii_words(article.title) if w not in STOP_WORDS), "")
    return f"{name or 'anon'}{year}{word}"


def _suffix(n: int) -> str:
    """0 -> ``a``, 25 -> ``z``, 26 -> ``aa``."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


class CitationKeys:
    """Hands out the keys of one export, in order."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def key(self, article: Article) -> str:
        base = base_key(article)
        key, n = base, 0
        while key in self._used:
            key, n = base + _suffix(n), n + 1
        self._used.add(key)
        return key
