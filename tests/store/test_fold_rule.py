"""The rule that folds the segments into a new base (``store.storage.compactor.fold_due``) at its
boundaries: the segments are folded when they hold four times what the base holds (the library has
grown fivefold since its base was written), not before, so each record is rewritten a bounded number of
times and a file of a share of the library never rewrites it. (With the segments folded when they held
as much as the base, files of one size imported one after another rewrote the library at the 2nd, 4th
and 8th file: test_tiering's test_a_file_imported_into_a_larger_library_does_not_rewrite_it.)"""

from __future__ import annotations

from store.storage.compactor import Compactor, beside_run, fold_due

BASE = 1_000_000


def test_segments_are_folded_at_four_times_the_base_not_before() -> None:
    # (four, not three, since stop 48: segments hold ~1.2 times what a base holds of the same records,
    # and at three the 4th of ten files of one size folded, the 7th and the 10th merged three files'
    # worth: ``compactor.FOLD_SHARE``'s comment)
    assert not fold_due([], BASE) and not fold_due([], 0)
    assert not fold_due([BASE], BASE)  # (as much as the base: merged, not folded)
    assert not fold_due([BASE, BASE, BASE], BASE)
    assert not fold_due([BASE, BASE, BASE, BASE - 1], BASE)  # (just under four times)
    assert fold_due([BASE, BASE, BASE, BASE], BASE)  # (four times: the library has grown fivefold)
    assert fold_due([4 * BASE], BASE) and fold_due([1], 0)  # (an empty base: any segment folds)
    assert Compactor.fold_due([3 * BASE], BASE) is False  # (the rule a bulk commit asks, the same)
    assert Compactor.fold_due([4 * BASE], BASE) is True


def test_an_import_merges_beside_itself_until_its_end_would_fold() -> None:
    """An import merges beside itself (``beside_run``) only when its end will not fold: with the
    segments at more than the base, and up to just under four times it, it does."""
    quarter, half = BASE // 4, BASE // 2
    assert beside_run([quarter] * 4, [quarter] * 2, BASE) == 4  # (1.5 times the base: merged)
    assert beside_run([3 * quarter] * 4, [half, half - 1], BASE) == 4  # (just under four times)
    assert beside_run([3 * quarter] * 4, [half] * 2, BASE) == 0  # (four times: the end folds)
