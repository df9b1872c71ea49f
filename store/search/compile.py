"""Turning a parsed query (``store.search.query``) into a tantivy query against the index's fields."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import tantivy

from store.ids import normalise_doi, normalise_pmcid, normalise_pmid
from store.search.fields import HEADING_SEP, SCHEMA, analyze, author_key
from store.search.query import Compare, Filter, MatchAll, Node, Op, QuerySyntaxError, Term

# Untagged words search these fields (with these boosts).
ALL_FIELDS = {"title": 2.0, "abstract": 1.0, "author": 1.0, "journal": 1.0, "mesh": 1.0, "keywords": 1.0}
TAG_FIELDS = {"ti": ("title",), "ab": ("abstract",), "tiab": ("title", "abstract")}
# Resolves a mark filter (kind, value) to the identity keys of the marked articles.
MarkLookup = Callable[[str, str], set[str]]
# The query for the documents cited from ``low`` to ``high`` times (inclusive; None: no bound) by the
# library's live counts (``store.search.cited.cited_between``). Without one (the library cannot be read),
# the index's own counts, as of each document's indexing, are compared.
CitedLookup = Callable[[int | None, int | None], Any]
# Resolves the folded words of a ``[mh]`` term (the last one a prefix when the term ends in ``*``) to
# the ``mesh_words`` terms of the headings in the index that contain them all.
HeadingLookup = Callable[[list[str], bool], list[str]]
# How deeply boolean queries may nest. Every switch between AND, OR and NOT in a chain nests one level
# (operators apply left to right), and tantivy walks the nesting recursively: a few thousand levels
# overflow its stack and kill the process, so a query is refused well before that.
MAX_NESTING = 200
# An OR of at least this many PMIDs (a pasted list) is one set lookup rather than a clause each.
PMID_SET_MIN = 3
# The index field each compared metric is in, and its type there (``store.search.fields``).
COMPARED_FIELDS = {
    "rcr": ("rcr", tantivy.FieldType.Float),
    "percentile": ("percentile", tantivy.FieldType.Float),
    "apt": ("apt", tantivy.FieldType.Float),
    "cited": ("cited", tantivy.FieldType.Integer),
}
# Flags of ``is:`` and ``has:`` that are index fields holding 1 for yes.
FLAG_FIELDS = {
    ("is", "clinical"): "clinical",
    ("is", "research"): "research",
    ("has", "metrics"): "has_metrics",
}


def compile_query(
    node: Node,
    marks: MarkLookup | None,
    query: str,
    headings: HeadingLookup | None = None,
    cited: CitedLookup | None = None,
) -> Any:
    """The tantivy query for ``node``; ``query`` is the text it came from (for error positions)."""
    return _Compiler(marks, query, headings, cited).top(node)


class _Compiler:
    """Turns a query tree into a tantivy query.

    A term with nothing searchable in it (``&``, ``-``) compiles to None and drops out of the
    expression around it, rather than matching nothing and emptying every AND it is part of.
    """

    def __init__(
        self,
        marks: MarkLookup | None,
        query: str,
        headings: HeadingLookup | None = None,
        cited: CitedLookup | None = None,
    ) -> None:
        self.marks = marks
        self.query = query
        self.headings = headings
        self.cited = cited
        self.nesting = 0

    def error(self, message: str, node: Term) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, node.position)

    def top(self, node: Node) -> Any:
        compiled = self.compile(node)
        if compiled is None:
            raise QuerySyntaxError("there is nothing to search for in this query", self.query, 0)
        return compiled

    def compile(self, node: Node) -> Any | None:
        """Compile without recursing along a chain of operators.

        ``a OR b OR c ...`` parses into a tree as deep as the chain is long (operators apply left to
        right), and people paste thousands of PMIDs joined by OR: the chain is walked in a loop and
        each run of one operator becomes one flat boolean query. Only parentheses recurse, and the
        parser bounds their depth.
        """
        chain: list[tuple[str, Node]] = []
        while isinstance(node, Op):
            chain.append((node.op, node.right))
            node = node.left
        chain.reverse()
        entered = self.nesting
        current = self.leaf(node)
        i = 0
        while i < len(chain):
            op = chain[i][0]
            j = i
            while j < len(chain) and chain[j][0] == op:
                j += 1
            self.nesting += 1
            if self.nesting > MAX_NESTING:
                raise QuerySyntaxError(
                    f"the query switches between AND, OR and NOT more than {MAX_NESTING} times; "
                    "group its parts with parentheses",
                    self.query,
                    _position(chain[i][1]),
                )
            current = self.combine(op, current, [right for _op, right in chain[i:j]])
            i = j
        self.nesting = entered
        return current

    def leaf(self, node: Node) -> Any | None:
        if isinstance(node, MatchAll):
            return tantivy.Query.all_query()
        if isinstance(node, Filter):
            return self.filter(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Op):
            return self.compile(node)  # a parenthesised group
        return self.term(node)

    def combine(self, op: str, left: Any | None, operands: list[Node]) -> Any | None:
        """``left op x op y ...`` as one boolean query; operands that compile to None drop out."""
        rights: list[Any] = []
        if op == "OR":
            operands, pmids = _split_pmids(operands)
            if pmids:
                rights.append(self.pmid_set(pmids))
        rights.extend(q for q in map(self.leaf, operands) if q is not None)
        if not rights:
            return left
        if op == "NOT":
            base = tantivy.Query.all_query() if left is None else left
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, base), *((tantivy.Occur.MustNot, q) for q in rights)]
            )
        clauses = rights if left is None else [left, *rights]
        if len(clauses) == 1:
            return clauses[0]
        occur = tantivy.Occur.Must if op == "AND" else tantivy.Occur.Should
        return tantivy.Query.boolean_query([(occur, q) for q in clauses])

    @staticmethod
    def pmid_set(terms: list[Term]) -> Any:
        """Many PMIDs ORed: one term set on the PMID field, and (for untagged numbers, which also search
        the text) one term set per text field."""
        pmids = sorted({p for t in terms if (p := normalise_pmid(t.text))})
        queries = [tantivy.Query.term_set_query(SCHEMA, "pmid", pmids)]
        words = sorted({w for t in terms if t.field is None for w in analyze(t.text)})
        if words:
            queries.extend(tantivy.Query.term_set_query(SCHEMA, name, words) for name in ALL_FIELDS)
        return _any(queries)

    def term(self, term: Term) -> Any | None:
        field = term.field
        if field is None:
            queries = [self.text(name, term, boost) for name, boost in ALL_FIELDS.items()]
            if not term.phrase and (pmid := normalise_pmid(term.text)):
                queries.append(tantivy.Query.term_query(SCHEMA, "pmid", pmid))
            if not term.phrase and (pmcid := _bare_pmcid(term.text)):
                queries.append(tantivy.Query.term_query(SCHEMA, "pmcid", pmcid))
            if not term.phrase and (doi := normalise_doi(term.text)):
                queries.append(tantivy.Query.term_query(SCHEMA, "doi_key", doi.lower()))
            return _any(queries)
        if field in TAG_FIELDS:
            return _any([self.text(name, term, ALL_FIELDS[name]) for name in TAG_FIELDS[field]])
        if field == "ta":
            return self.text("journal", term, 1.0)
        if field == "mh":
            return self.mesh(term)
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

    def mesh(self, term: Term) -> Any | None:
        """``stem cells[mh]``: the records with a heading that holds every word, in any order ("Cells,
        Cultured" is found by ``cultured cells[mh]``); narrower headings are not added (no explosion).
        A term naming a qualifier (``Neoplasms/pathology[mh]``) is matched as a phrase of the whole."""
        words = analyze(term.text)
        if not words:
            return None
        if self.headings is None or "/" in term.text:
            return self.text("mesh", term, 1.0)
        terms = self.headings(words, term.wildcard)
        if not terms:
            return tantivy.Query.empty_query()
        return tantivy.Query.term_set_query(SCHEMA, "mesh_words", terms)

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
        return _range("year", tantivy.FieldType.Integer, first, last)

    def compare(self, node: Compare) -> Any:
        """``rcr>2``: a range on the metric's field; records without the number are not in the field.

        ``cited`` compares the library's live count (``CitedLookup``): a record's count grows as later
        records cite it, which re-indexes nothing, so the count its index document holds is as of its
        indexing (a stub cited by two records of one import and two of the next holds 2 there, and
        ``cited>=3`` must find it). The count a hit shows is the live one too."""
        if node.field == "cited" and self.cited is not None:
            return self.cited(*_count_bounds(node.op, node.value))
        field, kind = COMPARED_FIELDS[node.field]
        value: float | int = node.value
        if kind == tantivy.FieldType.Integer:
            # A count compared with 2.5: > 2.5 is >= 3, < 2.5 is <= 2; = 2.5 matches nothing.
            if node.op == "=" and not node.value.is_integer():
                return tantivy.Query.empty_query()
            low, high = math.floor(node.value), math.ceil(node.value)
            if node.op in (">", ">=") and not node.value.is_integer():
                return _range(field, kind, high, None)
            if node.op in ("<", "<=") and not node.value.is_integer():
                return _range(field, kind, None, low)
            value = int(node.value)
        if node.op == "=":
            return _range(field, kind, value, value)
        if node.op in (">", ">="):
            return _range(field, kind, value, None, include_lower=node.op == ">=")
        return _range(field, kind, None, value, include_upper=node.op == "<=")

    def filter(self, node: Filter) -> Any:
        if (node.kind, node.value) in FLAG_FIELDS:
            return tantivy.Query.term_query(SCHEMA, FLAG_FIELDS[(node.kind, node.value)], 1)
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


def _count_bounds(op: str, value: float) -> tuple[int | None, int | None]:
    """The whole counts ``op value`` admits, as (lowest, highest), inclusive (None: no bound; a lowest
    above the highest: none). A count compared with 2.5: > 2.5 is >= 3, < 2.5 is <= 2; = 2.5 is none."""
    if op == "=":
        return (int(value), int(value)) if value.is_integer() else (1, 0)
    if op in (">", ">="):
        lowest = math.floor(value) + 1 if op == ">" else math.ceil(value)
        return max(lowest, 0), None
    highest = math.ceil(value) - 1 if op == "<" else math.floor(value)
    return None, highest


def _position(node: Node) -> int:
    """Where a node starts in the query (the leftmost term of an operator)."""
    while isinstance(node, Op):
        node = node.left
    return node.position if isinstance(node, Term | Filter | Compare) else 0


def _bare_pmcid(text: str) -> str | None:
    """``PMC4631030`` typed untagged (a bare number is a PMID, so the ``PMC`` must be there)."""
    return normalise_pmcid(text) if text[:3].upper() == "PMC" else None


def _is_pmid_term(node: Node) -> bool:
    if not isinstance(node, Term) or node.phrase or node.wildcard or node.field not in (None, "pmid"):
        return False
    return normalise_pmid(node.text) is not None


def _split_pmids(operands: list[Node]) -> tuple[list[Node], list[Term]]:
    """The operands of an OR that are PMIDs (bare numbers or ``[pmid]``), when there are enough of them
    to be a pasted list, apart from the rest."""
    pmids = [node for node in operands if _is_pmid_term(node)]
    if len(pmids) < PMID_SET_MIN:
        return operands, []
    return [node for node in operands if not _is_pmid_term(node)], [t for t in pmids if isinstance(t, Term)]


def heading_matches(heading_words: list[str], words: list[str], wildcard: bool) -> bool:
    """Whether a heading's folded words hold every query word (the last one as a prefix if wildcard)."""
    *whole, last = words
    if not all(w in heading_words for w in whole):
        return False
    if wildcard:
        return any(h.startswith(last) for h in heading_words)
    return last in heading_words


def heading_of(mesh_term: str) -> str:
    """The heading of a ``mesh_words`` term."""
    return mesh_term.partition(HEADING_SEP)[2]


def _range(field: str, kind: Any, low: float | None, high: float | None, **inclusive: bool) -> Any:
    """A range on ``field`` (``[dp]``, ``rcr>2``; None: unbounded) adding 1 to every hit's score, in
    every segment of the index.

    Bare, tantivy's range query adds 1 to the hits of a segment that holds values out of the range,
    and nothing to those of a segment whose every document is in it (there it becomes a match-all,
    which a boolean query drops): a relevance ranking then depended on how documents happened to be
    grouped into segments (``mesenchymal[ti] AND 2009[dp]`` scored 24.30 in one index and 25.30 in
    another of the same documents)."""
    bare = tantivy.Query.range_query(SCHEMA, field, kind, low, high, **inclusive)  # (include_lower/_upper)
    return tantivy.Query.const_score_query(bare, 1.0)


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
