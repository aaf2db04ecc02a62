"""URL and token resolution, as the reliability checklist's credential tests ask (C1-C9)."""

from __future__ import annotations

import json
import os
import pickle
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from prominence_spec.client.config import DEFAULT_URL, check_url, resolve_url
from prominence_spec.client.credentials import Secret, load_token
from prominence_spec.client.errors import ConfigError, CredentialsError, TokenExpiredError

from client_support import make_token


def test_url_order_flag_env_default() -> None:
    env = {"PROMINENCE_URL": "https://env.example/api/v1"}
    assert resolve_url("https://flag.example/v1/", env) == "https://flag.example/v1"
    assert resolve_url(None, env) == "https://env.example/api/v1"
    assert resolve_url(None, {}) == DEFAULT_URL


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/api/v1",
        "http://127.0.0.2/api/v1",
        "http://[::1]:9/api/v1",
        "https://eosc.prominence.cloud/api/v1",
        "http://LOCALHOST:1/v1",
    ],
)
def test_allowed_urls(url: str) -> None:
    assert check_url(url).startswith(url.split("://")[0])


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.org/v1",  # C7: plain http to a remote host
        "http://localhost:80@evil.example/",  # C9: userinfo
        "http://localhost.evil.example/",
        "http://127.0.0.1.nip.io/",
        "https://user:pw@eosc.prominence.cloud/api/v1",
        "ftp://localhost/v1",
        "https://host:99999/v1",
        "https:///v1",
        "https://host/v1?x=1",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        check_url(url)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_token_sources_in_order(tmp_path: Path) -> None:
    home_token, env_token, file_token = make_token("home"), make_token("env"), make_token("file")
    write(tmp_path / ".prominence" / "token", json.dumps({"access_token": home_token}))
    flag = write(tmp_path / "flag-token", file_token + "\n")
    env = {"HOME": str(tmp_path), "PROMINENCE_TOKEN": env_token}
    assert load_token(str(flag), env).secret.reveal() == file_token
    found = load_token(None, env)
    assert found.secret.reveal() == env_token and found.source == "PROMINENCE_TOKEN"
    found = load_token(None, {"HOME": str(tmp_path)})
    assert found.secret.reveal() == home_token and found.source == "~/.prominence/token"


def test_raw_and_json_token_files_are_stripped(tmp_path: Path) -> None:
    token = make_token()
    raw = write(tmp_path / "raw", f"  {token}\n\n")
    as_json = write(tmp_path / "json", json.dumps({"access_token": token + "\n", "x": 1}) + "\n")
    assert load_token(str(raw), {}).secret.reveal() == token
    assert load_token(str(as_json), {}).secret.reveal() == token


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"refresh_token": "x"}', "does not contain access_token"),
        ("{not json", "not valid JSON"),
        ("", "empty"),
        ("two words", "spaces"),
    ],
)
def test_bad_token_files(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "t", content)
    with pytest.raises(CredentialsError, match=message):
        load_token(str(path), {})


def test_no_token_anywhere_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="prominence login"):
        load_token(None, {"HOME": str(tmp_path)})


def test_expired_jwt_is_refused_before_any_request(tmp_path: Path) -> None:
    expired = make_token(expires_in=-60)
    with pytest.raises(TokenExpiredError) as caught:
        load_token(None, {"PROMINENCE_TOKEN": expired, "HOME": str(tmp_path)})
    assert "your token expired at" in str(caught.value)
    assert "prominence login" in str(caught.value)
    assert expired not in str(caught.value)


def test_expiry_read_without_verifying(tmp_path: Path) -> None:
    found = load_token(None, {"PROMINENCE_TOKEN": make_token(expires_in=600)})
    assert found.expires is not None
    assert found.expires - datetime.now(timezone.utc) < timedelta(minutes=11)


def test_group_readable_token_file_warns(tmp_path: Path) -> None:
    path = write(tmp_path / "t", make_token(), mode=0o644)
    found = load_token(str(path), {})
    assert any("chmod 600" in w for w in found.warnings)


def test_secret_never_shows_itself() -> None:
    secret = Secret("tok-CANARY-123")
    assert "CANARY" not in repr(secret) + str(secret) + f"{secret}" + repr([secret])
    with pytest.raises(TypeError):
        pickle.dumps(secret)
