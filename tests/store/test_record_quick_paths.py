"""The PubMed XML record reader's quick paths (issue 18) give what the general code gives: a list of
one value made without a dict (``unique``), an abstract section's document made without an
``AbstractSection``, a MeSH heading that is a descriptor alone read without the qualifiers' loop."""

from __future__ import annotations

import itertools

from lxml import etree

from store.formats.base import split_labels, unique
from store.formats.pubmed_record import _abstract, _mesh_heading
from store.model import AbstractSection


def test_unique_of_a_short_list_is_a_new_list_as_the_general_code_makes_it() -> None:
    for values in ([], [""], ["a"], ["a", "a"], ["", "a"], ["b", "", "b", "c"]):
        got = unique(values)
        assert got == list(dict.fromkeys(v for v in values if v))
        assert got is not values  # (the caller's list is never handed back: it may change it)


ABSTRACTS = [
    "",
    "One plain paragraph.",
    "BACKGROUND: why. METHODS: how. RESULTS: what we saw.",
    "Ratio 3:1 in mice (n = 12): not a label.",
    "  spaced   out  ",
]
LABELS = [None, "", "  ", "BACKGROUND", " Methods  and\tdesign "]


def _general(text_elem: etree._Element) -> list[dict[str, str]]:
    """``_abstract`` as it was written before its quick path (an AbstractSection per section)."""
    from store.formats.xml_text import element_text

    text = element_text(text_elem)
    label = " ".join((text_elem.get("Label") or "").split())
    if text and label:
        return [AbstractSection(text, label).to_doc()]
    return [s.to_doc() for s in split_labels(text)] if text else []


def test_abstract_sections_are_the_documents_abstract_sections_write() -> None:
    for text, label in itertools.product(ABSTRACTS, LABELS):
        elem = etree.Element("AbstractText")
        elem.text = text
        if label is not None:
            elem.set("Label", label)
        assert _abstract([elem]) == _general(elem), (text, label)


def test_a_heading_reads_the_same_with_or_without_qualifiers_or_clutter() -> None:
    cases = {
        "<MeshHeading><DescriptorName>Mice</DescriptorName></MeshHeading>": "Mice",
        "<MeshHeading><DescriptorName> Signal\n Transduction </DescriptorName></MeshHeading>": (
            "Signal Transduction"
        ),
        "<MeshHeading><DescriptorName>Burns</DescriptorName><QualifierName>therapy</QualifierName>"
        "</MeshHeading>": "Burns/therapy",
        "<MeshHeading><!-- x --><DescriptorName>Mice</DescriptorName></MeshHeading>": "Mice",
        "<MeshHeading><QualifierName>therapy</QualifierName></MeshHeading>": "therapy",
        "<MeshHeading><Other>x</Other></MeshHeading>": "",
        "<MeshHeading/>": "",
    }
    for xml, expected in cases.items():
        assert _mesh_heading(etree.fromstring(xml)) == expected, xml
