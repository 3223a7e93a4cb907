"""The per-request context: the resolved tenant, its issuer, and the time.

Built once per request by the web layer and passed to every endpoint function; settings are
read through it, which is how per-tenant settings work without globals.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.store.clients import Client
from chalicelib.tenancy.resolve import TenantConfig, cached_client
from chalicelib.tenancy.settings import TenantSettings

PATHS = {
    "authorization_endpoint": "/authorize",
    "token_endpoint": "/token",
    "userinfo_endpoint": "/userinfo",
    "jwks_uri": "/jwks.json",
    "introspection_endpoint": "/introspect",
    "revocation_endpoint": "/revoke",
    "end_session_endpoint": "/end-session",
    "check_session_iframe": "/check-session",
    "registration_endpoint": "/register",
    "pushed_authorization_request_endpoint": "/par",  # RFC 9126
    "device_authorization_endpoint": "/device_authorization",  # RFC 8628
    "device_verification": "/device",
    "login": "/login",
    "consent": "/consent",
    "mfa": "/mfa",
    "end_session_confirm": "/end-session/confirm",
    "passkeys": "/passkeys",  # the user's own passkeys (chalicelib/oidc/endpoints/passkey_page.py)
    # The pages reached by mail (chalicelib/oidc/endpoints/recovery.py, verification.py, signup.py).
    "forgot_password": "/password/forgot",
    "reset_password": "/password/reset",
    "email": "/email",
    "verify_email": "/email/verify",
    "signup": "/signup",
    "signup_confirm": "/signup/confirm",
}


@dataclass(frozen=True)
class Context:
    tenant: TenantConfig
    issuer: str
    now: int
    # The address the request came from (API Gateway's requestContext.identity.sourceIp):
    # what the abuse limits count per source.
    source: str = ""

    @property
    def settings(self) -> TenantSettings:
        return self.tenant.settings

    def url(self, name: str) -> str:
        return self.issuer + PATHS[name]

    def client(self, client_id: str) -> Client | None:
        return cached_client(self.tenant.id, client_id)
