"""AWS Signature Version 4 for the store's DynamoDB requests (chalicelib/store/wire.py).

botocore's signer is general (any method, path, query and header set, presigned URLs), builds
an ``AWSRequest`` and re-derives the signing key for every request: ~0.15 ms of CPU a call.
These requests have one shape, a JSON POST to ``/``, so the canonical request is a fixed
template and the derived key is kept for its day. A unit test signs the same request with
botocore's signer and requires the same ``Authorization`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import lru_cache

ALGORITHM = "AWS4-HMAC-SHA256"


def signed_headers(
    credentials: object, region: str, host: str, target: str, content_type: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The headers of a signed ``POST /`` to ``host``: ``credentials`` are botocore's frozen
    ones (access key, secret key, session token)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    token = credentials.token  # type: ignore[attr-defined]
    headers = {"content-type": content_type, "host": host, "x-amz-date": stamp}
    if token:
        headers["x-amz-security-token"] = token
    headers["x-amz-target"] = target
    names = ";".join(headers)  # already in sorted order
    canonical = "POST\n/\n\n{}\n{}\n{}".format(
        "".join(f"{name}:{value}\n" for name, value in headers.items()), names, hashlib.sha256(body).hexdigest()
    )
    scope = f"{stamp[:8]}/{region}/dynamodb/aws4_request"
    to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _signing_key(credentials.secret_key, stamp[:8], region)  # type: ignore[attr-defined]
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, SignedHeaders={names}, Signature={signature}"  # type: ignore[attr-defined]
    )
    return headers


@lru_cache(maxsize=8)
def _signing_key(secret: str, day: str, region: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (day, region, "dynamodb", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
