"""Where the API is: ``--url`` > ``PROMINENCE_URL`` > the EOSC default, checked before use.

Only the command line and the environment choose the URL; nothing in a spec repository can.
Plain ``http`` is refused unless the host is loopback (``localhost``, 127.0.0.0/8, ``::1``),
checked on the parsed host name with :mod:`ipaddress`, never by string prefix; a URL with
user information (``http://localhost:80@evil.example/``) is refused outright.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from prominence_spec.client.errors import ConfigError

DEFAULT_URL = "https://eosc.prominence.cloud/api/v1"
URL_ENV = "PROMINENCE_URL"


def resolve_url(flag: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The checked base URL, without a trailing slash."""
    environ = os.environ if env is None else env
    chosen = flag or environ.get(URL_ENV) or DEFAULT_URL
    source = "--url" if flag else (URL_ENV if environ.get(URL_ENV) else "the default")
    return check_url(chosen, source=source)


def check_url(url: str, *, source: str = "the URL") -> str:
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise ConfigError(f"{source}: {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"{source}: {url!r} must start with https://")
    if "@" in parts.netloc or parts.username is not None:
        raise ConfigError(f"{source}: a URL with user information ({url!r}) is refused")
    host = parts.hostname
    if not host:
        raise ConfigError(f"{source}: {url!r} has no host")
    if parts.query or parts.fragment:
        raise ConfigError(f"{source}: {url!r} must not have a query or fragment")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"{source}: refusing to send the token over plain http to {host}; use https "
            "(plain http is allowed only to loopback: localhost, 127.0.0.0/8, ::1)"
        )
    del port
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
