"""Where the token comes from, and what a person is told when it or the server is missing
(issue 18): the order --token-file / PROMINENCE_TOKEN / PROMINENCE_TOKEN_FILE /
~/.prominence/token, the warning for a token file others can reach, the sandbox hints for a
loopback URL, and failures told apart by kind rather than by their text.

Real CLI subprocesses where what a person sees is the point.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from prominence_spec.client.credentials import NO_TOKEN, load_token
from prominence_spec.client.errors import CredentialsError, NotFoundError, RejectedError
from prominence_spec.client.http import Reply
from prominence_spec.client.responses import failure

from client_support import make_token, promspec
from sandbox_support import shared_sandbox


def _file(path: Path, token: str, mode: int = 0o600) -> Path:
    path.write_text(token)
    path.chmod(mode)
    return path


def test_the_token_is_found_in_the_documented_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".prominence").mkdir(parents=True)
    tokens = {name: make_token(marker=name) for name in ("flag", "env", "envfile", "home")}
    flag = _file(tmp_path / "flag", tokens["flag"])
    named = _file(tmp_path / "named", tokens["envfile"])
    _file(home / ".prominence" / "token", tokens["home"])
    env = {
        "HOME": str(home),
        "PROMINENCE_TOKEN": tokens["env"],
        "PROMINENCE_TOKEN_FILE": str(named),
    }

    def found(token_file: str | None, environ: dict[str, str]) -> tuple[str, str]:
        token = load_token(token_file, environ)
        return token.secret.reveal(), token.source

    assert found(str(flag), env) == (tokens["flag"], f"--token-file {flag}")
    assert found(None, env) == (tokens["env"], "PROMINENCE_TOKEN")
    del env["PROMINENCE_TOKEN"]
    assert found(None, env) == (tokens["envfile"], f"PROMINENCE_TOKEN_FILE={named}")
    del env["PROMINENCE_TOKEN_FILE"]
    assert found(None, env) == (tokens["home"], "~/.prominence/token")


def test_no_token_anywhere_is_a_kind_not_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError) as caught:
        load_token(None, {"HOME": str(tmp_path)})
    assert caught.value.kind == NO_TOKEN
    assert "PROMINENCE_TOKEN_FILE (a file holding it)" in caught.value.message


@pytest.mark.parametrize("mode", [0o640, 0o620, 0o604])
def test_a_token_file_with_group_or_other_permissions_is_warned_about(
    tmp_path: Path, mode: int
) -> None:
    box = shared_sandbox("noop")
    token = _file(tmp_path / "token", box.token, mode)
    env = {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN_FILE": str(token), "HOME": str(tmp_path)}
    done = promspec(["list"], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert (
        f"promspec: warning: {token} has group or other permissions (mode {mode:04o}): "
        f"other users may read or replace your token; fix it with: chmod 600 {token}"
    ) in done.stderr
    assert box.token not in done.stderr + done.stdout


@pytest.mark.slow
def test_a_private_token_file_gets_no_warning(tmp_path: Path) -> None:
    box = shared_sandbox("noop")
    token = _file(tmp_path / "token", box.token, 0o600)
    env = {"PROMINENCE_URL": box.url, "PROMINENCE_TOKEN_FILE": str(token), "HOME": str(tmp_path)}
    done = promspec(["list"], cwd=tmp_path, env=env)
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when this returns: nothing listens


def test_no_token_for_a_loopback_url_names_the_sandbox_token_file(tmp_path: Path) -> None:
    env = {"PROMINENCE_URL": "http://127.0.0.1:8765/api/v1", "HOME": str(tmp_path)}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    done = promspec(["list"], cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr
    wanted = tmp_path / "state" / "promspec" / "sandbox" / "token"
    assert (
        f"For a `promspec sandbox` on this machine, its token is in a file: --token-file {wanted}"
        in done.stderr
    )
    remote = promspec(
        ["list"], cwd=tmp_path, env={**env, "PROMINENCE_URL": "https://example.org/api/v1"}
    )
    assert remote.returncode == 2 and "promspec sandbox" not in remote.stderr


@pytest.mark.slow
def test_connection_refused_on_loopback_asks_whether_the_sandbox_runs(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api/v1"
    env = {"PROMINENCE_URL": url, "PROMINENCE_TOKEN": make_token(), "HOME": str(tmp_path)}
    done = promspec(["list"], cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"promspec: GET {url}/jobs: connection refused "
        "(is `promspec sandbox` running? start it with `promspec sandbox`)\n"
    )


def test_the_token_file_help_says_what_each_variable_holds(tmp_path: Path) -> None:
    done = promspec(["list", "--help"], cwd=tmp_path, env={"COLUMNS": "200", "NO_COLOR": "1"})
    text = " ".join(done.stdout.replace("│", " ").split())
    assert "$PROMINENCE_TOKEN, which holds the token itself" in text
    assert "the file $PROMINENCE_TOKEN_FILE names" in text


def _reply(status: int, body: bytes, method: str = "GET") -> Reply:
    return Reply(method, "https://x/api/v1/jobs/1/stdout", status, {}, body, 0.0)


@pytest.mark.parametrize(
    ("status", "body", "cls", "kind"),
    [
        (400, b'{"error":"stdout does not exist"}', NotFoundError, "no-output"),
        (400, b'{"error":"Job does not exist"}', NotFoundError, "no-job"),
        (400, b'{"error":"No such job(s)"}', NotFoundError, "no-job"),
        (404, b"<html><title>404 Not Found</title></html>", NotFoundError, "no-route"),
        (400, b'{"error":"Image alpine.tar does not exist"}', RejectedError, None),
        (400, b'{"error":"Artifact x.tgz does not exist"}', RejectedError, None),
    ],
)
def test_answers_carry_their_kind(status: int, body: bytes, cls: type, kind: str | None) -> None:
    """A POST's "Image x does not exist" is the request's fault (the batch goes on), not a
    missing job; the operations tell "no output yet" from "no such job" by kind."""
    found = failure(_reply(status, body))
    assert type(found) is cls and found.kind == kind
