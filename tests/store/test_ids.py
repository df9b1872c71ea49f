"""Identifiers are ASCII: digits of other scripts are not a PMID, PMCID or year."""

from __future__ import annotations

import pytest

from store.ids import normalise_doi, normalise_pmcid, normalise_pmid, parse_identifier
from store.pubdate import year_of


@pytest.mark.parametrize("text", ["٣٠٩٩٢٩٩٠", "PMID: ٣٠٩٩٢٩٩٠", "３０９９２９９０", "30992９90", "৩০"])
def test_other_scripts_digits_are_not_pmids(text: str) -> None:
    assert normalise_pmid(text) is None
    assert normalise_pmcid(text) is None
    assert normalise_pmcid("PMC" + text) is None
    assert parse_identifier(text) is None


def test_ascii_identifiers_still_parse() -> None:
    assert normalise_pmid("PMID: 030992990") == "30992990"
    assert normalise_pmcid("pmc: 11900796") == "PMC11900796"
    assert normalise_doi("doi:10.2147/IJN.S502192.") == "10.2147/IJN.S502192"
    assert normalise_doi("10.٢١٤٧/x") is None


def test_years_are_ascii() -> None:
    assert year_of("٢٠١٩ Apr") is None
    assert year_of("2019 Apr") == 2019
