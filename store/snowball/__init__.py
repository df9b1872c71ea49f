"""Citation chasing (snowballing) for reviews: from a set of seed articles, collect what they cite
(backward) and what cites them (forward), deduplicate it by identity, rank it, and count it the way a
PRISMA 2020 flow diagram needs.

- ``seeds``: choosing the seeds (a selection of the library, or identifiers);
- ``engine``: one round over the library's links, offline (``run_round``);
- ``state``: the rounds done so far, kept in a small file beside the library (``library.snowball.json``);
- ``counts``: the PRISMA numbers per round and in total, screening read from the marks at report time;
- ``online``: filling in the seeds' links first (iCite, and E-utilities / Europe PMC on request);
- ``provenance``: which seeds each candidate came from, for the exports.

Like the rest of ``store/``, nothing here imports Textual or Rich.
"""
