"""Grants: read from PubMed XML and MEDLINE in MEDLINE's own form, written back, and shown."""

from __future__ import annotations

import io

from store.export.medline import MedlineExporter
from store.formats.medline import MedlineParser
from store.formats.pubmed_xml import PubmedXmlParser
from tui.text import details

XML = b"""<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version="1">35123456</PMID><Article>
<ArticleTitle>A funded study.</ArticleTitle>
<GrantList CompleteYN="Y">
<Grant><GrantID>T32 HD007490</GrantID><Acronym>HD</Acronym><Agency>NICHD NIH HHS</Agency>
<Country>United States</Country></Grant>
<Grant><GrantID>Doctoral scholarship</GrantID><Agency>Foundation for Physical Therapy Research</Agency>
<Country/></Grant>
</GrantList></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""

MEDLINE = b"""PMID- 35123456
TI  - A funded study.
GR  - T32 HD007490/HD/NICHD NIH HHS/United States
GR  - Doctoral scholarship/Foundation for Physical Therapy Research
"""


def test_grants_from_xml_and_medline_are_the_same() -> None:
    (from_xml,) = PubmedXmlParser().parse(io.BytesIO(XML), "x.xml")
    (from_medline,) = MedlineParser().parse(io.BytesIO(MEDLINE), "x.nbib")
    assert from_xml.grants == [
        "T32 HD007490/HD/NICHD NIH HHS/United States",
        "Doctoral scholarship/Foundation for Physical Therapy Research",
    ]
    assert from_medline.grants == from_xml.grants
    out = io.StringIO()
    MedlineExporter().write([from_xml], out)
    assert "GR  - T32 HD007490/HD/NICHD NIH HHS/United States" in out.getvalue()
    assert ("Grants", from_xml.grants) in details(from_xml)
