"""Checking what a service sent back before anything uses it.

Two kinds of bad answer:

- *unusable* (``Unusable``): an HTML error page where XML or JSON was expected, a body cut off
  mid-way, bytes that do not parse. These are what an overloaded proxy or a dropped connection
  produce, so the HTTP client retries them like a 5xx and reports the last one if every try fails.
- *errors the service states* (``OnlineError`` at once): E-utilities ``<ERROR>`` elements and
  ``"ERROR"`` JSON fields. Asking again would get the same answer, so there is no retry.

A third, *an answer in a shape pmbrowse does not know* (``shape_error``: a list where text belongs, an
identifier that is not one), is refused at once too, in one line naming the field: asking again would get
the same, and storing it would store the text of whatever it was.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from store.errors import OnlineError

_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html)\b", re.IGNORECASE)
_DATA_START = re.compile(rb"^\s*(?:<\?xml|[{\[])")
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, read in full."""

    status: int
    content: bytes
    content_type: str
    url: str


class Unusable(Exception):
    """An answer that cannot be used; the message says why, in a few words."""


def one_line(text: str, limit: int = 200) -> str:
    """Whitespace collapsed and long text shortened, so an error stays on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def html_problem(answer: Answer, expected: str) -> str | None:
    """Why the answer is an HTML page rather than ``expected``, or None when it is not one."""
    head = answer.content[:512]
    # A body that starts as HTML is HTML; one labelled HTML is, unless it plainly starts as XML or JSON.
    labelled = "html" in answer.content_type.lower() and not _DATA_START.match(head)
    if not (labelled or _HTML_START.match(head)):
        return None
    m = _HTML_TITLE.search(answer.content[:4096])
    title = one_line(m.group(1).decode("utf-8", "replace"), 80) if m else ""
    return f"an HTML page instead of {expected}" + (f" ({title})" if title else "")


def xml_root(answer: Answer) -> ET.Element:
    """The parsed XML of an answer; ``Unusable`` for HTML pages and for XML that breaks off."""
    if problem := html_problem(answer, "XML"):
        raise Unusable(problem)
    if not answer.content.strip():
        raise Unusable("an empty answer instead of XML")
    try:
        return ET.fromstring(answer.content)
    except ET.ParseError as exc:
        raise Unusable(f"XML that does not parse ({exc})") from None


def json_body(answer: Answer) -> Any:
    """The parsed JSON of an answer; ``Unusable`` for HTML pages and for JSON that breaks off."""
    if problem := html_problem(answer, "JSON"):
        raise Unusable(problem)
    try:
        return json.loads(answer.content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Unusable(f"JSON that does not parse ({exc})") from None
    except RecursionError:  # (json's decoder recurses once a nesting level: a hostile body goes deep)
        raise Unusable("JSON nested too deeply to read") from None


def xml_errors(root: ET.Element) -> list[str]:
    """The texts of ``<ERROR>`` elements anywhere in an E-utilities answer."""
    return [one_line(el.text or "") or "(no message)" for el in root.iter("ERROR")]


def raise_stated_error(service: str, what: str, messages: list[str], url: str = "") -> None:
    """Raise the error a service stated in its answer, if it stated any."""
    if messages:
        raise OnlineError(
            f"{service} reported an error for {what}: {'; '.join(messages)}", service=service, url=url
        )


def shape_error(service: str, problem: str, url: str = "") -> OnlineError:
    """The one line that refuses an answer in a shape pmbrowse does not know: ``PubMed answered in a
    shape pmbrowse does not know (esearch idlist item 2: not a PMID)``."""
    return OnlineError(
        f"{service} answered in a shape pmbrowse does not know ({problem})", service=service, url=url
    )


def is_pmid(value: object) -> bool:
    """A PMID as services write it: ASCII digits (a number in JSON), nothing else."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isascii() and value.strip().isdigit()
