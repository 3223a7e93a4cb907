"""DPoP proofs (RFC 9449 §4.3), checked by ``chalicelib.oidc.dpop.verify_proof`` alone: what
a resource server or the token endpoint hands it, and what it returns or refuses. Every
refusal is ProofRefused with the spec's code, and the replay check is never reached (nothing
is written for a refused proof)."""

from __future__ import annotations

import json

import jwt
import pytest

from chalicelib.oidc import dpop
from tests.support.dpop import b64, jwk, proof, thumbprint

URL = "http://op.example.test/acme/token"
NOW = 1_800_000_000
TOKEN = "eyJhbGciOiJFUzI1NiJ9.access.token"


class Replays:
    """The replay store's part: first use of (jkt, jti) succeeds, a second fails."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, jkt: str, jti: str, until: int) -> bool:
        if (jkt, jti) in self.seen:
            return False
        self.seen[(jkt, jti)] = until
        return True


def verify(value: str, replays: Replays | None = None, **options):
    method, url = options.pop("method", "POST"), options.pop("url", URL)
    arguments = {"access_token": None, "now": NOW, "first_use": replays or Replays(), **options}
    return dpop.verify_proof(value, method, url, **arguments)


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "EdDSA", "Ed25519"])
def test_a_proof_of_each_algorithm_gives_its_keys_rfc7638_thumbprint_and_records_its_jti(alg):
    replays = Replays()
    found = verify(proof("POST", URL, alg=alg, now=NOW, jti="one"), replays)
    assert found == dpop.Proof(jkt=thumbprint(alg), jti="one", iat=NOW)
    assert replays.seen == {(thumbprint(alg), "one"): NOW + dpop.IAT_WINDOW + 1}


def test_the_thumbprint_is_rfc7638s_example():
    """RFC 7638 §3.1's RSA key and its thumbprint."""
    key = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjB"
            "ZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8"
            "KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_"
            "xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert dpop.thumbprint(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize(
    "htu",
    [
        "http://op.example.test/acme/token",
        "HTTP://OP.Example.Test/acme/token",  # scheme and host compare case-insensitively
        "http://op.example.test:80/acme/token",  # the default port is the same URL
        "http://op.example.test/acme/token?x=1#frag",  # query and fragment are left out
    ],
)
def test_htu_is_compared_after_normalisation(htu):
    assert verify(proof("POST", htu, now=NOW)).jkt == thumbprint("ES256")


def test_at_a_resource_ath_binds_the_proof_to_the_access_token_and_bound_to_to_the_tokens_key():
    value = proof("GET", URL, now=NOW, access_token=TOKEN)
    found = verify(value, method="GET", access_token=TOKEN, bound_to=thumbprint("ES256"))
    assert found.jkt == thumbprint("ES256")


def _unsigned(header: dict, claims: dict, signature: str = "") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{signature}"


CLAIMS = {"htm": "POST", "htu": URL, "iat": NOW, "jti": "x"}
REFUSED = [
    # (what, proof, options, error)
    ("wrong htm", lambda: proof("GET", URL, now=NOW), {}, "invalid_dpop_proof"),
    ("wrong htu", lambda: proof("POST", "http://op.example.test/other/token", now=NOW), {}, "invalid_dpop_proof"),
    ("htu on https", lambda: proof("POST", URL.replace("http:", "https:"), now=NOW), {}, "invalid_dpop_proof"),
    (
        "htu on another port",
        lambda: proof("POST", URL.replace("test/", "test:8080/"), now=NOW),
        {},
        "invalid_dpop_proof",
    ),
    ("htu not a URL", lambda: proof("POST", "http://[::1/acme", now=NOW), {}, "invalid_dpop_proof"),
    ("htu missing", lambda: proof("POST", URL, now=NOW, htu=None), {}, "invalid_dpop_proof"),
    ("stale iat", lambda: proof("POST", URL, now=NOW - dpop.IAT_WINDOW - 1), {}, "invalid_dpop_proof"),
    ("iat in the future", lambda: proof("POST", URL, now=NOW + dpop.IAT_WINDOW + 1), {}, "invalid_dpop_proof"),
    ("iat a string", lambda: proof("POST", URL, iat=str(NOW)), {}, "invalid_dpop_proof"),
    ("iat true", lambda: proof("POST", URL, iat=True), {}, "invalid_dpop_proof"),
    ("iat missing", lambda: proof("POST", URL, iat=None), {}, "invalid_dpop_proof"),
    ("iat past a float's range", lambda: proof("POST", URL, iat=10**400), {}, "invalid_dpop_proof"),
    ("jti missing", lambda: proof("POST", URL, now=NOW, jti=None), {}, "invalid_dpop_proof"),
    ("jti too long", lambda: proof("POST", URL, now=NOW, jti="j" * 257), {}, "invalid_dpop_proof"),
    ("jti a number", lambda: proof("POST", URL, now=NOW, jti=7), {}, "invalid_dpop_proof"),
    ("ath missing", lambda: proof("POST", URL, now=NOW), {"access_token": TOKEN}, "invalid_dpop_proof"),
    (
        "ath of another token",
        lambda: proof("POST", URL, now=NOW, access_token="other"),
        {"access_token": TOKEN},
        "invalid_dpop_proof",
    ),
    (
        "another key than the token's",
        lambda: proof("POST", URL, now=NOW),
        {"bound_to": thumbprint("RS256")},
        "invalid_dpop_proof",
    ),
    (
        "alg none",
        lambda: _unsigned({"typ": "dpop+jwt", "alg": "none", "jwk": jwk("ES256")}, CLAIMS),
        {},
        "invalid_dpop_proof",
    ),
    (
        "alg HS256",
        lambda: jwt.encode(CLAIMS, "k" * 32, "HS256", headers={"typ": "dpop+jwt", "jwk": jwk("ES256")}),
        {},
        "invalid_dpop_proof",
    ),
    (
        "alg RS384",
        lambda: jwt.encode(CLAIMS, _rsa(), "RS384", headers={"typ": "dpop+jwt", "jwk": jwk("RS256")}),
        {},
        "invalid_dpop_proof",
    ),
    ("typ JWT", lambda: proof("POST", URL, now=NOW, header={"typ": "JWT"}), {}, "invalid_dpop_proof"),
    ("typ missing", lambda: proof("POST", URL, now=NOW, header={"typ": None}), {}, "invalid_dpop_proof"),
    ("jwk missing", lambda: proof("POST", URL, now=NOW, header={"jwk": None}), {}, "invalid_dpop_proof"),
    ("jwk a string", lambda: proof("POST", URL, now=NOW, header={"jwk": "key"}), {}, "invalid_dpop_proof"),
    (
        "private key in jwk",
        lambda: proof("POST", URL, now=NOW, header={"jwk": _private("ES256")}),
        {},
        "invalid_dpop_proof",
    ),
    (
        "jwk of another kind than alg",
        lambda: proof("POST", URL, now=NOW, header={"jwk": jwk("RS256")}),
        {},
        "invalid_dpop_proof",
    ),
    (
        "jwk not the signer",
        lambda: proof("POST", URL, now=NOW, alg="RS256", header={"jwk": _other_rsa()}),
        {},
        "invalid_dpop_proof",
    ),
    (
        "jwk with an x of the wrong type",
        lambda: proof("POST", URL, now=NOW, header={"jwk": {**jwk("ES256"), "x": 5}}),
        {},
        "invalid_dpop_proof",
    ),
    (
        "jwk with garbage x",
        lambda: proof("POST", URL, now=NOW, header={"jwk": {**jwk("ES256"), "x": "!!"}}),
        {},
        "invalid_dpop_proof",
    ),
    ("RSA key of 1024 bits", lambda: proof("POST", URL, now=NOW, alg="RS256", bits=1024), {}, "invalid_dpop_proof"),
    ("crit header", lambda: proof("POST", URL, now=NOW, header={"crit": ["exp"]}), {}, "invalid_dpop_proof"),
    ("signature altered", lambda: proof("POST", URL, now=NOW)[:-4] + "AAAA", {}, "invalid_dpop_proof"),
    ("oversized proof", lambda: proof("POST", URL, now=NOW, pad="p" * dpop.MAX_PROOF), {}, "invalid_dpop_proof"),
    ("garbage base64", lambda: "e30!.e30.sig", {}, "invalid_dpop_proof"),
    ("base64 of no JSON", lambda: f"{b64(b'nope')}.{b64(b'{}')}.c2ln", {}, "invalid_dpop_proof"),
    ("header a JSON array", lambda: f"{b64(b'[]')}.{b64(b'{}')}.c2ln", {}, "invalid_dpop_proof"),
    ("header not UTF-8", lambda: f"{b64(bytes([255, 254]))}.{b64(b'{}')}.c2ln", {}, "invalid_dpop_proof"),
    ("deeply nested header", lambda: f"{b64(b'[' * 3000)}.{b64(b'{}')}.c2ln", {}, "invalid_dpop_proof"),
    ("impossible base64 length", lambda: "abcde.e30.c2ln", {}, "invalid_dpop_proof"),
    ("two parts", lambda: "e30.e30", {}, "invalid_dpop_proof"),
    (
        "two proofs in one header",
        lambda: proof("POST", URL, now=NOW) + ", " + proof("POST", URL, now=NOW),
        {},
        "invalid_dpop_proof",
    ),
    ("non-ASCII", lambda: "é.e30.c2ln", {}, "invalid_dpop_proof"),
    ("empty", lambda: "", {}, "invalid_dpop_proof"),
    ("nonce required, none sent", lambda: proof("POST", URL, now=NOW), {"nonce": "required"}, "use_dpop_nonce"),
    ("nonce stale", lambda: proof("POST", URL, now=NOW, nonce="old"), {"nonce": "required"}, "use_dpop_nonce"),
    (
        "nonce stale, none required",
        lambda: proof("POST", URL, now=NOW, nonce="old"),
        {"nonce": "optional"},
        "use_dpop_nonce",
    ),
    ("nonce a number", lambda: proof("POST", URL, now=NOW, nonce=5), {"nonce": "required"}, "use_dpop_nonce"),
]


@pytest.mark.parametrize(("what", "make", "options", "error"), REFUSED, ids=[row[0] for row in REFUSED])
def test_a_bad_proof_is_refused_with_the_specs_error_before_its_jti_is_written(what, make, options, error):
    replays = Replays()
    if "nonce" in options:
        required = options.pop("nonce") == "required"
        options["nonce"] = dpop.NoncePolicy(required=required, accepts=lambda value: value == "current")
    with pytest.raises(dpop.ProofRefused) as refused:
        verify(make(), replays, **options)
    assert refused.value.error == error
    assert refused.value.description.isascii()
    assert replays.seen == {}


def test_a_replayed_jti_is_refused_and_only_the_first_use_recorded():
    replays = Replays()
    value = proof("POST", URL, now=NOW, jti="once")
    verify(value, replays)
    with pytest.raises(dpop.ProofRefused) as refused:
        verify(value, replays)
    assert (refused.value.error, str(refused.value)) == ("invalid_dpop_proof", "the DPoP proof was used before (jti)")
    assert list(replays.seen) == [(thumbprint("ES256"), "once")]


def test_a_current_nonce_is_accepted():
    policy = dpop.NoncePolicy(required=True, accepts=lambda value: value == "current")
    assert verify(proof("POST", URL, now=NOW, nonce="current"), nonce=policy).jkt == thumbprint("ES256")


def _private(alg: str) -> dict:
    from tests.support.client_keys import private_jwk

    return private_jwk({"ES256": "EC"}[alg])


def _rsa():
    from tests.support.client_keys import private_key

    return private_key("RSA", 2048)


def _other_rsa() -> dict:
    from tests.support.client_keys import public_jwk

    return {name: value for name, value in public_jwk("RSA", None, 3072).items()}


def test_nonces_are_the_tenants_own_and_live_one_to_two_steps():
    """Stateless nonces (chalicelib.oidc.dpop_nonces): the current step's and the previous
    one's are accepted, an older one or another tenant's is not."""
    from chalicelib.oidc import dpop_nonces

    step = dpop_nonces.STEP
    nonce = dpop_nonces.nonce_for("acme", NOW)
    assert dpop_nonces.nonce_for("acme", NOW + 1) == nonce or NOW % step == step - 1
    assert dpop_nonces.is_current("acme", nonce, NOW + step)
    assert not dpop_nonces.is_current("acme", nonce, NOW + 2 * step)
    assert not dpop_nonces.is_current("other", nonce, NOW)
    assert not dpop_nonces.is_current("acme", "é" * 22, NOW)
