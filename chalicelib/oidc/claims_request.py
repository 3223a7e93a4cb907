"""The claims request parameter (OIDC Core §5.5): which claims go in the ID token and UserInfo.

Consent stays per scope: the consent page shows the scopes, and a claim is released only when
a granted scope releases it (OIDC Core §5.4). The claims parameter chooses where released
claims go (an ID token may carry ``email`` although the tenant keeps claims in UserInfo) and
asks for authentication strength (``acr``, §5.5.1.1) and for a particular user (``sub``
with a ``value``, §3.1.2.2 via §5.5.1); it never widens what the user agreed to. A claim the
user has not consented to, or does not have, is left out, essential or not (§5.5.1: not an
error).

What an authorization remembers of it (in the code and the refresh grant, so the token
endpoint and later refreshes honour it) is small: the claim names asked for the ID token
that the tenant can release at all, and the acr values asked as essential.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.context import Context
from chalicelib.oidc import acr
from chalicelib.oidc.errors import AccessDenied, InvalidRequest
from chalicelib.oidc.params import json_object

MEMBERS = ("id_token", "userinfo")
MAX_CLAIMS = 64  # per member: more than every standard claim twice over
MAX_NAME = 256
MAX_VALUES = 16


@dataclass(frozen=True)
class ClaimsRequest:
    id_token: tuple[str, ...] = ()  # names asked for the ID token, among those the tenant knows
    userinfo: tuple[str, ...] = ()  # names asked of UserInfo (it releases every granted claim)
    acr_values: tuple[str, ...] = ()  # acr asked as essential with value(s), in order
    sub: str | None = None  # a particular user asked for (``sub`` with a value, ID token)

    def dumps(self) -> str:
        """The compact form codes and refresh grants keep ("" for no request)."""
        if not (self.id_token or self.acr_values):
            return ""
        return json.dumps({"i": list(self.id_token), "a": list(self.acr_values)}, separators=(",", ":"))


NONE = ClaimsRequest()


def loads(stored: str | None) -> ClaimsRequest:
    """What ``dumps`` kept; anything else (another version's form) is no request."""
    try:
        value = json.loads(stored) if stored else {}
        return ClaimsRequest(id_token=_strings(value.get("i")), acr_values=_strings(value.get("a")))
    except (ValueError, AttributeError, TypeError):
        return NONE


def checked_claims(ctx: Context, value: str | None) -> ClaimsRequest:
    """The authorization request's claims parameter: malformed is invalid_request; an
    essential acr none of whose values this tenant can reach is a failed authentication
    (§5.5.1.1), answered at once rather than after asking the user for anything."""
    from chalicelib.oidc.claims import supported_claims
    from chalicelib.oidc.scopes import tenant_scopes

    try:
        request = parse_claims(value, supported_claims(tenant_scopes(ctx.settings)))
    except ValueError as error:
        raise InvalidRequest(str(error)) from None
    reachable = acr.SUPPORTED if ctx.settings.mfa_policy != "off" else (acr.SINGLE_FACTOR,)
    if request.acr_values and not set(request.acr_values) & set(reachable):
        raise AccessDenied("none of the essential acr values can be met")
    return request


def parse_claims(value: str | None, known: Iterable[str]) -> ClaimsRequest:
    """The ``claims`` parameter, or ValueError saying what is malformed. Members other than
    id_token and userinfo are ignored (§5.5: not understood), so are claims no scope of the
    tenant releases; types and sizes are checked for every member that is read."""
    if value is None:
        return NONE
    try:
        document = json_object(value.encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as error:
        raise ValueError(f"claims: {str(error).replace('the request body', 'the value')}") from None
    names = set(known)
    requests = {member: _member(document.get(member), member) for member in MEMBERS}
    acr_spec = requests["id_token"].get("acr")
    subject = requests["id_token"].get("sub")
    return ClaimsRequest(
        id_token=tuple(name for name in requests["id_token"] if name in names),
        userinfo=tuple(name for name in requests["userinfo"] if name in names),
        acr_values=_wanted(acr_spec) if acr_spec is not None and acr_spec.get("essential") is True else (),
        sub=subject["value"] if subject is not None and isinstance(subject.get("value"), str) else None,
    )


def _member(value: Any, member: str) -> dict[str, Mapping[str, Any]]:
    """One member's claim requests: null (default release) or an object of essential,
    value and values (§5.5.1)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_CLAIMS:
        raise ValueError(f"claims: {member} must be an object of at most {MAX_CLAIMS} claims")
    requests: dict[str, Mapping[str, Any]] = {}
    for name, spec in value.items():
        if len(name) > MAX_NAME:
            raise ValueError(f"claims: a claim name in {member} is too long")
        requests[name] = _check_spec(spec, f"{member}.{name}")
    return requests


def _check_spec(spec: Any, where: str) -> Mapping[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise ValueError(f"claims: {where} must be null or an object")
    if "essential" in spec and not isinstance(spec["essential"], bool):
        raise ValueError(f"claims: {where}.essential must be true or false")
    if "values" in spec and (not isinstance(spec["values"], list) or len(spec["values"]) > MAX_VALUES):
        raise ValueError(f"claims: {where}.values must be an array of at most {MAX_VALUES} values")
    if "value" in spec and "values" in spec:
        raise ValueError(f"claims: {where} has both value and values")
    return spec


def _wanted(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The values a claim request names (``value`` or ``values``), those that are strings."""
    given = spec["values"] if "values" in spec else [spec["value"]] if "value" in spec else []
    return tuple(one for one in given if isinstance(one, str) and len(one) <= MAX_NAME)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(one, str) for one in value):
        raise ValueError("not a list of strings")
    return tuple(value)
