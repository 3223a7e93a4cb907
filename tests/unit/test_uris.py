"""Strict URI syntax (chalicelib/uris.py) and the CSP built from it (issue 7, item 5): the
grammar's tables, and a policy that leaves out every source that is not a strict origin.
Pure functions: no AWS emulation."""

from __future__ import annotations

import pytest

from chalicelib import uris
from chalicelib.oidc.errors import InvalidRedirectUri
from chalicelib.oidc.results import Redirect
from chalicelib.web.responses import PageState, security_headers, to_response
from tests.support.hostile import INJECTION


@pytest.fixture(autouse=True)
def aws():
    """Overrides the suite's emulated AWS: nothing here touches it."""
    yield None


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://rp.example.com/cb", "https://rp.example.com"),
        ("https://RP.Example.com:443/cb?a=1&b=%2F#top", "https://rp.example.com"),
        ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"),
        ("http://[::1]/cb", "http://[::1]"),
        ("http://[0:0::1]:8080", "http://[::1]:8080"),
        ("https://192.0.2.1/cb", "https://192.0.2.1"),
        ("https://xn--bcher-kva.example/cb", "https://xn--bcher-kva.example"),  # bücher, as an A-label
        ("com.example.app:/oauth2redirect", "com.example.app:"),
        ("https://rp.example.com/a(b)*!$+=:@~_.-", "https://rp.example.com"),
    ],
)
def test_valid_uris_and_their_origins(uri, origin):
    parsed = uris.parse(uri)
    assert parsed.text == uri and parsed.origin == origin and uris.csp_source(origin) == origin


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        (INJECTION, "';'"),
        ("https://rp.example.com frame-ancestors/cb", "whitespace"),
        ("https://rp.example.com/cb\r\nSet-Cookie: x=y", "whitespace"),
        ("https://rp.example.com/\tcb", "whitespace"),
        ("https://rp.example.com/cb\x00", "control characters"),
        ("https://rp.example.com/a,b", "','"),
        ("https://rp.example.com/'onload", "single quotes"),
        ('https://rp.example.com/"x', "double quotes"),
        ("https:\\\\evil.example\\cb", "backslashes"),
        ("https://rp.example.com/<script>", "'<'"),
        ("https://bücher.example/cb", "xn--bcher-kva.example"),
        ("https://rp.example.com/%zz", "path"),
        ("https://rp.example.com/%0d%0aSet-Cookie", "control characters"),
        ("https://rp.example.com/%00", "control characters"),
        ("https://rp.example.com/?q=%7f", "control characters"),
        ("https://rp.example.com/%", "path"),
        ("https://user@rp.example.com/cb", "user information"),
        ("https://rp.example.com@evil.example/cb", "user information"),
        ("https://rp.example.com:0/cb", "port"),
        ("https://rp.example.com:99999/cb", "port"),
        ("https://rp.example.com:/cb", "port"),
        ("https://rp.example.com:8a/cb", "port"),
        ("https:///cb", "needs a host"),
        ("https://-rp.example.com/cb", "DNS name"),
        ("https://rp..example.com/cb", "DNS name"),
        ("https://rp.example.com./cb", "DNS name"),
        ("https://under_score.example/cb", "DNS name"),
        ("https://" + "a" * 64 + ".example/cb", "DNS name"),
        ("https://0x7f.1/cb", "dotted-quad"),
        ("https://2130706433/cb", "dotted-quad"),
        ("https://127.1/cb", "dotted-quad"),
        ("https://010.0.0.1/cb", "dotted-quad"),
        ("https://[v1.x]/cb", "IPv6"),
        ("https://[::1/cb", "IPv6"),
        ("https://[fe80::1%25eth0]/cb", "IPv6"),
        ("https://[::1]x/cb", "IPv6"),
        ("https://rp.example.com/[x]", "path"),
        ("https://rp.example.com/?a=[1]", "query"),
        ("//rp.example.com/cb", "scheme"),
        ("/cb", "scheme"),
        ("1https://rp.example.com", "scheme"),
        ("https://rp.example.com/" + "a" * 2048, "2048"),
        ("", "2048"),
        (5, "string"),
        (None, "string"),
        (["https://rp.example.com/cb"], "string"),
    ],
)
def test_invalid_uris_are_refused_with_the_reason(uri, reason):
    with pytest.raises(ValueError) as refused:
        uris.parse(uri)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "https:",  # a scheme source alone would allow every https site
        "http:",
        "javascript:",
        "data:",
        "https://RP.example.com",  # origin() lower-cases: anything else did not come from it
        "https://rp.example.com; frame-ancestors *",
        "https://rp.example.com frame-ancestors",
        "https://rp.example.com,https://evil.example",
        "https://rp.example.com/cb",
        "'self'",
        "'unsafe-inline'",
        "*",
        "https://*.example.com",
        "https://rp.example.com:123456",
    ],
)
def test_only_strict_origins_are_csp_sources(origin):
    assert uris.csp_source(origin) is None


def test_the_policy_leaves_out_every_source_that_is_not_a_strict_origin():
    hostile = ("https://a.example; frame-ancestors *", "https://b.example frame-ancestors *", None)
    headers = security_headers("n0nce", "https://x; frame-ancestors *", True, (*hostile, "https://rp.example.com"))
    policy = headers["Content-Security-Policy"]
    directives = [directive.split()[0] for directive in policy.split("; ")]
    assert len(directives) == len(set(directives))  # nothing was added to the policy
    assert "frame-ancestors 'none'" in policy and "*" not in policy
    assert "form-action 'self';" in policy and "frame-src https://rp.example.com" in policy


def test_a_location_that_would_split_the_headers_is_never_sent():
    with pytest.raises(InvalidRedirectUri):
        to_response(Redirect("https://rp.example.com/cb\r\nSet-Cookie: op_session=x"), PageState(None))
