"""Over a socket to the dev server (issue 7, item 12): whatever Host and X-Forwarded-*
headers a client sends, the issuer, the endpoints and the redirects name the configured
base, and a plain-http deployment sends no HSTS."""

from __future__ import annotations

import pytest
import requests

from tests.integration.conftest import authorization_url

HOSTILE = [
    {"Host": "evil.example"},
    {"Host": "evil.example:443", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"},
    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "8443", "Forwarded": "host=evil.example;proto=https"},
    {"Host": "a b"},
]


@pytest.mark.parametrize("headers", HOSTILE)
def test_hostile_host_headers_change_nothing(provider, issuer, confidential_client, headers):
    metadata = f"{issuer}/.well-known/openid-configuration"
    expected = requests.get(metadata, timeout=30).json()
    assert expected["issuer"] == issuer and expected["token_endpoint"] == f"{issuer}/token"
    response = requests.get(metadata, headers=headers, timeout=30)
    assert response.status_code == 200 and response.json() == expected
    assert "Strict-Transport-Security" not in response.headers

    url = authorization_url(issuer, confidential_client[0].client_id)
    redirect = requests.get(url, headers=headers, allow_redirects=False, timeout=30)
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith(f"{issuer}/login?ticket=")
