"""The library: links both ways, stubs and their merge, idempotent and all-or-nothing imports."""

from __future__ import annotations

from pathlib import Path

from store.importer import import_file, import_paths
from store.library import Library
from store.model import Article, Author, Link, Origin
from tests.conftest import PAGES, SEED

ORIGIN = Origin("test", "here")


def test_new_library_holds_the_demo(lib_path: Path) -> None:
    library = Library.open(lib_path)
    assert lib_path.exists()
    seed = library.get("30992990")
    assert seed is not None and not seed.stub
    assert seed.title.startswith("Exosomes from Mesenchymal")
    stats = library.stats()
    assert (stats.records, stats.stubs, stats.links) == (1, 10, 10)
    # Reopening reads the same file; it does not add the demo again.
    again = Library.open(lib_path)
    assert again.stats() == stats


def test_empty_library_without_demo(lib_path: Path) -> None:
    library = Library.open(lib_path, demo=False)
    assert lib_path.exists() and len(library) == 0


def test_reverse_links_from_a_page(demo_library: Library) -> None:
    lib = demo_library
    citing = lib.get("40078652")
    assert citing is not None and citing.stub
    assert citing.title.startswith("Human Umbilical Cord Mesenchymal Stem Cells-Derived Exosomes")
    assert citing.year == 2025 and citing.journal == "Int J Nanomedicine"
    assert [a.name for a in citing.authors] == ["Li K", "Gu X", "Zhu Y", "Guan N", "Wang J", "Wang L"]
    # B listed as citing A => B's references include A, though B's page was never imported.
    refs = lib.links(lib.find("40078652"), "references")  # type: ignore[arg-type]
    assert [(v.pmid, v.in_library) for v in refs] == [("30992990", True)]
    assert refs[0].title.startswith("Exosomes from Mesenchymal")
    # A lists R as a reference => R's citing articles include A.
    ref = lib.find("10.1002/JCB.22733")  # DOIs match case-insensitively
    assert ref is not None
    assert [v.pmid for v in lib.links(ref, "cited_by")] == ["30992990"]
    # The seed's own lists, in page order, each target a stub (not in the library).
    seed = lib.find("30992990")
    assert seed is not None
    cited_by = lib.links(seed, "cited_by")
    assert [v.pmid for v in cited_by] == ["40078652", "40045380", "40036306", "39985030", "39963133"]
    assert not any(v.in_library for v in cited_by)
    assert [v.doi for v in lib.links(seed, "references")][2] == "10.1002/jcb.22733"


def _page_of(
    pmid: str, title: str, cited_by: list[Link] | None = None, refs: list[Link] | None = None
) -> Article:
    return Article(
        pmid=pmid,
        title=title,
        journal="J Test",
        year=2025,
        authors=[Author("Li", "K")],
        cited_by=cited_by or [],
        references=refs or [],
    )


def test_full_record_merges_into_its_stub(demo_library: Library) -> None:
    lib = demo_library
    stub_id = lib.find("PMC11900796")
    before = lib.stats()
    other = Link(pmid="50000001", title="Someone citing the citing article", year=2026, sources=["test"])
    full = _page_of(
        "40078652",
        "Human Umbilical Cord MSC exosomes (full record)",
        cited_by=[other],
        refs=[Link(pmid="11111111", title="Another reference", sources=["test"])],
    )
    with lib.transaction() as changes:
        status = changes.put_article(full, ORIGIN)
    assert status.value == "merged"
    assert lib.find("40078652") == stub_id  # the stub's document carries on: no duplicate
    record = lib.get("40078652")
    assert record is not None and not record.stub
    assert record.title == "Human Umbilical Cord MSC exosomes (full record)"
    # What the stub knew is kept: identifiers from the link, and the reverse link to the seed.
    assert (record.pmcid, record.doi) == ("PMC11900796", "10.2147/IJN.S502192")
    assert [v.pmid for v in lib.links(stub_id, "references")] == ["30992990", "11111111"]  # type: ignore[arg-type]
    assert [v.pmid for v in lib.links(stub_id, "cited_by")] == ["50000001"]  # type: ignore[arg-type]
    # The seed's citing list now shows it as in the library.
    seed_cited_by = lib.links(lib.find("30992990"), "cited_by")  # type: ignore[arg-type]
    assert (
        seed_cited_by[0].in_library
        and seed_cited_by[0].title == "Human Umbilical Cord MSC exosomes (full record)"
    )
    after = lib.stats()
    assert (after.records, after.stubs, after.links) == (
        before.records + 1,
        before.stubs - 1 + 2,
        before.links + 2,
    )


def test_link_knowledge_never_overrides_a_full_record(demo_library: Library) -> None:
    lib = demo_library
    with lib.transaction() as changes:
        changes.put_article(
            _page_of("1", "Cites the seed", refs=[Link(pmid="30992990", title="A wrong title", year=1900)]),
            ORIGIN,
        )
    seed = lib.get("30992990")
    assert seed is not None and seed.title.startswith("Exosomes from Mesenchymal") and seed.year == 2019
    citing = [v.pmid for v in lib.links(lib.find("30992990"), "cited_by")]  # type: ignore[arg-type]
    assert citing[-1] == "1" and len(citing) == 6


def test_links_learnt_twice_are_one_link_with_both_sources(demo_library: Library) -> None:
    lib = demo_library
    # A record that says it cites the seed; the seed's page says the same from the other end.
    with lib.transaction() as changes:
        changes.put_article(
            _page_of("40045380", "Small EVs in MASLD", refs=[Link(pmid="30992990", sources=["pubmed"])]),
            ORIGIN,
        )
    seed_id = lib.find("30992990")
    assert seed_id is not None
    views = lib.links(seed_id, "cited_by")
    assert [v.pmid for v in views].count("40045380") == 1
    mine = lib.links(lib.find("40045380"), "references")  # type: ignore[arg-type]
    assert [(v.pmid, sorted(v.sources)) for v in mine] == [("30992990", ["page", "pubmed"])]


def test_identities_found_to_be_one_are_merged(empty_library: Library) -> None:
    lib = empty_library
    with lib.transaction() as changes:
        # Two stubs, one known by DOI, one by PMID...
        changes.put_article(_page_of("1", "A", refs=[Link(doi="10.1000/X", title="Target")]), ORIGIN)
        changes.put_article(_page_of("2", "B", refs=[Link(pmid="99", title="Target")]), ORIGIN)
    assert lib.stats().stubs == 2
    with lib.transaction() as changes:
        # ...until a link names it by both.
        changes.put_article(_page_of("3", "C", refs=[Link(pmid="99", doi="10.1000/x")]), ORIGIN)
    assert lib.stats().stubs == 1
    target = lib.find("99")
    assert target == lib.find("10.1000/X")
    assert sorted(v.pmid for v in lib.links(target, "cited_by")) == ["1", "2", "3"]  # type: ignore[arg-type]
    for pmid in ("1", "2", "3"):
        refs = lib.links(lib.find(pmid), "references")  # type: ignore[arg-type]
        assert [v.target_id for v in refs] == [target]


def test_conflicting_pmids_are_never_merged(empty_library: Library) -> None:
    lib = empty_library
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1", doi="10.1000/same", title="One"), ORIGIN)
        status = changes.put_article(Article(pmid="2", doi="10.1000/same", title="Two"), ORIGIN)
    assert status.value == "added"
    one, two = lib.get("1"), lib.get("2")
    assert one is not None and two is not None and one.title == "One" and two.title == "Two"


def test_import_is_idempotent_and_byte_identical(lib_path: Path) -> None:
    lib = Library.open(lib_path, demo=False)
    first = import_file(lib, SEED)
    assert (first.added, first.merged, first.unchanged, first.stubs) == (1, 0, 0, 10)
    snapshot = lib_path.read_bytes()
    second = import_file(lib, SEED)
    assert (second.added, second.merged, second.unchanged, second.stubs) == (0, 0, 1, 0)
    assert lib_path.read_bytes() == snapshot
    # A fresh process sees the same.
    assert import_file(Library.open(lib_path), SEED).unchanged == 1
    assert lib_path.read_bytes() == snapshot


def test_rejected_file_changes_nothing(lib_path: Path) -> None:
    lib = Library.open(lib_path)
    snapshot = lib_path.read_bytes()
    stats = lib.stats()
    report = import_file(lib, PAGES / "cut_citing.txt")
    assert report.rejected and "line 17" in report.error and "cut_citing.txt" in report.error
    assert lib_path.read_bytes() == snapshot
    assert lib.stats() == stats


def test_good_and_bad_files_in_one_import(lib_path: Path, tmp_path: Path) -> None:
    lib = Library.open(lib_path, demo=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes((PAGES / "zero_citations.txt").read_bytes())
    (folder / "b.txt").write_bytes((PAGES / "cut_reference.txt").read_bytes())
    (folder / "c.txt").write_bytes((PAGES / "authors_present.txt").read_bytes())
    (folder / ".hidden.txt").write_text("ignored")
    reports = import_paths(lib, [str(folder), str(tmp_path / "missing.txt")])
    assert [Path(r.source).name for r in reports] == ["a.txt", "b.txt", "c.txt", "missing.txt"]
    assert [r.rejected for r in reports] == [False, True, False, True]
    assert reports[3].missing
    assert lib.get("1000002") is not None and lib.get("1000003") is not None and lib.get("1000005") is None


def test_same_article_twice_in_one_import(empty_library: Library) -> None:
    lib = empty_library
    with lib.transaction() as changes:
        assert changes.put_article(_page_of("7", "Seven"), ORIGIN).value == "added"
        assert changes.put_article(_page_of("7", "Seven"), ORIGIN).value == "unchanged"
    assert lib.stats().records == 1


def test_a_stub_made_and_filled_in_one_import_counts_as_added(empty_library: Library) -> None:
    lib = empty_library
    with lib.transaction() as changes:
        changes.put_article(_page_of("1", "One", refs=[Link(pmid="2", title="Two")]), ORIGIN)
        assert changes.put_article(_page_of("2", "Two, in full"), ORIGIN).value == "added"
    assert lib.stats().stubs == 0


def test_unidentified_targets_are_one_stub_across_imports(empty_library: Library) -> None:
    lib = empty_library
    link = Link(title="An old report without identifiers", year=1971, journal="Old J")
    with lib.transaction() as changes:
        changes.put_article(_page_of("1", "One", refs=[link]), ORIGIN)
    with lib.transaction() as changes:
        changes.put_article(_page_of("2", "Two", refs=[link]), ORIGIN)
    assert lib.stats().stubs == 1
    stub_id = lib.links(lib.find("1"), "references")[0].target_id  # type: ignore[arg-type]
    assert stub_id is not None
    assert sorted(v.pmid for v in lib.links(stub_id, "cited_by")) == ["1", "2"]  # type: ignore[type-var]


def test_self_citation_is_not_a_reverse_link(empty_library: Library) -> None:
    lib = empty_library
    with lib.transaction() as changes:
        changes.put_article(_page_of("1", "Cites itself", refs=[Link(pmid="1")]), ORIGIN)
    assert lib.links(lib.find("1"), "cited_by") == []  # type: ignore[arg-type]


def test_an_error_mid_transaction_leaves_memory_and_disk_alone(lib_path: Path) -> None:
    lib = Library.open(lib_path)
    snapshot, stats = lib_path.read_bytes(), lib.stats()
    try:
        with lib.transaction() as changes:
            changes.put_article(_page_of("77", "Half done", refs=[Link(pmid="78")]), ORIGIN)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert lib.get("77") is None and lib.get("78") is None
    assert lib.stats() == stats and lib_path.read_bytes() == snapshot


def test_reciprocal_invariant_holds_everywhere(lib_path: Path) -> None:
    lib = Library.open(lib_path)
    import_paths(lib, [str(PAGES / "zero_citations.txt"), str(PAGES / "authors_present.txt")])
    for doc_id, _doc in lib.iter_docs():
        for rel, inverse in (("references", "cited_by"), ("cited_by", "references")):
            for view in lib.links(doc_id, rel):
                assert view.target_id is not None
                assert doc_id in [v.target_id for v in lib.links(view.target_id, inverse)]


def test_links_learnt_on_their_own(demo_library: Library) -> None:
    lib = demo_library
    with lib.transaction() as changes:
        new = changes.put_links(
            Link(pmid="30992990"),
            "cited_by",
            [
                Link(pmid="40078652", sources=["pubmed"]),
                Link(pmid="41000000", title="New citer", sources=["pubmed"]),
            ],
        )
        assert new == 1
        assert (
            changes.put_links(Link(pmid="77", title="Unknown subject"), "references", [Link(pmid="1")]) == 1
        )
    seed_id = lib.find("30992990")
    assert seed_id is not None
    views = lib.links(seed_id, "cited_by")
    assert [v.pmid for v in views] == ["40078652", "40045380", "40036306", "39985030", "39963133", "41000000"]
    assert sorted(views[0].sources) == ["page", "pubmed"]
    seed = lib.get("30992990")
    assert seed is not None and not seed.stub  # links alone never make a record a stub or a full one
    unknown = lib.get("77")
    assert unknown is not None and unknown.stub and unknown.title == "Unknown subject"
    assert [v.pmid for v in lib.links(lib.find("1"), "cited_by")] == ["77"]  # type: ignore[arg-type]


def test_a_failed_transaction_leaves_every_document_as_it_was(lib_path: Path) -> None:
    import orjson

    lib = Library.open(lib_path)
    import_paths(lib, [str(PAGES / "zero_citations.txt"), str(PAGES / "authors_present.txt")])
    before = orjson.dumps(dict(lib.iter_docs()), option=orjson.OPT_NON_STR_KEYS)
    try:
        with lib.transaction() as changes:
            # Touch existing documents every way a transaction can: new links on full records and
            # stubs, links merged into existing ones, a stub grown, records merged.
            changes.put_article(
                _page_of(
                    "30992990",
                    "Seed, again",
                    refs=[Link(doi="10.1002/jcb.22733", pmid="20000001", title="More", sources=["x"])],
                    cited_by=[Link(pmid="40078652", pmcid="PMC11900796", sources=["y"])],
                ),
                Origin("other", "there"),
            )
            changes.put_links(Link(pmid="1000003"), "cited_by", [Link(pmid="35000001", sources=["z"])])
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert orjson.dumps(dict(lib.iter_docs()), option=orjson.OPT_NON_STR_KEYS) == before
