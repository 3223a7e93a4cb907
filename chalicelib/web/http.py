"""Chalice requests as plain values for the endpoint functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from chalice.app import Request

from chalicelib.oidc.errors import InvalidRequest
from chalicelib.oidc.params import single_values

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FIELDS = 64
MAX_JSON = 64 * 1024


@dataclass(frozen=True)
class Incoming:
    method: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, Sequence[str]]
    # The form body's fields; None when the body is not form-encoded.
    form: Mapping[str, Sequence[str]] | None
    cookies: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, object] = field(default_factory=dict)
    # Path parameters besides the tenant (say, the client_id of RFC 7592's client URI).
    path: Mapping[str, str] = field(default_factory=dict)
    # The raw body of a JSON request; None for any other content type.
    json_body: bytes | None = None

    def form_values(self) -> dict[str, str]:
        """Single-valued form fields ({} without a form body)."""
        return single_values(self.form or {})


def incoming(request: Request) -> Incoming:
    headers = {name.lower(): value for name, value in request.headers.items()}
    query = request.query_params
    content_type = headers.get("content-type", "")
    return Incoming(
        method=request.method,
        headers=headers,
        query={name: query.getlist(name) for name in query} if query else {},
        form=_form(content_type, request),
        cookies=parse_cookies(headers.get("cookie", "")),
        context=request.context or {},
        path={name: value for name, value in (request.uri_params or {}).items() if name != "tenant"},
        json_body=_json(content_type, request),
    )


def _json(content_type: str, request: Request) -> bytes | None:
    if content_type.split(";")[0].strip().lower() != JSON:
        return None
    body = request.raw_body
    body = body.encode() if isinstance(body, str) else body
    if len(body) > MAX_JSON:
        raise InvalidRequest("the request body is too large")
    return body


def _form(content_type: str, request: Request) -> dict[str, list[str]] | None:
    if content_type.split(";")[0].strip().lower() != FORM:
        return None
    body = request.raw_body
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("malformed form body") from None


def parse_cookies(header: str) -> dict[str, str]:
    """Cookie header → {name: value}; the first of duplicate names wins (RFC 6265 §5.4
    sends the most specific path first)."""
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, eq, value = pair.strip().partition("=")
        if eq and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies
