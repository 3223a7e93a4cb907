"""One HTTP exchange with a pinned address: connect to the address the guard checked, verify
TLS against the host name (SNI and certificate), send, read a capped response, close.

The standard library does it with no hidden step: ``socket.create_connection`` to the
address, ``SSLContext.wrap_socket`` with the host name as ``server_hostname`` (the context
checks the certificate against that name, not the address), ``http.client`` to write the
request and parse the answer. No pool, no redirects (a 3xx is returned as it is), no proxies
from the environment, no content decoding (a compressed answer cannot expand past the cap).

The whole exchange has a deadline (``Policy.exchange_timeout``, on a monotonic clock):
connect, TLS handshake, the request, the status line, headers and body each wait at most
their own timeout and never past what is left of it. A timeout per read alone would let a
peer that drips a byte just before each read times out hold the exchange (and one of the few
delivery functions all tenants share) until Lambda kills it.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.outbound.addresses import Address
from chalicelib.outbound.errors import Unreachable
from chalicelib.outbound.guard import Policy
from chalicelib.outbound.targets import Target

USER_AGENT = "oidc-provider"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes  # at most the policy's max_body bytes
    content_type: str | None


class Deadline:
    """The moment an exchange must be over, on the monotonic clock (wall-clock changes
    cannot stretch it)."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def timeout(self, limit: float) -> float:
        """How long the next step may wait: its own ``limit``, or what is left if less.
        TimeoutError (an OSError, as a socket timeout is) once nothing is left."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the exchange took too long")
        return min(limit, left)


def send(
    target: Target, address: Address, method: str, body: bytes | None, headers: Mapping[str, str], policy: Policy
) -> Response:
    """Raises Unreachable when no whole response came back in time."""
    deadline = Deadline(policy.exchange_timeout)
    connection = _Exchange(target, address, policy, deadline)
    sent = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "Connection": "close",
        **headers,
    }
    try:
        connection.request(method, target.path, body=body, headers=sent)
        response = connection.getresponse()
        return Response(response.status, response.read(policy.max_body), response.getheader("Content-Type"))
    except (OSError, http.client.HTTPException) as error:  # ssl.SSLError and socket timeouts are OSErrors
        reason = "the exchange took too long" if isinstance(error, TimeoutError) else type(error).__name__
        raise Unreachable(f"{target.host}: {reason}") from error
    finally:
        connection.shutdown()


class _Exchange(http.client.HTTPConnection):
    """http.client's request writing and response parsing over a connection of our own: to
    the pinned address, TLS checked against the host name, paced by the deadline."""

    def __init__(self, target: Target, address: Address, policy: Policy, deadline: Deadline) -> None:
        super().__init__(target.host, target.port)
        self.target, self.address, self.policy, self.deadline = target, address, policy, deadline
        self.raw: socket.socket | None = None

    def connect(self) -> None:
        """Called by ``request``: TCP to the checked address, then TLS for https."""
        policy, deadline = self.policy, self.deadline
        self.raw = socket.create_connection(
            (str(self.address), self.target.port), timeout=deadline.timeout(policy.connect_timeout)
        )
        if self.target.scheme == "https":
            # The handshake as a whole waits at most the socket's timeout (Python 3.5+).
            self.raw.settimeout(deadline.timeout(policy.connect_timeout))
            self.raw = _verifying(policy.ssl_context).wrap_socket(self.raw, server_hostname=self.target.host)
        self.sock = _Paced(self.raw, deadline, policy.read_timeout)

    def shutdown(self) -> None:
        """Close the socket itself (``close`` lets http.client hand it to the response)."""
        self.close()
        if self.raw is not None:
            self.raw.close()


def _verifying(context: ssl.SSLContext | None) -> ssl.SSLContext:
    """The policy's context (the system's trust store if none), which must check the
    certificate and the host name: a context that does not is a mistake, not a choice."""
    context = context or ssl.create_default_context()
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise ssl.SSLError("the TLS context must verify the certificate and the host name")
    return context


class _Paced:
    """The socket as http.client uses it (``sendall``, ``makefile``, ``close``): before each
    send and each read its timeout is set to the step's limit or what is left of the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline, read_timeout: float) -> None:
        self.sock, self.deadline, self.read_timeout = sock, deadline, read_timeout

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.timeout(self.read_timeout))  # sendall's timeout is for all of it
        self.sock.sendall(data)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_PacedReader(self))

    def close(self) -> None:
        pass  # the exchange closes the socket (``_Exchange.shutdown``) once the response is read


class _PacedReader(io.RawIOBase):
    def __init__(self, paced: _Paced) -> None:
        self.paced = paced

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # BufferedReader passes a memoryview
        paced = self.paced
        paced.sock.settimeout(paced.deadline.timeout(paced.read_timeout))
        return paced.sock.recv_into(buffer)
