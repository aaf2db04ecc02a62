"""A real TCP proxy between the client and a server, that injects faults per request.

Faults (``action``) are matched on ``"METHOD /path"`` prefixes, in the order added:

``reset_before``  read the request, then reset the connection: the server never sees it
``reset_after``   forward it, read the server's answer, then reset: the answer is lost
``hang_after``    forward it, then keep the connection silent (the client's read times out)
``delay``         forward it, answer after ``seconds``
``trickle``       forward it, then send the answer one byte every ``seconds``
``status``        answer ``status`` (with ``headers``) without forwarding
``status_after``  forward it (the server acts on it), then answer ``status`` instead
``close``         accept and close at once (nothing read)
``die``           stop listening (later connections are refused) and reset this one

``stopped`` (``stop_listening()``) closes the listening socket: connections are refused, as
when the server is down. Every request that reaches the proxy is kept in ``requests``.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Fault:
    match: str
    action: str
    times: int = 1
    skip: int = 0
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"error":"injected"}'
    seconds: float = 0.0
    used: int = 0
    seen: int = 0


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    action: str


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self.faults: list[Fault] = []
        self.requests: list[Captured] = []
        self._lock = threading.Lock()
        self._closing = False
        self._clients: list[socket.socket] = []
        self.port = port
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._server = sock
        self.listening = True
        self._thread = threading.Thread(target=self._accept, args=(sock,), daemon=True)
        self._thread.start()

    def stop_listening(self) -> None:
        """As if the server died: new connections are refused, open ones are reset."""
        self.listening = False
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() in its thread
        self._server.close()
        with self._lock:
            for client in self._clients:
                _reset(client)
            self._clients.clear()

    def start_listening(self) -> None:
        self._listen()

    def close(self) -> None:
        self._closing = True
        self.stop_listening()

    def add(self, match: str, action: str, **options: object) -> Fault:
        fault = Fault(match, action, **options)  # type: ignore[arg-type]
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def posts(self) -> list[Captured]:
        return [r for r in self.requests if r.method == "POST"]

    # -- plumbing ----------------------------------------------------------------------------
    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self._clients.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _pick(self, line: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not line.startswith(fault.match) or fault.used >= fault.times:
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                fault.used += 1
                return fault
        return None

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client)
        try:
            while True:
                request = reader.message()
                if request is None:
                    return
                head, body = request
                method, path, headers = _parse_head(head)
                fault = self._pick(f"{method} {path}")
                action = fault.action if fault else "pass"
                with self._lock:
                    self.requests.append(Captured(method, path, headers, body, action))
                if not self._handle(client, fault, head, body):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
            client.close()

    def _handle(self, client: socket.socket, fault: Fault | None, head: bytes, body: bytes) -> bool:
        action = fault.action if fault else "pass"
        if action == "die":
            threading.Thread(target=self.stop_listening, daemon=True).start()
            _reset(client)
            return False
        if action in ("reset_before", "close"):
            _reset(client)
            return False
        if action == "status" and fault is not None:
            client.sendall(_answer(fault))
            return True
        answer = _forward(self.upstream, head, body)
        if action == "reset_after":
            _reset(client)
            return False
        if action == "hang_after":
            time.sleep(fault.seconds if fault and fault.seconds else 30)
            _reset(client)
            return False
        if action == "trickle" and fault is not None:
            for byte in answer:
                client.sendall(bytes([byte]))
                time.sleep(fault.seconds)
            return True
        if action == "delay" and fault is not None:
            time.sleep(fault.seconds)
        if action == "status_after" and fault is not None:
            client.sendall(_answer(fault))
            return True
        client.sendall(answer)
        return True


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def message(self) -> tuple[bytes, bytes] | None:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = _content_length(head)
        while len(self.buffer) < length:
            if not self._fill():
                return None
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return head, body


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    path = target.split("?", 1)[0]
    if path.startswith("/api/v1"):
        path = path[len("/api/v1") :] or "/"
    return method, path + ("?" + target.split("?", 1)[1] if "?" in target else ""), headers


def _forward(upstream: tuple[str, int], head: bytes, body: bytes) -> bytes:
    """Send one request on a fresh connection; the whole answer (Connection: close)."""
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    raw = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body
    with socket.create_connection(upstream, timeout=60) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    head_end = answer.find(b"\r\n\r\n")
    if head_end < 0:
        return answer
    # The client keeps its connection: drop the server's Connection: close.
    answer_head = b"\r\n".join(
        line
        for line in answer[:head_end].split(b"\r\n")
        if not line.lower().startswith(b"connection:")
    )
    payload = answer[head_end + 4 :]
    lowered = answer_head.lower()
    if b"content-length" not in lowered and b"transfer-encoding" not in lowered:
        answer_head += f"\r\nContent-Length: {len(payload)}".encode()
    return answer_head + b"\r\n\r\n" + payload


def _answer(fault: Fault) -> bytes:
    reason = {
        429: "TOO MANY REQUESTS",
        500: "INTERNAL SERVER ERROR",
        502: "BAD GATEWAY",
        503: "SERVICE UNAVAILABLE",
        504: "GATEWAY TIMEOUT",
    }.get(fault.status, "ERROR")
    headers = {
        "Content-Type": "application/json",
        **fault.headers,
        "Content-Length": str(len(fault.body)),
    }
    head = f"HTTP/1.1 {fault.status} {reason}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return head.encode("latin-1") + b"\r\n" + fault.body


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
