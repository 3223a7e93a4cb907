"""A deployment hooks module (HOOKS_MODULE), as an operator would write one; the tests run
the provider with it to see each hook take effect."""

from __future__ import annotations

from typing import Any

calls: list[tuple[str, Any]] = []


def after_login(tenant_id: str, sub: str, client_id: str) -> str | None:
    calls.append(("after_login", sub))
    return None


def after_end_session(tenant_id: str, sub: str, client_id: str | None, uri: str | None, state: str | None) -> None:
    calls.append(("after_end_session", sub))


def process_id_token(tenant_id: str, claims: dict[str, Any], client_id: str) -> dict[str, Any]:
    return {**claims, "tenant_tier": "gold"}


def generate_sub(tenant_id: str, username: str) -> str:
    return f"{tenant_id}-user-{username.lower()}"


def process_introspection(tenant_id: str, response: dict[str, Any], client_id: str) -> dict[str, Any]:
    return {**response, "introspected_by": client_id}


def userinfo(tenant_id: str, claims: dict[str, Any], user_claims: dict[str, Any]) -> dict[str, Any]:
    return {**claims, "display": user_claims.get("name", "").upper()}
