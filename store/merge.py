"""How knowledge about one article is combined: records with records, links with links.

These functions work on library documents (the dicts of ``store.model``), because merging runs once
per link on every import and converting to dataclasses and back there would dominate import time.

Rules:
- identifiers only fill gaps; two records whose PMIDs (or PMCIDs, or DOIs) differ are different
  articles, whatever else matches;
- a full record is authoritative for its own bibliographic fields: an incoming full record replaces
  what it states and leaves alone what it does not state; knowledge from links only fills gaps;
- except that a record from a reference manager (RIS, BibTeX, CSV, lists: ``model.REFERENCE_FORMATS``)
  only fills gaps in a record the library holds from PubMed-quality sources (PubMed XML, MEDLINE,
  article pages, fetched online): a title, author list or year a person typed or a reference manager
  shortened never replaces PubMed's (``defers``);
- link lists are unions in order: what was known stays, new targets are appended (link entries
  here; stored documents link by id, see ``store.changes``);
- nothing is ever dropped: a link seen twice keeps every source that gave it;
- citation metrics (``store.metrics``) are kept per source, the newer fetch winning (``merge_metrics``).
"""

from __future__ import annotations

from typing import Any

from store.ids import doi_key, identity_keys
from store.model import ARTICLE_LIST_FIELDS, ARTICLE_TEXT_FIELDS, LINK_TEXT_FIELDS, REFERENCE_FORMATS, Author

Doc = dict[str, Any]
ID_FIELDS = ("pmid", "pmcid", "doi")
LINK_RELATIONS = ("references", "cited_by")
INVERSE = {"references": "cited_by", "cited_by": "references"}
# Fields a full record states about itself; an incoming full record replaces them when it has them.
RECORD_FIELDS = (
    *ARTICLE_TEXT_FIELDS,
    "year",
    "authors",
    "abstract",
    "citation_count",
    *ARTICLE_LIST_FIELDS,
)


def doc_keys(doc: Doc) -> list[str]:
    """Identity keys of an article document or a link entry (see ``store.ids.identity_keys``).

    Written out rather than delegated: imports call this a few hundred times per record.
    """
    keys: list[str] = []
    if value := doc.get("pmid"):
        keys.append("pmid:" + value)
    if value := doc.get("pmcid"):
        keys.append("pmc:" + value)
    if value := doc.get("doi"):
        keys.append(doi_key(value))
    if not keys:
        return identity_keys(title=doc.get("title", ""), year=doc.get("year"))
    return keys


def _same_id(kind: str, a: str, b: str) -> bool:
    return a.lower() == b.lower() if kind == "doi" else a == b


def compatible(a: Doc, b: Doc) -> bool:
    """False when the two name different articles: some identifier is set in both and differs."""
    for kind in ID_FIELDS:
        x, y = a.get(kind), b.get(kind)
        if x and y and not _same_id(kind, x, y):
            return False
    return True


def fill_ids(into: Doc, other: Doc) -> bool:
    """Copy identifiers ``into`` lacks from ``other``. Returns whether anything changed."""
    changed = False
    for kind in ID_FIELDS:
        if not into.get(kind) and other.get(kind):
            into[kind] = other[kind]
            changed = True
    return changed


def _union_sources(into: Doc, other: Doc) -> bool:
    extra = [s for s in other.get("sources", []) if s not in into.get("sources", [])]
    if extra:
        into["sources"] = [*into.get("sources", []), *extra]
    return bool(extra)


def merge_link(into: Doc, other: Doc) -> bool:
    """Fold what ``other`` says of the same target into ``into`` (gaps only). Returns whether it changed."""
    changed = fill_ids(into, other)
    for key in (*LINK_TEXT_FIELDS, "authors", "year"):
        if key not in into and other.get(key) not in (None, "", []):
            into[key] = other[key]
            changed = True
    return _union_sources(into, other) or changed


def link_adds(existing: Doc, entry: Doc) -> bool:
    """Whether merging ``entry`` into ``existing`` would change it (``merge_link`` without copying)."""
    for key, value in entry.items():
        if key == "sources":
            have = existing.get("sources", ())
            if any(s not in have for s in value):
                return True
        elif key not in existing and value not in (None, "", []):
            return True
    return False


def stub_lacks(stub: Doc, entry: Doc) -> bool:
    """Whether a link entry may tell a stub something: a field the stub does not hold (quicker than
    ``link_adds``, and sure to say yes when merging would change the stub: an import asks once a link)."""
    for key in entry:  # noqa: SIM110 (a loop: any() and its generator cost twice as much)
        if key not in stub and key != "sources":
            return True
    return False


def link_keymap(links: list[Doc]) -> dict[str, int]:
    """Identity key -> position in ``links``, for adding to a long list in constant time."""
    keymap: dict[str, int] = {}
    for pos, entry in enumerate(links):
        for key in doc_keys(entry):
            keymap.setdefault(key, pos)
    return keymap


def find_link(links: list[Doc], keymap: dict[str, int], entry: Doc, keys: list[str]) -> int | None:
    """Where in ``links`` the link to ``entry``'s target is (same identity, see ``compatible``)."""
    hits = [keymap[k] for k in keys if k in keymap and compatible(links[keymap[k]], entry)]
    return min(hits) if hits else None


def add_link(links: list[Doc], keymap: dict[str, int], entry: Doc, keys: list[str] | None = None) -> bool:
    """Add ``entry`` to ``links`` unless a link to the same target is there, then merge into it.

    ``keys``: the entry's identity keys, when the caller has them already.
    """
    if keys is None:
        keys = doc_keys(entry)
    pos = find_link(links, keymap, entry, keys)
    if pos is not None:
        changed = merge_link(links[pos], entry)
        if changed:
            for key in doc_keys(links[pos]):
                keymap.setdefault(key, pos)
        return changed
    links.append(dict(entry))
    for key in keys:
        keymap.setdefault(key, len(links) - 1)
    return True


def union_links(links: list[Doc], extra: list[Doc]) -> bool:
    keymap = link_keymap(links)
    changed = False
    for entry in extra:
        changed = add_link(links, keymap, entry) or changed
    return changed


def merge_record(into: Doc, other: Doc, *, authoritative: bool) -> None:
    """Merge the document ``other`` into ``into`` in place (links aside: ``store.changes`` keeps them).

    ``authoritative``: ``other`` is a full record whose stated fields replace those of ``into``;
    otherwise ``other`` only fills gaps. Origins are always unions.
    """
    fill_ids(into, other)
    authoritative = authoritative and not defers(into, other)
    for key in RECORD_FIELDS:
        value = other.get(key)
        if value in (None, "", []):
            continue
        if authoritative or key not in into:
            into[key] = value
    if other.get("metrics"):
        into["metrics"] = merge_metrics(into.get("metrics"), other["metrics"])
    origins = into.get("origins", [])
    for origin in other.get("origins", []):
        if origin not in origins:
            origins.append(origin)
    if origins:
        into["origins"] = origins
    if not other.get("stub"):
        into.pop("stub", None)


def from_pubmed(doc: Doc) -> bool:
    """Whether a record came (in part) from a PubMed-quality source: an origin that is not a reference
    manager's format."""
    return any(o.get("format") not in REFERENCE_FORMATS for o in doc.get("origins", ()))


def defers(into: Doc, other: Doc) -> bool:
    """Whether ``other``, a record from reference managers only, meets a record from PubMed-quality
    sources (``into``): then it only fills gaps."""
    return bool(other.get("origins")) and not from_pubmed(other) and from_pubmed(into)


def merge_metrics(have: Doc | None, incoming: Doc) -> Doc:
    """Two ``metrics`` of one article (``store.metrics``: one record per source) as one.

    Per source, the record fetched later wins whole: a service's numbers are one snapshot, so fields of
    two fetches are never mixed (an RCR of 2026 beside a citation count of 2024 would be neither's).
    A later record stating exactly what the held one states is not taken: the record, and the time it
    was fetched, stay as they were, so fetching again what has not changed changes nothing. A source
    only one side has is kept; on equal fetch times the held record stays. Neither argument is changed.
    """
    merged: Doc = dict(have or {})
    for source, record in incoming.items():
        held = merged.get(source)
        if held is None or (
            str(record.get("fetched", "")) > str(held.get("fetched", "")) and _stated(record) != _stated(held)
        ):
            merged[source] = record
    return merged


def _stated(record: Doc) -> Doc:
    return {key: value for key, value in record.items() if key != "fetched"}


def stub_from_link(entry: Doc) -> Doc:
    """The document of a stub: what one link says of its target."""
    doc: Doc = {key: entry[key] for key in ID_FIELDS if entry.get(key)}
    for key in (*LINK_TEXT_FIELDS, "year"):
        if entry.get(key) not in (None, ""):
            doc[key] = entry[key]
    if entry.get("authors"):
        doc["authors"] = [Author.from_name(name).to_doc() for name in entry["authors"]]
    doc["stub"] = True
    return doc


def link_to(doc: Doc, sources: list[str]) -> Doc:
    """A link entry naming the article ``doc`` by its strongest identifier (or its title if it has none).

    One identifier is enough: the entry only has to resolve to the record, which holds the rest.
    """
    entry: Doc = {}
    for key in ID_FIELDS:
        if doc.get(key):
            entry[key] = doc[key]
            break
    else:
        entry = {key: doc[key] for key in ("title", "year") if doc.get(key) not in (None, "")}
    if sources:
        entry["sources"] = list(sources)
    return entry
