"""Stage-in and stage-out as the worker does them, confined to the job's folders.

* artifacts: fetched from a local path or a ``file://`` URL inside one of the folders the
  person starting the sandbox names (``--artifacts-dir``; none by default, and never the
  data folder), or from a loopback ``http(s)`` URL (redirects off loopback are not
  followed), into the scratch folder and unpacked (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``,
  ``.gz``, ``.bz2``, ``.zip``); nothing may unpack outside the scratch folder;
* inputs: base64-decoded into the scratch folder under their basename, never through a
  symbolic link;
* outputs: ``outputFiles`` copied, ``outputDirs`` packed as ``<basename>.tgz``, from the
  local names the worker computes, and only from inside the scratch folder.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import ipaddress
import os
import shutil
import tarfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prominence_spec.server.factories import Parameters, worker_output_name

DOWNLOAD_FAILED = "Artifact download failed"
UNCOMPRESS_FAILED = "Artifact uncompress failed"
STAGEOUT_MISSING = "Stageout failed due to no such file or directory"
STAGEOUT_TARBALL = "Stageout failed due to tarball creation failed"
FETCH_TIMEOUT = 60


class StageError(Exception):
    """Staging failed; ``reason`` is the server's statusReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _loopback_url(parsed: urllib.parse.ParseResult) -> bool:
    host = parsed.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _LoopbackRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another loopback ``http(s)`` URL."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        parsed = urllib.parse.urlparse(newurl)
        if parsed.scheme not in ("http", "https") or not _loopback_url(parsed):
            raise StageError(DOWNLOAD_FAILED)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_LoopbackRedirects)


def _allowed(path: Path, allowed_dirs: Sequence[Path]) -> Path:
    """``path`` with its links resolved, if that lies inside one of ``allowed_dirs``."""
    real = path.resolve()
    if any(real.is_relative_to(folder.resolve()) for folder in allowed_dirs):
        return real
    raise StageError(DOWNLOAD_FAILED)


def _local_source(url: str) -> Path | None:
    if url.startswith("/"):
        return Path(url)
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(urllib.parse.unquote(parsed.path))
    return None


def _target(scratch: Path, name: str) -> Path:
    base = os.path.basename(name.rstrip("/"))
    if base in ("", ".", ".."):
        raise StageError(DOWNLOAD_FAILED)
    return scratch / base


def fetch_artifact(url: str, scratch: Path, allowed_dirs: Sequence[Path] = ()) -> Path:
    """Copy or download one artifact into ``scratch``; returns the file written. Local
    paths must lie inside one of ``allowed_dirs``."""
    local = _local_source(url)
    try:
        if local is not None:
            target = _target(scratch, str(local))
            local = _allowed(local, allowed_dirs)
            if local.is_dir():
                shutil.copytree(local, target, symlinks=True)
            else:
                shutil.copyfile(local, target)
            return target
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not _loopback_url(parsed):
            raise StageError(DOWNLOAD_FAILED)
        target = _target(scratch, urllib.parse.unquote(parsed.path))
        with (
            _OPENER.open(url, timeout=FETCH_TIMEOUT) as response,
            open(target, "wb") as out,
        ):
            shutil.copyfileobj(response, out)
        return target
    except (OSError, ValueError):
        raise StageError(DOWNLOAD_FAILED) from None


def _inside(root: Path, name: str) -> bool:
    target = (root / name).resolve()
    return target == root.resolve() or target.is_relative_to(root.resolve())


def _untar(path: Path, scratch: Path) -> None:
    with tarfile.open(path) as archive:
        data_filter = getattr(tarfile, "data_filter", None)
        if data_filter is not None:
            archive.extractall(scratch, filter=data_filter)
            return
        for member in archive.getmembers():  # Python without extraction filters
            link_ok = not (member.issym() or member.islnk()) or _inside(
                scratch, os.path.join(os.path.dirname(member.name), member.linkname)
            )
            if not _inside(scratch, member.name) or not link_ok or member.isdev():
                raise StageError(UNCOMPRESS_FAILED)
        archive.extractall(scratch)  # noqa: S202 - members checked above


def _unzip(path: Path, scratch: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        if not all(_inside(scratch, name) for name in archive.namelist()):
            raise StageError(UNCOMPRESS_FAILED)
        archive.extractall(scratch)


def _decompress(path: Path, opener: Any) -> None:
    target = path.with_suffix("")
    with opener(path, "rb") as src, open(target, "wb") as out:
        shutil.copyfileobj(src, out)
    path.unlink()


def unpack(path: Path, scratch: Path) -> None:
    """Unpack an archive as the worker does; other files are left as they are."""
    name = path.name
    try:
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2")):
            _untar(path, scratch)
        elif name.endswith(".zip"):
            _unzip(path, scratch)
        elif name.endswith(".gz"):
            _decompress(path, gzip.open)
        elif name.endswith(".bz2"):
            _decompress(path, bz2.open)
    except (OSError, EOFError, ValueError, tarfile.TarError, zipfile.BadZipFile):
        raise StageError(UNCOMPRESS_FAILED) from None


def stage_artifacts(
    artifacts: Sequence[Any], scratch: Path, allowed_dirs: Sequence[Path] = ()
) -> None:
    for artifact in artifacts:
        path = fetch_artifact(str(artifact["url"]), scratch, allowed_dirs)
        if artifact.get("executable") and path.is_file():
            path.chmod(0o755)
        if path.is_file():
            unpack(path, scratch)


def input_name_ok(filename: Any) -> bool:
    """The basename the server writes an input under is a usable file name."""
    if not isinstance(filename, str):
        return False
    base = os.path.basename(filename)
    return base not in ("", ".", "..") and "\0" not in base and len(os.fsencode(base)) <= 255


def write_inputs(inputs: Sequence[Mapping[str, Any]], scratch: Path) -> None:
    """Write each input under its basename in ``scratch``, never through a link."""
    for entry in inputs:
        filename = entry.get("filename")
        if not input_name_ok(filename):
            raise StageError("Unable to write input file to disk")
        path = scratch / os.path.basename(str(filename))
        mode = 0o755 if entry.get("executable") else 0o644
        try:
            data = base64.b64decode(entry["content"])
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(path, mode)
        except (OSError, ValueError, TypeError):
            raise StageError("Unable to write input file to disk") from None


def _single_match(scratch: Path, name: str) -> Path | None:
    """The one path a (possibly globbed) name resolves to inside ``scratch``."""
    if not name or name.startswith("/") or "\0" in name:
        return None
    try:
        matches = sorted(scratch.glob(name)) if any(c in name for c in "*?[") else [scratch / name]
    except (ValueError, NotImplementedError, OSError):
        return None
    if len(matches) != 1 or not _inside(scratch, str(matches[0].relative_to(scratch))):
        return None
    return matches[0]


def _object_name(name: str, index: int, suffix: str = "") -> str:
    base = os.path.basename(name.rstrip("/")) or "output"
    return f"{index}/{base}{suffix}"


def collect_outputs(
    doc: Mapping[str, Any],
    scratch: Path,
    store_dir: Path,
    *,
    worker_params: Parameters,
    shown_names: Sequence[Sequence[str]],
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Copy the job's outputs into ``store_dir``; returns the records GET uses and the
    stage-out failure, if any. ``shown_names`` are ``(files, dirs)`` as GET names them."""
    records: dict[str, list[dict[str, Any]]] = {"files": [], "dirs": []}
    failure = None
    for i, name in enumerate(doc.get("outputFiles") or []):
        found = _single_match(scratch, worker_output_name(str(name), worker_params))
        if found is None or not found.is_file():
            records["files"].append({"object": None})
            failure = failure or STAGEOUT_MISSING
            continue
        obj = _object_name(shown_names[0][i], i)
        (store_dir / "files" / obj).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, store_dir / "files" / obj)
        records["files"].append({"object": f"files/{obj}", "size": found.stat().st_size})
    for i, name in enumerate(doc.get("outputDirs") or []):
        found = _single_match(scratch, worker_output_name(str(name), worker_params))
        if found is None or not found.is_dir():
            records["dirs"].append({"object": None})
            failure = failure or STAGEOUT_MISSING
            continue
        obj = _object_name(shown_names[1][i], i, ".tgz")
        target = store_dir / "dirs" / obj
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with tarfile.open(target, "w:gz") as tar:
                tar.add(found, arcname=str(found.relative_to(scratch)))  # as promlet.py
        except (OSError, tarfile.TarError):
            records["dirs"].append({"object": None})
            failure = failure or STAGEOUT_TARBALL
            continue
        records["dirs"].append({"object": f"dirs/{obj}", "size": target.stat().st_size})
    return records, failure


__all__ = [
    "DOWNLOAD_FAILED",
    "STAGEOUT_MISSING",
    "STAGEOUT_TARBALL",
    "UNCOMPRESS_FAILED",
    "StageError",
    "collect_outputs",
    "fetch_artifact",
    "input_name_ok",
    "stage_artifacts",
    "unpack",
    "write_inputs",
]
