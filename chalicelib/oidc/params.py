"""Request parameters as single values (RFC 6749 §3.1), and JSON request bodies (RFC 7591,
the admin API) parsed within limits."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.oidc.errors import InvalidRequest

MAX_LENGTH = 4096
# Parameters a request may repeat (RFC 8707 §2: ``resource``, once per resource): kept as
# their values joined by a space, which no URI holds, so every parameter stays one string
# (through the login and consent tickets, a pushed request, a code). A value with whitespace
# of its own is refused here, so the joined form cannot be forged from one value.
REPEATABLE = frozenset({"resource"})
MAX_REPEATS = 10
# A request object (RFC 9101) carries a whole request, signed: it may be longer than any
# other parameter (chalicelib.oidc.request_object takes 16 KiB, and says so up to this).
MAX_LENGTHS = {"request": 32 * 1024}
# What an authorization request may say (OIDC Core §3.1.2.1, RFC 7636, OIDC Core §5.5, RFC
# 9207): what a pushed request or a request object keeps; anything else is ignored (RFC 6749
# §3.1), and not stored or carried along.
AUTHORIZATION_PARAMETERS = frozenset(
    {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "response_mode",
        "nonce",
        "display",
        "prompt",
        "max_age",
        "ui_locales",
        "claims_locales",
        "id_token_hint",
        "login_hint",
        "acr_values",
        "claims",
        "code_challenge",
        "code_challenge_method",
        "resource",  # RFC 8707, its values joined (REPEATABLE above)
        "dpop_jkt",  # RFC 9449 §10
    }
)
# No registration, setting or user needs more: metadata nests 2 deep, settings 5.
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
# A JSON string (to its closing quote, or to the end of an unterminated one: possessive, so
# the scan stays linear), or a bracket.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+"?|[\[\]{}]', re.DOTALL)


def single_values(raw: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """One value per parameter: a repeated parameter is an error (but those of REPEATABLE,
    joined), an empty one is absent, and an absurdly long one is refused before anything
    reads it."""
    values: dict[str, str] = {}
    for name, given in raw.items():
        present = [value for value in given if value != ""]
        if present and name in REPEATABLE:
            present = [joined(name, present)]
        if len(present) > 1:
            raise InvalidRequest(f"parameter {name[:64]} is repeated")
        if present:
            if len(present[0]) > MAX_LENGTHS.get(name, MAX_LENGTH) or len(name) > 256:
                raise InvalidRequest(f"parameter {name[:64]} is too long")
            values[name] = present[0]
    return values


def joined(name: str, present: Sequence[str]) -> str:
    """A REPEATABLE parameter's values as one string; InvalidRequest for too many or one with whitespace."""
    if len(present) > MAX_REPEATS:
        raise InvalidRequest(f"parameter {name} is repeated more than {MAX_REPEATS} times")
    if any(len(value.split()) != 1 or value.strip() != value for value in present):
        raise InvalidRequest(f"a {name} parameter holds whitespace")
    return " ".join(present)


def json_object(body: bytes) -> dict[str, Any]:
    """A request body's JSON object (RFC 8259), or ValueError saying what is wrong. The body
    is UTF-8 (§8.1; no byte-order mark), at most 64 KiB, nested at most 32 deep (measured
    before parsing: Python's parser recurses, and raises RecursionError on deep input), its
    numbers finite and its strings Unicode (an escaped lone surrogate can be neither stored
    nor hashed)."""
    if len(body) > MAX_JSON_BYTES:
        raise ValueError(f"the request body is larger than {MAX_JSON_BYTES // 1024} KiB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the request body is not UTF-8") from None
    if _deeper_than(text, MAX_JSON_DEPTH):
        raise ValueError(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # lone surrogates fail here
    except ValueError:
        raise ValueError("the request body is not JSON") from None
    if not isinstance(value, dict):
        raise ValueError("the request body must be a JSON object")
    return value


def _deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit``, brackets in strings aside."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number out of range")
    return value
