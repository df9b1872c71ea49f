"""The article model: Article, Author, Link, AbstractSection, Origin, and the document schema.

The document schema is written once, here: each dataclass below declares its fields with how each is
stored (``metadata=stored(TEXT)``...: the kinds are below), in the order the documents hold them. From
those declarations come each class's ``to_doc()`` / ``from_doc()`` (``SCHEMA``, below), the checks of a
stored document (``store.schema.check_document``), the fields a merge replaces (``store.merge``) and
the field tuples the rest of pmbrowse names (``ARTICLE_TEXT_FIELDS``...). Documents omit empty fields,
so a stub or a sparse record stays small.

An ``Article`` is a record as a parser or a service gives it: with its ``references`` and ``cited_by``
as links (identifiers and text). The library keeps links apart from the documents, by document id
(``store.schema``), so an article read from the library (``Library.article``, ``Article.from_stored``)
does not hold them: its link fields are ``LinksNotHeld``, which refuse to be read, naming where the
links are (``Library.links``), rather than passing for an article that cites nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, NoReturn

from store.ids import identity_keys
from store.values import Value

Doc = dict[str, Any]

_INITIALS = re.compile(r"^[A-Z]{1,4}$")

# How a field is stored --------------------------------------------------------------------------------

IDENT = "ident"  # an identifier: text or None, stored when set
TEXT = "text"  # text, stored when not empty (or always: ``keep``)
TEXTS = "texts"  # a list of text, stored when not empty
YEAR = "year"  # a year (0 to MAX_YEAR) or None
COUNT = "count"  # a count (0 or more) or None
FLAG = "flag"  # true or false, stored only when true
RECORDS = "records"  # a list of records of another class of this module, stored when not empty
METRICS = "metrics"  # citation metrics by source (``store.metrics``), stored when not empty
LINKS = "links"  # a parsed record's links; never part of a stored document (``store.schema``)

MAX_YEAR = 9999
MAX_COUNT = 1 << 40


def stored(kind: str, *, keep: bool = False, item: str = "") -> dict[str, Any]:
    """A field's metadata: how it is stored (``kind``: one of the above), whether even when empty, and
    for ``RECORDS`` the name of its records' class."""
    return {"kind": kind, "keep": keep, "item": item}


class Field(Value):
    """One field of a document: its name, how it is stored (the kinds above), whether it is stored
    even when empty, and for ``RECORDS`` the class of its records. (A value class, not a frozen
    dataclass: ``store.values``.)"""

    __slots__ = ("name", "kind", "keep", "item")  # noqa: RUF023 (the fields' order)
    name: str
    kind: str
    keep: bool
    item: str

    def __init__(self, name: str, kind: str, keep: bool = False, item: str = "") -> None:
        self._set(name, kind, keep, item)


class Schema:
    """The fields of one class's documents, in the order documents hold them, read from its dataclass
    declaration (a class may name another order in ``DOC_ORDER``), and its ``to_doc`` / ``from_doc``.

    Those two are generated from the fields, as ``dataclasses`` generates ``__init__``: they run once
    per record and once per link of every record imported, and a loop that asks each field's kind
    each time takes twice as long as the straight code a person would write (which this writes)."""

    def __init__(self, cls: type) -> None:
        declared = {f.name: f for f in fields(cls)}
        order: tuple[str, ...] = getattr(cls, "DOC_ORDER", ()) or tuple(declared)
        if sorted(order) != sorted(declared):
            raise TypeError(f"{cls.__name__}.DOC_ORDER does not name each field once")
        self.cls = cls
        self.fields = tuple(Field(name, **declared[name].metadata) for name in order)
        # Generated at the first call (~1 ms for the five classes: the app's start converts no record).
        self.to_doc: Callable[[Any], Doc] = self._first_to_doc
        self.from_doc: Callable[[Doc], Any] = self._first_from_doc

    def _first_to_doc(self, record: Any) -> Doc:
        self.to_doc = _TO_DOC[self.cls.__name__] = self._compile_to_doc()
        return self.to_doc(record)

    def _first_from_doc(self, doc: Doc) -> Any:
        self.from_doc = _FROM_DOC[self.cls.__name__] = self._compile_from_doc()
        return self.from_doc(doc)

    def names(self, *kinds: str) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.kind in kinds)

    def _compile(self, name: str, lines: list[str]) -> Callable[..., Any]:
        namespace: dict[str, Any] = {"LinksNotHeld": LinksNotHeld, "Link": Link, "cls": self.cls}
        namespace.update({f.item: SCHEMA[f.item].cls for f in self.fields if f.item})
        exec("\n".join(lines), namespace)  # (code made above from the declarations, nothing else)
        made: Callable[..., Any] = namespace[name]
        return made

    def _compile_to_doc(self) -> Callable[[Any], Doc]:
        lines = ["def to_doc(self):", "    doc = {}"]
        for f in self.fields:
            get, put = f"v = self.{f.name}", f"doc[{f.name!r}]"
            if f.kind in (TEXT, IDENT):
                lines += [f"    {get}", f"    {put} = v" if f.keep else f"    if v: {put} = v"]
            elif f.kind in (YEAR, COUNT):
                lines += [f"    {get}", f"    if v is not None: {put} = v"]
            elif f.kind == FLAG:
                lines += [f"    if self.{f.name}: {put} = True"]
            elif f.kind == TEXTS:
                lines += [f"    {get}", f"    if v: {put} = list(v)"]
            elif f.kind == RECORDS:
                lines += [f"    {get}", f"    if v: {put} = [r.to_doc() for r in v]"]
            elif f.kind == LINKS:
                lines += [
                    f"    {get}",
                    f"    if type(v) is not LinksNotHeld and v: {put} = [r.to_doc() for r in v]",
                ]
            elif f.kind == METRICS:
                lines += [f"    {get}", f"    if v: {put} = {{s: dict(r) for s, r in v.items()}}"]
            else:
                raise TypeError(f"{self.cls.__name__}.{f.name}: no such kind of field: {f.kind}")
        return self._compile("to_doc", [*lines, "    return doc"])

    def _compile_from_doc(self) -> Callable[[Doc], Any]:
        args = []
        for f in self.fields:
            key = repr(f.name)
            args.append(
                {
                    IDENT: f"get({key})",
                    TEXT: f"get({key}, '')",
                    YEAR: f"get({key})",
                    COUNT: f"get({key})",
                    FLAG: f"bool(get({key}, False))",
                    TEXTS: f"list(get({key}, ()))",
                    RECORDS: f"[{f.item}.from_doc(x) for x in get({key}, ())]",
                    # (Schema 2 kept links inside the documents, as ids: only entries carry a Link's text.)
                    LINKS: f"[Link.from_doc(x) for x in get({key}, ()) if type(x) is dict]",
                    METRICS: f"{{s: dict(r) for s, r in get({key}, {{}}).items()}}",
                }[f.kind]
            )
        call = ", ".join(f"{f.name}={arg}" for f, arg in zip(self.fields, args, strict=True))
        return self._compile(
            "from_doc", ["def from_doc(doc):", "    get = doc.get", f"    return cls({call})"]
        )


# The classes -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Author:
    """A personal author (last name, initials, fore name) or a collective (group) author."""

    last: str = field(default="", metadata=stored(TEXT, keep=True))
    initials: str = field(default="", metadata=stored(TEXT))
    fore: str = field(default="", metadata=stored(TEXT))
    suffix: str = field(default="", metadata=stored(TEXT))
    collective: bool = field(default=False, metadata=stored(FLAG))
    affiliations: list[str] = field(default_factory=list, metadata=stored(TEXTS))

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
        return _TO_DOC["Author"](self)

    @classmethod
    def from_doc(cls, doc: Doc) -> Author:
        return _FROM_DOC["Author"](doc)  # type: ignore[no-any-return]


def author_name(doc: Doc) -> str:
    """``Author.from_doc(doc).name`` without making the Author (link rows show hundreds of names)."""
    last = doc.get("last", "")
    initials = doc.get("initials")
    return last if doc.get("collective") or not initials else f"{last} {initials}"


@dataclass(slots=True)
class AbstractSection:
    """One paragraph of an abstract, with its label (``BACKGROUND``) when the source gives one."""

    DOC_ORDER: ClassVar[tuple[str, ...]] = ("label", "text")  # (as documents have held them all along)

    text: str = field(default="", metadata=stored(TEXT, keep=True))
    label: str = field(default="", metadata=stored(TEXT))

    def to_doc(self) -> Doc:
        return _TO_DOC["AbstractSection"](self)

    @classmethod
    def from_doc(cls, doc: Doc) -> AbstractSection:
        return _FROM_DOC["AbstractSection"](doc)  # type: ignore[no-any-return]


@dataclass(slots=True, kw_only=True)
class Link:
    """A citation link: its target named by whatever identifiers are known, plus the source's text.

    ``sources`` says where the link was learnt (``page``, ``pubmed``, ``europepmc``...). The same link
    is kept on both articles: in the citing article's ``references`` and the cited one's ``cited_by``.
    """

    pmid: str | None = field(default=None, metadata=stored(IDENT))
    pmcid: str | None = field(default=None, metadata=stored(IDENT))
    doi: str | None = field(default=None, metadata=stored(IDENT))
    title: str = field(default="", metadata=stored(TEXT))
    authors: list[str] = field(default_factory=list, metadata=stored(TEXTS))
    journal: str = field(default="", metadata=stored(TEXT))
    volume: str = field(default="", metadata=stored(TEXT))
    issue: str = field(default="", metadata=stored(TEXT))
    pages: str = field(default="", metadata=stored(TEXT))
    year: int | None = field(default=None, metadata=stored(YEAR))
    sources: list[str] = field(default_factory=list, metadata=stored(TEXTS))

    @property
    def keys(self) -> list[str]:
        return identity_keys(self.pmid, self.pmcid, self.doi, title=self.title, year=self.year)

    def to_doc(self) -> Doc:
        return _TO_DOC["Link"](self)

    @classmethod
    def from_doc(cls, doc: Doc) -> Link:
        return _FROM_DOC["Link"](doc)  # type: ignore[no-any-return]


# The formats of reference managers and spreadsheets (``store.formats.REFERENCE_PARSERS``' names): what
# a person typed into a reference manager, so a record from one of them only fills gaps in a record
# from PubMed (XML, MEDLINE, article pages, fetched online), never replaces its fields (store.merge).
REFERENCE_FORMATS = frozenset({"ris", "bibtex", "csv", "identifiers"})


@dataclass(slots=True)
class Origin:
    """Where a record came from: the format and the file (or service) it was read from."""

    format: str = field(default="", metadata=stored(TEXT, keep=True))
    location: str = field(default="", metadata=stored(TEXT, keep=True))

    def to_doc(self) -> Doc:
        return _TO_DOC["Origin"](self)

    @classmethod
    def from_doc(cls, doc: Doc) -> Origin:
        return _FROM_DOC["Origin"](doc)  # type: ignore[no-any-return]


class LinksNotHeld(list[Link]):
    """The link fields of an article read from the library, which keeps its links apart: reading them
    raises, naming where the links are, rather than passing for an article that cites nothing. Written
    back (``to_doc``) they are left out, as the document holds no links."""

    __slots__ = ("doc_id",)

    def __init__(self, doc_id: int | None = None) -> None:
        super().__init__()
        self.doc_id = doc_id

    def _refuse(self, *_args: object) -> NoReturn:
        where = "" if self.doc_id is None else f"{self.doc_id}, "
        raise LinksNotHeldError(
            "an article read from the library does not hold its links: "
            f"ask the library (library.links({where}'references' or 'cited_by'))"
        )

    __iter__ = __len__ = __getitem__ = __contains__ = __reversed__ = _refuse  # type: ignore[assignment]
    __bool__ = _refuse  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return type(other) is LinksNotHeld

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "LinksNotHeld()"


class LinksNotHeldError(TypeError):
    """The links of an article read from the library were read from the article (see ``LinksNotHeld``)."""


@dataclass(slots=True, kw_only=True)
class Article:
    """One article: identifiers, bibliographic data, abstract, and (as parsed) its citation links.

    A *stub* is an article the library knows only from links pointing at it: it holds what those
    links told (identifiers, title, authors, journal, year) until its full record is imported.

    The fields are declared in the order documents hold them (see the module docstring).
    """

    pmid: str | None = field(default=None, metadata=stored(IDENT))
    pmcid: str | None = field(default=None, metadata=stored(IDENT))
    doi: str | None = field(default=None, metadata=stored(IDENT))
    title: str = field(default="", metadata=stored(TEXT))
    journal: str = field(default="", metadata=stored(TEXT))
    journal_title: str = field(default="", metadata=stored(TEXT))
    publisher: str = field(default="", metadata=stored(TEXT))
    date: str = field(default="", metadata=stored(TEXT))
    volume: str = field(default="", metadata=stored(TEXT))
    issue: str = field(default="", metadata=stored(TEXT))
    pages: str = field(default="", metadata=stored(TEXT))
    year: int | None = field(default=None, metadata=stored(YEAR))
    authors: list[Author] = field(default_factory=list, metadata=stored(RECORDS, item="Author"))
    abstract: list[AbstractSection] = field(
        default_factory=list, metadata=stored(RECORDS, item="AbstractSection")
    )
    citation_count: int | None = field(default=None, metadata=stored(COUNT))
    affiliations: list[str] = field(default_factory=list, metadata=stored(TEXTS))
    languages: list[str] = field(default_factory=list, metadata=stored(TEXTS))
    publication_types: list[str] = field(default_factory=list, metadata=stored(TEXTS))
    mesh: list[str] = field(default_factory=list, metadata=stored(TEXTS))
    keywords: list[str] = field(default_factory=list, metadata=stored(TEXTS))
    # As MEDLINE writes them: ``R01 CA123456/CA/NCI NIH HHS/United States`` (id/acronym/agency/country).
    grants: list[str] = field(default_factory=list, metadata=stored(TEXTS))
    # A parsed record's links (identifiers and text); ``LinksNotHeld`` on an article from the library.
    references: list[Link] = field(default_factory=list, metadata=stored(LINKS))
    cited_by: list[Link] = field(default_factory=list, metadata=stored(LINKS))
    origins: list[Origin] = field(default_factory=list, metadata=stored(RECORDS, item="Origin"))
    # Citation metrics by source (``store.metrics``): {"icite": {"fetched": ..., ...}, ...}.
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict, metadata=stored(METRICS))
    stub: bool = field(default=False, metadata=stored(FLAG))

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
        """The document of this article: a parsed record's with its links as entries (``Changes``
        makes them links by id); an article from the library's without them."""
        return _TO_DOC["Article"](self)

    @classmethod
    def from_doc(cls, doc: Doc) -> Article:
        """The article a record's document describes, links and all (``to_doc``'s inverse): for records
        being imported. A document read from the library holds no links: use ``from_stored``."""
        article: Article = _FROM_DOC["Article"](doc)
        return article

    @classmethod
    def from_stored(cls, doc: Doc, doc_id: int | None = None) -> Article:
        """The article a document of the library describes (``doc_id``: its id, named when its links
        are asked for). Its links are in the library, not on it: ``references`` and ``cited_by`` are
        ``LinksNotHeld`` (reading them raises, naming ``Library.links``)."""
        article = cls.from_doc(doc)
        article.references = LinksNotHeld(doc_id)
        article.cited_by = LinksNotHeld(doc_id)
        return article


SCHEMA: dict[str, Schema] = {}
for _cls in (Author, AbstractSection, Link, Origin, Article):  # (records before the classes holding them)
    SCHEMA[_cls.__name__] = Schema(_cls)
_TO_DOC = {name: schema.to_doc for name, schema in SCHEMA.items()}
_FROM_DOC = {name: schema.from_doc for name, schema in SCHEMA.items()}

# The field tuples the rest of pmbrowse names, from the schema.
ARTICLE_FIELDS = SCHEMA["Article"].fields
ARTICLE_TEXT_FIELDS = SCHEMA["Article"].names(TEXT)  # scalar text fields, in the order they are stored
ARTICLE_LIST_FIELDS = SCHEMA["Article"].names(TEXTS)  # lists of text
LINK_TEXT_FIELDS = SCHEMA["Link"].names(TEXT)  # the bibliographic text a Link carries
