"""A review: citation chasing (snowballing) from a set of seed articles, collecting what they cite
(backward) and what cites them (forward), deduplicated by identity and ranked; database searches;
screening in two stages by one or two screeners; and the PRISMA 2020 flow of it all.

- ``seeds``: choosing the seeds (a selection of the library, or identifiers);
- ``engine``: one round over the library's links, offline (``run_round``), and previews of rounds;
- ``state``: the rounds (and those dropped) and the database searches, kept in a small file beside
  the library (``library.snowball.json``);
- ``screening``: decisions as records (stage, decision, reason, screener, time) and what the review
  makes of them; ``review``: recording them for many articles at once, and the conflicts;
  ``agreement``: percent agreement and Cohen's kappa;
- ``flow``: the PRISMA 2020 flow, both arms and both stages; ``diagram`` draws it (text, SVG);
  ``prisma_csv`` writes it as the PRISMA2020 R package's template; ``sought``: the reports sought,
  which the full-text stage screens;
- ``intake``: the reviewer's files in (RIS, BibTeX, CSV, lists), resolved online on request;
- ``online``: filling in the seeds' links first (iCite, and E-utilities / Europe PMC on request);
- ``provenance``: what the review knows of each article (how it was found, its decision), for exports.

Like the rest of ``store/``, nothing here imports Textual or Rich.
"""
