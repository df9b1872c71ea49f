"""Citation keys: short, unique and stable names for exported records (``li2019exosomes``).

A key is the first author's surname, the year and the first word of the title that is not a stop
word, folded to lower-case ASCII. Keys are unique within one export: the second record with the same
key gets ``a``, the third ``b``, and so on, in the order the records are written, so exporting the same
records in the same order gives the same keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

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


def _identity_order(article: Article) -> tuple[int, str, str, str]:
    pmid = int(article.pmid) if article.pmid and article.pmid.isdigit() else 10**12
    return (pmid, article.pmcid or "", (article.doi or "").lower(), article.title)


def citation_keys(articles: Sequence[Article]) -> list[str]:
    """A unique key for each article of one export.

    Articles whose keys would collide are told apart by suffixes ``a``, ``b``... given in the order
    of their identifiers (PMID, then PMCID, DOI, title), so the same articles get the same keys
    whatever order they are exported in.
    """
    bases = [base_key(a) for a in articles]
    keys = list(bases)
    used = set(bases)
    members: dict[str, list[int]] = {}
    for n, base in enumerate(bases):
        members.setdefault(base, []).append(n)
    for base, group in members.items():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda n: _identity_order(articles[n]))
        suffix = 0
        for n in ordered[1:]:
            while (key := base + _suffix(suffix)) in used:
                suffix += 1
            keys[n] = key
            used.add(key)
    return keys
