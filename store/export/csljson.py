"""CSL-JSON: the item list citeproc processors, pandoc and Zotero read.

One ``article-journal`` item per record. Its ``id`` is the record's citation key (as in the BibTeX
export), so the same records exported in the same order get the same ids in both formats. Dates become
``date-parts`` (a range such as ``2015 Nov-Dec`` is two of them, a season is CSL's ``season``); page
ranges are written out in full (``1053-67`` -> ``1053-1067``). Citation metrics go under CSL's
``custom``, as ``pmbrowse-citation-metrics`` (``store.export.metrics``). ``store.formats.csljson`` reads
these files back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from store.export.base import Exporter
from store.export.citation import (
    article_url,
    full_pages,
    given_name,
    is_literal,
    keyword_list,
    one_line,
    pubdate,
)
from store.export.keys import citation_keys
from store.export.metrics import csl_custom
from store.model import Article, Author

Item = dict[str, Any]


def csl_name(author: Author) -> dict[str, str]:
    if is_literal(author):
        return {"literal": one_line(author.last)}
    name = {"family": one_line(author.last)}
    if given := given_name(author):
        name["given"] = one_line(given)
    if author.suffix:
        name["suffix"] = one_line(author.suffix)
    return name


def csl_date(article: Article) -> dict[str, Any] | None:
    date = pubdate(article)
    if date is None:
        return None
    issued: dict[str, Any] = {"date-parts": [list(date.start)]}
    if date.end:
        issued["date-parts"].append(list(date.end))
    if date.season:
        issued["season"] = date.season
    return issued


def csl_item(article: Article, key: str) -> Item:
    """The CSL-JSON item of one record, under ``key``."""
    item: Item = {"id": key, "type": "article-journal"}

    def put(name: str, value: Any) -> None:
        if value:
            item[name] = value

    put("title", one_line(article.title))
    put("author", [csl_name(a) for a in article.authors])
    put("issued", csl_date(article))
    if article.journal_title:
        put("container-title", one_line(article.journal_title))
        put("container-title-short", one_line(article.journal))
    else:
        put("container-title", one_line(article.journal))
    put("publisher", one_line(article.publisher))
    put("volume", one_line(article.volume))
    put("issue", one_line(article.issue))
    put("page", full_pages(article.pages))
    put("DOI", article.doi)
    put("PMID", article.pmid)
    put("PMCID", article.pmcid)
    put("URL", article_url(article))
    put("abstract", article.abstract_text)
    put("keyword", keyword_list(article.keywords))
    put("custom", csl_custom(article))
    return item


class CslJsonExporter(Exporter):
    name = "csl-json"
    extension = "json"
    description = "CSL-JSON (.json)"

    def write(self, articles: Iterable[Article], out: TextIO) -> None:
        articles = list(articles)
        items = [csl_item(a, key) for a, key in zip(articles, citation_keys(articles), strict=True)]
        for article, item in zip(articles, items, strict=True):
            if notes := self.notes_of(article):
                item["note"] = ". ".join(n.rstrip(".") for n in notes)
        json.dump(items, out, ensure_ascii=False, indent=2)
        out.write("\n")
