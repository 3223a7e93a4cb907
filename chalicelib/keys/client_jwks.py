"""A client's public keys (RFC 7517 JWK Set), registered as ``jwks`` or served at its
``jwks_uri``, for ``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9).

Read strictly, the same way at registration and at use: public keys only (a JWK with a
private member is refused, not stripped: its owner published a secret), of the kinds and
sizes the assertion algorithms need (RSA of 2048 bits or more for RS256 and PS256, P-256
for ES256, Ed25519 for EdDSA), for signatures, at most ``MAX_KEYS`` of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The algorithms each key type can verify (RFC 7518 §3, RFC 8037 §3.1). An Ed25519 key signs
# as "EdDSA" or, in RFC 9864's fully specified name that openid-client 6 sends, "Ed25519".
ALGS_BY_KEY = {"RSA": ("RS256", "PS256"), "EC": ("ES256",), "OKP": ("EdDSA", "Ed25519")}
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA", "Ed25519")
CURVES = {"EC": "P-256", "OKP": "Ed25519"}
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_KEYS = 16
MAX_KID = 256
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 4096
MAX_RSA_EXPONENT_BITS = 32
# A JWK Set of MAX_KEYS 4096-bit RSA keys fits (about 750 bytes each).
MAX_BYTES = 16384


@dataclass(frozen=True)
class ClientKey:
    kid: str | None
    algs: tuple[str, ...]  # the JWK's own alg, or every one its key type verifies
    key: Any  # a ``cryptography`` public key

    def verifies(self, alg: str, kid: str | None) -> bool:
        """Whether a JWS with this header ``alg`` and ``kid`` may be checked with this key: a
        header's kid names the key; a header without one may be checked with any key of its
        alg (RFC 7515 §4.1.4 makes kid optional)."""
        return alg in self.algs and (kid is None or kid == self.kid)


def parse(jwks: Any) -> tuple[ClientKey, ...]:
    """The keys of a JWK Set (a JSON object already decoded); ValueError says what is wrong."""
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise ValueError("jwks is a JWK Set: an object with a list of keys")
    if len(json.dumps(jwks)) > MAX_BYTES:
        raise ValueError(f"jwks is larger than {MAX_BYTES} bytes")
    keys = jwks["keys"]
    if not 1 <= len(keys) <= MAX_KEYS:
        raise ValueError(f"jwks has 1 to {MAX_KEYS} keys")
    parsed = tuple(_key(jwk) for jwk in keys)
    kids = [key.kid for key in parsed if key.kid is not None]
    if len(set(kids)) != len(kids):
        raise ValueError("jwks has two keys with the same kid")
    return parsed


def parse_json(text: str | bytes) -> tuple[ClientKey, ...]:
    """The keys of a JWK Set as JSON text (a ``jwks_uri`` document), parsed once per text."""
    if len(text) > MAX_BYTES:
        raise ValueError(f"the JWK Set is larger than {MAX_BYTES} bytes")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("the JWK Set is not JSON") from None
    return _parsed(json.dumps(document, sort_keys=True))


@lru_cache(maxsize=512)
def _parsed(canonical: str) -> tuple[ClientKey, ...]:
    return parse(json.loads(canonical))


def parse_cached(jwks: Mapping[str, Any]) -> tuple[ClientKey, ...]:
    """``parse`` of a registered (already validated) JWK Set, once per container."""
    return _parsed(json.dumps(jwks, sort_keys=True))


def _key(jwk: Any) -> ClientKey:
    import jwt

    if not isinstance(jwk, Mapping) or not all(isinstance(name, str) for name in jwk):
        raise ValueError("each key in jwks is a JSON object")
    kty = jwk.get("kty")
    if not isinstance(kty, str) or kty not in ALGS_BY_KEY:
        raise ValueError("each key in jwks is an RSA, EC (P-256) or OKP (Ed25519) key")
    if PRIVATE_MEMBERS & set(jwk):
        raise ValueError("jwks holds a private key: register only public keys")
    if jwk.get("use", "sig") != "sig":
        raise ValueError("the keys in jwks are for signatures (use: sig)")
    alg = jwk.get("alg")
    if alg is not None and alg not in ALGS_BY_KEY[kty]:
        raise ValueError(f"an {kty} key in jwks is for {' or '.join(ALGS_BY_KEY[kty])}")
    kid = jwk.get("kid")
    if kid is not None and (not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID):
        raise ValueError(f"a kid is a string of at most {MAX_KID} characters")
    if kty in CURVES and jwk.get("crv") != CURVES[kty]:
        raise ValueError(f"an {kty} key in jwks is on {CURVES[kty]}")
    try:
        key = jwt.PyJWK(dict(jwk), algorithm=ALGS_BY_KEY[kty][0]).key
    except Exception:  # a member of any JSON type: whatever PyJWT raises for it
        raise ValueError("a key in jwks is malformed") from None
    # Each assertion is checked against these keys, by anyone in the client's name: a huge
    # modulus or public exponent would make every check expensive (RFC 8017 §3.1 allows any
    # odd e; every library makes 65537, and FIPS 186-5 caps it below 2**256).
    if kty == "RSA" and not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
        raise ValueError(f"an RSA key in jwks has {MIN_RSA_BITS} to {MAX_RSA_BITS} bits")
    if kty == "RSA" and key.public_numbers().e.bit_length() > MAX_RSA_EXPONENT_BITS:
        raise ValueError("an RSA key in jwks has a public exponent of at most 32 bits (65537)")
    return ClientKey(kid, (alg,) if alg else ALGS_BY_KEY[kty], key)
