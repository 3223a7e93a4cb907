"""The OAuth 2.0 / OpenID Connect error family.

Each error carries its spec code, HTTP status and extra headers, and whether it may be sent
to the client's redirect_uri. Errors found before the client and its redirect_uri are
trusted are never redirected (RFC 6749 §4.1.2.1): the OP shows them on its own error page.
"""

from __future__ import annotations

import re

from chalicelib.i18n import N_

# RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
_NOT_ALLOWED = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


class OAuthError(Exception):
    error = "invalid_request"
    status = 400
    redirectable = True

    def __init__(self, description: str = "") -> None:
        super().__init__(description)
        self.description = _NOT_ALLOWED.sub("?", description)
        # Headers that go with this answer whatever the error (a fresh DPoP-Nonce, RFC 9449 §8).
        self.extra_headers: dict[str, str] = {}

    def headers(self, realm: str) -> dict[str, str]:
        return {}

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """Failed client authentication (RFC 6749 §5.2): 401 with a challenge, always."""

    error = "invalid_client"
    status = 401
    redirectable = False

    def headers(self, realm: str) -> dict[str, str]:
        return {"WWW-Authenticate": f'Basic realm="{realm}"'}


class UnknownClient(OAuthError):
    """client_id missing or unknown at the authorization endpoint: shown, never redirected."""

    error = "invalid_client"
    redirectable = False


class InvalidRedirectUri(OAuthError):
    error = "invalid_request"
    redirectable = False


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidTarget(OAuthError):
    """RFC 8707 §2: a resource that is malformed, unknown, or not part of the grant."""

    error = "invalid_target"


class AccessDenied(OAuthError):
    error = "access_denied"


class LoginRequired(OAuthError):
    error = "login_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


class InvalidRequestUri(OAuthError):
    """A pushed request's request_uri that is unknown, used, expired or another client's
    (RFC 9126 §4): the redirect_uri is in the request it names, so the error is shown at the OP."""

    error = "invalid_request_uri"
    redirectable = False


class InvalidRequestObject(OAuthError):
    """A request object (RFC 9101 §6, OIDC Core §6.1) that cannot be used: malformed, not
    signed as the client must, for another audience, expired, replayed. Redirected only when
    the request's own client_id and redirect_uri are trusted (``chalicelib.oidc.flow.refuse``)."""

    error = "invalid_request_object"


class RequestUriUnusable(OAuthError):
    """A client's https request_uri (RFC 9101 §5.2) that is not registered or could not be
    fetched: as redirectable as ``InvalidRequestObject``."""

    error = "invalid_request_uri"


class FetchLimited(OAuthError):
    """Too many request_uri fetches from one source or in one client's name (429 with
    Retry-After, ``temporarily_unavailable`` as for pushes), shown at the OP."""

    error = "temporarily_unavailable"
    status = 429
    redirectable = False

    def __init__(self, retry_after: int) -> None:
        super().__init__(N_("too many request_uri fetches: try again in a minute"))
        self.retry_after = retry_after

    def headers(self, realm: str) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def shown(error: OAuthError) -> OAuthError:
    """``error``, to be shown on the OP's page: where it could be sent is not trusted."""
    error.redirectable = False
    return error


class RegistrationNotSupported(OAuthError):
    error = "registration_not_supported"


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2: a registration's metadata cannot be accepted."""

    error = "invalid_client_metadata"
    redirectable = False


class InvalidRegistrationRedirectUri(InvalidClientMetadata):
    error = "invalid_redirect_uri"


class RegistrationClosed(OAuthError):
    """The tenant does not let clients register themselves."""

    error = "access_denied"
    status = 403
    redirectable = False


class PushLimited(OAuthError):
    """Too many pushed authorization requests from one source or in one client's name (429
    with Retry-After, ``temporarily_unavailable`` as for registrations)."""

    error = "temporarily_unavailable"
    status = 429
    redirectable = False

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many pushed requests: try again in {retry_after} seconds")
        self.retry_after = retry_after

    def headers(self, realm: str) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RegistrationLimited(OAuthError):
    """Too many registrations from one source address (RFC 6585 §4: 429 with Retry-After).
    RFC 7591 §3.2.2 names no code for it: ``temporarily_unavailable`` (RFC 6749 §4.1.2.1)
    is the one OAuth clients already read as "try again later", and Retry-After says when."""

    error = "temporarily_unavailable"
    status = 429
    redirectable = False

    def __init__(self, retry_after: int) -> None:
        minutes = -(-retry_after // 60)
        super().__init__(f"too many registrations from this address: try again in {minutes} minutes")
        self.retry_after = retry_after

    def headers(self, realm: str) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: a bad bearer token; the challenge carries the error."""

    error = "invalid_token"
    status = 401
    redirectable = False

    def headers(self, realm: str) -> dict[str, str]:
        challenge = f'Bearer realm="{realm}", error="{self.error}"'
        if self.description:
            challenge += f', error_description="{self.description}"'
        return {"WWW-Authenticate": challenge}


class InsufficientScope(InvalidToken):
    """RFC 6750 §3.1: the token is fine but lacks the scope this resource needs."""

    error = "insufficient_scope"
    status = 403


class MissingToken(OAuthError):
    """RFC 6750 §3.1: no credentials at all: a bare challenge without an error code."""

    error = "invalid_token"
    status = 401
    redirectable = False

    def headers(self, realm: str) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer realm="{realm}"'}


class InvalidPage(OAuthError):
    """A login or consent form that cannot be honoured (expired, tampered, wrong browser)."""

    error = "invalid_request"
    redirectable = False


class NotFound(OAuthError):
    error = "not_found"
    status = 404
    redirectable = False


class TenantDisabled(OAuthError):
    """The operator has disabled the tenant: every endpoint under it refuses, with this
    error. 403 and not 503: the request was understood and is refused, and retrying will not
    help until an operator enables the tenant again (503 would invite retries; 404 or 410
    would tell RPs the issuer is gone for good, when it may come back)."""

    error = "tenant_disabled"
    status = 403
    redirectable = False


class Conflict(OAuthError):
    """The item kept changing while the request was applied to it; nothing was written, and
    the request may be sent again."""

    error = "conflict"
    status = 409
    redirectable = False


class PreconditionFailed(OAuthError):
    """RFC 9110 §13.1.1: the item is not at the version the request's If-Match names."""

    error = "precondition_failed"
    status = 412
    redirectable = False


class UnsupportedMediaType(OAuthError):
    """RFC 9110 §15.5.16: the body is not in the media type the resource takes (the admin
    API's JSON)."""

    error = "invalid_request"
    status = 415
    redirectable = False


class ServerError(OAuthError):
    """A tenant misconfiguration (say, no key for a client's algorithm): the operator's
    problem, not the client's."""

    error = "server_error"
    status = 500
    redirectable = False


class TemporarilyUnavailable(OAuthError):
    """DynamoDB, KMS or Secrets Manager throttled or failed: retry later (RFC 6749 §4.1.2.1)."""

    error = "temporarily_unavailable"
    status = 503
    redirectable = False

    def headers(self, realm: str) -> dict[str, str]:
        return {"Retry-After": "1"}


# DPoP (RFC 9449; chalicelib/oidc/dpop.py, dpop_binding.py).


class InvalidDpopProof(OAuthError):
    """RFC 9449 §5 at the token endpoint: a 400 like any token error."""

    error = "invalid_dpop_proof"
    redirectable = False


class UseDpopNonce(OAuthError):
    """RFC 9449 §8: the proof needs the server nonce sent along in DPoP-Nonce."""

    error = "use_dpop_nonce"
    redirectable = False

    def __init__(self, description: str, nonce: str) -> None:
        super().__init__(description)
        self.extra_headers["DPoP-Nonce"] = nonce


class DpopChallenge(OAuthError):
    """RFC 9449 §7.1 at a resource: 401 with a DPoP challenge naming the error (invalid_token,
    invalid_dpop_proof, use_dpop_nonce) and the algorithms proofs may use."""

    status = 401
    redirectable = False

    def __init__(self, error: str, description: str, algs: str, nonce: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.algs = algs
        if nonce is not None:
            self.extra_headers["DPoP-Nonce"] = nonce

    def headers(self, realm: str) -> dict[str, str]:
        challenge = f'DPoP realm="{realm}", error="{self.error}", algs="{self.algs}"'
        if self.description:
            challenge += f', error_description="{self.description}"'
        return {"WWW-Authenticate": challenge}


# Device authorization grant (RFC 8628 §3.5): a poll's answers while the person decides.
class AuthorizationPending(OAuthError):
    error = "authorization_pending"
    redirectable = False


class SlowDown(OAuthError):
    error = "slow_down"
    redirectable = False


class ExpiredToken(OAuthError):
    error = "expired_token"
    redirectable = False


class DeviceRequestsLimited(PushLimited):
    """Too many device authorization requests from one source or in one client's name."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.description = f"too many device authorization requests: try again in {retry_after} seconds"
