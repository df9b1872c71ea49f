"""The article page parser: the real seed page to exact values, and hand-written pages for each variant."""

from __future__ import annotations

import io

import pytest

from store.errors import ParseError
from store.formats.page import PageParser, parse_cite_tail, parse_page, split_authors_journal, split_labels
from store.model import AbstractSection, Article, Link
from tests.conftest import PAGES, SEED, SHARED_DATA

SEED_ABSTRACT = (
    "Mesenchymal stem/stromal cells (MSCs) have been demonstrated to hold great potential for the "
    "treatment of several diseases. Their therapeutic effects are largely mediated by paracrine "
    "factors including exosomes, which are nanometer-sized membrane-bound vesicles with functions as "
    "mediators of cell-cell communication. MSC-derived exosomes contain cytokines and growth "
    "factors, signaling lipids, mRNAs, and regulatory miRNAs. Increasing evidence suggests that "
    "MSC-derived exosomes might represent a novel cell-free therapy with compelling advantages over "
    "parent MSCs such as no risk of tumor formation and lower immunogenicity. This paper reviews the "
    "characteristics of MSC exosomes and their fate after in vivo administration, and highlights the "
    "therapeutic potential of MSC-derived exosomes in liver, kidney, cardiovascular and neurological "
    "disease. Particularly, we summarize the recent clinical trials performed to evaluate the safety "
    "and efficacy of MSC exosomes. Overall, this paper provides a general overview of MSC-exosomes "
    "as a new cell-free therapeutic paradigm."
)


def parse_file(path) -> Article:
    articles = list(PageParser().parse(io.BytesIO(path.read_bytes()), str(path)))
    assert len(articles) == 1
    return articles[0]


def ids(link: Link) -> tuple[str | None, str | None, str | None]:
    return (link.pmid, link.pmcid, link.doi)


def test_seed_page_exact_values() -> None:
    a = parse_file(SEED)
    assert a.pmid == "30992990"
    assert a.pmcid is None and a.doi is None
    assert a.title == "Exosomes from Mesenchymal Stem/stromal Cells: a New Therapeutic Paradigm"
    assert a.journal == "Biomark Res"
    assert a.publisher == "Biomed Central"
    assert a.date == "2019 Apr 18"
    assert a.year == 2019
    assert a.citation_count == 189
    assert a.authors == []
    assert a.affiliations == []
    assert a.abstract == [AbstractSection(SEED_ABSTRACT)]

    assert [ids(c) for c in a.cited_by] == [
        ("40078652", "PMC11900796", "10.2147/IJN.S502192"),
        ("40045380", "PMC11884000", "10.1186/s13287-025-04228-2"),
        ("40036306", "PMC11878568", "10.1093/stcltm/szae091"),
        ("39985030", "PMC11846194", "10.1186/s13287-025-04160-5"),
        ("39963133", "PMC11830602", "10.3389/fimmu.2025.1525466"),
    ]
    assert [c.year for c in a.cited_by] == [2025] * 5
    first = a.cited_by[0]
    assert first.title == (
        "Human Umbilical Cord Mesenchymal Stem Cells-Derived Exosomes Attenuates Experimental "
        "Periodontitis in Mice Partly by Delivering miRNAs"
    )
    assert first.authors == ["Li K", "Gu X", "Zhu Y", "Guan N", "Wang J", "Wang L"]
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "Int J Nanomedicine",
        "20",
        "",
        "2879-2899",
    )
    assert a.cited_by[2].journal == "Stem Cells Transl Med"
    assert (a.cited_by[2].volume, a.cited_by[2].issue, a.cited_by[2].pages) == ("14", "2", "")
    assert a.cited_by[4].authors == ["Dong Z", "Fu Y", "Cai Z", "Dai H", "He Y"]
    assert a.cited_by[4].journal == "Front Immunol"

    refs = a.references
    assert [r.authors[0] for r in refs] == ["Bruno S", "Chen T", "Tian T", "Bruno S", "Fouraschen S"]
    assert [r.year for r in refs] == [2009, 2009, 2010, 2012, 2012]
    assert [r.pmcid for r in refs] == ["PMC2676194", "PMC2800221", None, "PMC3303802", None]
    assert [r.doi for r in refs] == [
        "10.1681/ASN.2008070798",
        "10.1093/nar/gkp857",
        "10.1002/jcb.22733",
        "10.1371/journal.pone.0033115",
        "10.1089/scd.2011.0560",
    ]
    assert [r.pmid for r in refs] == [None] * 5
    assert refs[0].title == "Mesenchymal stem cell-derived microvesicles protect against acute tubular injury"
    assert refs[2].title == (
        "Visualizing of the cellular uptake and intracellular trafficking of exosomes by live-cell microscopy"
    )
    assert (refs[0].journal, refs[0].volume, refs[0].issue, refs[0].pages) == (
        "J Am Soc Nephrol",
        "20",
        "5",
        "1053-67",
    )
    assert (refs[3].journal, refs[3].pages) == ("PLoS One", "e33115")
    assert refs[4].authors == [
        "Fouraschen S",
        "Pan Q",
        "de Ruiter P",
        "Farid W",
        "Kazemier G",
        "Kwekkeboom J",
    ]
    assert all(r.sources == ["page"] for r in [*refs, *a.cited_by])


def test_shared_seed_is_the_bundled_demo() -> None:
    shared_seed = SHARED_DATA.parent / "seeds" / "000_1498dab3321b66eb.txt"
    if not shared_seed.exists():
        pytest.skip("../shared/seeds is not available")
    assert parse_file(shared_seed) == parse_file(SEED)


def test_crlf_and_trailing_spaces_parse_the_same() -> None:
    text = SEED.read_text(encoding="utf-8")
    mangled = "\r\n".join(line + "  \t" for line in text.split("\n"))
    assert parse_page(mangled) == parse_page(text)


def test_page_with_no_sections() -> None:
    a = parse_file(PAGES / "minimal.txt")
    assert a.pmid == "1000001"
    assert a.title == "A page with no sections at all?"
    assert (a.journal, a.date, a.year, a.citation_count) == ("", "", None, None)
    assert a.abstract == [] and a.references == [] and a.cited_by == [] and a.authors == []


def test_zero_citations_labels_placeholders_and_odd_titles() -> None:
    a = parse_file(PAGES / "zero_citations.txt")
    assert a.title == "Stem-cell niches in the ageing gut: a [2nd] look at Wnt signalling!"
    assert a.citation_count == 0
    assert (a.journal, a.publisher, a.date, a.year) == ("Gut Microbes", "Taylor & Francis", "2021 Dec", 2021)
    assert a.authors == [] and a.affiliations == []
    assert a.abstract == [
        AbstractSection("Intestinal stem cells decline with age.", "BACKGROUND"),
        AbstractSection("We profiled 12 organoid lines from donors aged 20-80.", "METHODS"),
        AbstractSection("Wnt3a rescued 7 of 12 lines (58%).", "RESULTS"),
        AbstractSection("Niche signals, not intrinsic defects, drive the decline.", "CONCLUSIONS"),
        AbstractSection("A second paragraph without a label, which is kept as its own section."),
    ]
    assert a.cited_by == []
    r1, r2, r3 = a.references
    assert r1.authors == ["Müller K", "Østergaard L", "Peña J"]
    assert r1.title == "Wnt signals in the crypt: why [do] stem cells age?"
    assert (r1.journal, r1.year, r1.volume, r1.issue, r1.pages) == ("Nature", 2019, "566", "", "1-10")
    assert ids(r1) == ("30000001", None, None)
    assert r2.title == "Organoids, 10 years on!"
    assert (r2.journal, r2.year, r2.volume, r2.issue, r2.pages) == ("Cell Stem Cell", 2020, "27", "4", "")
    assert ids(r2) == (None, None, None)
    assert r3.authors == ["Dupont-Aignan C", "van der Berg H"]
    assert r3.title == "[Ageing of the intestinal epithelium]"
    assert (r3.journal, r3.year, r3.volume, r3.issue, r3.pages) == ("Med Sci (Paris)", 2018, "34", "", "")
    assert ids(r3) == (None, None, "10.1051/medsci/2018001")


def test_authors_affiliations_and_partial_ids() -> None:
    a = parse_file(PAGES / "authors_present.txt")
    assert a.title == "Régulation of β-catenin by 14-3-3 proteins"
    assert (a.pmid, a.pmcid, a.doi) == ("1000003", "PMC5000003", "10.1242/JCS.190000")
    assert a.citation_count == 1204
    assert [x.name for x in a.authors] == ["García-López M", "de Ruiter P", "Smith JA", "O'Brien T"]
    assert (a.authors[2].last, a.authors[2].initials) == ("Smith", "JA")
    assert a.affiliations == [
        "Department of Biology, Universidad de Sevilla, Spain.",
        "Hubrecht Institute, Utrecht, The Netherlands.",
    ]
    assert a.abstract == [
        AbstractSection("Beta-catenin is regulated at several levels. It is degraded in the absence of Wnt.")
    ]
    c1, c2, c3, c4 = a.cited_by
    assert (c1.title, c1.authors, c1.journal, c1.volume) == (
        "A citing article with only a DOI",
        ["Zhang Y"],
        "Nat Commun",
        "15",
    )
    assert ids(c1) == (None, None, "10.1038/s41467-024-00001-x")
    assert (c2.title, c2.authors, c2.journal, c2.year, c2.volume) == (
        "A citing article with no identifiers at all",
        ["Kim S", "Lee J"],
        "EMBO J",
        2023,
        "",
    )
    assert ids(c2) == (None, None, None)
    assert c3.title == "A citing article with PMID only?"
    assert (c3.journal, c3.volume, c3.issue, c3.pages) == ("Dev Cell", "57", "3", "301-315.e4")
    assert ids(c3) == ("35000001", None, None)
    assert ids(c4) == (None, "PMC8300001", "10.1016/j.jbc.2021.100950")
    assert (c4.journal, c4.volume, c4.issue, c4.pages) == ("J Biol Chem", "297", "2", "100950")


def test_dozens_of_entries() -> None:
    lines = ["» Articles » PMID: 1000006", "", "Many links", "", "Citing Articles", ""]
    for i in range(1, 41):
        lines += [
            f"Citing paper number {i}.",
            "",
            f"Author{i} A, Other B J Test. 20{i % 25:02d}; {i}({i % 4 + 1}):{i}-{i + 9}.",
            "",
            f"PMID: {2000000 + i} PMC: {3000000 + i}. DOI: 10.1000/test.{i}.",
            "",
            "",
        ]
    lines.append("References")
    for i in range(1, 61):
        lines += [
            f"{i}.",
            f"Writer W . Reference title {i}. Ref J. 1999; {i}:{i}. PMID: {4000000 + i}. View",
            "",
        ]
    a = parse_page("\n".join(lines))
    assert len(a.cited_by) == 40 and len(a.references) == 60
    assert a.cited_by[39].pmid == "2000040" and a.cited_by[39].pmcid == "PMC3000040"
    assert a.cited_by[39].doi == "10.1000/test.40"
    assert (a.cited_by[39].volume, a.cited_by[39].issue, a.cited_by[39].pages) == ("40", "1", "40-49")
    assert a.references[59].pmid == "4000060" and a.references[59].title == "Reference title 60"


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("not_a_page.txt", 1, "not an article page"),
        ("cut_citing.txt", 17, "cut off"),
        ("cut_reference.txt", 9, "cut off"),
    ],
)
def test_rejections_name_the_file_and_line(name: str, line: int, words: str) -> None:
    path = PAGES / name
    with pytest.raises(ParseError) as info:
        parse_file(path)
    assert info.value.line == line
    assert info.value.source == str(path)
    assert words in str(info.value)
    assert str(info.value).startswith(f"{path}, line {line}: ")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "» Articles » PMID: 5\n\nT\n\nOverview\nJournal X\nColour blue\n",
            7,
            "unexpected line in the Overview",
        ),
        ("» Articles » PMID: 5\n\nT\n\nOverview\nPMID 6\n", 6, "differs from the header"),
        ("» Articles » PMID: 5\n\nT\n\nOverview\nCitations many\n", 6, "Citations should be a number"),
        ("» Articles » PMID: 5\n\nOverview\nJournal X\n", 2, "no title"),
        (
            "» Articles » PMID: 5\n\nT\n\nReferences\n1.\nA B . T. J. 2000. View\n\n"
            "3.\nC D . U. J. 2001. View\n",
            9,
            "reference 3 where reference 2",
        ),
        ("» Articles » PMID: 5\n\nT\n\nReferences\n1.\n", 6, "no text"),
        ("» Articles » PMID: 5\n\nT\n\nAbstract\nx\nAbstract\ny\n", 7, "appears twice"),
        ("", 1, "not an article page"),
    ],
)
def test_malformed_pages(text: str, line: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_page(text)
    assert info.value.line == line
    assert words in info.value.message


def test_invalid_utf8_is_rejected_with_its_line() -> None:
    data = b"\xc2\xbb Articles \xc2\xbb PMID: 5\n\nTitle \xff\n"
    with pytest.raises(ParseError) as info:
        list(PageParser().parse(io.BytesIO(data), "bad.txt"))
    assert info.value.line == 3 and info.value.source == "bad.txt"


def test_sniff_recognises_only_pages() -> None:
    assert PageParser.sniff(SEED.read_bytes()[:200])
    assert PageParser.sniff(b"\xef\xbb\xbf\r\n\xc2\xbb Articles \xc2\xbb PMID: 1\r\n")
    assert not PageParser.sniff(b"PMID- 123\nTI  - x\n")
    assert not PageParser.sniff(b"<?xml version='1.0'?><PubmedArticleSet/>")


@pytest.mark.parametrize(
    ("head", "authors", "journal"),
    [
        ("Li K, Gu X, Wang L Int J Nanomedicine", ["Li K", "Gu X", "Wang L"], "Int J Nanomedicine"),
        ("Fouraschen S, de Ruiter P Stem Cells Dev", ["Fouraschen S", "de Ruiter P"], "Stem Cells Dev"),
        ("Wang L BMC Cancer", ["Wang L"], "BMC Cancer"),
        ("Smith JA J Cell Sci", ["Smith JA"], "J Cell Sci"),
        ("Nature", [], "Nature"),
    ],
)
def test_split_authors_journal(head: str, authors: list[str], journal: str) -> None:
    assert split_authors_journal(head) == (authors, journal)


def test_cite_tail_variants() -> None:
    c = parse_cite_tail("X J. 2009 Jan 5; 20(5):1053-67.")
    assert c is not None and (c.head, c.year, c.volume, c.issue, c.pages) == (
        "X J",
        2009,
        "20",
        "5",
        "1053-67",
    )
    c = parse_cite_tail("X J. 2012; 7:e33115.")
    assert c is not None and (c.volume, c.issue, c.pages) == ("7", "", "e33115")
    c = parse_cite_tail("X J. 2025.")
    assert c is not None and (c.year, c.volume) == (2025, "")
    assert parse_cite_tail("Li K, Gu X, Zhu") is None


def test_split_labels_takes_only_capitalised_labels_after_a_sentence() -> None:
    assert split_labels("Ratio: 3 to 1. DNA: a molecule.") == [
        AbstractSection("Ratio: 3 to 1."),
        AbstractSection("a molecule.", "DNA"),
    ]
    assert split_labels("No labels here.") == [AbstractSection("No labels here.")]


def test_long_pagination_forms_from_the_issue() -> None:
    text = (
        "» Articles » PMID: 26432142\n\nA page\n\nCiting Articles\n\nAugust consultation #2.\n\n"
        "Crema A J Cataract Refract Surg. 2015; 41(8):1787-8; discussion 1791.\n\nPMID: 26432143.\n\n\n"
        "References\n1.\nMasket S . Peaked Pupil One Day After Cataract Surgery: August consultation #1. "
        "J Cataract Refract Surg. 2015; 41(8):1787; discussion 1791. DOI: 10.1016/j.jcrs.2015.07.021. View\n"
    )
    a = parse_page(text)
    (c,) = a.cited_by
    assert (c.title, c.authors, c.journal, c.year) == (
        "August consultation #2",
        ["Crema A"],
        "J Cataract Refract Surg",
        2015,
    )
    assert (c.volume, c.issue, c.pages, c.pmid) == ("41", "8", "1787-8; discussion 1791", "26432143")
    (r,) = a.references
    assert r.title == "Peaked Pupil One Day After Cataract Surgery: August consultation #1"
    assert (r.authors, r.journal, r.year) == (["Masket S"], "J Cataract Refract Surg", 2015)
    assert (r.volume, r.issue, r.pages, r.doi) == (
        "41",
        "8",
        "1787; discussion 1791",
        "10.1016/j.jcrs.2015.07.021",
    )


@pytest.mark.parametrize(
    ("vip", "volume", "issue", "pages"),
    [
        ("41(8):1787-8; discussion 1791", "41", "8", "1787-8; discussion 1791"),
        ("12(3):1-10; quiz 11-2", "12", "3", "1-10; quiz 11-2"),
        ("41(8):author reply 1791-2", "41", "8", "author reply 1791-2"),
        ("10(5):e0123456", "10", "5", "e0123456"),
        ("33 Suppl 1:S12-20", "33 Suppl 1", "", "S12-20"),
        ("7(3 Suppl 1):iii-iv", "7", "3 Suppl 1", "iii-iv"),
        ("88(Pt 2):1234-5; author reply 1236", "88", "Pt 2", "1234-5; author reply 1236"),
        ("12A(4):55", "12A", "4", "55"),
        ("5(2 (Pt 1)):9-10", "5", "2 (Pt 1)", "9-10"),
        ("", "", "", ""),
    ],
)
def test_pagination_shapes(vip: str, volume: str, issue: str, pages: str) -> None:
    c = parse_cite_tail(f"Report no. 2. 2019 was a year. J Odd. 2015; {vip}." if vip else "J Odd. 2015.")
    assert c is not None and (c.year, c.volume, c.issue, c.pages) == (2015, volume, issue, pages)
    if vip:
        assert c.head == "Report no. 2. 2019 was a year. J Odd"


def test_an_entry_that_cannot_be_read_is_kept_as_text_not_the_article_lost() -> None:
    text = (
        "» Articles » PMID: 5\n\nT\n\nCiting Articles\n\nA title\n\nnot an authors line\n\nPMID: 7.\n\n\n"
        "Fine one\n\nLi K Nature. 2020; 1:2.\n\n\n"
        "References\n1.\nA B . A book, no year. Springer. PMID: 9. View\n\n"
        "2.\nC D . A reference that lost its end\n\n3.\nE F . Fine. J X. 2001; 3:4. View\n"
    )
    kept: list[int] = []
    a = parse_page(text, kept)
    assert kept == [9, 20, 23]
    first, second = a.cited_by
    assert (first.title, first.pmid, first.year, first.journal) == (
        "A title not an authors line",
        "7",
        None,
        "",
    )
    assert (second.title, second.journal, second.year) == ("Fine one", "Nature", 2020)
    r1, r2, r3 = a.references
    assert (r1.title, r1.pmid, r1.authors) == ("A B . A book, no year. Springer.", "9", [])
    assert r2.title == "C D . A reference that lost its end" and r2.year is None
    assert (r3.title, r3.journal, r3.year) == ("Fine", "J X", 2001)
    assert all(link.sources == ["page"] for link in [*a.cited_by, *a.references])
    # Through the parser, the report says which entries were kept as text.
    parser = PageParser()
    list(parser.parse(io.BytesIO(text.encode()), "page.txt"))
    assert parser.skipped.counts == {"entries kept as text, lines 9, 20, 23": 3}
    one = text.replace("A title\n\nnot an authors line", "A title\n\nLi K Nature. 2020.")
    one = one.replace("Springer.", "Springer. 2001.").replace("lost its end", "kept its end. J. 2002. View")
    parser = PageParser()
    (article,) = parser.parse(io.BytesIO(one.encode()), "page.txt")
    assert parser.skipped.counts == {} and article.references[0].year == 2001
    parser = PageParser()
    list(parser.parse(io.BytesIO(one.replace("Li K Nature. 2020.", "no year").encode()), "page.txt"))
    assert parser.skipped.counts == {"entry kept as text, line 9": 1}


def test_digits_are_ascii() -> None:
    with pytest.raises(ParseError, match="not an article page"):
        parse_page("» Articles » PMID: ٣٠٩٩٢٩٩٠\n\nT\n")
    with pytest.raises(ParseError, match="Citations should be a number"):
        parse_page("» Articles » PMID: 5\n\nT\n\nOverview\nCitations ١٢\n")
