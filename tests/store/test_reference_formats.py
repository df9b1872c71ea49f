"""The reviewer's files in: RIS, BibTeX, CSV and identifier lists (tests/data/references, written in the
style of EndNote, Zotero, Rayyan, Covidence and JabRef exports), read back from pmbrowse's own exports,
and refused in one line naming the file and the line or record when malformed."""

from __future__ import annotations

import io
import random

import pytest

from store.errors import ParseError
from store.export.bibtex import BibtexExporter
from store.export.ris import RisExporter
from store.export.table import CsvExporter
from store.formats import PARSERS, REFERENCE_PARSERS, detect, detect_any
from store.formats.bibtex import BibtexParser
from store.formats.idlist import IdListParser
from store.formats.ris import RisFileParser
from store.formats.table import CsvTableParser, split_authors
from store.model import AbstractSection, Article, Author
from tests.conftest import DATA

REFS = DATA / "references"


def parse(parser: type, data: bytes | str, name: str = "x") -> list[Article]:
    raw = data.encode() if isinstance(data, str) else data
    return list(parser().parse(io.BytesIO(raw), name))


def refused(parser: type, data: bytes | str, name: str = "bad") -> str:
    with pytest.raises(ParseError) as caught:
        parse(parser, data, name)
    message = str(caught.value)
    assert message.startswith(name) and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "parser"),
    [
        ("endnote.ris", RisFileParser),
        ("zotero.ris", RisFileParser),
        ("rayyan.ris", RisFileParser),
        ("covidence.ris", RisFileParser),
        ("zotero.bib", BibtexParser),
        ("jabref.bib", BibtexParser),
        ("rayyan.csv", CsvTableParser),
        ("covidence.csv", CsvTableParser),
        ("seeds.txt", IdListParser),
    ],
)
def test_each_file_is_recognised_by_its_content(name: str, parser: type) -> None:
    head = (REFS / name).read_bytes()[:8192]
    assert detect_any(head) is parser and detect(head) is None


def test_the_library_formats_are_never_taken_for_a_reference_file() -> None:
    for path in sorted(DATA.rglob("*")):
        if (
            path.is_file()
            and path.suffix in (".xml", ".txt", ".nbib", ".json", ".medline")
            and "references" not in path.parts
        ):
            head = path.read_bytes()[:8192]
            found = detect_any(head)
            assert found is None or found in PARSERS, f"{path} taken for {found}"


def test_endnote_and_zotero_ris() -> None:
    li, bruno = parse(RisFileParser, (REFS / "endnote.ris").read_bytes())
    assert (li.pmid, li.pmcid, li.doi, li.year, li.pages) == (
        "40078652",
        "PMC11900796",
        "10.2147/IJN.S502192",
        2025,
        "2879-2899",
    )
    assert li.journal == "Int J Nanomedicine" and [a.name for a in li.authors] == ["Li K", "Gu X", "Wang Y"]
    assert (bruno.pmid, bruno.doi, bruno.volume, bruno.issue, bruno.pages) == (
        None,
        None,
        "20",
        "5",
        "1053-1067",
    )
    ma, tian = parse(RisFileParser, (REFS / "zotero.ris").read_bytes())
    assert (ma.pmid, ma.date, ma.journal, ma.journal_title) == (
        "40036306",
        "2025 Mar 1",
        "Stem Cells Transl Med",
        "Stem Cells Translational Medicine",
    )
    assert ma.abstract == [
        AbstractSection("Posterior capsule opacification is common.", "BACKGROUND"),
        AbstractSection("Exosomes were isolated and studied.", "METHODS"),
    ]
    assert ma.keywords == ["exosomes", "miR-148a-3p"] and ma.languages == ["eng"]
    assert ma.authors[0] == Author(last="Ma", initials="J", fore="Jing")
    assert (tian.doi, tian.pmid, tian.date) == ("10.1002/jcb.22733", None, "2010")


def test_rayyan_and_covidence_ris() -> None:
    [quan] = parse(RisFileParser, (REFS / "rayyan.ris").read_bytes())
    assert (quan.title[:30], quan.journal, quan.year, quan.doi) == (
        "Mesenchymal stem cell exosome ",
        "Stem Cell Research & Therapy",
        2025,
        "10.1186/s13287-025-04160-5",
    )
    assert [a.last for a in quan.authors] == [
        "Quan",
        "Liu",
    ] and quan.abstract_text == "Neurodegenerative diseases are common."
    [dong] = parse(RisFileParser, (REFS / "covidence.ris").read_bytes())
    assert (dong.pmid, dong.journal) == ("39963133", "Front Immunol")


def test_ris_comes_back_from_pmbrowse_s_own_export() -> None:
    article = Article(
        pmid="30992990",
        pmcid="PMC6469139",
        doi="10.1186/s40364-019-0159-x",
        title="Exosomes from MSC: a new paradigm",
        authors=[Author("Phinney", "DG", "Donald G"), Author("Working Group", collective=True)],
        journal="Biomark Res",
        journal_title="Biomarker Research",
        year=2019,
        date="2019 Apr 8",
        volume="7",
        pages="8",
        keywords=["exosomes", "MSC"],
        abstract=[AbstractSection("Text.", "BACKGROUND")],
    )
    [back] = parse(RisFileParser, RisExporter().dumps([article]))
    for name in (
        "pmid",
        "pmcid",
        "doi",
        "title",
        "journal",
        "journal_title",
        "year",
        "date",
        "volume",
        "pages",
        "keywords",
        "abstract",
    ):
        assert getattr(back, name) == getattr(article, name), name
    assert [a.name for a in back.authors] == ["Phinney DG", "Working Group"]
    [again] = parse(BibtexParser, BibtexExporter().dumps([article]))
    assert (again.pmid, again.pmcid, again.doi, again.title, again.year, again.date) == (
        "30992990",
        "PMC6469139",
        "10.1186/s40364-019-0159-x",
        article.title,
        2019,
        "2019 Apr",
    )
    [row] = parse(CsvTableParser, CsvExporter().dumps([article]))
    assert (row.pmid, row.pmcid, row.doi, row.title, row.year) == (
        "30992990",
        "PMC6469139",
        "10.1186/s40364-019-0159-x",
        article.title,
        2019,
    )


def test_bibtex_from_zotero_and_jabref() -> None:
    chen, lai = parse(BibtexParser, (REFS / "zotero.bib").read_bytes())
    assert chen.title.endswith("reduced hepatic lipid accumulation in MASLD")  # ({MASLD}: braces gone)
    assert [a.name for a in chen.authors] == ["Chen Y", "Yang F", "Liver Study Group"]
    assert chen.authors[1].fore == "Fëi" and chen.authors[2].collective
    assert (chen.journal, chen.journal_title, chen.date, chen.pages) == (
        "Stem Cell Res Ther",
        "Stem Cell Research & Therapy",
        "2025 Mar",
        "101-110",
    )
    assert chen.keywords == ["exosomes", "MASLD, fatty liver"]
    assert (lai.pmcid, lai.pmid, lai.doi) == ("PMC2800221", None, None)
    [bruno] = parse(BibtexParser, (REFS / "jabref.bib").read_bytes())
    assert (bruno.doi, bruno.issue, bruno.pages, bruno.authors[0].fore) == (
        "10.1371/journal.pone.0033115",
        "3",
        "e33115",
        "Stefania",
    )


def test_csv_from_rayyan_covidence_and_a_spreadsheet() -> None:
    fouraschen, phinney = parse(CsvTableParser, (REFS / "rayyan.csv").read_bytes())
    assert fouraschen.doi == "10.1089/scd.2011.0560" and [a.name for a in fouraschen.authors] == [
        "Fouraschen SMG",
        "Pan Q",
    ]
    assert fouraschen.keywords == ["liver", "regeneration"] and fouraschen.pages == "2410-2419"
    assert phinney.pmid == "30992990" and [a.name for a in phinney.authors] == ["Phinney DG", "Pittenger MF"]
    [li] = parse(CsvTableParser, (REFS / "covidence.csv").read_bytes())
    assert (li.pmid, li.doi, li.year, li.journal) == (
        "40078652",
        "10.2147/IJN.S502192",
        2025,
        "Int J Nanomedicine",
    )
    only_ids = parse(CsvTableParser, "PMID;DOI\n30992990;\n;10.1681/ASN.2008070798\n")
    assert [(a.pmid, a.doi, a.title) for a in only_ids] == [
        ("30992990", None, ""),
        (None, "10.1681/ASN.2008070798", ""),
    ]
    assert [a.name for a in split_authors("World Health Organization")] == ["World Health Organization"]


def test_a_list_of_identifiers() -> None:
    found = parse(IdListParser, (REFS / "seeds.txt").read_bytes())
    assert [(a.pmid, a.pmcid, a.doi) for a in found] == [
        ("30992990", None, None),
        (None, "PMC11900796", None),
        (None, None, "10.1186/s13287-025-04228-2"),
        (None, None, "10.1681/ASN.2008070798"),
    ]
    assert not IdListParser.sniff(b"PMID- 123\nTI  - A title\n") and not IdListParser.sniff(b"hello\n")


def test_malformed_files_are_one_line_naming_the_line_or_record() -> None:
    assert refused(RisFileParser, "TY  - JOUR\nTI  - x\n") == (
        "bad, line 2: record 1 (line 1) has no ER line: the file ends inside it (cut off?)"
    )
    assert refused(RisFileParser, "TY  - JOUR\nTI  - x\nER  - \nstray\n") == (
        "bad, line 4: a line outside any record (a record starts with TY and ends with ER)"
    )
    assert refused(RisFileParser, "TY  - JOUR\nTI  - a\nTY  - JOUR\nER  - \n") == (
        "bad, line 3: record 1 has no ER line before the next record starts"
    )
    assert refused(
        RisFileParser, "TY  - JOUR\nTI  - a\nER  - \nTY  - JOUR\nAN  - 1\nDO  - nope\nER  - \n"
    ) == ("bad, line 4, record 2: DO 'nope' is not a DOI")
    assert (
        refused(RisFileParser, b"TY  - JOUR\nTI  - caf\xe9\nER  - \n")
        == "bad, line 2: not UTF-8 text (byte 20)"
    )
    assert refused(BibtexParser, "@article{a, title={x}}\n@article{b, title={y}\n").startswith(
        "bad, line 2: a block that is not BibTeX"
    )
    assert (
        refused(BibtexParser, "@article{a, title={x}, pmid={12x}}")
        == "bad, line 1, record 1 (a): pmid '12x' is not a PMID"
    )
    assert (
        refused(BibtexParser, "@article{a, title={x}, title={y}}")
        == "bad, line 1: an entry with a field given twice (title)"
    )
    assert (
        refused(CsvTableParser, "pmid,title\n1,a\nabc,b\n")
        == "bad, line 3: the pmid column: 'abc' is not a PMID"
    )
    assert (
        refused(CsvTableParser, "pmid,title\n1,a,extra\n")
        == "bad, line 2: a row of 3 cells under a header of 2"
    )
    assert (
        refused(CsvTableParser, 'pmid,title\n1,"open\n')
        == "bad, line 2: not a well-formed table (unexpected end of data)"
    )
    assert (
        refused(CsvTableParser, "pmid,title,year\n,,\n,a,\n,,2019\n")
        == "bad, line 4: the row has neither a title nor a PMID, PMCID or DOI"
    )
    assert refused(IdListParser, "123\n456\nsee above\n") == "bad, line 3: 'see' is not a PMID, PMCID or DOI"


@pytest.mark.parametrize("name", sorted(p.name for p in REFS.iterdir()))
def test_mutated_files_are_read_or_refused_in_one_line(name: str) -> None:
    """Bytes changed, cut and repeated with a fixed seed: each result is read or refused in one line."""
    original = (REFS / name).read_bytes()
    parser = next(p for p in REFERENCE_PARSERS if p.sniff(original[:8192]))
    rng = random.Random(name)
    for _ in range(150):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            if not data:
                break
            at = rng.randrange(len(data))
            kind = rng.random()
            if kind < 0.4:
                data[at] = rng.choice(b'{}",;|\n\r\t -@%\\\x00\xff')
            elif kind < 0.7:
                del data[at:]
            else:
                data[at:at] = data[rng.randrange(len(data)) :][:40]
        try:
            parse(parser, bytes(data), name)
        except ParseError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(name)
