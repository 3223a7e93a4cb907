"""Abuse suite: session material where an attacker looks for it.

A full sign-in over HTTP (login, consent, token, UserInfo, refresh, logout), then every URL
the browser saw, every Location header, the provider's whole log and a scan of the table are
searched for the session's credential and the other credentials of the flow. What the table
and a consent ticket do hold cannot be turned back into a working session cookie.
"""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import parse_qs, quote, urlsplit

import boto3
import requests

from tests.integration.conftest import PASSWORD, REDIRECT_URI, authorization_url, redeem, server_log
from tests.support.user_agent import UserAgent


def table_dump() -> str:
    dynamodb = boto3.client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"])
    return json.dumps([item for page in pages for item in page["Items"]])


def encodings(secret: str) -> set[str]:
    """The forms a leaked value would take: as is, URL-quoted, base64 of it."""
    return {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode().rstrip("=")}


def test_no_credential_in_urls_logs_or_the_table(provider, issuer, confidential_client, user):
    client, secret = confidential_client
    agent, seen = UserAgent(provider), []
    agent.session.hooks["response"].append(
        lambda response, *a, **k: seen.extend([response.url, response.headers.get("Location", "")])
    )
    callback = agent.sign_in(authorization_url(issuer, client.client_id), "alice", PASSWORD)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    tokens = redeem(issuer, confidential_client, code).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{issuer}/userinfo", headers=bearer, timeout=30).status_code == 200
    refreshed = requests.post(
        f"{issuer}/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client.client_id, secret),
        timeout=30,
    ).json()
    cookie = agent.session.cookies["op_session"]
    credential = cookie.split(".")[0]

    urls = "\n".join(seen)
    log = server_log().read_text()
    table = table_dump()
    assert "ticket=" in urls and code in urls  # the flow's URLs were seen (the code travels by design)
    for value in encodings(credential) | encodings(cookie):
        assert value not in urls, "session credential in a URL"
        assert value not in log, "session credential in a log line"
        assert value not in table, "session credential in the table"
    credentials = [secret, PASSWORD, code, tokens["access_token"], tokens["refresh_token"], refreshed["refresh_token"]]
    for value in credentials:
        assert value not in log and value not in table
    for refresh_token in (tokens["refresh_token"], refreshed["refresh_token"]):
        assert refresh_token.split(".", 1)[1] not in table  # the secret part: only its digest is kept


def test_a_cookie_rebuilt_from_the_table_or_a_ticket_gets_no_token(provider, issuer, confidential_client, user):
    client, _ = confidential_client
    agent, seen = UserAgent(provider), []
    agent.session.hooks["response"].append(lambda response, *a, **k: seen.append(response.headers.get("Location", "")))
    agent.sign_in(authorization_url(issuer, client.client_id), "alice", PASSWORD)
    sub_part = agent.session.cookies["op_session"].split(".")[1]
    tenant_id = issuer.rsplit("/", 1)[1]
    stored = [
        item["sk"]["S"].removeprefix("session#")
        for item in json.loads(table_dump())
        if item["pk"]["S"] == tenant_id and item["sk"]["S"].startswith("session#")
    ]
    ticket = next(parse_qs(urlsplit(url).query)["ticket"][0] for url in seen if "/consent?" in url)
    ticket_values = [
        value
        for value in json.loads(base64.urlsafe_b64decode(ticket.split(".")[0] + "==")).values()
        if isinstance(value, str)
    ]
    assert stored
    for guess in [*stored, *ticket_values]:
        thief = UserAgent(provider)
        thief.session.cookies.set("op_session", f"{guess}.{sub_part}")
        silent = thief.visit(authorization_url(issuer, client.client_id, prompt="none"))
        assert silent.status_code == 302 and silent.headers["Location"].startswith(REDIRECT_URI)
        assert parse_qs(urlsplit(silent.headers["Location"]).query)["error"] == ["login_required"]
