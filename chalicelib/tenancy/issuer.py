"""The issuer: exactly ``<base>/<tenant>``, the same in discovery, tokens and endpoint URLs.

``<base>`` never comes from what a client sends. A ``Host`` or ``X-Forwarded-*`` header is
the client's to choose (or a proxy's, or a shared cache's key that leaves it out): an issuer
built from it would let anyone have tokens minted, and metadata cached, for a host of their
choosing. So the base is, in this order:

1. the operator's ``PUBLIC_BASE_URL`` (a custom domain, with any base path);
2. the host name API Gateway received the request on (``requestContext.domainName``, which
   API Gateway sets, over https, the only scheme it serves), followed by ``/<stage>`` on API
   Gateway's own ``execute-api`` host names only: a custom domain's base path mapping hides
   the stage (a mapping with a base path needs ``PUBLIC_BASE_URL``);
3. nothing: only a local server started without ``PUBLIC_BASE_URL`` gets here (neither
   ``chalice local`` nor Chalice's test client sets a ``domainName``), and it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# RFC 1123 host names, ASCII only (checked before lower-casing: "\u212a".lower() is "k").
_HOSTNAME = re.compile(r"(?=[A-Za-z0-9.-]{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]"
                       r"(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")  # fmt: skip
# API Gateway's own host names: <api-id>.execute-api.<region>.amazonaws.com (.com.cn in China).
_EXECUTE_API = re.compile(r"[a-z0-9]{1,63}\.execute-api\.[a-z0-9-]{1,63}\.amazonaws\.com(?:\.cn)?")
# API Gateway stage names: letters, digits, hyphens and underscores, at most 128.
_STAGE = re.compile(r"[A-Za-z0-9_-]{1,128}")


class NoPublicBase(Exception):
    """The base URL cannot be known: a configuration error, never a client's."""


def base_url(public_base_url: str | None, request_context: Mapping[str, object]) -> str:
    """The public base URL (see the module docstring); raises ``NoPublicBase``."""
    if public_base_url:
        return public_base_url
    domain = request_context.get("domainName")
    if domain is None:
        raise NoPublicBase("no public base URL: set PUBLIC_BASE_URL (API Gateway's requestContext has no domainName)")
    if not isinstance(domain, str) or _HOSTNAME.fullmatch(domain) is None:
        raise NoPublicBase(f"requestContext.domainName is not a host name: {str(domain)[:80]!r}")
    domain = domain.lower()
    if _EXECUTE_API.fullmatch(domain) is None:
        return f"https://{domain}"
    stage = request_context.get("stage")
    if not isinstance(stage, str) or _STAGE.fullmatch(stage) is None:
        raise NoPublicBase(f"requestContext.stage is not a stage name: {str(stage)[:80]!r}")
    return f"https://{domain}/{stage}"


def issuer(base: str, tenant_id: str) -> str:
    return f"{base}/{tenant_id}"
