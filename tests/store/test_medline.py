"""The MEDLINE (.nbib) parser: the real sample files, hand-written variants and errors, and the same
articles read from MEDLINE and from PubMed XML giving the same fields."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from store.errors import ParseError
from store.formats.medline import MedlineParser
from store.formats.pubmed_xml import PubmedXmlParser
from store.importer import import_file
from store.library import Library
from store.model import AbstractSection, Article, Author
from tests.conftest import DATA, shared

MEDLINE = DATA / "medline"

SAMPLES = {
    "biopython__efetch2.txt": ["19304878"],
    "biopython__pubmed_result1.txt": ["12230038"],
    "biopython__pubmed_result2.txt": ["16403221", "16377612", "14871861", "14630660"],
    "biopython__pubmed_result3.txt": ["23039619"],
}


def parse_bytes(data: bytes, name: str = "test.nbib") -> list[Article]:
    return list(MedlineParser().parse(io.BytesIO(data), name))


def parse_path(path: Path) -> list[Article]:
    return parse_bytes(path.read_bytes(), str(path))


# --- the real samples ---------------------------------------------------------------------------------


def test_the_sample_folder_holds_exactly_the_files_counted_here() -> None:
    assert sorted(p.name for p in shared("medline").iterdir()) == sorted(SAMPLES)


@pytest.mark.parametrize(("name", "pmids"), sorted(SAMPLES.items()))
def test_every_sample_file_parses(name: str, pmids: list[str]) -> None:
    path = shared("medline") / name
    assert MedlineParser.sniff(path.read_bytes()[:8192])
    articles = parse_path(path)
    assert [a.pmid for a in articles] == pmids
    for a in articles:
        assert a.title and a.journal and a.journal_title and a.year and a.authors and a.abstract
        assert not any("*" in heading for heading in a.mesh)


def test_efetch_record_exact_values() -> None:
    (a,) = parse_path(shared("medline") / "biopython__efetch2.txt")
    assert (a.pmid, a.pmcid, a.doi) == ("19304878", "PMC2682512", "10.1093/bioinformatics/btp163")
    assert a.title == (
        "Biopython: freely available Python tools for computational molecular biology and bioinformatics"
    )
    assert (a.journal, a.journal_title) == ("Bioinformatics", "Bioinformatics (Oxford, England)")
    assert (a.date, a.year, a.volume, a.issue, a.pages) == ("2009 Jun 1", 2009, "25", "11", "1422-3")
    assert a.publisher == ""  # PL (England) is a place, not a publisher
    assert a.abstract == [
        AbstractSection(
            "The Biopython project is a mature open source international collaboration of volunteer "
            "developers, providing Python libraries for a wide range of bioinformatics problems. Biopython "
            "includes modules for reading and writing different sequence file formats and multiple sequence "
            "alignments, dealing with 3D macro molecular structures, interacting with common tools such as "
            "BLAST, ClustalW and EMBOSS, accessing key online databases, as well as providing numerical "
            "methods for statistical learning.",
            "SUMMARY",
        ),
        AbstractSection(
            "Biopython is freely available, with documentation and source code at (www.biopython.org) under "
            "the Biopython license.",
            "AVAILABILITY",
        ),
    ]
    assert len(a.authors) == 11
    assert a.authors[0] == Author(
        "Cock",
        "PJ",
        "Peter J A",
        affiliations=["Plant Pathology, SCRI, Invergowrie, Dundee, UK. peter.cock@scri.ac.uk"],
    )
    assert a.authors[-1] == Author("de Hoon", "MJ", "Michiel J L")
    assert [x.name for x in a.authors[1:4]] == ["Antao T", "Chang JT", "Chapman BA"]
    assert a.affiliations == ["Plant Pathology, SCRI, Invergowrie, Dundee, UK. peter.cock@scri.ac.uk"]
    assert a.languages == ["eng"]
    assert a.publication_types == ["Journal Article", "Research Support, Non-U.S. Gov't"]
    assert a.mesh == [
        "Computational Biology/methods",
        "Databases, Factual",
        "Internet",
        "Programming Languages",
        "Software",
    ]
    assert a.keywords == [] and a.references == []


def test_structured_abstract_lid_doi_and_wrapped_mesh() -> None:
    (a,) = parse_path(shared("medline") / "biopython__pubmed_result3.txt")
    assert (a.pmid, a.doi, a.pmcid) == ("23039619", "10.1118/1.4748329", None)
    assert (a.journal, a.date, a.volume, a.issue, a.pages) == ("Med Phys", "2012 Oct", "39", "10", "5795-813")
    assert [s.label for s in a.abstract] == ["PURPOSE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert a.abstract[2].text.startswith("Based on the results of the fast-scanning method, the different")
    assert a.abstract[3].text.endswith("to ensure the success and safety of ablation treatment.")
    assert a.mesh[1] == "High-Intensity Focused Ultrasound Ablation/adverse effects/instrumentation/methods"
    assert a.authors[0].affiliations == [
        "School of Biomedical Engineering, Shanghai Jiao Tong University, Shanghai, "
        "People's Republic of China."
    ]
    assert [x.affiliations for x in a.authors[1:]] == [[], [], []]


def test_an_older_record_with_its_affiliation_before_the_authors() -> None:
    (a,) = parse_path(shared("medline") / "biopython__pubmed_result1.txt")
    assert a.title == "The Bio* toolkits--a brief overview"
    assert a.authors == [Author("Mangalam", "H", "Harry")]  # the AD came first: the article's, not his
    assert a.affiliations == ["tacg Informatics, Irvine, CA 92612, USA. hjm@tacgi.com"]
    assert a.doi is None and a.date == "2002 Sep"


def test_four_records_in_one_file() -> None:
    articles = parse_path(shared("medline") / "biopython__pubmed_result2.txt")
    first, second, third, fourth = articles
    assert (first.date, first.year, first.volume, first.issue, first.pages) == ("2006", 2006, "7", "", "10")
    assert (first.doi, first.pmcid) == ("10.1186/1471-2105-7-10", "PMC1373603")
    assert [s.label for s in first.abstract] == ["BACKGROUND", "RESULTS", "CONCLUSION"]
    assert second.title == "GenomeDiagram: a python package for the visualization of large-scale genomic data"
    assert [s.label for s in second.abstract] == ["SUMMARY", "AVAILABILITY", "SUPPLEMENTARY INFORMATION"]
    assert third.doi == "10.1093/bioinformatics/bth078"
    assert [x.name for x in third.authors] == ["de Hoon MJ", "Imoto S", "Nolan J", "Miyano S"]
    assert fourth.doi is None and fourth.mesh[3] == "Information Storage and Retrieval/methods/standards"


# --- MEDLINE and XML agree ----------------------------------------------------------------------------


@pytest.mark.parametrize("pmid", ["36987902", "34843274"])
def test_the_same_article_as_medline_and_as_xml(pmid: str) -> None:
    """The MEDLINE files were written by hand from the XML records, as PubMed's MEDLINE display shows them."""
    (from_medline,) = parse_path(MEDLINE / f"{pmid}.txt")
    xml = shared("pubmed_xml") / f"metapub__{pmid}.xml"
    (from_xml,) = PubmedXmlParser().parse(io.BytesIO(xml.read_bytes()), str(xml))
    assert from_medline.to_doc() == from_xml.to_doc()
    assert from_medline.pmid == pmid and from_medline.doi and from_medline.authors and from_medline.abstract


def test_the_hand_written_pair_holds_the_interesting_fields() -> None:
    (a,) = parse_path(MEDLINE / "36987902.txt")
    assert [s.label for s in a.abstract] == ["BACKGROUND", "MATERIAL AND METHOD", "RESULTS", "INTERPRETATION"]
    assert a.abstract[2].text.endswith(
        "(p < 0.0001) and higher frailty scores (p = 0.003) than patients who survived."
    )
    assert (a.authors[0].last, a.authors[0].fore, a.authors[0].initials) == ("Bruserud", "Øyvind", "Ø")
    assert len(a.authors) == 7 and len(a.affiliations) == 6  # Arnes and Kjørsvik share one
    assert a.authors[3].affiliations[0].startswith("Avdeling for plastikk-, hånd- og rekonstruktiv kirurgi,")
    assert a.languages == ["eng", "nor"]
    assert a.mesh[5:7] == ["Frailty/complications", "Burns/epidemiology/therapy"]
    (b,) = parse_path(MEDLINE / "34843274.txt")
    assert b.authors == [
        Author(last="Guideline Development Panel for the Treatment of Depressive Disorders", collective=True)
    ]
    assert b.affiliations == [] and b.pages == "770-780" and b.mesh[3] == "Depression/therapy"


# --- hand-written variants ----------------------------------------------------------------------------


def test_variants() -> None:
    old, new, unseparated = parse_path(MEDLINE / "variants.txt")
    assert old.pmid == "1000301"
    assert (
        old.title == "An old record whose affiliation comes before its authors: a test of continuation lines"
    )
    assert (old.date, old.year, old.pages) == ("1998 Spring", 1998, "101-9")
    assert old.abstract == [AbstractSection("A plain abstract without labels. Ratio: 3 to 1.")]
    assert old.authors == [
        Author("Elder", "AB"),
        Author("de la Cruz", "M"),
        Author("Bruserud", "Ø"),
        Author("Smith", "JA", suffix="Jr"),
    ]  # AU alone, as in records before 2002
    assert old.affiliations == ["Department of History, Old University, Oldtown."]
    assert old.doi is None  # the LID is a pii
    assert old.mesh == ["Aging/physiology", "Intestinal Mucosa/cytology/physiology"]
    assert old.publisher == ""

    assert new.pmid == "1000302"
    assert new.title == "Vieillissement de l'épithélium intestinal"  # no TI, so the TT
    assert (new.date, new.year) == ("2015 Nov-Dec", 2015)
    assert new.abstract == [
        AbstractSection("Guts age.", "BACKGROUND"),
        AbstractSection("We looked at 12 guts.", "METHODS"),
        AbstractSection("They do age.", "RESULTS"),
    ]
    assert new.authors == [
        Author("Dupont", "JM", "Jean-Marc", "Jr", affiliations=["Hôpital Saint-Antoine, Paris, France."]),
        Author("Groupe d'étude de l'intestin âgé", collective=True),
        Author(
            "Martin",
            "C",
            "Claire",
            affiliations=["Hôpital Saint-Antoine, Paris, France.", "Université Paris Cité, Paris, France."],
        ),
    ]
    assert new.affiliations == [
        "Hôpital Saint-Antoine, Paris, France.",
        "Université Paris Cité, Paris, France.",
    ]
    assert (new.publisher, new.pmcid) == ("Éditions de test", "PMC7000003")
    assert new.doi == "10.9999/jhwt.2015.12"  # the AID, before the LID
    assert new.keywords == ["ageing", "gut"]
    assert new.publication_types == ["Journal Article", "Review"]

    assert (unseparated.pmid, unseparated.title) == ("1000303", "A record that follows without a blank line")


def test_crlf_bom_and_trailing_spaces_parse_the_same() -> None:
    text = (MEDLINE / "variants.txt").read_text(encoding="utf-8")
    mangled = "\ufeff" + "\r\n".join(line + "  " if line else line for line in text.split("\n"))
    assert parse_bytes(mangled.encode("utf-8")) == parse_path(MEDLINE / "variants.txt")


def test_a_file_of_blank_lines_holds_no_records() -> None:
    assert parse_bytes(b"") == [] and parse_bytes(b"\n\r\n  \n") == []


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("garbage_line.txt", 6, "neither a tag line"),
        ("no_pmid.txt", 4, "a record without a PMID"),
    ],
)
def test_broken_files_name_the_file_and_line(name: str, line: int, words: str) -> None:
    path = MEDLINE / name
    with pytest.raises(ParseError) as info:
        parse_path(path)
    assert info.value.source == str(path) and info.value.line == line
    assert str(info.value).startswith(f"{path}, line {line}: ") and words in info.value.message


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"TY  - JOUR\nTI  - A RIS file\nER  - \n", 1, "not MEDLINE text"),
        (b"\n\nHello there\n", 3, "not MEDLINE text"),
        (b"      indented\nPMID- 1\n", 1, "continuation line with no tag line"),
        (b"PMID- 12a\nTI  - x\n", 1, "'12a' is not a PMID"),
        (b"PMID- 1\nTI  - x\nTI - shifted dash\n", 3, "neither a tag line"),
        (b"PMID- 1\nTI  - caf\xe9\n", 2, "not UTF-8"),
    ],
)
def test_malformed_medline(data: bytes, line: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_bytes(data, "bad.nbib")
    assert info.value.source == "bad.nbib" and info.value.line == line
    assert words in info.value.message


# --- sniffing and importing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "claimed"),
    [
        (b"PMID- 19304878\nOWN - NLM\n", True),
        (b"\xef\xbb\xbf\r\n\r\nPMID-12345\r\n", True),
        (b"PMID- \nTI  - no number\n", False),
        (b"TI  - Title first\nPMID- 1\n", False),
        (b"TY  - JOUR\n", False),
        (b"<PubmedArticleSet>", False),
        (b"\xc2\xbb Articles \xc2\xbb PMID: 1\n", False),
        (b"", False),
    ],
)
def test_sniff(head: bytes, claimed: bool) -> None:
    assert MedlineParser.sniff(head) is claimed


def test_the_xml_parser_does_not_claim_medline_and_back() -> None:
    for path in shared("medline").iterdir():
        assert not PubmedXmlParser.sniff(path.read_bytes()[:8192])
    for path in shared("pubmed_xml").iterdir():
        assert not MedlineParser.sniff(path.read_bytes()[:8192])


def test_import_into_a_library(empty_library: Library) -> None:
    report = import_file(empty_library, MEDLINE / "variants.txt")
    assert not report.rejected, report.error
    assert (report.format, report.added, report.stubs, report.skipped) == ("medline", 3, 0, {})
    stored = empty_library.get("10.9999/JHWT.2015.12")  # DOIs match case-insensitively
    assert stored is not None and stored.pmid == "1000302" and stored.publisher == "Éditions de test"
    broken = import_file(empty_library, MEDLINE / "garbage_line.txt")
    assert broken.rejected and "line 6" in broken.error
    assert empty_library.get("1000401") is None  # all or nothing: its good first record is not kept
