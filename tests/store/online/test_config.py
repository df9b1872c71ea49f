"""Online settings: environment over config file over defaults."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from store.errors import OnlineError
from store.online.config import EUROPEPMC_URL, EUTILS_URL, OnlineConfig, config_path

needs_tomllib = pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is new in Python 3.11")


def test_defaults_without_environment_or_file(tmp_path: Path) -> None:
    config = OnlineConfig.load({}, tmp_path / "missing.toml")
    assert config.eutils_url == EUTILS_URL and config.europepmc_url == EUROPEPMC_URL
    assert config.api_key is None and config.email is None
    assert config.ncbi_params() == {"tool": "pmbrowse"}
    assert config.ncbi_rate == 3


def test_environment_sets_urls_key_and_email(tmp_path: Path) -> None:
    env = {
        "PMBROWSE_EUTILS_URL": "http://127.0.0.1:9/eutils",
        "PMBROWSE_EUROPEPMC_URL": "http://127.0.0.1:9/epmc/",
        "NCBI_API_KEY": "abc123",
        "PMBROWSE_EMAIL": "me@example.org",
    }
    config = OnlineConfig.load(env, tmp_path / "missing.toml")
    assert config.eutils_url == "http://127.0.0.1:9/eutils/"  # a slash is added so paths join below it
    assert config.europepmc_url == "http://127.0.0.1:9/epmc/"
    assert config.ncbi_params() == {"tool": "pmbrowse", "email": "me@example.org", "api_key": "abc123"}
    assert config.ncbi_rate == 10


@needs_tomllib
def test_the_config_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('ncbi_api_key = "from-file"\nemail = "file@example.org"\n', encoding="utf-8")
    assert OnlineConfig.load({}, path).api_key == "from-file"
    both = OnlineConfig.load({"NCBI_API_KEY": "from-env", "PMBROWSE_EMAIL": "  "}, path)
    assert both.api_key == "from-env"
    assert both.email == "file@example.org"  # an empty variable counts as unset


@needs_tomllib
def test_the_default_config_file_lives_in_the_user_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    monkeypatch.delenv("PMBROWSE_EMAIL", raising=False)
    path = config_path()
    assert str(path).startswith(str(Path.home()))  # conftest points HOME and XDG_* at a temp folder
    path.parent.mkdir(parents=True)
    path.write_text('email = "default@example.org"\n', encoding="utf-8")
    assert OnlineConfig.load().email == "default@example.org"


@needs_tomllib
@pytest.mark.parametrize(
    ("text", "message"),
    [("email = \n", "is not valid TOML"), ("ncbi_api_key = 5\n", "must be a string")],
)
def test_a_broken_config_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OnlineError, match=message) as caught:
        OnlineConfig.load({}, path)
    assert "\n" not in str(caught.value)
