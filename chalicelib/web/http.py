"""Chalice requests as plain values for the endpoint functions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from chalice.app import Request

from chalicelib.oidc.errors import InvalidRequest, NotFound
from chalicelib.oidc.params import single_values

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_FIELDS = 64
# API Gateway's own limits are 10 MB bodies and 10 KiB of headers; no request of ours needs
# more than a few KiB of either (JSON bodies have their own, smaller limit: params.json_object).
MAX_BODY = 256 * 1024
MAX_HEADERS = 16 * 1024
# RFC 6265 §4.1.1: a cookie name is an RFC 7230 token; a value is cookie-octets (visible
# ASCII but for " , ; and backslash).
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}")
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,4096}")


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
    """The request's parts, decoded and bounded. What cannot be decoded is refused here
    (400 invalid_request) or, for cookies, left out: the protocol code reads only strings
    that are valid Unicode and of sane size."""
    headers = _headers(request.headers)
    query = request.query_params
    content_type = headers.get("content-type", "")
    body = request.raw_body
    body = body.encode() if isinstance(body, str) else body or b""
    if len(body) > MAX_BODY:
        raise InvalidRequest("the request body is too large")
    if query and sum(len(query.getlist(name)) for name in query) > MAX_FIELDS:
        raise InvalidRequest("too many query parameters")
    return Incoming(
        method=request.method,
        headers=headers,
        query={name: query.getlist(name) for name in query} if query else {},
        form=_form(content_type, body),
        cookies=parse_cookies(headers.get("cookie", "")),
        context=request.context or {},
        path=_path_parameters(request.uri_params or {}),
        json_body=body if _media_type(content_type) == JSON else None,
    )


def _headers(raw: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names. API Gateway refuses more than 10 KiB of headers; a request that
    gets past a proxy with more is refused here rather than read."""
    headers = {name.lower(): value for name, value in raw.items()}
    if sum(len(name) + len(value) for name, value in headers.items()) > MAX_HEADERS:
        raise InvalidRequest("the request headers are too large")
    return headers


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _form(content_type: str, body: bytes) -> dict[str, list[str]] | None:
    """A form body (strict UTF-8 after percent-decoding, at most MAX_FIELDS fields)."""
    if _media_type(content_type) != FORM:
        return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except ValueError:  # UnicodeDecodeError included
        raise InvalidRequest("malformed form body") from None


def _path_parameters(raw: Mapping[str, str]) -> dict[str, str]:
    """Path parameters besides the tenant: ids that are never longer than 256 printable
    characters, so anything else names nothing."""
    path = {name: value for name, value in raw.items() if name != "tenant"}
    for value in path.values():
        if not 0 < len(value) <= 256 or not value.isprintable():
            raise NotFound("no such resource")
    return path


def parse_cookies(header: str) -> dict[str, str]:
    """Cookie header → {name: value}; the first of duplicate names wins (RFC 6265 §5.4
    sends the most specific path first). Pairs that are not RFC 6265 §4.1.1 syntax (a
    token name, cookie-octets, optionally quoted) are left out, as if absent: another
    application's odd cookie must not break sign-in, and every cookie the provider reads
    is ASCII."""
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, eq, value = pair.strip().partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if eq and _COOKIE_NAME.fullmatch(name) and _COOKIE_VALUE.fullmatch(value) and name not in cookies:
            cookies[name] = value
    return cookies
