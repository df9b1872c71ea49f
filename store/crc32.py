"""The CRC-32 of two runs of bytes joined, from the CRC-32 of each and the second's length
(``zlib.crc32(a + b) == combine(zlib.crc32(a), zlib.crc32(b), len(b))``): a base whose link records
another process wrote is copied in by the kernel, never read here (``store.storage.foldlinks``).

The CRC of ``a + b`` is that of ``a`` run on over ``len(b)`` zero bytes, then XOR-ed with that of ``b``;
running a CRC over zero bytes is a linear map over GF(2), a 32×32 bit matrix, squared to skip a power
of two of zero bits at a time (``len(b)`` bytes in some 2·log2 squarings of 32 products each: about a
millisecond), as zlib's ``crc32_combine`` does (Python's ``zlib`` does not offer it).
"""

from __future__ import annotations

POLY = 0xEDB88320  # the reflected CRC-32 polynomial (zlib's, the base's)


def combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of two runs of bytes joined (``crc1`` of the first, ``crc2`` of the second, whose
    length is ``length2``)."""
    if length2 <= 0:
        return crc1
    # (``odd``: the map of one zero bit; squared twice, that of four)
    odd = [POLY] + [1 << n for n in range(31)]
    even = _square(odd)
    odd = _square(even)
    while True:
        even = _square(odd)  # (one zero byte the first time, then 4, 16, ...)
        if length2 & 1:
            crc1 = _times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _square(even)
        if length2 & 1:
            crc1 = _times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def _times(matrix: list[int], vector: int) -> int:
    total = 0
    row = 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, column) for column in matrix]
