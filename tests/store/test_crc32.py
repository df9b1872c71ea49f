"""``store.crc32.combine``: the CRC-32 of two runs of bytes joined, from each one's, as zlib computes it."""

from __future__ import annotations

import random
import zlib

import pytest

from store.crc32 import combine


@pytest.mark.parametrize(
    ("first", "second"), [(0, 0), (0, 7), (7, 0), (1, 1), (3, 255), (1000, 4097), (17, (1 << 20) + 3)]
)
def test_the_crc_of_two_runs_joined_is_zlibs(first: int, second: int) -> None:
    rng = random.Random(first * 31 + second)
    a, b = rng.randbytes(first), rng.randbytes(second)
    assert combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_runs_of_zeros_are_counted_not_skipped() -> None:
    # (a CRC run on over zero bytes changes: a combine that ignored the length would give crc1 ^ crc2)
    a = b"pmbrowse"
    for n in (1, 2, 3, 8, 1000):
        assert combine(zlib.crc32(a), zlib.crc32(bytes(n)), n) == zlib.crc32(a + bytes(n))
