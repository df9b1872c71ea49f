"""What is wrong with a segment (``store.storage.segment``) whose footer or top does not read, in words:
not a parser's message, nor a missing key's repr. Apart from the reader, which is long enough."""

from __future__ import annotations

import orjson


def why(exc: Exception) -> str:
    """What is wrong with a segment whose footer cannot be read, in words (not a parser's message, nor
    a missing key's repr: "damaged ('generation')")."""
    if isinstance(exc, orjson.JSONDecodeError):
        return "its footer is not JSON"
    if isinstance(exc, KeyError):
        return f"its footer has no {exc}"
    if isinstance(exc, (TypeError, AttributeError)):
        return "its footer is not as pmbrowse writes it"
    return str(exc)


# How zlib's and base64's errors begin (a top's columns that do not decompress, or are not base64).
DECODING = (
    "Error -",
    "Incorrect padding",
    "Invalid",
    "Non-base64",
    "Only base64",
    "Excess data",
    "Leading padding",
    "Discontinuous padding",
)


def top_damage(exc: Exception) -> str:
    """What is wrong with a top that does not read (``Top.read``'s error ``exc``), in words: its
    checksum (its bytes damaged), its shape (what the footer keeps is not a top's), or its order (its
    documents' keys not falling, or past its next id), and what of it. Until stop 33 ``top`` kept none
    of it, and ``pmbrowse check`` could only say it was one of the three."""
    said = str(exc)
    if isinstance(exc, KeyError):
        return f"its shape is wrong (it has no {said})"
    if isinstance(exc, TypeError):
        return f"its shape is wrong ({said})"
    if said == "its checksum does not match":
        return "its checksum does not match its columns (their bytes are damaged)"
    if said.startswith(DECODING):  # (zlib's, base64's: ``Top.read`` says them as they are)
        return f"its checksum cannot be compared: its columns do not decode ({said}; their bytes are damaged)"
    if said.startswith("out of order"):  # ("out of order at document N": where)
        return (
            "its order is wrong (its documents' keys do not each fall below the one before, to its bound: "
            f"{said})"
        )
    if said.startswith("names a document"):
        return f"its order is wrong (it {said})"
    return f"its shape is wrong ({said})"
