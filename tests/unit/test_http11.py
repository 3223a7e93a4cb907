"""The DynamoDB wire's HTTP/1.1 client against a loopback peer that answers canned bytes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import RemoteDisconnected

import pytest

from chalicelib.store.http11 import MAX_HEADERS, MAX_LINE, BadAnswer, Connection

TIMEOUTS = (2.0, 2.0)
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}"


@contextmanager
def peer(*answers: bytes, close_after: bool = False) -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server that reads one request per answer and writes that answer; what it
    received is collected, one entry per request."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            for answer in answers:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(65536)
                head, _, body = request.partition(b"\r\n\r\n")
                length = int(
                    next(line for line in head.split(b"\r\n") if line.startswith(b"Content-Length")).split()[1]
                )
                while len(body) < length:
                    body += conn.recv(65536)
                received.append(head + b"\r\n\r\n" + body)
                conn.sendall(answer)
            if close_after:
                conn.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        thread.join(timeout=5)
        server.close()


def test_a_kept_alive_connection_carries_several_requests_each_sent_whole():
    with peer(OK, OK) as (port, received):
        connection = Connection("127.0.0.1", port, TIMEOUTS)
        first = connection.post("/", {"host": "dynamodb", "x-amz-target": "DynamoDB_20120810.GetItem"}, b'{"a":1}')
        second = connection.post("/", {"host": "dynamodb"}, b"{}")
        connection.close()
    assert (first.status, first.content, first.will_close) == (200, b"{}", False)
    assert first.headers["content-type"] == "application/x-amz-json-1.0"
    assert second.content == b"{}"
    assert received[0] == (
        b"POST / HTTP/1.1\r\nhost: dynamodb\r\nx-amz-target: DynamoDB_20120810.GetItem\r\n"
        b'Content-Length: 7\r\n\r\n{"a":1}'
    )


@pytest.mark.parametrize(
    "answer, content, will_close",
    [
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", b"", False),
        (
            b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4;x=y\r\n":1}\r\n0\r\nT: 1\r\n\r\n',
            b'{"a":1}',
            False,
        ),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", b"{}", True),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", b"{}", True),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}", b"{}", False),
        (b'HTTP/1.1 200 OK\r\n\r\n{"until":"the end"}', b'{"until":"the end"}', True),
        (b"HTTP/1.1 100 Continue\r\n\r\n" + OK, b"{}", False),
    ],
)
def test_answers_are_read_by_length_by_chunks_or_to_the_end(answer, content, will_close):
    with peer(answer, close_after=True) as (port, _):
        response = Connection("127.0.0.1", port, TIMEOUTS).post("/", {}, b"{}")
    assert (response.content, response.will_close) == (content, will_close)


@pytest.mark.parametrize(
    "answer, error",
    [
        (b"", RemoteDisconnected),  # an idle connection the endpoint closed: the wire retries it
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", RemoteDisconnected),
        (b"SSH-2.0-OpenSSH\r\n\r\n", BadAnswer),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", BadAnswer),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", BadAnswer),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_LINE + b"\r\n\r\n", BadAnswer),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n", BadAnswer),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", BadAnswer),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n", BadAnswer),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", BadAnswer),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFF\r\n", BadAnswer),
        # What Python's int() reads but HTTP does not: a superscript digit, 0x, _ and signs.
        ("HTTP/1.1 200 OK\r\nContent-Length: \u00b2\r\n\r\n".encode("latin-1"), BadAnswer),
        (CHUNKED + b"0x2\r\n{}\r\n0\r\n\r\n", BadAnswer),
        (CHUNKED + b"+2\r\n{}\r\n0\r\n\r\n", BadAnswer),
        (CHUNKED + b"1_0\r\n", BadAnswer),
        (CHUNKED + b"0\r\n" + b"T: 1\r\n" * (MAX_HEADERS + 1) + b"\r\n", BadAnswer),
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 5 + OK, BadAnswer),
    ],
)
def test_what_is_not_an_answer_is_refused(answer, error):
    with peer(answer, close_after=True) as (port, _):
        connection = Connection("127.0.0.1", port, TIMEOUTS)
        with pytest.raises(error):
            connection.post("/", {}, b"{}")


def test_a_silent_endpoint_times_out():
    server = socket.create_server(("127.0.0.1", 0))
    try:
        connection = Connection("127.0.0.1", server.getsockname()[1], (2.0, 0.2))
        with pytest.raises(TimeoutError):
            connection.post("/", {}, b"{}")
    finally:
        server.close()
