"""The search language: PubMed's syntax, parsed into a small tree.

- Terms are ANDed; ``AND``, ``OR``, ``NOT`` (upper case, as in PubMed) and parentheses combine them.
  Like PubMed, operators apply strictly left to right: ``a OR b AND c`` is ``(a OR b) AND c``.
- ``"quoted phrases"``; a trailing wildcard ``exosom*``.
- Field tags after a term or phrase: ``[ti]``, ``[ab]``, ``[tiab]``, ``[au]``, ``[ta]``/``[journal]``,
  ``[dp]`` (``2019`` or ``2018:2020``), ``[pmid]``, ``[mh]`` (also ``[mh:noexp]``), ``[doi]`` (and their
  long names). ``[mh]`` finds a heading that holds every word, in any order, without explosion.
  A tag applies to the word before it; ``[au]`` also takes a surname's particles and initials
  (``de Ruiter P[au]``, ``Smith JA[au]``); ``[ta]`` and ``[mh]`` take every word back to the previous
  operator or parenthesis (``AND Stem Cell Res Ther[ta]``). Quote a phrase to be explicit.
- Filters on your marks: ``starred``, ``included``, ``excluded``, ``unscreened``, ``tag:NAME``,
  ``has:note``; and ``is:stub`` / ``is:full``. (To search the word "starred" itself, quote it.)
- Citation metrics (``store.metrics``): ``rcr>2`` (iCite's Relative Citation Ratio; also ``>=``,
  ``<``, ``<=``, ``=``), ``cited>=50`` (the citation count: the record's, the library's citing
  articles, or a service's, whichever is largest), ``percentile>90`` (NIH percentile), ``apt>=0.75``;
  ``is:clinical`` and ``is:research`` (iCite's flags), ``has:metrics``. A record without the number
  never matches a comparison.
"""

from __future__ import annotations

import re

from store.errors import PmbrowseError
from store.search.nodes import Compare as Compare
from store.search.nodes import Filter as Filter
from store.search.nodes import MatchAll as MatchAll
from store.search.nodes import Node as Node
from store.search.nodes import Op as Op
from store.search.nodes import Term as Term
from store.values import Value

TAGS = {
    "ti": "ti",
    "title": "ti",
    "ab": "ab",
    "abstract": "ab",
    "tiab": "tiab",
    "title/abstract": "tiab",
    "au": "au",
    "author": "au",
    "ta": "ta",
    "journal": "ta",
    "dp": "dp",
    "pdat": "dp",
    "publication date": "dp",
    "pmid": "pmid",
    "uid": "pmid",
    "mh": "mh",
    "mesh": "mh",
    "mesh terms": "mh",
    # PubMed's "no explosion" form: [mh] never adds narrower headings, so they are the same here.
    "mh:noexp": "mh",
    "mesh:noexp": "mh",
    "mesh terms:noexp": "mh",
    "doi": "doi",
    "pmc": "pmc",
    "pmcid": "pmc",
}
# Tags that take more than one preceding word.
RUN_TAGS = {"ta", "mh"}
FILTER_WORDS = {
    "starred": ("mark", "starred"),
    "included": ("mark", "included"),
    "excluded": ("mark", "excluded"),
    "unscreened": ("mark", "unscreened"),
}
FILTER_PREFIXES = {"tag:": "tag", "is:": "is", "has:": "has"}
IS_VALUES = {"stub", "full", "starred", "included", "excluded", "unscreened", "clinical", "research"}
HAS_VALUES = {"note", "tags", "abstract", "metrics"}
# Numbers a query can compare: ``rcr>2``.
COMPARED = ("rcr", "cited", "percentile", "apt")
_COMPARISON = re.compile(r"^(rcr|cited|percentile|apt)(>=|<=|>|<|=)(.*)$", re.IGNORECASE)
PARTICLES = {
    "de",
    "van",
    "der",
    "von",
    "la",
    "le",
    "di",
    "da",
    "del",
    "dos",
    "du",
    "ten",
    "ter",
    "den",
    "al",
    "el",
}
_INITIALS = re.compile(r"^[A-Za-z]{1,3}$")
OPERATORS = ("AND", "OR", "NOT")
MAX_DEPTH = 50


class QuerySyntaxError(PmbrowseError):
    """A query that cannot be parsed; ``position`` is the 0-based column of the problem."""

    def __init__(self, message: str, query: str, position: int) -> None:
        self.message = message
        self.query = query
        self.position = max(0, min(position, len(query)))
        super().__init__(f"{message} (column {self.position + 1})")

    def pointer(self) -> str:
        """The query and a caret under the problem, for a terminal."""
        return f"{self.query}\n{' ' * self.position}^"


class _Token(Value):
    __slots__ = ("kind", "text", "position")  # noqa: RUF023 (in the fields' order)
    kind: str  # word, phrase, tag, op, open, close
    text: str
    position: int

    def __init__(self, kind: str, text: str, position: int) -> None:
        self._set(kind, text, position)


_WORD = re.compile(r'[^\s"()\[\]]+')


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        c = query[i]
        if c.isspace():
            i += 1
        elif c == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("this quote is never closed", query, i)
            tokens.append(_Token("phrase", query[i + 1 : end], i))
            i = end + 1
        elif c == "[":
            end = query.find("]", i + 1)
            if end < 0:
                raise QuerySyntaxError("this '[' is never closed", query, i)
            tokens.append(_Token("tag", query[i + 1 : end], i))
            i = end + 1
        elif c in "()":
            tokens.append(_Token("open" if c == "(" else "close", c, i))
            i += 1
        elif c == "]":
            raise QuerySyntaxError("']' without '['", query, i)
        else:
            m = _WORD.match(query, i)
            assert m is not None
            word = m.group()
            tokens.append(_Token("op" if word in OPERATORS else "word", word, i))
            i = m.end()
    return tokens


class _Atom(Value):
    """A term or filter, ready for the expression parser."""

    __slots__ = ("node", "position")
    node: Node
    position: int

    def __init__(self, node: Node, position: int) -> None:
        self._set(node, position)


class _Parser:
    """Two passes: group words and their tags into atoms, then combine atoms left to right."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.items = self.atoms(_tokens(query))
        self.i = 0
        self.depth = 0

    def error(self, message: str, position: int | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, len(self.query) if position is None else position)

    # Pass 1: atoms --------------------------------------------------------------------------

    def atoms(self, tokens: list[_Token]) -> list[_Atom | _Token]:
        items: list[_Atom | _Token] = []
        run: list[_Token] = []

        def end_run(field: str | None) -> None:
            bound = self.bind(run, field) if field else 0
            items.extend(_Atom(self.word(t), t.position) for t in run[: len(run) - bound])
            if bound:
                first = run[len(run) - bound]
                text = " ".join(t.text for t in run[len(run) - bound :])
                items.append(_Atom(self.term(text, field, first.position, phrase=bound > 1), first.position))
            run.clear()

        for n, token in enumerate(tokens):
            if token.kind == "word":
                run.append(token)
            elif token.kind == "tag":
                field = self.tag(token)
                if run:
                    end_run(field)
                elif n > 0 and tokens[n - 1].kind == "phrase":
                    phrase = items.pop()
                    assert isinstance(phrase, _Atom) and isinstance(phrase.node, Term)
                    items.append(
                        _Atom(
                            self.term(phrase.node.text, field, phrase.position, phrase=True), phrase.position
                        )
                    )
                else:
                    raise self.error(f"the tag [{token.text}] has no search term before it", token.position)
            else:
                end_run(None)
                if token.kind == "phrase":
                    if not token.text.strip():
                        raise self.error("empty quotes", token.position)
                    items.append(
                        _Atom(self.term(token.text, None, token.position, phrase=True), token.position)
                    )
                else:
                    items.append(token)
        end_run(None)
        return items

    def tag(self, token: _Token) -> str:
        name = " ".join(token.text.lower().split())
        if name not in TAGS:
            known = ", ".join(sorted({f"[{t}]" for t in TAGS.values()}))
            raise self.error(f"[{token.text}] is not a field tag pmbrowse knows ({known})", token.position)
        return TAGS[name]

    @staticmethod
    def bind(run: list[_Token], field: str | None) -> int:
        """How many words at the end of ``run`` a tag takes."""
        if field in RUN_TAGS:
            return len(run)
        if field != "au":
            return 1
        n = 1
        if len(run) >= 2 and _INITIALS.match(run[-1].text.rstrip("*")) and not run[-2].text.endswith("*"):
            n = 2  # surname and initials
        while n < len(run) and run[-n - 1].text.lower() in PARTICLES:
            n += 1
        return n

    def word(self, token: _Token) -> Node:
        text = token.text
        lowered = text.lower()
        if m := _COMPARISON.match(text):
            return self.compare(m.group(1).lower(), m.group(2), m.group(3), token.position)
        if lowered in FILTER_WORDS:
            kind, value = FILTER_WORDS[lowered]
            return Filter(kind, value, token.position)
        for prefix, kind in FILTER_PREFIXES.items():
            if lowered.startswith(prefix):
                value = text[len(prefix) :]
                if not value:
                    raise self.error(f"'{prefix}' needs a value", token.position)
                if kind == "is" and value.lower() not in IS_VALUES:
                    raise self.error(
                        f"is:{value} is not one of {', '.join(sorted(IS_VALUES))}", token.position
                    )
                if kind == "has" and value.lower() not in HAS_VALUES:
                    raise self.error(
                        f"has:{value} is not one of {', '.join(sorted(HAS_VALUES))}", token.position
                    )
                return Filter(kind, value if kind == "tag" else value.lower(), token.position)
        return self.term(text, None, token.position, phrase=False)

    def compare(self, field: str, op: str, number: str, position: int) -> Compare:
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not number.isascii() or value != value or value in (float("inf"), float("-inf")):
            raise self.error(f"{field}{op} needs a number after it, like {field}{op}2", position)
        return Compare(field, op, value, position)

    def term(self, text: str, field: str | None, position: int, *, phrase: bool) -> Term:
        wildcard = text.endswith("*")
        core = text.rstrip("*") if wildcard else text
        star = core.find("*")
        if star >= 0:
            raise self.error("the wildcard * can only end a word", position + star + (1 if phrase else 0))
        if wildcard and not core.strip():
            raise self.error("a wildcard needs some letters before it", position)
        return Term(core, field, phrase, wildcard, position)

    # Pass 2: expressions --------------------------------------------------------------------

    def peek(self) -> _Atom | _Token | None:
        return self.items[self.i] if self.i < len(self.items) else None

    def parse(self) -> Node:
        if not self.items:
            return MatchAll()
        node = self.expression()
        item = self.peek()
        if item is not None:
            raise self.error("this ')' has no '(' before it", item.position)
        return node

    def expression(self) -> Node:
        node = self.operand()
        while (item := self.peek()) is not None and not (isinstance(item, _Token) and item.kind == "close"):
            if isinstance(item, _Token) and item.kind == "op":
                self.i += 1
                after = self.peek()
                if after is None or (isinstance(after, _Token) and after.kind in ("op", "close")):
                    raise self.error(f"{item.text} has nothing after it", item.position)
                node = Op(item.text, node, self.operand())
            else:
                node = Op("AND", node, self.operand())
        return node

    def operand(self) -> Node:
        item = self.peek()
        if item is None:
            raise self.error("a search term is missing here")
        if isinstance(item, _Atom):
            self.i += 1
            return item.node
        if item.kind == "op":
            raise self.error(f"{item.text} needs a search term before it", item.position)
        if item.kind == "close":
            raise self.error("this ')' has no '(' before it", item.position)
        # An opening parenthesis.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"parentheses nest deeper than {MAX_DEPTH} levels", item.position)
        self.i += 1
        after = self.peek()
        if isinstance(after, _Token) and after.kind == "close":
            raise self.error("empty parentheses", item.position)
        node = self.expression()
        closing = self.peek()
        if not (isinstance(closing, _Token) and closing.kind == "close"):
            raise self.error("this '(' is never closed", item.position)
        self.i += 1
        self.depth -= 1
        return node


def parse_query(query: str) -> Node:
    """Parse a query; raise QuerySyntaxError pointing at the problem."""
    return _Parser(query).parse()
