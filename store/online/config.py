"""Settings for the online services: where they are, who we are, and how politely to ask.

Read from the environment first, then from ``config.toml`` in the user config folder
(``~/.config/pmbrowse/config.toml`` on Linux), then defaults:

============================  =====================  ===================================================
environment                   config.toml            meaning
============================  =====================  ===================================================
``PMBROWSE_EUTILS_URL``       --                     E-utilities base URL (tests point it at a local server)
``PMBROWSE_EUROPEPMC_URL``    --                     Europe PMC REST base URL
``PMBROWSE_ICITE_URL``        --                     NIH iCite API base URL (citation links for snowballing)
``NCBI_API_KEY``              ``ncbi_api_key``       NCBI API key: 10 requests/s instead of 3
``PMBROWSE_EMAIL``            ``email``              contact address NCBI asks automated clients to send
``PMBROWSE_ICITE_BATCH``      ``icite_batch``        PMIDs per iCite request, 1 to 200 (default 200, iCite's
                                                     own limit; lower it if a proxy refuses long URLs)
============================  =====================  ===================================================

An empty environment variable counts as unset. TOML is read with ``tomllib`` (``tomli`` before 3.11).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import platformdirs

from store.errors import OnlineError

# Where links can come from; each link records which of these gave it.
PUBMED, EUROPEPMC = "pubmed", "europepmc"
LINK_SOURCES = (PUBMED, EUROPEPMC)
# NIH iCite: links and citation metrics of up to 200 PMIDs a request (``store.online.icite``).
ICITE = "icite"

EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
EUROPEPMC_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
ICITE_URL = "https://icite.od.nih.gov/api/"
TOOL = "pmbrowse"
CONFIG_FILE = "config.toml"

# NCBI's published limits: 3 requests/s per IP without a key, 10/s with one.
NCBI_RATE = 3.0
NCBI_RATE_WITH_KEY = 10.0
# Europe PMC throttles at 10 requests/s and 500/minute (their developer forum, 2026). We stay well
# inside both: 5/s spaced evenly is 300/minute.
EUROPEPMC_RATE = 5.0
# iCite publishes no rate limit; we keep to NCBI's keyless one (NIH runs both), spaced the same way.
ICITE_RATE = 3.0
# PMIDs per iCite request: iCite's support page "Bulk Data and API" says up to 200 (an older API page
# said 1,000, and 1,000 PMIDs make an 11 kB URL that proxies refuse).
ICITE_MAX_BATCH = 200


def config_path() -> Path:
    return platformdirs.user_config_path("pmbrowse", appauthor=False) / CONFIG_FILE


@dataclass(frozen=True, slots=True)
class OnlineConfig:
    """Everything the online client needs to know before it sends a request."""

    eutils_url: str = EUTILS_URL
    europepmc_url: str = EUROPEPMC_URL
    icite_url: str = ICITE_URL
    api_key: str | None = None
    email: str | None = None
    icite_batch: int = ICITE_MAX_BATCH
    tool: str = TOOL
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    tries: int = 4
    backoff: float = 1.0
    backoff_cap: float = 30.0

    @property
    def ncbi_rate(self) -> float:
        """Requests per second NCBI allows us."""
        return NCBI_RATE_WITH_KEY if self.api_key else NCBI_RATE

    @property
    def europepmc_rate(self) -> float:
        return EUROPEPMC_RATE

    @property
    def icite_rate(self) -> float:
        return ICITE_RATE

    def ncbi_params(self) -> dict[str, str]:
        """The parameters sent with every E-utilities request: who is asking."""
        params = {"tool": self.tool}
        if self.email:
            params["email"] = self.email
        if self.api_key:
            params["api_key"] = self.api_key
        return params

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, path: Path | None = None) -> OnlineConfig:
        """Settings from ``env`` (default: ``os.environ``) over the config file at ``path``."""
        env = os.environ if env is None else env
        file = read_config_file(config_path() if path is None else path)

        def pick(env_name: str, file_key: str | None = None) -> str | None:
            value = env.get(env_name, "").strip()
            if value or file_key is None or file_key not in file:
                return value or None
            found = file[file_key]
            if not isinstance(found, str):
                raise OnlineError(f"{file_key} in the config file must be a string in quotes")
            return found.strip() or None

        return cls(
            eutils_url=_with_slash(pick("PMBROWSE_EUTILS_URL") or EUTILS_URL),
            europepmc_url=_with_slash(pick("PMBROWSE_EUROPEPMC_URL") or EUROPEPMC_URL),
            icite_url=_with_slash(pick("PMBROWSE_ICITE_URL") or ICITE_URL),
            api_key=pick("NCBI_API_KEY", "ncbi_api_key"),
            email=pick("PMBROWSE_EMAIL", "email"),
            icite_batch=_batch(env.get("PMBROWSE_ICITE_BATCH", "").strip() or file.get("icite_batch")),
        )


def _batch(value: object) -> int:
    """The ``icite_batch`` setting: a whole number from 1 to 200 (None: the default, 200)."""
    if value is None:
        return ICITE_MAX_BATCH
    text = str(value).strip()
    if (
        isinstance(value, bool)
        or not (text.isascii() and text.isdigit())
        or not 1 <= int(text) <= ICITE_MAX_BATCH
    ):
        raise OnlineError(f"icite_batch must be a whole number from 1 to {ICITE_MAX_BATCH}, not {text!r}")
    return int(text)


def _with_slash(url: str) -> str:
    """Base URLs end with ``/`` so that joining ``esearch.fcgi`` keeps their last path segment."""
    return url if url.endswith("/") else url + "/"


def read_config_file(path: Path) -> dict[str, object]:
    """The settings in a TOML config file; a missing file is no settings, a broken one an error."""
    try:
        with path.open("rb") as stream:
            return _load_toml(stream, path)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise OnlineError(f"cannot read the config file {path}: {exc.strerror or exc}") from None


if sys.version_info >= (3, 11):
    import tomllib
else:  # the same reader, from PyPI, before it joined the standard library
    import tomli as tomllib


def _load_toml(stream: BinaryIO, path: Path) -> dict[str, object]:
    try:
        data: dict[str, object] = tomllib.load(stream)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise OnlineError(f"the config file {path} is not valid TOML: {exc}") from None
