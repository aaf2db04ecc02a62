"""The bearer token: ``--token-file PATH`` > ``PROMINENCE_TOKEN`` (the token itself) >
``PROMINENCE_TOKEN_FILE`` (a path) > ``~/.prominence/token``; ``Client(token=...)`` first.

The file holds JSON with ``access_token`` (what ``prominence login`` writes) or the raw
token; either way it is stripped of whitespace. The token lives in a :class:`Secret`, whose
``repr`` and ``str`` are ``***``: it can be logged, put into an f-string or shown in a
traceback's locals without leaking. Only :meth:`Secret.reveal` gives the value, and only the
Authorization header calls it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prominence_spec.client.errors import CredentialsError, TokenExpiredError

TOKEN_ENV = "PROMINENCE_TOKEN"
TOKEN_FILE_ENV = "PROMINENCE_TOKEN_FILE"
NO_TOKEN = "no-token"  # the kind of the CredentialsError when no token is found anywhere
DEFAULT_TOKEN_FILE = "~/.prominence/token"
LOGIN_HINT = "log in again with `prominence login`"


class Secret:
    """A string that never shows itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class Token:
    secret: Secret
    source: str  # "--token-file PATH", "PROMINENCE_TOKEN", "~/.prominence/token"
    expires: datetime | None = None
    warnings: tuple[str, ...] = field(default=())

    def redact(self, text: str) -> str:
        value = self.secret.reveal()
        return text.replace(value, "***") if value else text


def load_token(
    token_file: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> Token:
    """Find, read and check the token; raise :class:`CredentialsError` with the fix."""
    environ = os.environ if env is None else env
    if token_file:
        token = _from_file(Path(token_file).expanduser(), f"--token-file {token_file}")
    elif environ.get(TOKEN_ENV, "").strip():
        token = _checked(environ[TOKEN_ENV].strip(), TOKEN_ENV, ())
    elif environ.get(TOKEN_FILE_ENV, "").strip():
        named = environ[TOKEN_FILE_ENV].strip()
        token = _from_file(Path(named).expanduser(), f"{TOKEN_FILE_ENV}={named}")
    else:
        path = _home(environ) / ".prominence" / "token"
        if not path.exists():
            raise CredentialsError(
                f"no token: {path} does not exist and neither {TOKEN_ENV} nor "
                f"{TOKEN_FILE_ENV} is set; log in with `prominence login`, set {TOKEN_ENV} "
                f"(the token) or {TOKEN_FILE_ENV} (a file holding it), or pass --token-file",
                kind=NO_TOKEN,
            )
        token = _from_file(path, DEFAULT_TOKEN_FILE)
    check_expiry(token, now=now)
    return token


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME")
    return Path(home) if home else Path.home()


def _from_file(path: Path, source: str) -> Token:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CredentialsError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CredentialsError(f"{source}: cannot read the token file ({reason})") from None
    value = _token_text(text.strip(), source)
    return _checked(value, source, _permission_warnings(path))


def _token_text(text: str, source: str) -> str:
    if not text.startswith("{"):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        raise CredentialsError(f"{source}: the token file is not valid JSON") from None
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str):
        raise CredentialsError(f"{source}: the token file does not contain access_token")
    return token.strip()


def token_from_value(value: str, source: str) -> Token:
    """A :class:`Token` from a literal value (the ``token=`` argument of ``Client``)."""
    return _checked(value.strip(), source, ())


def _checked(value: str, source: str, warnings: tuple[str, ...]) -> Token:
    if not value:
        raise CredentialsError(f"{source}: the token is empty")
    if any(c.isspace() for c in value) or not value.isprintable():
        raise CredentialsError(f"{source}: the token contains spaces or control characters")
    return Token(Secret(value), source, jwt_expiry(value), warnings)


def _permission_warnings(path: Path) -> tuple[str, ...]:
    if os.name != "posix":
        return ()
    try:
        info = path.stat()
    except OSError:
        return ()
    found = []
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = stat.S_IMODE(info.st_mode)
        found.append(
            f"{path} has group or other permissions (mode {mode:04o}): other users may read "
            f"or replace your token; fix it with: chmod 600 {path}"
        )
    if info.st_uid != os.getuid():
        found.append(f"{path} belongs to another user (uid {info.st_uid})")
    return tuple(found)


def jwt_expiry(value: str) -> datetime | None:
    """The ``exp`` of a JWT, read without verifying the signature; None if not a JWT."""
    if value.count(".") != 2:
        return None
    import jwt

    try:
        claims = jwt.decode(value, options={"verify_signature": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(exp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def check_expiry(token: Token, *, now: datetime | None = None) -> None:
    if token.expires is None:
        return
    moment = now or datetime.now(timezone.utc)
    if token.expires <= moment:
        when = token.expires.strftime("%Y-%m-%d %H:%M:%S UTC")
        raise TokenExpiredError(f"your token expired at {when} (from {token.source}); {LOGIN_HINT}")


def minutes_left(token: Token, *, now: datetime | None = None) -> float | None:
    if token.expires is None:
        return None
    moment = now or datetime.now(timezone.utc)
    return (token.expires - moment).total_seconds() / 60
