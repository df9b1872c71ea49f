"""The article model: Article, Author, Link, AbstractSection, Origin.

These are plain dataclasses with a ``to_doc()`` / ``from_doc()`` pair that maps them to the JSON
documents kept in the library. Documents omit empty fields, so a stub or a sparse record stays small.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from store.ids import identity_keys

Doc = dict[str, Any]

_INITIALS = re.compile(r"^[A-Z]{1,4}$")


@dataclass(slots=True)
class Author:
    """A personal author (last name, initials, fore name) or a collective (group) author."""

    last: str
    initials: str = ""
    fore: str = ""
    suffix: str = ""
    collective: bool = False
    affiliations: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The short form PubMed shows: ``Li K``, ``de Ruiter P``, or the group's name."""
        if self.collective or not self.initials:
            return self.last
        return f"{self.last} {self.initials}"

    @classmethod
    def from_name(cls, text: str) -> Author:
        """Parse the short form ``Surname Initials`` (``de Ruiter P``); anything else is kept whole."""
        text = " ".join(text.split())
        parts = text.rsplit(" ", 1)
        if len(parts) == 2 and _INITIALS.match(parts[1]):
            return cls(last=parts[0], initials=parts[1])
        return cls(last=text)

    def to_doc(self) -> Doc:
        doc: Doc = {"last": self.last}
        for key in ("initials", "fore", "suffix"):
            if value := getattr(self, key):
                doc[key] = value
        if self.collective:
            doc["collective"] = True
        if self.affiliations:
            doc["affiliations"] = list(self.affiliations)
        return doc

    @classmethod
    def from_doc(cls, doc: Doc) -> Author:
        return cls(
            last=doc.get("last", ""),
            initials=doc.get("initials", ""),
            fore=doc.get("fore", ""),
            suffix=doc.get("suffix", ""),
            collective=bool(doc.get("collective", False)),
            affiliations=list(doc.get("affiliations", [])),
        )


def author_name(doc: Doc) -> str:
    """``Author.from_doc(doc).name`` without making the Author (link rows show hundreds of names)."""
    last = doc.get("last", "")
    initials = doc.get("initials")
    return last if doc.get("collective") or not initials else f"{last} {initials}"


@dataclass(slots=True)
class AbstractSection:
    """One paragraph of an abstract, with its label (``BACKGROUND``) when the source gives one."""

    text: str
    label: str = ""

    def to_doc(self) -> Doc:
        return {"label": self.label, "text": self.text} if self.label else {"text": self.text}

    @classmethod
    def from_doc(cls, doc: Doc) -> AbstractSection:
        return cls(text=doc.get("text", ""), label=doc.get("label", ""))


# Bibliographic fields a Link carries, in the order they are stored.
LINK_TEXT_FIELDS = ("title", "journal", "volume", "issue", "pages")


@dataclass(slots=True)
class Link:
    """A citation link: its target named by whatever identifiers are known, plus the source's text.

    ``sources`` says where the link was learnt (``page``, ``pubmed``, ``europepmc``...). The same link
    is kept on both articles: in the citing article's ``references`` and the cited one's ``cited_by``.
    """

    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    title: str = ""
    authors: list[str] = field(default_factory=list)
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    sources: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return identity_keys(self.pmid, self.pmcid, self.doi, title=self.title, year=self.year)

    def to_doc(self) -> Doc:
        # Written out field by field: an import converts every link of every record.
        doc: Doc = {}
        if self.pmid:
            doc["pmid"] = self.pmid
        if self.pmcid:
            doc["pmcid"] = self.pmcid
        if self.doi:
            doc["doi"] = self.doi
        if self.title:
            doc["title"] = self.title
        if self.authors:
            doc["authors"] = list(self.authors)
        if self.journal:
            doc["journal"] = self.journal
        if self.volume:
            doc["volume"] = self.volume
        if self.issue:
            doc["issue"] = self.issue
        if self.pages:
            doc["pages"] = self.pages
        if self.year is not None:
            doc["year"] = self.year
        if self.sources:
            doc["sources"] = list(self.sources)
        return doc

    @classmethod
    def from_doc(cls, doc: Doc) -> Link:
        return cls(
            pmid=doc.get("pmid"),
            pmcid=doc.get("pmcid"),
            doi=doc.get("doi"),
            title=doc.get("title", ""),
            authors=list(doc.get("authors", [])),
            journal=doc.get("journal", ""),
            year=doc.get("year"),
            volume=doc.get("volume", ""),
            issue=doc.get("issue", ""),
            pages=doc.get("pages", ""),
            sources=list(doc.get("sources", [])),
        )


# The formats of reference managers and spreadsheets (``store.formats.REFERENCE_PARSERS``' names): what
# a person typed into a reference manager, so a record from one of them only fills gaps in a record
# from PubMed (XML, MEDLINE, article pages, fetched online), never replaces its fields (store.merge).
REFERENCE_FORMATS = frozenset({"ris", "bibtex", "csv", "identifiers"})


@dataclass(slots=True)
class Origin:
    """Where a record came from: the format and the file (or service) it was read from."""

    format: str
    location: str = ""

    def to_doc(self) -> Doc:
        return {"format": self.format, "location": self.location}

    @classmethod
    def from_doc(cls, doc: Doc) -> Origin:
        return cls(format=doc.get("format", ""), location=doc.get("location", ""))


# Scalar text fields of an Article, in the order they are stored.
ARTICLE_TEXT_FIELDS = (
    "title",
    "journal",
    "journal_title",
    "publisher",
    "date",
    "volume",
    "issue",
    "pages",
)
# List-of-string fields of an Article.
ARTICLE_LIST_FIELDS = ("affiliations", "languages", "publication_types", "mesh", "keywords", "grants")


@dataclass(slots=True)
class Article:
    """One article: identifiers, bibliographic data, abstract, and its citation links.

    A *stub* is an article the library knows only from links pointing at it: it holds what those
    links told (identifiers, title, authors, journal, year) until its full record is imported.
    """

    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    title: str = ""
    authors: list[Author] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)
    journal: str = ""
    journal_title: str = ""
    publisher: str = ""
    date: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    abstract: list[AbstractSection] = field(default_factory=list)
    citation_count: int | None = None
    languages: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    mesh: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    # As MEDLINE writes them: ``R01 CA123456/CA/NCI NIH HHS/United States`` (id/acronym/agency/country).
    grants: list[str] = field(default_factory=list)
    references: list[Link] = field(default_factory=list)
    cited_by: list[Link] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    stub: bool = False
    # Citation metrics by source (``store.metrics``): {"icite": {"fetched": ..., ...}, ...}.
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return identity_keys(self.pmid, self.pmcid, self.doi, title=self.title, year=self.year)

    @property
    def label(self) -> str:
        """The identifier a person would quote: the PMID, else the PMCID, else the DOI."""
        return self.pmid or self.pmcid or self.doi or "(no identifier)"

    @property
    def abstract_text(self) -> str:
        return "\n\n".join(f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract)

    def to_doc(self) -> Doc:
        doc: Doc = {}
        for key in ("pmid", "pmcid", "doi"):
            if value := getattr(self, key):
                doc[key] = value
        for key in ARTICLE_TEXT_FIELDS:
            if value := getattr(self, key):
                doc[key] = value
        if self.year is not None:
            doc["year"] = self.year
        if self.authors:
            doc["authors"] = [a.to_doc() for a in self.authors]
        if self.abstract:
            doc["abstract"] = [s.to_doc() for s in self.abstract]
        if self.citation_count is not None:
            doc["citation_count"] = self.citation_count
        for key in ARTICLE_LIST_FIELDS:
            if value := getattr(self, key):
                doc[key] = list(value)
        if self.references:
            doc["references"] = [link.to_doc() for link in self.references]
        if self.cited_by:
            doc["cited_by"] = [link.to_doc() for link in self.cited_by]
        if self.origins:
            doc["origins"] = [o.to_doc() for o in self.origins]
        if self.metrics:
            doc["metrics"] = {source: dict(record) for source, record in self.metrics.items()}
        if self.stub:
            doc["stub"] = True
        return doc

    @classmethod
    def from_doc(cls, doc: Doc) -> Article:
        article = cls(
            pmid=doc.get("pmid"),
            pmcid=doc.get("pmcid"),
            doi=doc.get("doi"),
            year=doc.get("year"),
            authors=[Author.from_doc(a) for a in doc.get("authors", [])],
            abstract=[AbstractSection.from_doc(s) for s in doc.get("abstract", [])],
            citation_count=doc.get("citation_count"),
            # A stored document's links are document ids (see ``store.schema``); only link entries
            # of a record being imported carry text a Link can hold.
            references=[Link.from_doc(x) for x in doc.get("references", []) if isinstance(x, dict)],
            cited_by=[Link.from_doc(x) for x in doc.get("cited_by", []) if isinstance(x, dict)],
            origins=[Origin.from_doc(o) for o in doc.get("origins", [])],
            stub=bool(doc.get("stub", False)),
            metrics={source: dict(record) for source, record in doc.get("metrics", {}).items()},
        )
        for key in ARTICLE_TEXT_FIELDS:
            setattr(article, key, doc.get(key, ""))
        for key in ARTICLE_LIST_FIELDS:
            setattr(article, key, list(doc.get(key, [])))
        return article
