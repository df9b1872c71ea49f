"""The quick paths of the PubMed XML reader's text (issue 18) give exactly what the plain code gives:
``single_spaced`` never passes a text that ``" ".join(text.split())`` would change, and a reference
list read once as it is (single-spaced) or again collapsed (one citation not) is the same links."""

from __future__ import annotations

import random
import sys

from lxml import etree

from store.formats.pubmed_references import references
from store.formats.xml_text import plain_text, single_spaced

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
XML_SPACES = [c for c in SPACES if c >= " " or c in "\t\n\r"]  # (what XML text may hold)
WORDS = ["word", "Wörter", "β-catenin", "2015–9", "(n = 12)", ".", "2019;", "\u00ad", "\u200b", "\ufffd"]


def test_single_spaced_passes_only_texts_that_need_no_collapsing() -> None:
    rng = random.Random(18)
    passed = 0
    for _ in range(20000):
        texts = []
        for _ in range(rng.randrange(1, 6)):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 8)))
            if rng.random() < 0.1:  # odd whitespace anywhere, or at either end
                at = rng.randrange(len(text) + 1)
                text = text[:at] + rng.choice([*SPACES, "  "]) + text[at:]
            texts.append(text)
        if single_spaced(texts):
            passed += 1
            assert all(t == " ".join(t.split()) for t in texts), texts
    assert passed > 2000  # (the quick path is taken, not only the safe one)


def test_single_spaced_takes_clean_text_of_every_kind() -> None:
    assert single_spaced(["Smith J. Water. Nature. 2001;410:1-2", "Jones K"])  # ASCII
    assert single_spaced(["Müller G. Wörter. 2001;410:1-2"])  # Latin-1
    assert single_spaced(["Ωmega β-catenin 2015;1:250–9"])  # beyond
    assert not single_spaced(["Smith J.", " Jones K"])
    assert not single_spaced(["Smith J. ", "Jones K"])
    assert not single_spaced(["Müller\u00a0G"])
    assert not single_spaced(["Ωmega\u2009β"])


RECORD = """<PubmedData><ReferenceList>
<Reference><Citation>Smith J. Water. Nature. 2001;410:1-2.</Citation>
  <ArticleIdList><ArticleId IdType="pubmed">011000001</ArticleId>
  <ArticleId IdType="doi"> 10.1038/1 </ArticleId></ArticleIdList></Reference>
<Reference><Citation>Jones K. Ice. Cell 12003;5:10; and 1999;2:3</Citation>
  <ArticleIdList><ArticleId IdType="pubmed">PMID: 13</ArticleId><ArticleId IdType="pmcid">pmc 7</ArticleId>
  <ArticleId IdType="pubmed">14</ArticleId></ArticleIdList></Reference>
<Reference><Citation>{third}</Citation></Reference>
<Reference><ArticleIdList><ArticleId IdType="pubmed">0</ArticleId><ArticleId IdType="pubmed">15</ArticleId>
  </ArticleIdList></Reference>
<Reference/><Reference><Citation> .</Citation></Reference>
</ReferenceList></PubmedData>"""


def test_a_reference_list_read_as_it_is_or_collapsed_gives_the_same_links() -> None:
    clean = references(etree.fromstring(RECORD.format(third="Lee A. Fire. 1990 Jan;3:4..")))
    spaced = references(etree.fromstring(RECORD.format(third=" Lee\u00a0A.  Fire.\n1990 Jan;3:4.. ")))
    assert (
        clean
        == spaced
        == [
            {
                "pmid": "11000001",
                "doi": "10.1038/1",
                "title": "Smith J. Water. Nature. 2001;410:1-2",
                "year": 2001,
                "sources": ["pubmed"],
            },
            {
                "pmid": "13",
                "pmcid": "PMC7",
                "title": "Jones K. Ice. Cell 12003;5:10; and 1999;2:3",
                "year": 1999,  # (12003 is no year: the next ";" is tried)
                "sources": ["pubmed"],
            },
            {"title": "Lee A. Fire. 1990 Jan;3:4..", "year": 1990, "sources": ["pubmed"]},
            {"pmid": "15", "sources": ["pubmed"]},  # (PMID 0 is none: the next is taken)
        ]
    )  # (nor do the empty <Reference/> and the blank citation with a full stop make a link)


def test_any_mix_of_odd_and_clean_citations_gives_what_collapsing_each_gives() -> None:
    """Records of random citations, some with odd whitespace, blank, or nothing but a full stop:
    each link is what collapsing its text first, then dropping the full stop, makes."""
    from xml.sax.saxutils import escape

    from store.pubdate import cited_year

    rng = random.Random(26)
    pieces = ["Smith J.", "Nature.", "2001;410:1-2", "Wörter", "β", ".", "2015–9;3", "\u00ad", *XML_SPACES]
    for _ in range(300):
        citations = [
            "".join(
                rng.choice(pieces if rng.random() < 0.1 else [*pieces[:7], " "])
                for _ in range(rng.randrange(6))
            )
            for _ in range(rng.randrange(1, 8))
        ]
        ids = [rng.choice([None, str(rng.randrange(1, 99))]) for _ in citations]
        xml = "".join(
            f"<Reference><Citation>{escape(c)}</Citation>"
            + (f'<ArticleIdList><ArticleId IdType="pubmed">{i}</ArticleId></ArticleIdList>' if i else "")
            + "</Reference>"
            for c, i in zip(citations, ids, strict=True)
        )
        expected = []
        for citation, pmid in zip(citations, ids, strict=True):
            text = " ".join(citation.split())
            if text.endswith(".") and not text.endswith(".."):
                text = text[:-1].rstrip()
            link: dict[str, object] = {"pmid": pmid} if pmid else {}
            if text:
                link["title"] = text
                if (year := cited_year(text)) is not None:
                    link["year"] = year
            if link:
                expected.append({**link, "sources": ["pubmed"]})
        got = references(etree.fromstring(f"<PubmedData><ReferenceList>{xml}</ReferenceList></PubmedData>"))
        assert got == expected, citations


HOSTILE = """<PubmedData><ReferenceList>
<Reference><Citation>[bold]Smith[/bold] \\[x\\] &amp; Jones&#160;A. 2001;1:2.</Citation>
  <ArticleIdList><ArticleId IdType="pubmed">7</ArticleId></ArticleIdList></Reference>
<Reference><Citation> &#9;</Citation></Reference><Reference><Citation> .</Citation></Reference>
<Reference><Citation><![CDATA[Lee <i>K</i>  & co. ]]>1999;3</Citation></Reference>
<Reference><Citation>Wu <i>E. coli</i> in <b>water <sup>2</sup></b>tail<!--c--> <?pi x?>. 2005;1:2.</Citation>
  </Reference>
<Reference><Citation>[31mred[0m &#x9b;31m \\n 2000;1</Citation></Reference>
<Reference><Citation/><ArticleIdList><ArticleId IdType="pubmed"/><ArticleId IdType="doi"/></ArticleIdList>
  </Reference>
<Reference><Citation>{last_but_one}</Citation></Reference>
<Reference><Citation>&#x85; .&#xa0;</Citation></Reference>
</ReferenceList></PubmedData>"""


def test_hostile_citations_and_a_last_link_deleted_once_collapsed() -> None:
    """Markup-like text, backslashes, a C1 control, entities, CDATA, nested markup with tails, a
    comment and empty references read as main's reader read them (compared on the shared samples and
    the 10k bench file too). A blank citation, and the last one (odd whitespace round a full stop, no
    identifiers), make a link as given and none once collapsed: those links go, the last included, and
    the others keep their place, the one before the last collapsed or not; a citation blank but for a
    full stop makes none. (Seen red against mutations of ``_collapse_texts``: deletions first to last,
    the last link popped rather than the one at its place, a reference that made no link collapsed.)"""
    expected = [
        {
            "pmid": "7",
            "title": "[bold]Smith[/bold] \\[x\\] & Jones A. 2001;1:2",
            "year": 2001,
            "sources": ["pubmed"],
        },
        {"title": "Lee <i>K</i> & co. 1999;3", "year": 1999, "sources": ["pubmed"]},
        {"title": "Wu E. coli in water 2tail . 2005;1:2", "year": 2005, "sources": ["pubmed"]},
        {"title": "[31mred[0m \x9b31m \\n 2000;1", "year": 2000, "sources": ["pubmed"]},
        {"title": "Ng B. Cell. 1998;4:5", "year": 1998, "sources": ["pubmed"]},  # (no id, kept)
    ]
    for last_but_one in ("Ng B. Cell. 1998;4:5.", "Ng  B.\tCell. 1998;4:5 ."):
        got = references(etree.fromstring(HOSTILE.format(last_but_one=last_but_one)))
        assert got == expected, last_but_one


def test_a_one_word_text_is_taken_as_it_is_and_any_other_collapsed() -> None:
    """``plain_text`` (and an author's name parts) skip the split of a text that ``isalnum``: such a
    text holds none of the whitespace ``split`` splits at, so collapsing would leave it as it is."""
    assert not [c for c in SPACES if c.isalnum()]  # (every code point ``split`` splits at)
    texts = [
        "31234567",
        "eng",
        "Müller",
        "٣",
        "Ⅻ",
        "x²",
        "MM",
        "",
        " eng",
        "de Ruiter",
        "a\u00a0b",
        "b\u2003",
    ]
    for text in texts + [random.choice(WORDS) + random.choice(XML_SPACES) for _ in range(200)]:
        elem = etree.Element("Language")
        elem.text = text
        assert plain_text(elem) == " ".join(text.split()), repr(text)
