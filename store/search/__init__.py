"""Keyword search with PubMed's syntax: ``query`` parses it, ``index`` answers it from a tantivy index."""

from store.search.index import Hit, Results, SearchIndex
from store.search.query import QuerySyntaxError, parse_query

__all__ = ["Hit", "QuerySyntaxError", "Results", "SearchIndex", "parse_query"]
