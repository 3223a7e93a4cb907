"""The HTTP/1.1 the DynamoDB wire needs, and nothing more: one kept-alive connection that
sends a POST in one write and reads one answer.

http.client spends more CPU than the rest of a DynamoDB call (a header block parsed by the
``email`` package, a file object per response, header objects): 0.38 ms a GetItem against
0.17 ms here, measured on the same connection (``tests/login_cpu.py`` shows the login's
share). The answers come from one peer, the DynamoDB endpoint, and are small JSON documents
with a ``Content-Length``; a chunked body or one that ends with the connection is read too,
and anything else (an absurd header block, a status line that is not HTTP) is refused.
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass
from http.client import HTTPException, RemoteDisconnected

MAX_LINE = 65_536  # a status or header line
MAX_HEADERS = 100
MAX_INTERIM = 4
MAX_BODY = 64 * 1024 * 1024  # a BatchGetItem answer is at most 16 MB
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class BadAnswer(HTTPException):
    """The peer's answer is not HTTP/1.1 as this client reads it."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    content: bytes
    will_close: bool


class Connection:
    """One connection to ``host``:``port`` (TLS when ``context`` is given)."""

    def __init__(self, host: str, port: int, timeouts: tuple[float, float], context: ssl.SSLContext | None = None):
        connect_timeout, read_timeout = timeouts
        sock = socket.create_connection((host, port), timeout=connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=host)
            sock.settimeout(read_timeout)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._file = sock.makefile("rb")

    def post(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        """Send the request in one write and read its answer."""
        lines = [f"POST {path} HTTP/1.1"]
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        lines.append(f"Content-Length: {len(body)}")
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return self._answer()

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def _answer(self) -> Response:
        version, code = self._status()
        headers = self._headers()
        for _ in range(MAX_INTERIM):  # interim answers (100 Continue): the final one follows
            if not 100 <= code < 200:
                break
            version, code = self._status()
            headers = self._headers()
        else:
            raise BadAnswer("too many interim answers")
        connection = headers.get("connection", "").lower()
        will_close = connection == "close" or (version == b"HTTP/1.0" and connection != "keep-alive")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = self._chunked()
        elif "content-length" in headers:
            content = self._exactly(_length(headers["content-length"]))
        else:  # the body ends with the connection
            content, will_close = self._file.read(MAX_BODY + 1), True
            if len(content) > MAX_BODY:
                raise BadAnswer("the answer is too large")
        return Response(code, headers, content, will_close)

    def _status(self) -> tuple[bytes, int]:
        status_line = self._line()
        if not status_line:
            raise RemoteDisconnected("the endpoint closed the connection without an answer")
        version, _, rest = status_line.partition(b" ")
        code = rest[:3]
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not all(48 <= c <= 57 for c in code):
            raise BadAnswer(f"not an HTTP status line: {status_line[:80]!r}")
        return version, int(code)

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return headers
            name, colon, value = line.partition(b":")
            if not colon or not line.endswith(b"\n"):
                raise BadAnswer("a header line is malformed or cut short")
            headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
        raise BadAnswer("too many header lines")

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self._line().split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_line):
                raise BadAnswer("a chunk size is not a hexadecimal number")
            size = int(size_line, 16)
            total += size
            if total > MAX_BODY:
                raise BadAnswer("the answer is too large")
            if size == 0:
                self._headers()  # the trailers, read (and bounded) as headers are, then ignored
                return b"".join(parts)
            parts.append(self._exactly(size))
            self._exactly(2)  # the chunk's CRLF

    def _line(self) -> bytes:
        line = self._file.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise BadAnswer("a line of the answer is too long")
        return line

    def _exactly(self, size: int) -> bytes:
        content = self._file.read(size)
        if len(content) != size:
            raise RemoteDisconnected("the endpoint closed the connection in the middle of an answer")
        return content


def _length(value: str) -> int:
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses with a ValueError.
    if not (value.isascii() and value.isdigit()) or len(value) > 12 or int(value) > MAX_BODY:
        raise BadAnswer(f"not a usable Content-Length: {value[:40]!r}")
    return int(value)
