"""The download engine: every point's outputs, concurrently, into a folder of its own.

Per point: each ``outputFiles`` entry under its own name, each ``outputDirs`` entry
unpacked in place (the archive is not kept), ``params.json``, ``stdout.txt`` and
``stderr.txt``; then a line of ``manifest.jsonl``. A file already there with the size the
record gives is neither fetched nor rewritten (``force`` fetches again); a file whose bytes
are unchanged is never rewritten. An expired URL (403 from the storage) is fetched once
more from the job's record, read anew. A 401 from the API re-reads the token once; if it is
refused still, the download stops and :attr:`Report.login_needed` says what to do."""

from __future__ import annotations

import hashlib
import json
import os
import stat as stat_kind
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

from prominence_spec.client.credentials import LOGIN_HINT
from prominence_spec.client.download.manifest import Manifest, file_item, stat_item
from prominence_spec.client.download.model import (
    Api,
    FileDone,
    Found,
    OnEvent,
    Only,
    Output,
    Planned,
    Point,
    PointDone,
    Problem,
    Received,
    Report,
)
from prominence_spec.client.download.names import PART_SUFFIX, inside, relative
from prominence_spec.client.download.transfer import (
    StoppedError,
    TransferError,
    Written,
    fetch,
    file_digest,
    storage_pool,
    write_new,
)
from prominence_spec.client.download.unpack import ArchiveError, unpack
from prominence_spec.client.errors import AuthenticationError, ClientError, CredentialsError

T = TypeVar("T")
STREAMS = (("stdout", "stdout.txt"), ("stderr", "stderr.txt"))
TERMINAL = ("completed", "failed", "deleted", "killed")


class LoginNeededError(Exception):
    """The API refused the token, also after it was read again."""


def outputs_of(record: dict[str, Any] | Any) -> list[Output]:
    """A record's outputs, files then directories, in the record's order."""
    found: list[Output] = []
    for key, kind in (("outputFiles", "file"), ("outputDirs", "dir")):
        items = record.get(key) if isinstance(record, dict) else None
        for position, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                size = item.get("size")
                url = item.get("url") if isinstance(item.get("url"), str) else ""
                ok = isinstance(size, int) and not isinstance(size, bool) and size >= 0
                found.append(Output(kind, position, item["name"], url, size if ok else None))  # type: ignore[arg-type]
    return found


class Downloader:
    """One download: ``run(points)`` once."""

    def __init__(
        self,
        client: Api,
        root: Path,
        *,
        jobs: int = 8,
        force: bool = False,
        on_event: OnEvent | None = None,
        only: Only | None = None,
    ) -> None:
        self.client, self.root, self.jobs, self.force = client, root, max(1, jobs), force
        self.only: Only = only or (lambda kind, name: True)
        self.tell: OnEvent = on_event or (lambda event: None)
        self.stop = threading.Event()
        self.report = Report(str(root))
        self._lock = threading.Lock()
        self._auth_lock = threading.Lock()
        self._generation = 0
        self._fresh: dict[int, dict[str, Any]] = {}
        self.pool = storage_pool(self.jobs)
        self.manifest: Manifest | None = None

    # -- the whole run ---------------------------------------------------------------------
    def run(self, points: Sequence[Point]) -> Report:
        self.root.mkdir(parents=True, exist_ok=True)
        _remove_parts(self.root)
        self.manifest = Manifest(self.root)
        plans = [p for p in (self._plan(point) for point in points) if p is not None]
        self.report.points = len(plans)
        sizes = [o.size or 0 for _, outs in plans for o in outs]
        files = sum(len(outs) + len(self._streams(point)) for point, outs in plans)
        self.tell(Planned(len(plans), files, sum(sizes)))
        try:
            self._fetch_all(plans)
        finally:
            self.pool.clear()
            self.manifest.finish(point.folder for point, _ in plans)
        return self.report

    def _fetch_all(self, plans: list[tuple[Point, list[Output]]]) -> None:
        """One pool for every fetch of every point: each output, the stdout and the stderr
        of a point are tasks of their own; the last of a point's tasks to end writes its
        params.json and its manifest line."""
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="download") as pool:
            futures: list[Future[None]] = []
            try:
                for point, outputs in plans:
                    work = self._point_work(point, outputs)
                    for n in range(len(work.tasks)):
                        futures.append(pool.submit(self._guarded, self._task, work, n))
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                for future in done:
                    future.result()
            except BaseException:
                self.stop.set()
                for future in futures:
                    future.cancel()
                raise

    def _guarded(self, work: Callable[..., None], *args: Any) -> None:
        if self.stop.is_set():
            return
        try:
            work(*args)
        except LoginNeededError:
            self.stop.set()
        except StoppedError:
            pass

    def _plan(self, point: Point) -> tuple[Point, list[Output]] | None:
        if relative(point.folder) is None:
            self._problem(Problem("unsafe-name", "the folder would leave the download's "
                                  "folder; nothing was fetched for it", point.folder))  # fmt: skip
            return None
        keep = []
        for output in outputs_of(dict(point.record)):
            if not self.only(output.kind, output.name):
                continue
            if not output.url:
                with self._lock:
                    self.report.unavailable += 1
            elif relative(output.name) is None:
                self._problem(Problem("unsafe-name", "the name would leave the point's "
                                      "folder; refused", point.folder, output.name))  # fmt: skip
            else:
                keep.append(output)
        return point, keep

    # -- one point -------------------------------------------------------------------------
    def _point_work(self, point: Point, outputs: list[Output]) -> _PointWork:
        folder = self.root / point.folder
        folder.mkdir(parents=True, exist_ok=True)
        tasks: list[Output | str] = [*outputs, *self._streams(point)]
        if not tasks:
            tasks.append("")  # nothing to fetch: params.json and the manifest line still
        return _PointWork(point, folder, tasks)

    def _streams(self, point: Point) -> list[str]:
        """The point's streams to fetch (``stdout``, ``stderr``)."""
        if not point.streams:
            return []
        return [stream for stream, name in STREAMS if self.only("stream", name)]

    def _task(self, work: _PointWork, n: int) -> None:
        """A point's task ``n`` (an output, a stream, or "" for none), then the point's end
        if it was the last."""
        if self.stop.is_set():
            return
        task = work.tasks[n]
        entry: dict[str, Any] = {"files": [], "dirs": []}
        if isinstance(task, Output):
            self._one_output(work.point, task, work.folder, entry)
        elif task:
            self._meta_stream(work.point, task, work.folder, entry)
        if work.done(n, entry):
            self._finish(work)

    def _one_output(
        self, point: Point, output: Output, folder: Path, entry: dict[str, Any]
    ) -> None:
        try:
            self._output(point, output, folder, entry)
        except (TransferError, ArchiveError) as exc:
            self._problem(Problem(exc.kind, exc.message, point.folder, output.name))
        except OSError as exc:
            message = f"cannot write ({exc.strerror or exc})"
            self._problem(Problem("write", message, point.folder, output.name))

    def _finish(self, work: _PointWork) -> None:
        point, folder = work.point, work.folder
        status = point.record.get("status")
        entry: dict[str, Any] = {"folder": point.folder, "id": point.job_id, "status": status}
        entry.update(files=[], dirs=[])
        for part in work.parts(lambda task: isinstance(task, Output)):
            entry["files"] += part["files"]
            entry["dirs"] += part["dirs"]
        text = json.dumps(dict(point.params), indent=2, ensure_ascii=False) + "\n"
        self._small("params.json", text.encode(), folder, entry)
        for part in work.parts(lambda task: isinstance(task, str)):
            entry["files"] += part["files"]
        if self.stop.is_set():
            return
        assert self.manifest is not None
        self.manifest.add(entry)
        self.tell(PointDone(point.folder, point.job_id))

    def _output(self, point: Point, output: Output, folder: Path, entry: dict[str, Any]) -> None:
        name = relative(output.name)
        assert name is not None
        if output.kind == "file":
            self._file(point, output, folder / name, entry)
        else:
            self._dir(point, output, folder, entry)

    def _file(self, point: Point, output: Output, target: Path, entry: dict[str, Any]) -> None:
        assert self.manifest is not None
        folder = self.root / point.folder
        if target.parent != folder:  # a name with folders: made, and checked for links
            target.parent.mkdir(parents=True, exist_ok=True)
            if not inside(folder, target.parent):
                raise TransferError("unsafe-name", "a link on disk leads outside the folder")
        there = _regular(target)
        if not self.force and there is not None and there.st_size == output.size:
            sha = self.manifest.cached_file(point.folder, output.name, target)
            entry["files"].append(file_item(output.name, target, sha or file_digest(target)))
            self._done(point, output, output.size, kept=True)
            return
        written = self._download(point, output, target)
        if there is not None and _same(target, written):  # the same bytes: not rewritten
            written.path.unlink()
            entry["files"].append(file_item(output.name, target, written.sha256))
        else:
            os.replace(written.path, target)
            entry["files"].append(stat_item(output.name, written.stat, written.sha256))
        self._done(point, output, written.size, kept=False)

    def _dir(self, point: Point, output: Output, folder: Path, entry: dict[str, Any]) -> None:
        assert self.manifest is not None
        cached = self.manifest.cached_dir(point.folder, output.name)
        if not self.force and cached and cached.get("size") == output.size:
            items = _still_there(self.manifest, point.folder, folder, cached)
            if items is not None:
                entry["dirs"].append(cached)
                entry["files"].extend(items)
                self._done(point, output, output.size or 0, kept=True)
                return
        archive = folder / (os.path.basename(output.name.rstrip("/")) + ".tgz")
        written = self._download(point, output, archive)
        try:
            members = unpack(written.path, folder, stop=self.stop)
        finally:
            written.path.unlink(missing_ok=True)
        names = [m.name for m in members]
        entry["dirs"].append({"name": output.name, "size": written.size, "files": names})
        for member in members:
            entry["files"].append(file_item(member.name, folder / member.name, member.sha256))
        self._done(point, output, written.size, kept=False)

    def _download(self, point: Point, output: Output, target: Path) -> Written:
        try:
            return self._get(output.url, target, output.size)
        except TransferError as exc:
            if exc.kind != "expired":
                raise
        fresh = self._fresh_output(point, output)
        if fresh is None:
            raise TransferError("expired", "the storage refused the URL (HTTP 403) and the "
                                "job's record no longer lists this output")  # fmt: skip
        try:
            return self._get(fresh.url, target, fresh.size)
        except TransferError as exc:
            if exc.kind == "expired":
                exc.message += ", also with the URL from the job's record read anew"
            raise

    def _get(self, url: str, target: Path, size: int | None) -> Written:
        return fetch(self.pool, url, target, stop=self.stop,
                     received=lambda n: self.tell(Received(n)), expected=size)  # fmt: skip

    def _fresh_output(self, point: Point, output: Output) -> Output | None:
        record = self._fresh.get(point.job_id)
        if record is None:
            record = self._api(lambda: self.client.describe_job(point.job_id))
            self._fresh[point.job_id] = record
        for found in outputs_of(record):
            if (found.kind, found.position) == (output.kind, output.position) and found.url:
                return found
        return None

    # -- params.json, stdout.txt, stderr.txt ------------------------------------------------
    def _meta_stream(self, point: Point, stream: str, folder: Path, entry: dict[str, Any]) -> None:
        name = dict(STREAMS)[stream]
        if self._streams_kept(point, folder, name, entry):
            self._stream_done(point, name, 0, kept=True)
            return
        data = self._stream(point, stream, name)
        if data is not None:
            self._small(name, data, folder, entry)
            self._stream_done(point, name, len(data), kept=False)

    def _streams_kept(self, point: Point, folder: Path, name: str, entry: dict[str, Any]) -> bool:
        """A finished job's stream is not read again once the manifest has it."""
        assert self.manifest is not None
        before = self.manifest.previous.get(point.folder) or {}
        status = point.record.get("status")
        if self.force or status not in TERMINAL or before.get("status") != status:
            return False
        if before.get("id") != point.job_id:
            return False
        sha = self.manifest.cached_file(point.folder, name, folder / name)
        if sha is None:
            return False
        entry["files"].append(file_item(name, folder / name, sha))
        return True

    def _stream(self, point: Point, stream: str, name: str) -> bytes | None:
        reader = self.client.stdout if stream == "stdout" else self.client.stderr
        try:
            return self._api(lambda: reader(point.job_id))
        except ClientError as exc:
            if "does not exist" in exc.message:
                return None  # the job never started
            self._problem(Problem("api", exc.message, point.folder, name))
            return None

    def _small(self, name: str, data: bytes, folder: Path, entry: dict[str, Any]) -> None:
        """A small file written whole under a temporary name then renamed; left as it is
        when it already holds ``data``."""
        target = folder / name
        there = _regular(target)
        if there is None or there.st_size != len(data) or target.read_bytes() != data:
            there = write_new(target, data)
        entry["files"].append(stat_item(name, there, hashlib.sha256(data).hexdigest()))

    # -- the API, with one re-read of the token ---------------------------------------------
    def _api(self, call: Callable[[], T]) -> T:
        generation = self._generation
        try:
            return call()
        except AuthenticationError:
            self._renew(generation)
        try:
            return call()
        except AuthenticationError:
            raise self._login_needed() from None

    def _renew(self, generation: int) -> None:
        with self._auth_lock:
            if self._generation != generation:
                return  # another thread has read it again already
            try:
                changed = self.client.reload_token()
            except CredentialsError:
                changed = False
            if not changed:
                raise self._login_needed()
            self._generation += 1

    def _login_needed(self) -> LoginNeededError:
        source = self.client.token.source
        with self._lock:
            self.report.login_needed = (
                f"the server refused the token from {source} (HTTP 401), also after reading "
                f"it again: {LOGIN_HINT} (or update {source}), then run the same command "
                "again: what is already downloaded is kept"
            )
        self.stop.set()
        return LoginNeededError()

    # -- telling ----------------------------------------------------------------------------
    def _problem(self, problem: Problem) -> None:
        with self._lock:
            self.report.problems.append(problem)
        self.tell(Found(problem))

    def _done(self, point: Point, output: Output, size: int | None, *, kept: bool) -> None:
        self._count(size or 0, kept)
        self.tell(FileDone(point.folder, output.name, size or 0, kept))

    def _stream_done(self, point: Point, name: str, size: int, *, kept: bool) -> None:
        """``stdout.txt`` or ``stderr.txt`` is in place: a file of the download too, but
        its bytes are not among the planned ones (a record gives no stream's size)."""
        self._count(size, kept)
        self.tell(FileDone(point.folder, name, 0, kept))

    def _count(self, size: int, kept: bool) -> None:
        with self._lock:
            if kept:
                self.report.kept += 1
            else:
                self.report.fetched += 1
                self.report.fetched_bytes += size


class _PointWork:
    """A point's tasks, what each found, and how many are left; thread-safe."""

    def __init__(self, point: Point, folder: Path, tasks: list[Output | str]) -> None:
        self.point, self.folder, self.tasks = point, folder, tasks
        self._found: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def done(self, n: int, found: dict[str, Any]) -> bool:
        """Record what task ``n`` found; True for the last task of the point to end."""
        with self._lock:
            self._found[n] = found
            return len(self._found) == len(self.tasks)

    def parts(self, which: Callable[[Output | str], bool]) -> list[dict[str, Any]]:
        """What the tasks chosen by ``which`` found, in the tasks' order."""
        return [self._found[n] for n, task in enumerate(self.tasks) if which(task)]


def _regular(path: Path) -> os.stat_result | None:
    """The stat of ``path`` if it is a regular file (links followed), else None."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found if stat_kind.S_ISREG(found.st_mode) else None


def _same(target: Path, written: Written) -> bool:
    """True when ``target`` already holds exactly the bytes just fetched."""
    try:
        if target.stat().st_size != written.size:
            return False
    except OSError:
        return False
    return file_digest(target) == written.sha256


def _still_there(
    manifest: Manifest, folder_name: str, folder: Path, cached: dict[str, Any]
) -> list[dict[str, Any]] | None:
    items = []
    for name in cached.get("files") or []:
        path = folder / str(name)
        sha = manifest.cached_file(folder_name, str(name), path)
        if sha is None:
            return None
        items.append(file_item(str(name), path, sha))
    return items


def _remove_parts(root: Path) -> None:
    """Temporary files a killed download left behind."""
    for part in root.rglob(f"*{PART_SUFFIX}"):
        if part.is_file() and not part.is_symlink():
            part.unlink(missing_ok=True)
