"""Turning a parsed query (``store.search.query``) into a tantivy query against the index's fields."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import tantivy

from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.search.fields import SCHEMA, analyze, author_key
from store.search.query import Filter, MatchAll, Node, Op, QuerySyntaxError, Term

# Untagged words search these fields (with these boosts).
ALL_FIELDS = {"title": 2.0, "abstract": 1.0, "author": 1.0, "journal": 1.0, "mesh": 1.0, "keywords": 1.0}
TAG_FIELDS = {"ti": ("title",), "ab": ("abstract",), "tiab": ("title", "abstract")}
# Resolves a mark filter (kind, value) to the identity keys of the marked articles.
MarkLookup = Callable[[str, str], set[str]]


def compile_query(node: Node, marks: MarkLookup | None, query: str) -> Any:
    """The tantivy query for ``node``; ``query`` is the text it came from (for error positions)."""
    return _Compiler(marks, query).top(node)


class _Compiler:
    """Turns a query tree into a tantivy query.

    A term with nothing searchable in it (``&``, ``-``) compiles to None and drops out of the
    expression around it, rather than matching nothing and emptying every AND it is part of.
    """

    def __init__(self, marks: MarkLookup | None, query: str) -> None:
        self.marks = marks
        self.query = query

    def error(self, message: str, node: Term) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, node.position)

    def top(self, node: Node) -> Any:
        compiled = self.compile(node)
        if compiled is None:
            raise QuerySyntaxError("there is nothing to search for in this query", self.query, 0)
        return compiled

    def compile(self, node: Node) -> Any | None:
        if isinstance(node, MatchAll):
            return tantivy.Query.all_query()
        if isinstance(node, Op):
            left, right = self.compile(node.left), self.compile(node.right)
            if right is None:
                return left
            if left is None:
                if node.op != "NOT":
                    return right
                left = tantivy.Query.all_query()
            if node.op == "AND":
                return tantivy.Query.boolean_query([(tantivy.Occur.Must, left), (tantivy.Occur.Must, right)])
            if node.op == "OR":
                return tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, left), (tantivy.Occur.Should, right)]
                )
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, left), (tantivy.Occur.MustNot, right)])
        if isinstance(node, Filter):
            return self.filter(node)
        return self.term(node)

    def term(self, term: Term) -> Any | None:
        field = term.field
        if field is None:
            queries = [self.text(name, term, boost) for name, boost in ALL_FIELDS.items()]
            if not term.phrase and (pmid := normalise_pmid(term.text)):
                queries.append(tantivy.Query.term_query(SCHEMA, "pmid", pmid))
            if not term.phrase and (doi := normalise_doi(term.text)):
                queries.append(tantivy.Query.term_query(SCHEMA, "doi_key", doi.lower()))
            return _any(queries)
        if field in TAG_FIELDS:
            return _any([self.text(name, term, ALL_FIELDS[name]) for name in TAG_FIELDS[field]])
        if field == "ta":
            return self.text("journal", term, 1.0)
        if field == "mh":
            return self.text("mesh", term, 1.0)
        if field == "au":
            return self.author(term)
        if field == "dp":
            return self.date(term)
        if field == "pmid":
            pmid = normalise_pmid(term.text)
            if not pmid:
                raise self.error(f"{term.text!r} is not a PMID", term)
            return tantivy.Query.term_query(SCHEMA, "pmid", pmid)
        if field == "pmc":
            pmcid = normalise_pmcid(term.text)
            if not pmcid:
                raise self.error(f"{term.text!r} is not a PMCID", term)
            return tantivy.Query.term_query(SCHEMA, "pmcid", pmcid)
        if field == "doi":
            doi = normalise_doi(term.text) or term.text.strip()
            if term.wildcard:
                return tantivy.Query.regex_query(SCHEMA, "doi_key", _escape(doi.lower()) + ".*")
            return tantivy.Query.term_query(SCHEMA, "doi_key", doi.lower())
        raise AssertionError(field)

    @staticmethod
    def text(field: str, term: Term, boost: float) -> Any | None:
        tokens: list[str | tuple[int, str]] = list(analyze(term.text))
        if not tokens:
            return None
        if len(tokens) == 1:
            if term.wildcard:
                query = tantivy.Query.regex_query(SCHEMA, field, _escape(str(tokens[0])) + ".*")
            else:
                query = tantivy.Query.term_query(SCHEMA, field, tokens[0])
        elif term.wildcard:
            query = tantivy.Query.phrase_prefix_query(SCHEMA, field, tokens)
        else:
            query = tantivy.Query.phrase_query(SCHEMA, field, tokens)
        return tantivy.Query.boost_query(query, boost) if boost != 1.0 else query

    @staticmethod
    def author(term: Term) -> Any | None:
        """``Smith[au]``: that surname; ``Smith JA[au]``: initials beginning so. A last word of up to
        three letters may be initials or part of the surname (``Van Dam``): both are searched."""
        words = term.text.split()
        whole = author_key(" ".join(words))
        if not whole:
            return None
        if term.wildcard:
            return tantivy.Query.regex_query(SCHEMA, "author_last", _escape(whole) + ".*")
        queries = [tantivy.Query.term_query(SCHEMA, "author_last", whole)]
        if len(words) > 1 and len(words[-1]) <= 3 and words[-1].isalpha():
            surname = author_key(" ".join(words[:-1]))
            if surname:
                pattern = _escape(f"{surname} {words[-1].lower()}") + ".*"
                queries.append(tantivy.Query.regex_query(SCHEMA, "author_full", pattern))
        return _any(queries)

    def date(self, term: Term) -> Any:
        text = term.text.strip()
        low, sep, high = text.partition(":")
        try:
            first = int(low.strip()[:4])
            last = int(high.strip()[:4]) if sep else first
        except ValueError:
            raise self.error(f"{text!r} is not a year or a range of years like 2018:2020", term) from None
        if first > last:
            first, last = last, first
        return tantivy.Query.range_query(SCHEMA, "year", tantivy.FieldType.Integer, first, last)

    def filter(self, node: Filter) -> Any:
        if node.kind == "is" and node.value in ("stub", "full"):
            return tantivy.Query.term_query(SCHEMA, "stub", 1 if node.value == "stub" else 0)
        if node.kind == "has" and node.value == "abstract":
            return tantivy.Query.term_query(SCHEMA, "has_abstract", 1)
        kind, value = ("mark", node.value) if node.kind == "is" else (node.kind, node.value)
        if value == "unscreened":
            screened = self._keys("mark", "included") | self._keys("mark", "excluded")
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, _keyset(screened))]
            )
        return _keyset(self._keys(kind, value))

    def _keys(self, kind: str, value: str) -> set[str]:
        return self.marks(kind, value) if self.marks is not None else set()


def _keyset(keys: set[str]) -> Any:
    if not keys:
        return tantivy.Query.empty_query()
    return tantivy.Query.term_set_query(SCHEMA, "keys", sorted(keys))


def _any(queries: Sequence[Any | None]) -> Any | None:
    present = [q for q in queries if q is not None]
    if len(present) <= 1:
        return present[0] if present else None
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in present])


# Characters with a meaning in tantivy's (Rust's) regex syntax. Escaping others is not always
# harmless: "\<" and "\>" are word boundaries there.
_REGEX_META = frozenset(".+*?()|[]{}^$\\#&-~")


def _escape(text: str) -> str:
    """Escape a literal for tantivy's regex syntax."""
    return "".join("\\" + c if c in _REGEX_META else c for c in text)
