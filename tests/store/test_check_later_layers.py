"""``pmbrowse check`` on a library whose later layers remove a document that earlier layers changed
the links of: the check adds each link change as it reads it (``store.storage.laterlayers``), so
those of a document counted from its whole state must be taken back, or a sound library is said to
be damaged ("do not agree at both ends")."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from store import importer
from store.importer import import_paths
from store.library import Library
from store.storage.linksums import Sums
from store.storage.verify import verify
from tests.store.bulk_files import cited, pubmed_xml
from tests.store.test_basescan import _small_bases_in_two, forks_fixture  # noqa: F401 (fixtures; the first autouse)
from tests.store.test_reliability import cli


def _record(pmid: int, doi: str, refs: str) -> str:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        "<Article><Journal><JournalIssue><PubDate><Year>2001</Year></PubDate></JournalIssue>"
        f"<Title>Journal of Tests</Title></Journal><ArticleTitle>Record {pmid}.</ArticleTitle>"
        '<AuthorList CompleteYN="Y"><Author><LastName>Roe</LastName><Initials>A</Initials></Author>'
        "</AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">{doi}</ArticleId>'
        f"</ArticleIdList><ReferenceList>{refs}</ReferenceList></PubmedData></PubmedArticle>\n"
    )


def _ref(kind: str, value: str) -> str:
    return (
        f"<Reference><Citation>Cited {value}.</Citation><ArticleIdList>"
        f'<ArticleId IdType="{kind}">{value}</ArticleId></ArticleIdList></Reference>'
    )


def _file(path: Path, *records: str) -> Path:
    path.write_text(
        '<?xml version="1.0" ?>\n<PubmedArticleSet>\n' + "".join(records) + "</PubmedArticleSet>\n"
    )
    return path


@pytest.fixture
def merged_stubs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library in segments: two records cite one article, one by its DOI and one by its PMID (two
    stubs, each cited in a segment of its own); then its record arrives with both identifiers, and
    the two stubs become one document: the other is removed in a later segment."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))  # (the segments stay segments)
    monkeypatch.setattr(importer, "FLUSH_AT", 1)
    lib = tmp_path / "library.json"
    files = [
        _file(tmp_path / "a.xml", _record(31000001, "10.1234/a", _ref("doi", "10.1234/x"))),
        _file(tmp_path / "b.xml", _record(31000002, "10.1234/b", _ref("pubmed", "31000009"))),
        _file(tmp_path / "c.xml", _record(31000009, "10.1234/x", _ref("pubmed", "31000001"))),
    ]
    library = Library.open(lib)
    import_paths(library, files)
    library._storage.close()  # (not ``close``: that would fold the segments into the base)
    assert len(list(lib.parent.glob("library.json.segments/*.seg"))) >= 2
    return lib


def test_a_document_removed_after_its_links_changed_leaves_a_sound_library_sound(merged_stubs: Path) -> None:
    found = cli(merged_stubs, "check")
    assert found.returncode == 0 and "no problems found" in found.stdout, found
    stats = cli(merged_stubs, "stats")
    assert "3 " in stats.stdout.replace("│", " "), stats.stdout  # (the three records, the stubs merged)


def test_each_removed_document_s_changes_are_taken_back(
    merged_stubs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenario above does take changes back (else the first test guards nothing)."""
    taken: list[int] = []
    add = Sums.add

    def watching(self: Sums, doc_id: int, refs: list[int], cited_by: list[int], *, sign: int = 1) -> None:
        if sign < 0:
            taken.append(doc_id)
        add(self, doc_id, refs, cited_by, sign=sign)

    monkeypatch.setattr(Sums, "add", watching)
    assert verify(merged_stubs).problems == []
    assert taken


def test_a_base_read_in_two_processes_counts_the_later_layers_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[object]
) -> None:
    """The later layers are walked before the base is read; a base read in two processes forks with
    the sums it is given, so the later layers' part must not be in them (at a million records it was
    counted twice: 48.8 million links said against the 30.4 million kept)."""
    monkeypatch.setenv("PMBROWSE_COMPACT_BYTES", str(1 << 30))
    rng = random.Random(5)
    lib = tmp_path / "library.json"
    library = Library.open(lib)
    import_paths(
        library, [pubmed_xml(tmp_path / "base.xml", [(i, cited(rng, i, 600, 20)) for i in range(1, 601)])]
    )
    library.compact()
    monkeypatch.setattr(importer, "FLUSH_AT", 50)
    more = [(i, cited(rng, i, 600, 20)) for i in range(601, 801)]
    import_paths(library, [pubmed_xml(tmp_path / "more.xml", more)])
    library._storage.close()
    assert list(lib.parent.glob("library.json.segments/*.seg"))
    assert verify(lib).problems == []
    assert forks and forks[0] is not None  # (the base was read in two processes)
