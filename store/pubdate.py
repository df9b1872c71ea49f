"""Publication dates as PubMed writes them, taken apart and put back together.

Records keep the date text their source gave (``2019 Apr 18``, ``2015 Nov-Dec``, ``1998 Spring``,
``2000 Dec 23-30``, ``1999 Dec-2000 Jan``, or an ISO ``2019-04-18``). Exporters need its parts (CSL's
``date-parts``, RIS's ``DA``, BibTeX's ``month``), and the CSL-JSON importer needs to write parts back
as the same kind of text, so both directions live here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# CSL numbers the seasons 1-4 from spring; the names are PubMed's.
SEASONS = ("Spring", "Summer", "Fall", "Winter")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_SEASON_NUMBERS = {"spring": 1, "summer": 2, "autumn": 3, "fall": 3, "winter": 4}
# re.ASCII: years are ASCII digits (``\d`` alone also takes "٢٠١٩").
_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$", re.ASCII)
_TOKEN = re.compile(r"\d+|[A-Za-z]+|-", re.ASCII)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d|21\d\d)\b", re.ASCII)
# The date of an NLM/Vancouver citation: "Radiology. 2015 Jan;274(1)", "Heart 2021;107", "2005. November;9".
_MONTH_WORD = "(?:(?:" + "|".join(MONTHS) + ")[a-z]*|Spring|Summer|Fall|Autumn|Winter)"
CITED_DATE = re.compile(
    rf"(?<!\d)((?:1[5-9]|20|21)\d\d)\.?(?:\s+{_MONTH_WORD}(?:-{_MONTH_WORD})?(?:\s+\d{{1,2}})?)?\s*;"
)

Parts = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PubDate:
    """A date as (year, month, day) parts, to any precision, with an optional end and season.

    ``exact`` is False when the text held more than these parts can say (it was reduced to its year).
    """

    start: Parts
    end: Parts | None = None
    season: int | None = None
    exact: bool = True

    @property
    def year(self) -> int:
        return self.start[0]

    @property
    def month(self) -> int | None:
        return self.start[1] if len(self.start) > 1 else None

    @property
    def day(self) -> int | None:
        return self.start[2] if len(self.start) > 2 else None

    def text(self) -> str:
        """PubMed's way of writing it: ``2019 Apr 18``, ``2015 Nov-Dec``, ``1998 Spring``."""
        text = _format_parts(self.start)
        if self.season:
            text += " " + SEASONS[self.season - 1]
        if self.end:
            end = self.end
            same_year = end[0] == self.start[0]
            same_month = same_year and len(end) > 1 and len(self.start) == 3 and end[1] == self.start[1]
            if same_month and len(end) == 3:
                text += f"-{end[2]}"
            elif same_year and len(end) > 1:
                text += "-" + _format_parts(end)[5:]
            else:
                text += "-" + _format_parts(end)
        return text


def _format_parts(parts: Parts) -> str:
    words = [f"{parts[0]:04d}"]
    if len(parts) > 1:
        words.append(MONTHS[parts[1] - 1])
    if len(parts) > 2:
        words.append(str(parts[2]))
    return " ".join(words)


def month_number(word: str) -> int | None:
    """``Apr``, ``April``, ``apr.``, ``Sept`` -> 4 or 9; anything else -> None."""
    word = word.lower().rstrip(".")
    if len(word) < 3:
        return None
    for number, name in enumerate(_MONTH_NAMES, start=1):
        if name.startswith(word):
            return number
    return None


def season_number(word: str) -> int | None:
    return _SEASON_NUMBERS.get(word.lower())


def year_of(date: str) -> int | None:
    """The year in a date as sources write it: ``2019 Apr 18``, ``2015 Nov-Dec``, ``1998 Spring``."""
    m = _YEAR.search(date)
    return int(m.group(1)) if m else None


def parse_pubdate(text: str, year: int | None = None) -> PubDate | None:
    """The parts of a date text; ``year`` (the record's year) stands in when the text has none."""
    text = " ".join(text.split())
    if m := _ISO.match(text):
        parts = tuple(int(g) for g in m.groups() if g)
        if _valid(parts):
            return PubDate(parts)
    # The parse is the whole story only when every character was a token, a space or a full stop.
    whole = not re.sub(r"[\s,.]", "", _TOKEN.sub("", text))
    if text and whole and (parsed := _parse_tokens(_TOKEN.findall(text))) is not None:
        return parsed
    found = _YEAR.search(text)
    if found:
        return PubDate((int(found.group(1)),), exact=False)
    if year is not None:
        return PubDate((year,), exact=not text)
    return None


def _parse_tokens(tokens: list[str]) -> PubDate | None:
    i = 0

    def take_date(prev: Parts | None) -> tuple[Parts, int | None] | None:
        """A (year) (month|season) (day) group; after a dash, parts may lean on the previous date."""
        nonlocal i
        parts: list[int] = []
        season: int | None = None
        if i < len(tokens) and len(tokens[i]) == 4 and tokens[i].isdigit():
            parts.append(int(tokens[i]))
            i += 1
        elif prev is None:
            return None
        else:
            parts.append(prev[0])
        if i < len(tokens) and tokens[i].isalpha():
            if (month := month_number(tokens[i])) is not None:
                parts.append(month)
            elif (season := season_number(tokens[i])) is None:
                return None
            i += 1
        elif prev is not None and len(parts) == 1 and len(prev) == 3 and i < len(tokens):
            parts.append(prev[1])  # "2000 Dec 23-30": the end's month is the start's
        if len(parts) == 2 and season is None and i < len(tokens) and tokens[i].isdigit():
            if len(tokens[i]) > 2:
                return None
            parts.append(int(tokens[i]))
            i += 1
        if prev is not None and len(parts) == 1 and tokens[i - 1 : i] == ["-"]:
            return None  # nothing after the dash
        return tuple(parts), season

    first = take_date(None)
    if first is None:
        return None
    start, season = first
    end: Parts | None = None
    if i < len(tokens) and tokens[i] == "-":
        i += 1
        second = take_date(start)
        if second is None or second[1] is not None or second[0] == start[: len(second[0])]:
            return None
        end = second[0]
    if i != len(tokens) or not _valid(start) or (end is not None and not _valid(end)):
        return None
    return PubDate(start, end, season)


def _valid(parts: Parts) -> bool:
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        return False
    return not (len(parts) > 2 and not 1 <= parts[2] <= 31)


# CITED_DATE ending at a ";": what cited_year tries just before each ";" of a citation. (Searching the
# whole text with CITED_DATE costs ~8 µs a reference, most of an import's time on real reference lists.)
_CITED_DATE_END = re.compile(CITED_DATE.pattern[: -len(r"\s*;")] + r"\s*$")
_BEFORE_SEMICOLON = 48  # longer than anything CITED_DATE can match before its ";"


def cited_year(citation: str) -> int | None:
    """The year of a citation written ``Journal. 2015 Jan;274(1):250-9`` (NLM/Vancouver), else None."""
    end = citation.find(";")
    while end >= 0:
        # Most often the year is right before the ";" (``2011;24:403``): what the search below would
        # find then, read without it. (The year is the last four characters, since nothing CITED_DATE
        # allows after it can end in a digit there; nothing before it may be a digit.)
        year = citation[end - 4 : end] if end >= 4 else ""
        quick = year.isascii() and year.isdigit() and "1500" <= year <= "2199"
        if quick and (end == 4 or not citation[end - 5].isdigit()):
            return int(year)
        start = max(0, end - _BEFORE_SEMICOLON)
        m = _CITED_DATE_END.search(citation, start, end)
        if m is not None and (m.start(1) > 0 or start == 0 or not citation[m.start(1) - 1].isdigit()):
            return int(m.group(1))
        end = citation.find(";", end + 1)
    return None
