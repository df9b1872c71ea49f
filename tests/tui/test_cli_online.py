"""The online commands end to end through ``main`` against the local server: a list a service ends early
is never a silent partial (``fetch``, ``snowball --online``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from store.library import Library
from store.online.config import OnlineConfig
from store.online.ratelimit import RateLimiter
from tests.online_server import ONLINE_DATA, EuropePmcList, LocalServer, RecordBank, json_reply
from tui.cli import main

PMID = "37258680"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def online_env(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The command line's online settings pointed at the local server, without waiting on limits."""
    monkeypatch.setenv("PMBROWSE_EUTILS_URL", server.eutils_url)
    monkeypatch.setenv("PMBROWSE_EUROPEPMC_URL", server.europepmc_url)
    monkeypatch.setenv("PMBROWSE_ICITE_URL", server.icite_url)
    load = OnlineConfig.load

    def fast(*args: object, **kwargs: object) -> OnlineConfig:
        return dataclasses.replace(load(*args, **kwargs), backoff=0.001, backoff_cap=0.01)  # type: ignore[arg-type]

    monkeypatch.setattr(OnlineConfig, "load", fast)
    monkeypatch.setattr("store.online.session.shared_limiter", lambda service, rate: RateLimiter(1000))
    server.route("eutils/efetch.fcgi", RecordBank(synthesize=True))
    server.route(
        f"europepmc/MED/{PMID}/references", json_reply(ONLINE_DATA / "europepmc_references_empty.json")
    )
    return server


def test_fetch_says_how_much_of_a_list_ended_early_was_stored_and_exits_4(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    online_env.route(f"europepmc/MED/{PMID}/citations", EuropePmcList(810, ends_at=500))
    db = ("--db", str(lib_path))
    code, out, err = run(capsys, *db, "fetch", PMID, "--source", "europepmc")
    assert code == 4
    assert err.splitlines()[-1] == (
        f"pmbrowse: Europe PMC ended the citing articles of PMID {PMID} early: 500 of 810 links stored"
    )
    assert "links added" in out  # what was stored is reported as well
    library = Library.open(lib_path)
    assert len(library.links(library.find(PMID), "cited_by")) == 500  # type: ignore[arg-type]


def test_fetch_of_a_whole_list_cut_into_short_pages_exits_0(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    online_env.route(f"europepmc/MED/{PMID}/citations", EuropePmcList(810, cut={4: 3, 20: 0}))
    code, _, err = run(capsys, "--db", str(lib_path), "fetch", PMID, "--source", "europepmc")
    assert code == 0 and "early" not in err
    library = Library.open(lib_path)
    assert len(library.links(library.find(PMID), "cited_by")) == 810  # type: ignore[arg-type]


def test_snowball_online_with_europe_pmc_ended_early_exits_4_before_the_round(
    capsys: pytest.CaptureFixture[str], lib_path: Path, online_env: LocalServer
) -> None:
    online_env.route(f"europepmc/MED/{PMID}/citations", EuropePmcList(810, ends_at=25))
    online_env.route("icite/pubs", json_reply('{"data": []}'))
    db = ("--db", str(lib_path))
    code, out, err = run(capsys, *db, "snowball", "--ids", PMID, "--online", "--source", "europepmc")
    assert code == 4 and out == ""
    assert err.splitlines()[-1].endswith("early: 25 of 810 links stored")
    code, _, err = run(capsys, *db, "snowball", "report", "--json")
    assert code == 1 and "no citation chasing rounds yet" in err  # no round was run on the partial list
