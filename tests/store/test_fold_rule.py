"""The rule that folds the segments into a new base (``store.storage.compactor.fold_due``) at its
boundaries: the segments are folded when they hold three times what the base holds (the library has
grown fourfold since its base was written), not before, so each record is rewritten a bounded number of
times and a file of a share of the library never rewrites it. (With the segments folded when they held
as much as the base, files of one size imported one after another rewrote the library at the 2nd, 4th
and 8th file: test_tiering's test_a_file_imported_into_a_larger_library_does_not_rewrite_it.)"""

from __future__ import annotations

from store.storage.compactor import Compactor, beside_run, fold_due

BASE = 1_000_000


def test_segments_are_folded_at_three_times_the_base_not_before() -> None:
    assert not fold_due([], BASE) and not fold_due([], 0)
    assert not fold_due([BASE], BASE)  # (as much as the base: merged, not folded)
    assert not fold_due([BASE, BASE], BASE)
    assert not fold_due([BASE, BASE, BASE - 1], BASE)  # (just under three times)
    assert fold_due([BASE, BASE, BASE], BASE)  # (three times: the library has grown fourfold)
    assert fold_due([3 * BASE], BASE) and fold_due([1], 0)  # (an empty base: any segment folds)
    assert Compactor.fold_due([2 * BASE], BASE) is False  # (the rule a bulk commit asks, the same)
    assert Compactor.fold_due([3 * BASE], BASE) is True


def test_an_import_merges_beside_itself_until_its_end_would_fold() -> None:
    """An import merges beside itself (``beside_run``) only when its end will not fold: with the
    segments at more than the base, and up to just under three times it, it does."""
    quarter, half = BASE // 4, BASE // 2
    assert beside_run([quarter] * 4, [BASE // 8] * 2, BASE) == 4  # (1.25 times the base: merged)
    assert beside_run([half] * 4, [quarter] * 3 + [quarter - 1], BASE) == 4  # (just under three times)
    assert beside_run([half] * 4, [quarter] * 4, BASE) == 0  # (three times: the end folds)
