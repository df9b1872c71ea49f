"""Article identifiers (PMID, PMCID, DOI): normalising, recognising and matching them.

Two records are the same article when any identifier matches. Matching goes through *identity keys*:
short strings such as ``pmid:30992990``, ``pmc:PMC11900796`` and ``doi:10.2147/ijn.s502192`` (DOIs are
case-insensitive, so their key is lower-cased while the record keeps the case it was given). A link
target known by no identifier at all gets a ``cite:`` key made from its title and year, so the same
unidentified reference imported twice is still one stub.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any


class _Patterns:
    """The identifier patterns, compiled when first used: the app's start (whose first page imports this
    module) needs none of them unless it was started on an identifier, and compiling them took 0.65 ms.
    Once compiled, each is an attribute of the one instance ``_RE``."""

    def __getattr__(self, name: str) -> Any:
        # Identifiers are ASCII: the patterns say [0-9], since ``\d`` matches the digits of every script
        # ("٣٠٩٩٢٩٩٠" would pass for a PMID and make a second copy of an article).
        self.PMID = re.compile(r"^(?:pmid\s*:?\s*)?([0-9]{1,9})$", re.IGNORECASE)
        self.PMCID = re.compile(r"^(?:pmcid\s*:?\s*)?(?:pmc\s*:?\s*)?([0-9]{1,9})$", re.IGNORECASE)
        self.PMCID_STRICT = re.compile(r"^(?:pmcid\s*:?\s*)?pmc\s*:?\s*([0-9]{1,9})$", re.IGNORECASE)
        self.DOI = re.compile(
            r"^(?:doi\s*:?\s*|https?://(?:dx\.)?doi\.org/)?(10\.[0-9]{4,9}/\S+)$", re.IGNORECASE
        )
        self.PUBMED_URL = re.compile(
            r"^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/([0-9]+)/?$"
        )
        self.PMC_URL = re.compile(r"^https?://\S*?/pmc/articles/(PMC[0-9]+)/?$", re.IGNORECASE)
        if name not in self.__dict__:
            raise AttributeError(name)
        return self.__dict__[name]


_RE = _Patterns()


def normalise_pmid(text: str | None) -> str | None:
    """``"PMID: 0123"`` -> ``"123"``; anything that is not a PMID -> None."""
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 9:  # the common case, without a regex
        return text.lstrip("0") or None
    m = _RE.PMID.match(text.strip())
    if not m:
        return None
    value = m.group(1).lstrip("0")
    return value or None


def normalise_pmcid(text: str | None) -> str | None:
    """``"11900796"``, ``"PMC11900796"``, ``"pmc: 11900796"`` -> ``"PMC11900796"``."""
    if not text:
        return None
    m = _RE.PMCID.match(text.strip())
    if not m:
        return None
    value = m.group(1).lstrip("0")
    return f"PMC{value}" if value else None


def normalise_doi(text: str | None) -> str | None:
    """Strip ``doi:`` / ``https://doi.org/`` prefixes and trailing punctuation; keep the case."""
    if not text:
        return None
    m = _RE.DOI.match(text.strip())
    if not m:
        return None
    return m.group(1).rstrip(".,;")


def doi_key(doi: str) -> str:
    return "doi:" + doi.lower()


class Identifier:
    """One identifier a user typed: its kind (``pmid``, ``pmcid``, ``doi``) and normalised value.

    (A plain class, not a frozen dataclass: making a dataclass's methods took 0.5 ms of the app's start,
    whose first screen imports this module.)"""

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: str) -> None:
        self.kind = kind
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Identifier) and (self.kind, self.value) == (other.kind, other.value)

    def __hash__(self) -> int:
        return hash((self.kind, self.value))

    def __repr__(self) -> str:
        return f"Identifier(kind={self.kind!r}, value={self.value!r})"

    @property
    def key(self) -> str:
        return identity_keys(
            pmid=self.value if self.kind == "pmid" else None,
            pmcid=self.value if self.kind == "pmcid" else None,
            doi=self.value if self.kind == "doi" else None,
        )[0]

    def __str__(self) -> str:
        return f"{self.kind.upper()} {self.value}" if self.kind != "doi" else f"DOI {self.value}"


def parse_identifier(text: str) -> Identifier | None:
    """Recognise what a user typed as a PMID, PMCID or DOI (also PubMed/PMC/doi.org URLs).

    Bare digits are a PMID; ``PMC`` followed by digits is a PMCID; ``10.NNNN/...`` is a DOI.
    """
    text = text.strip()
    if (m := _RE.PUBMED_URL.match(text)) or (m := _RE.PMC_URL.match(text)):
        text = m.group(1)
    if pmid := normalise_pmid(text):
        return Identifier("pmid", pmid)
    if _RE.PMCID_STRICT.match(text) and (pmcid := normalise_pmcid(text)):
        return Identifier("pmcid", pmcid)
    if doi := normalise_doi(text):
        return Identifier("doi", doi)
    return None


def fold(text: str) -> str:
    """Lower-case, strip accents and collapse everything that is not a letter or digit to one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", stripped.casefold()))


def cite_key(title: str, year: int | None) -> str | None:
    """A key for a target known only by its title (and year): stable across imports of the same text."""
    folded = fold(title)
    if not folded:
        return None
    import hashlib  # (here: the app's start imports this module and needs no hash, 1.4 ms to import)

    digest = hashlib.sha1(f"{folded}|{year or ''}".encode()).hexdigest()[:16]
    return f"cite:{digest}"


def identity_keys(
    pmid: str | None = None,
    pmcid: str | None = None,
    doi: str | None = None,
    *,
    title: str = "",
    year: int | None = None,
) -> list[str]:
    """The identity keys of a record or link target; the ``cite:`` key only when no identifier is known."""
    keys: list[str] = []
    if pmid:
        keys.append(f"pmid:{pmid}")
    if pmcid:
        keys.append(f"pmc:{pmcid}")
    if doi:
        keys.append(doi_key(doi))
    if not keys and (ck := cite_key(title, year)):
        keys.append(ck)
    return keys
