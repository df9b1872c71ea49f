"""The layout of pmbrowse's files and their versions, with migrations from older versions.

A library is a TinyDB JSON file with two tables:

- ``_meta``: one document, ``{"app": "pmbrowse", "schema": N, "generation": G}``, marking the file as
  a library (``generation`` names this version of the file, see ``store.storage``);
- ``articles``: one document per article or stub (see ``store.model.Article.to_doc``), without its
  links. What a source said *about* a link's target (its title, authors, journal, year) lives on the
  target: on its stub when the library has no full record of it. Citation metrics, by source and with
  the time they were fetched, are under ``"metrics"`` (``store.metrics``);
- ``links``: the links of each document that has any, under the document's id, as document ids:
  ``{"references": [12, 40], "cited_by": [7], "link_sources": {"references": {"europepmc": [40],
  "pubmed": [12, 40]}}}``: both ends of each link (so following a link either way reads one record),
  and which sources gave each link, by source.

Schema 1 kept every link as a copy of that text on both ends (78% of a library's memory); schema 2
stored each link as an id inside the documents, so adding a record rewrote the documents of the
records it cites; schema 3 keeps the links apart, so a commit adds link records and never rewrites an
older document (see ``store.storage``). ``MIGRATIONS[1]`` and ``MIGRATIONS[2]`` convert.

A marks file (``store.marks``: stars, tags, screening decisions and notes, kept beside the library) has
the same header plus ``"kind": "marks"``, and one table, ``marks``. The kind keeps either file from
being opened as the other; a header without a kind is a library's (libraries predate kinds).

A snowball file (``store.snowball.state``: the review's rounds of citation chasing and database
searches, kept beside the library) has the header with ``"kind": "snowball"`` and the tables
``reasons`` (the exclusion reasons offered, ``{"reason": TEXT}`` each), ``rounds`` (one document per
round, see ``store.snowball.state.Round``), ``searches`` (database searches imported with
``--source``), ``dropped`` (rounds the reviewer dropped) and ``exclusions`` (version 1 kept the reasons
given here; they now live in the marks' decision records, and are moved there when found).

When a layout changes, bump its version and add a function to its migrations that turns data of the
previous version into the new one; old files are migrated on load and written back in the new layout
at their next write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from store.header import META_TABLE as META_TABLE
from store.header import looks_like_library as looks_like_library  # (named here as ever)
from store.metrics import check_metrics
from store.model import (
    COUNT,
    FLAG,
    IDENT,
    LINKS,
    MAX_COUNT,
    MAX_YEAR,
    RECORDS,
    SCHEMA,
    TEXT,
    TEXTS,
    YEAR,
    Schema,
)

ARTICLES_TABLE = "articles"
LINKS_TABLE = "links"
MARKS_TABLE = "marks"
SCHEMA_VERSION = 3
MARKS_SCHEMA_VERSION = 2
SNOWBALL_TABLES = ("reasons", "exclusions", "rounds", "searches", "dropped")
SNOWBALL_SCHEMA_VERSION = 2

Data = dict[str, dict[str, Any]]
Migration = Callable[[Data], Data]


def _links_to_ids(data: Data) -> Data:
    """Schema 1 -> 2: each link entry (a copy of the target's identifiers and text) becomes the target's
    document id; its sources move to ``link_sources``. A link whose target cannot be found (which schema
    1 never wrote) becomes a stub, as a new link would."""
    from store.merge import doc_keys, stub_from_link

    docs: dict[str, Any] = data.get(ARTICLES_TABLE, {})
    index: dict[str, int] = {}
    for doc_id in sorted(docs, key=int):
        doc = docs[doc_id]
        problem = (
            check_document({k: v for k, v in doc.items() if k not in ("references", "cited_by")})
            if (isinstance(doc, dict))
            else "it is not an object"
        )
        if problem:
            raise ValueError(f"document {doc_id}: {problem}")
        for key in doc_keys(doc):
            index.setdefault(key, int(doc_id))
    next_id = max((int(i) for i in docs), default=0) + 1
    for doc_id in sorted(docs, key=int):
        doc = docs[doc_id]
        sources: dict[str, dict[str, list[int]]] = {}
        for rel in ("references", "cited_by"):
            ids: list[int] = []
            if not isinstance(doc.get(rel, []), list):
                raise ValueError(f"document {doc_id}: {rel!r} is not a list of links")
            for entry in doc.get(rel, []):
                if not isinstance(entry, dict):
                    continue
                keys = doc_keys(entry)
                target = next((index[k] for k in keys if k in index), None)
                if target is None:
                    target = next_id
                    next_id += 1
                    docs[str(target)] = stub_from_link(entry)
                    inverse = "cited_by" if rel == "references" else "references"
                    docs[str(target)][inverse] = [int(doc_id)]
                    for key in keys:
                        index.setdefault(key, target)
                if target == int(doc_id):
                    continue
                if target not in ids:
                    ids.append(target)
                for source in entry.get("sources") or ():
                    have = sources.setdefault(rel, {}).setdefault(source, [])
                    if target not in have:
                        have.append(target)
            if ids:
                doc[rel] = ids
            else:
                doc.pop(rel, None)
        if sources:
            doc["link_sources"] = sources
    return data


# What a schema-2 document held of its links, and the links table holds now (``Article``'s link fields).
LINK_FIELDS = (*SCHEMA["Article"].names(LINKS), "link_sources")


def _links_apart(data: Data) -> Data:
    """Schema 2 -> 3: each document's links (``references``, ``cited_by``, ``link_sources``) move to
    the ``links`` table, under the document's id."""
    docs: dict[str, Any] = data.get(ARTICLES_TABLE, {})
    links: dict[str, Any] = data.setdefault(LINKS_TABLE, {})
    for doc_id, doc in docs.items():
        if not isinstance(doc, dict):
            raise ValueError(f"document {doc_id}: it is not an object")
        record = {key: doc.pop(key) for key in LINK_FIELDS if key in doc}
        if record:
            links[doc_id] = record
    return data


# MIGRATIONS[n] turns library data of schema n into schema n + 1.
MIGRATIONS: dict[int, Migration] = {1: _links_to_ids, 2: _links_apart}


def _marks_decisions(data: Data) -> Data:
    """Marks 1 -> 2: a mark's one ``screening`` value becomes a decision record (see
    ``store.snowball.screening``): final, at title/abstract (decisions before version 2 had one
    stage), by the unnamed screener, at the time the mark last changed (the file held no more than
    that). Nothing else changes."""
    for doc in data.get(MARKS_TABLE, {}).values():
        if not isinstance(doc, dict) or "screening" not in doc:
            continue
        value = doc.pop("screening")
        if value in ("included", "excluded"):
            at = doc.get("updated", "")
            record = {"stage": "title-abstract", "decision": value, "screener": "", "at": at, "final": True}
            doc["decisions"] = [record, *doc.get("decisions", [])]
    return data


MARKS_MIGRATIONS: dict[int, Migration] = {1: _marks_decisions}
# Snowball 1 -> 2 adds the tables ``searches`` and ``dropped`` (``migrate`` makes missing tables).
SNOWBALL_MIGRATIONS: dict[int, Migration] = {1: lambda data: data}


class Layout:
    """One kind of pmbrowse file: the kind its header names, its tables, its version and migrations.

    (A plain class, not a frozen dataclass: making a dataclass's methods took 0.38 ms of the app's
    start, which imports this module on the first page's thread.)"""

    __slots__ = ("kind", "migrations", "noun", "tables", "version")

    def __init__(
        self, kind: str, noun: str, tables: tuple[str, ...], version: int, migrations: Mapping[int, Migration]
    ) -> None:
        self.kind = kind
        self.noun = noun  # how messages name such a file: "library", "marks file"
        self.tables = tables
        self.version = version
        self.migrations = migrations

    def new_data(self) -> Data:
        header: dict[str, Any] = {"app": "pmbrowse", "schema": self.version}
        if self.kind != LIBRARY_KIND:
            header["kind"] = self.kind
        data: Data = {META_TABLE: {"1": header}}
        for table in self.tables:
            data[table] = {}
        return data

    def migrate(self, data: Data) -> Data:
        version = data[META_TABLE]["1"]["schema"]
        if version < 1:
            raise ValueError(f"schema {version} is not a version pmbrowse ever wrote")
        while version < self.version:
            data = self.migrations[version](data)
            version += 1
            data[META_TABLE]["1"]["schema"] = version
        for table in self.tables:
            data.setdefault(table, {})
        return data


LIBRARY_KIND = "library"
LIBRARY = Layout(LIBRARY_KIND, "library", (ARTICLES_TABLE, LINKS_TABLE), SCHEMA_VERSION, MIGRATIONS)
MARKS = Layout("marks", "marks file", (MARKS_TABLE,), MARKS_SCHEMA_VERSION, MARKS_MIGRATIONS)
SNOWBALL = Layout("snowball", "snowball file", SNOWBALL_TABLES, SNOWBALL_SCHEMA_VERSION, SNOWBALL_MIGRATIONS)


def kind_of(header: Mapping[str, Any]) -> str:
    """The kind of file a ``_meta`` header describes."""
    kind = header.get("kind", LIBRARY_KIND)
    return kind if isinstance(kind, str) else repr(kind)


# What a stored article document may hold -------------------------------------------------------------
#
# Documents are read one at a time, on demand, so each is checked when it is read: a damaged document
# (edited by hand, or by another program) is refused with its id rather than crashing whatever uses it.
# What each field may hold comes from its declaration in ``store.model`` (the schema is written there,
# once); the names are gathered by kind here, so that a check is a few tight loops (it runs on every
# read). Keys the schema does not name are let be: a newer pmbrowse may have written them.

_ARTICLE = SCHEMA["Article"]
_TEXT = _ARTICLE.names(IDENT, TEXT)
_TEXT_LISTS = _ARTICLE.names(TEXTS)
_LIMITS = tuple((name, MAX_YEAR, "a year") for name in _ARTICLE.names(YEAR)) + tuple(
    (name, MAX_COUNT, "a count") for name in _ARTICLE.names(COUNT)
)
_FLAGS = _ARTICLE.names(FLAG)
# How messages name one record of each kind a document holds lists of.
_NOUNS = {"Author": "an author", "AbstractSection": "an abstract section", "Origin": "an origin"}


def _record_rule(schema: Schema) -> tuple[str, dict[str, type]]:
    """How messages name one such record, and the type of each of its fields that is not text (text,
    like a field the schema does not name, may be text or a flag)."""
    return _NOUNS[schema.cls.__name__], {
        f.name: _TYPES[f.kind] for f in schema.fields if _TYPES[f.kind] is not str
    }


_TYPES = {TEXT: str, IDENT: str, FLAG: bool, TEXTS: list}
_WHAT = {str: "text", bool: "true or false", list: "a list of text"}
_RECORDS = tuple((f.name, *_record_rule(SCHEMA[f.item])) for f in _ARTICLE.fields if f.kind == RECORDS)
_RECORDS_NAMES = tuple(name for name, _noun, _types in _RECORDS)


def _is_int(value: object, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high  # (bool is not int here: type(True) is bool)


def check_document(doc: object) -> str:
    """What is wrong with a stored article document, or "" if nothing is.

    Runs on every document read, so it checks types with ``type() is`` and one pass per list."""
    if type(doc) is not dict:
        return f"it is a JSON {type(doc).__name__}, not an object"
    for key in _TEXT:
        if key in doc and type(doc[key]) is not str:
            return f"{key!r} is not text"
    for key in _TEXT_LISTS:
        value = doc.get(key)
        if value is not None and (type(value) is not list or (value and set(map(type, value)) != {str})):
            return f"{key!r} is not a list of text"
    for key, high, what in _LIMITS:
        value = doc.get(key)
        if value is not None and not _is_int(value, 0, high):
            return f"{key!r} is not {what}"
    for key in LINK_FIELDS:
        if key in doc:
            return f"{key!r} belongs in the links table, not in a document"
    for key in _RECORDS_NAMES:
        value = doc.get(key)
        if value is not None and (type(value) is not list or not all(type(v) is dict for v in value)):
            return f"{key!r} is not a list of objects"
    for key, noun, types in _RECORDS:
        for record in doc.get(key, ()):
            for field, value in record.items():
                given = type(value)
                if given is str and field not in types:  # (most fields: text)
                    continue
                wanted = types.get(field)
                if given is not wanted:
                    if wanted is not None or (given is not str and given is not bool):
                        return f"{noun}'s {field!r} is not {_WHAT[wanted or str]}"
                elif given is list and value and set(map(type, value)) != {str}:
                    return f"{noun}'s {field!r} is not a list of text"
    for key in _FLAGS:
        if key in doc and type(doc[key]) is not bool:
            return f"{key!r} is not true or false"
    if "metrics" in doc:
        return check_metrics(doc["metrics"])
    return ""


def _is_id_list(value: object) -> bool:
    # (map/min/max run in C: link lists can be thousands long, and every read checks them)
    return type(value) is list and (
        not value or (set(map(type, value)) == {int} and min(value) >= 1 and max(value) < 1 << 32)
    )


def check_links(record: object) -> str:
    """What is wrong with a stored link record (``links`` table) or a change to one (the journal's and
    segments' ``removed`` lists), or "" if nothing is."""
    if type(record) is not dict:
        return f"it is a JSON {type(record).__name__}, not an object"
    for key, value in record.items():
        if key in ("references", "cited_by"):
            if not _is_id_list(value):
                return f"{key!r} is not a list of document ids"
        elif key in ("link_sources", "removed"):
            if type(value) is not dict or not all(k in ("references", "cited_by") for k in value):
                return f"{key!r} is not an object by relation"
            if key == "link_sources" and not all(
                type(v) is dict and all(type(k) is str for k in v) for v in value.values()
            ):
                return "'link_sources' is not an object of lists by source"
            lists = (
                value.values() if key == "removed" else [ids for v in value.values() for ids in v.values()]
            )
            if not all(_is_id_list(ids) for ids in lists):
                return f"{key!r} holds something other than lists of document ids"
        else:
            return f"{key!r} is not part of a link record"
    return ""
