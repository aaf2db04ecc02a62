"""Tokens as the sandbox issues and checks them: HS256 JWTs signed with a secret kept
beside the data folder, never inside it (``DATA.secret``, mode 0600), written to a token
file in the official CLI's format.

No function here logs a token or the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import jwt

ALGORITHM = "HS256"
ISSUER = "promspec-sandbox"
#: User tokens are valid this long (ten years: a sandbox token is not a login session).
USER_TOKEN_LIFETIME = 10 * 365 * 24 * 3600
#: Job tokens: 10 days plus twice the job's maximum run time, as the server.
JOB_TOKEN_BASE = 10 * 24 * 3600
DEFAULT_USER = "sandbox"


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, created with mode 0600 (never wider)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_or_create_secret(path: Path, data_dir: Path) -> bytes:
    """The signing secret kept at ``path``, created at first start. A secret an older
    sandbox left inside ``data_dir`` (where jobs could reach it) is moved to ``path``, so
    tokens already handed out stay valid."""
    legacy = data_dir / "secret"
    if legacy.is_file() and not path.exists():
        write_private(path, legacy.read_bytes())
    if legacy.exists():
        legacy.unlink()
    if not path.exists():
        write_private(path, secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def mint_user_token(secret: bytes, username: str, *, lifetime: int = USER_TOKEN_LIFETIME) -> str:
    """A token for ``username`` (claims as an OIDC access token would carry them)."""
    now = int(time.time())
    claims = {
        "username": username,
        "preferred_username": username,
        "sub": username,
        "iss": ISSUER,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def mint_job_token(secret: bytes, username: str, job_id: int, max_run_seconds: float) -> str:
    """The ``PROMINENCE_TOKEN`` given to a running job."""
    now = int(time.time())
    claims = {
        "username": username,
        "groups": "",
        "email": "",
        "job": job_id,
        "iss": ISSUER,
        "iat": now,
        "exp": now + JOB_TOKEN_BASE + int(2 * max_run_seconds),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def username_from(header: str | None, secret: bytes) -> str | None:
    """The user an ``Authorization`` header authenticates, or None (any failure)."""
    return _checked(header, secret)[0]


def _checked(header: str | None, secret: bytes) -> tuple[str | None, float]:
    """(the user, the token's ``exp``), or (None, 0) for any failure."""
    if not header or not header.startswith("Bearer "):
        return None, 0.0
    token = header[len("Bearer ") :].strip()
    if not token:
        return None, 0.0
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return None, 0.0
    name = claims.get("username") or claims.get("sub") or claims.get("preferred_username")
    exp = claims.get("exp")
    if not (isinstance(name, str) and name and isinstance(exp, (int, float))):
        return None, 0.0
    return name, float(exp)


class TokenCheck:
    """:func:`username_from` for one secret, remembering the tokens it accepted (at most
    :attr:`SIZE`) until their ``exp``, as a server caches a verified token: a request with
    a token already seen costs a dict look-up, not a JWT decode and an HMAC. A token is
    remembered only once it has been accepted, and only until it expires; one refused is
    checked in full every time."""

    SIZE = 1024
    LONGEST = 8192  # a longer header is checked in full every time, never remembered

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._seen: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def user(self, header: str | None) -> str | None:
        if not header:
            return None
        hit = self._seen.get(header)
        if hit is not None and time.time() < hit[1]:
            return hit[0]
        name, exp = _checked(header, self._secret)
        if name is None or len(header) > self.LONGEST:
            return name
        with self._lock:
            if len(self._seen) >= self.SIZE:
                self._seen.clear()
            self._seen[header] = (name, exp)
        return name


def ensure_token_file(path: Path, secret: bytes, username: str = DEFAULT_USER) -> None:
    """Write the default user's token file unless a valid one is already there."""
    if path.exists():
        try:
            token = json.loads(path.read_text())["access_token"]
        except (OSError, ValueError, KeyError, TypeError):
            token = None
        if isinstance(token, str) and username_from(f"Bearer {token}", secret):
            return
    token = mint_user_token(secret, username)
    write_private(path, json.dumps({"access_token": token}).encode())


def sign(secret: bytes, message: str) -> str:
    """HMAC-SHA256 of ``message``, hex (for presigned output URLs)."""
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def signature_ok(secret: bytes, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message), signature)


__all__ = [
    "DEFAULT_USER",
    "ensure_token_file",
    "load_or_create_secret",
    "mint_job_token",
    "mint_user_token",
    "sign",
    "signature_ok",
    "TokenCheck",
    "username_from",
    "write_private",
]
