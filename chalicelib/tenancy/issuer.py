"""The issuer: exactly ``<base>/<tenant>``, the same in discovery, tokens and endpoint URLs.

``<base>`` is the operator's public URL when configured (custom domain); otherwise it is
derived from the request: the scheme API Gateway forwarded, the Host header, and the stage,
which appears in the URL only on API Gateway's own ``execute-api`` hostnames.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_HOST = re.compile(r"(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")
_STAGE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def base_url(
    public_base_url: str | None,
    headers: Mapping[str, str],
    request_context: Mapping[str, object],
) -> str | None:
    """The public base URL, or None when the request's Host header is not a hostname."""
    if public_base_url:
        return public_base_url
    host = headers.get("host", "")
    if _HOST.fullmatch(host) is None:
        return None
    proto = headers.get("x-forwarded-proto", "http").split(",")[0].strip().lower()
    scheme = "https" if proto == "https" else "http"
    base = f"{scheme}://{host.lower()}"
    stage = request_context.get("stage")
    if isinstance(stage, str) and _STAGE.fullmatch(stage) and host.endswith(".amazonaws.com"):
        base += "/" + stage
    return base


def issuer(base: str, tenant_id: str) -> str:
    return f"{base}/{tenant_id}"
