"""``store.ids`` on the app's start: imported by the main thread's first screen (the session's trail) and by
the first page's thread, it hashes (``cite_key``) and matches identifiers (``parse_identifier``) only
later, or when the app was started on an identifier. ``hashlib`` (1.4 ms of CPU to import) is imported
when a ``cite:`` key is first made, and the patterns (0.65 ms to compile) when first matched."""

from __future__ import annotations

from store.ids import cite_key, parse_identifier
from tests.tui.helpers import imported_by


def test_the_app_imports_no_hashlib() -> None:
    assert imported_by("import tui.cli, tui.app", ("hashlib", "_hashlib")) == []


def test_the_identifier_patterns_are_compiled_when_first_used() -> None:
    code = "import store.ids; assert not store.ids._RE.__dict__"
    assert imported_by(code, ("store.ids",)) == ["store.ids"]
    assert imported_by(
        "import store.ids; store.ids.parse_identifier('30992990'); assert store.ids._RE.__dict__",
        ("store.ids",),
    ) == ["store.ids"]


def test_what_they_match_is_as_before() -> None:
    assert str(parse_identifier("https://pubmed.ncbi.nlm.nih.gov/30992990/")) == "PMID 30992990"
    assert str(parse_identifier("pmc: 011900796")) == "PMCID PMC11900796"
    assert str(parse_identifier("https://doi.org/10.2147/IJN.S502192.")) == "DOI 10.2147/IJN.S502192"
    assert parse_identifier("٣٠٩٩٢٩٩٠") is None
    assert cite_key("A title", 2001) == "cite:0c9e711c444aeb3f"
