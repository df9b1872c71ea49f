"""Co-citation, coupling, per-year counts and the citation map, on graphs where every count is known."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from store.library import Library
from store.neighbourhood import GraphReader, citation_years, layout_map, publications_per_year, related
from store.neighbourhood.layout import COLUMNS, MapGrid, to_dot, to_text
from store.neighbourhood.related import shared_counts
from tests.store.citation_graphs import hand_built, random_graph


@pytest.fixture
def graph(empty_library: Library) -> tuple[Library, GraphReader, dict[str, int]]:
    hand_built(empty_library)
    ids = {
        p: empty_library.find(p) for p in ("1", "2", "3", "4", "5", "10", "11", "12", "13", "20", "21", "50")
    }
    assert all(v is not None for v in ids.values())
    return empty_library, GraphReader(empty_library), {p: v for p, v in ids.items() if v is not None}


def by_pmid(rows: list) -> dict[str, tuple[int, int, float]]:  # type: ignore[type-arg]
    return {r.node.pmid: (r.cocitation, r.coupling, r.score) for r in rows}


def test_every_count_of_the_hand_built_graph(graph) -> None:  # type: ignore[no-untyped-def]
    _, reader, ids = graph
    counts = shared_counts(reader, ids["1"])
    assert counts is not None
    pmid = {v: k for k, v in ids.items()}
    # Co-citation: the citing articles of 1 are 2, 3, 4 and the stub 50.
    assert {pmid[i]: n for i, n in counts.cocitation.items()} == {"10": 1, "11": 2, "12": 2, "20": 3, "21": 1}
    # Coupling: the references of 1 are 10, 11, 12, 13.
    assert {pmid[i]: n for i, n in counts.coupling.items()} == {"2": 2, "3": 2, "5": 3, "50": 1}


def test_cocitation_cosine_and_order(graph) -> None:  # type: ignore[no-untyped-def]
    _, reader, ids = graph
    rows = related(reader, ids["1"], "cocitation", limit=None)
    # |cited_by 1| = 4; |cited_by 10| = 3, 11: 4, 12: 4, 20: 3 (a stub), 21: 1.
    expected = {
        "20": (3, 0, 3 / math.sqrt(4 * 3)),
        "12": (2, 0, 2 / math.sqrt(4 * 4)),
        "11": (2, 0, 2 / math.sqrt(4 * 4)),
        "21": (1, 0, 1 / math.sqrt(4 * 1)),
        "10": (1, 0, 1 / math.sqrt(4 * 3)),
    }
    assert by_pmid(rows) == pytest.approx(expected)
    # Ties on the score go to the larger count, then to the newer article (12 is 2012, 11 is 2011).
    assert [r.node.pmid for r in rows] == ["20", "12", "11", "21", "10"]
    assert rows[0].node.stub and rows[0].why == "co-cited 3×"
    assert next(r for r in rows if r.node.pmid == "12").why == "co-cited 2× · cited by it"


def test_coupling_cosine_and_order(graph) -> None:  # type: ignore[no-untyped-def]
    _, reader, ids = graph
    rows = related(reader, ids["1"], "coupling", limit=None)
    # |references 1| = 4; 2: 4, 3: 4, 5: 3, 50: 2 (a stub that cites 1 and 12).
    expected = {
        "5": (0, 3, 3 / math.sqrt(4 * 3)),
        "3": (2, 2, 2 / math.sqrt(4 * 4)),
        "2": (2, 2, 2 / math.sqrt(4 * 4)),
        "50": (0, 1, 1 / math.sqrt(4 * 2)),
    }
    # (2 and 3 are also co-cited with 1? No: the counts shown beside are the other measure's, exact too.)
    got = by_pmid(rows)
    assert {k: (v[1], v[2]) for k, v in got.items()} == pytest.approx({k: v[1:] for k, v in expected.items()})
    assert [r.node.pmid for r in rows] == ["5", "3", "2", "50"]
    assert next(r for r in rows if r.node.pmid == "2").why == "shares 2 references · cites it"
    assert next(r for r in rows if r.node.pmid == "50").why == "shares 1 reference · cites it"


def test_both_is_the_cosine_of_all_links(graph) -> None:  # type: ignore[no-untyped-def]
    _, reader, ids = graph
    rows = related(reader, ids["1"], "both", limit=None)
    total_x = 8  # 4 references + 4 citing articles
    totals = {"10": 3, "11": 4, "12": 4, "20": 3, "21": 1, "2": 4, "3": 4, "5": 3, "50": 2}
    shared = {"10": 1, "11": 2, "12": 2, "20": 3, "21": 1, "2": 2, "3": 2, "5": 3, "50": 1}
    got = by_pmid(rows)
    assert set(got) == set(shared)
    for pmid, n in shared.items():
        assert got[pmid][0] + got[pmid][1] == n
        assert got[pmid][2] == pytest.approx(n / math.sqrt(total_x * totals[pmid]))
    assert [r.node.pmid for r in rows[:2]] == ["20", "5"]  # equal scores; the stub 20 is of 2020, 5 of 2019


def test_limit_keeps_the_exact_top_rows_and_reads_less(tmp_path: Path) -> None:
    random_graph(tmp_path / "lib.json", n=400)
    lib = Library.open(tmp_path / "lib.json")
    for doc_id in (5, 20, 60, 200):
        for mode in ("cocitation", "coupling", "both"):
            everything = related(GraphReader(lib), doc_id, mode, limit=None)
            reader = GraphReader(lib)
            top = related(reader, doc_id, mode, limit=5, min_shared=1)
            assert [r.node.doc_id for r in top] == [r.node.doc_id for r in everything[:5]]
            assert [r.score for r in top] == [r.score for r in everything[:5]]
            # By default, articles sharing one link only are left out when 5 share two or more.
            strong = [
                r
                for r in everything
                if r.cocitation * (mode != "coupling") + r.coupling * (mode != "cocitation") >= 2
            ]
            default = related(GraphReader(lib), doc_id, mode, limit=5)
            expected = strong[:5] if len(strong) >= 5 else everything[:5]
            assert [r.node.doc_id for r in default] == [r.node.doc_id for r in expected]


def test_against_networkx(tmp_path: Path) -> None:
    import networkx as nx  # (a test dependency: missing, the test fails rather than skips)
    from networkx.algorithms import bipartite

    cites = random_graph(tmp_path / "lib.json", n=250, seed=11)
    lib = Library.open(tmp_path / "lib.json")
    # Citing articles on one side, cited on the other: the projections' weights are the shared counts.
    b = nx.Graph()
    b.add_nodes_from((("citing", i) for i in cites), bipartite=0)
    b.add_nodes_from((("cited", i) for i in cites), bipartite=1)
    b.add_edges_from((("citing", i), ("cited", j)) for i, targets in cites.items() for j in targets)
    cocited = bipartite.weighted_projected_graph(b, [("cited", i) for i in cites])
    coupled = bipartite.weighted_projected_graph(b, [("citing", i) for i in cites])
    reader = GraphReader(lib)
    rng = random.Random(5)
    for x in rng.sample(sorted(cites), 40):
        rows = {r.node.doc_id: r for r in related(reader, x, "both", limit=None)}
        want_cc = {j: d["weight"] for (_, j), d in cocited[("cited", x)].items()}
        want_bc = {j: d["weight"] for (_, j), d in coupled[("citing", x)].items()}
        assert {j: r.cocitation for j, r in rows.items() if r.cocitation} == want_cc
        assert {j: r.coupling for j, r in rows.items() if r.coupling} == want_bc
        n_cited = b.degree(("cited", x))
        n_refs = b.degree(("citing", x))
        for j, r in rows.items():
            total_y = b.degree(("cited", j)) + b.degree(("citing", j))
            assert r.score == pytest.approx(
                (r.cocitation + r.coupling) / math.sqrt((n_cited + n_refs) * total_y)
            )


def test_citation_years(graph) -> None:  # type: ignore[no-untyped-def]
    lib, reader, ids = graph
    years = citation_years(reader, ids["1"])
    assert years is not None
    assert years.citing.per_year == {2016: 1, 2017: 1, 2018: 1, 2020: 1}  # 50 is a stub of 2020
    assert years.references.per_year == {2010: 1, 2011: 1, 2012: 1, 2013: 1}
    assert years.reported is None and years.missing == 0
    assert years.citing.series() == [(2016, 1), (2017, 1), (2018, 1), (2019, 0), (2020, 1)]
    per = publications_per_year(lib, [ids["1"], ids["2"], ids["3"], 999_999])
    assert per.per_year == {2015: 1, 2016: 1, 2017: 1} and per.total == 3
    assert citation_years(reader, 999_999) is None


def test_reader_sees_changes(graph) -> None:  # type: ignore[no-untyped-def]
    from store.model import Article, Link
    from tests.store.citation_graphs import ORIGIN

    lib, reader, ids = graph
    assert shared_counts(reader, ids["1"]).cocitation[ids["21"]] == 1  # type: ignore[union-attr]
    with lib.transaction() as changes:  # a new article cites 1 and 21
        changes.put_article(
            Article(pmid="6", title="New", references=[Link(pmid="1"), Link(pmid="21")]), ORIGIN
        )
    assert shared_counts(reader, ids["1"]).cocitation[ids["21"]] == 2  # type: ignore[union-attr]


def test_map_layout_of_the_hand_built_graph(graph) -> None:  # type: ignore[no-untyped-def]
    _, reader, ids = graph
    layout = layout_map(reader, ids["1"])
    assert layout is not None
    pmid = {v: k for k, v in ids.items()}
    col = {c: [pmid[i] for i in layout.columns[c]] for c in COLUMNS}
    assert col[0] == ["1"]
    assert sorted(col[-1]) == ["10", "11", "12", "13"]
    assert sorted(col[1]) == ["2", "3", "4", "50"]
    assert col[-2] == [] and col[2] == []  # nothing cites 2, 3, 4; 10-13 cite nothing
    # Years go down the map, in bands shared by the columns.
    rows = [layout.nodes[i].row for i in layout.columns[-1]]
    assert rows == sorted(rows)
    assert layout.nodes[ids["10"]].row < layout.nodes[ids["1"]].row < layout.nodes[ids["2"]].row
    # Edges: every link of 1 and of its neighbours with both ends on the map (3 -> 11 too).
    assert (ids["3"], ids["11"]) in layout.edges and (ids["1"], ids["13"]) in layout.edges
    assert (ids["2"], ids["1"]) in layout.edges
    # Navigation.
    assert layout.step(ids["1"], 1, 0) in layout.columns[1]
    top = layout.columns[-1][0]
    assert layout.step(top, 0, -1) == top and layout.step(top, 0, 1) == layout.columns[-1][1]
    text = to_text(layout, 20)
    assert "References (4)" in text and "Citing articles (4)" in text
    assert "┐" in text and "└" in text  # the article's edges, drawn
    dot = to_dot(layout)
    assert dot.startswith('digraph "map"') and f"n{ids['1']} -> n{ids['2']} [dir=back];" in dot


def test_map_second_hop_and_trimming(tmp_path: Path) -> None:
    cites = random_graph(tmp_path / "lib.json", n=400, seed=2)
    lib = Library.open(tmp_path / "lib.json")
    x = 150
    full = layout_map(GraphReader(lib), x, per_column=10_000)
    assert full is not None
    refs = set(cites[x])
    citing = {i for i, t in cites.items() if x in t}
    assert set(full.columns[-1]) == refs and set(full.columns[1]) == citing - refs
    left = {j for r in refs for j in cites[r]} - refs - citing - {x}
    assert set(full.columns[-2]) | set(full.columns[2]) >= left - set(full.columns[2])
    small = layout_map(GraphReader(lib), x, per_column=3)
    assert small is not None
    assert all(len(small.columns[c]) <= 3 for c in COLUMNS)
    assert (
        small.dropped.get(2, 0) == len(full.columns[2]) - len(small.columns[2]) or small.dropped.get(2, 0) > 0
    )
    # Every article kept in an outer column is linked to one kept in the first hop.
    for column in (-2, 2):
        for i in small.columns[column]:
            assert small.neighbours(i) & (set(small.columns[-1]) | set(small.columns[1]))
    # Every drawn line has the same width, whatever the focus.
    grid = MapGrid(small, 14)
    for focus in list(small.nodes)[:5]:
        grid.focus = focus
        widths = {len("".join(t for t, _ in grid.line(r))) for r in range(small.height)}
        assert widths == {grid.width}


def test_hostile_titles_stay_text(empty_library: Library) -> None:
    from store.model import Article, Link
    from tests.store.citation_graphs import ORIGIN

    with empty_library.transaction() as changes:
        changes.put_article(
            Article(pmid="1", title='[bold]x[/] \x1b[31m "q" \\', references=[Link(pmid="2", title="a\nb")]),
            ORIGIN,
        )
    reader = GraphReader(empty_library)
    layout = layout_map(reader, empty_library.find("1"))  # type: ignore[arg-type]
    assert layout is not None
    text = to_text(layout, 40)
    assert "\x1b" not in text and "[bold]x[/]" in text
    dot = to_dot(layout)
    assert '\\"q\\" \\\\' in dot


def test_link_counts_kept_in_the_index_agree_with_the_link_lists(tmp_path: Path) -> None:
    from store.model import Article, Link
    from tests.store.citation_graphs import ORIGIN

    random_graph(tmp_path / "lib.json", n=200, seed=8)
    lib = Library.open(tmp_path / "lib.json")
    with lib.transaction() as changes:  # some documents and links now live in the journal
        changes.put_article(
            Article(pmid="1005", title="Again", year=2001, references=[Link(pmid="1001")]), ORIGIN
        )
        changes.put_article(Article(pmid="77777", title='"references":[1,2] "year":3'), ORIGIN)
    reader = GraphReader(lib)
    for doc_id in range(1, 205):
        doc = lib.doc(doc_id)
        totals = reader.totals(doc_id)
        if doc is None:
            assert totals is None
            continue
        refs, cited = lib.link_ids(doc_id, "references"), lib.link_ids(doc_id, "cited_by")
        assert totals == (len(refs), len(cited), doc.get("year"))
        assert GraphReader(lib).link_ids(doc_id, "references") == tuple(refs)
    assert reader.reads == 0  # (no document was decoded for its counts)
    # The batch of ranking gives the same, in one pass.
    batch = GraphReader(lib)
    many = batch.totals_many(list(range(1, 205)))
    assert many == {i: reader.totals(i) for i in range(1, 205) if reader.totals(i) is not None}
    assert batch.reads == 0
    # After a commit that adds links to document 3 (the journal's counts), and after a compaction.
    before = lib.link_counts(3)
    with lib.transaction() as changes:
        changes.put_article(Article(pmid="1003", references=[Link(pmid="1150"), Link(pmid="99999")]), ORIGIN)
    assert GraphReader(lib).totals(3) == (before[0] + 2, before[1], lib.meta(3).year)  # type: ignore[union-attr]
    assert lib.compact() and GraphReader(lib).totals(3) == (before[0] + 2, before[1], lib.meta(3).year)  # type: ignore[union-attr]
