"""The resource owner password credentials grant (RFC 6749 §4.3), off unless the tenant
enables it (the seed's OIDC_GRANT_TYPE_PASSWORD_ENABLE). The same brute-force protection as
the login page guards it (RFC 6749 §4.3.2), counted per account and per client (the
request's address is the client's server, shared by all its users): a client has no browser
to be recognized by, so its attempts always count as a stranger's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import events
from chalicelib.accounts import authenticate as accounts
from chalicelib.context import Context
from chalicelib.oidc.acr import PASSWORD_AMR
from chalicelib.oidc.claims import id_token_claims
from chalicelib.oidc.errors import InvalidGrant
from chalicelib.oidc.grants import GrantType
from chalicelib.oidc.grants.refresh_token import new_refresh_token
from chalicelib.oidc.resources import requested_resources
from chalicelib.oidc.scopes import grantable, parse_scope, tenant_scopes
from chalicelib.oidc.tokens import Grant, token_response
from chalicelib.opaque import new_id
from chalicelib.store.clients import Client
from chalicelib.store.users import get_user


def exchange(ctx: Context, client: Client, params: Mapping[str, str], jkt: str | None = None) -> dict[str, Any]:
    scopes = grantable(parse_scope(params.get("scope")), client.scopes, tenant_scopes(ctx.settings))
    resources = requested_resources(ctx, params.get("resource"))  # RFC 8707: before any attempt counts
    # A verified client's server relays all its users' attempts: counted per client. One that
    # registered itself is anyone's, and a new one a minute must not mean a new budget: its
    # requests count against their source address, as the login page's do.
    relay = client.client_id if client.verified else None
    attempt = accounts.attempt(ctx.tenant.id, params["username"], ctx.source, client_id=relay)
    account = accounts.authenticate(attempt, params["password"], ctx.settings, ctx.now)
    if isinstance(account, accounts.Limited):
        events.emit("login_limited", ctx.tenant.id, client_id=client.client_id, grant_type="password")
        raise InvalidGrant("too many attempts: try again later")
    user = get_user(ctx.tenant.id, account.sub) if account is not None else None
    if user is None or not user.accepts(account.epoch):
        events.emit("login_failed", ctx.tenant.id, client_id=client.client_id, grant_type="password")
        raise InvalidGrant("wrong username or password")
    from chalicelib.oidc.second_factor import second_factor_expected  # this rare grant's own need

    if second_factor_expected(ctx, user.sub):
        # The grant has no step to ask for a second factor: a password alone must not do
        # here what it cannot do at the login page.
        events.emit("login_failed", ctx.tenant.id, client_id=client.client_id, grant_type="password", reason="mfa")
        raise InvalidGrant("this account signs in with a second factor: use the authorization code flow")
    events.emit("user_logged_in", ctx.tenant.id, client_id=client.client_id, sub=user.sub, grant_type="password")
    grant = Grant(
        client=client,
        sub=user.sub,
        scopes=scopes,
        auth_time=ctx.now,
        gid=new_id(),
        epoch=user.epoch,
        amr=PASSWORD_AMR,
        resources=resources,
        jkt=jkt,
    )
    refresh = new_refresh_token(ctx, grant, None)  # no browser session stands behind it
    body = token_response(ctx, grant, refresh.token if refresh else None, id_token_claims(ctx, grant))
    if refresh is not None:
        refresh.save(ctx)
    return body


GRANT = GrantType(
    "password", ("username", "password"), exchange, enabled=lambda ctx: ctx.settings.grant_type_password_enable
)
