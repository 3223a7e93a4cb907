"""One HTTP exchange with a pinned address: connect to the address the guard checked, verify
TLS against the host name (SNI and certificate), send, read a capped response, close.

urllib3's connection classes (botocore's own transport, so already in the package) take the
address to connect to and the name to verify separately, which is exactly the pinning we
need; no pool, no redirects (a 3xx is returned as it is), no proxies from the environment,
no content decoding (a compressed answer cannot expand past the cap).
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.outbound.addresses import Address
from chalicelib.outbound.errors import Unreachable
from chalicelib.outbound.guard import Policy
from chalicelib.outbound.targets import Target

if TYPE_CHECKING:
    from urllib3.connection import HTTPConnection

USER_AGENT = "oidc-provider"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes  # at most the policy's max_body bytes
    content_type: str | None


def send(
    target: Target, address: Address, method: str, body: bytes | None, headers: Mapping[str, str], policy: Policy
) -> Response:
    """Raises Unreachable when no response came back in time."""
    import urllib3.exceptions
    from urllib3.util.ssl_match_hostname import CertificateError

    connection = _connection(target, address, policy)
    try:
        connection.connect()
        connection.timeout = policy.read_timeout  # from here on, each read waits at most this long
        sent = {
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "identity",
            "Connection": "close",
            **headers,
        }
        connection.request(method, target.path, body=body, headers=sent, preload_content=False, decode_content=False)
        response = connection.getresponse()
        return Response(response.status, response.read(policy.max_body), response.headers.get("Content-Type"))
    except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError, CertificateError) as error:
        raise Unreachable(f"{target.host}: {type(error).__name__}") from error
    finally:
        connection.close()


def _connection(target: Target, address: Address, policy: Policy) -> HTTPConnection:
    from urllib3.connection import HTTPConnection, HTTPSConnection

    if target.scheme == "http":
        return HTTPConnection(str(address), target.port, timeout=policy.connect_timeout)
    return HTTPSConnection(
        str(address),
        target.port,
        timeout=policy.connect_timeout,
        server_hostname=target.host,
        assert_hostname=target.host,
        cert_reqs="CERT_REQUIRED",
        ssl_context=policy.ssl_context,
    )
