"""The ceremony checks of ``chalicelib.accounts.passkeys`` against the ``webauthn`` library's
own published test vectors (duo-labs/py_webauthn, tests/test_verify_authentication_response.py:
assertions made by real authenticators for RP ID ``localhost`` at ``http://localhost:5000``),
so the wiring (RP ID and origin from the issuer, challenge, stored key and counter, user
verification required) is checked on bytes no code of ours produced."""

# ruff: noqa: E501 (the vectors' base64url values, verbatim)

from __future__ import annotations

import pytest

from chalicelib.accounts import passkeys
from chalicelib.store.factors import WEBAUTHN, Factor

ISSUER = "http://localhost:5000/acme"
# An RSA (RS256) assertion with user presence and verification, counter 1, a user handle.
RSA_KEY = (
    "pAEDAzkBACBZAQDfV20epzvQP-HtcdDpX-cGzdOxy73WQEvsU7Dnr9UWJophEfpngouvgnRLXaEUn_d8HGkp_HIx8rrpkx4BVs6X_B6ZjhLlezjIdJ"
    "bLbVeb92BaEsmNn1HW2N9Xj2QM8cH-yx28_vCjf82ahQ9gyAr552Bn96G22n8jqFRQKdVpO-f-bvpvaP3IQ9F5LCX7CUaxptgbog1SFO6FI6ob5SlV"
    "VB00lVXsaYg8cIDZxCkkENkGiFPgwEaZ7995SCbiyCpUJbMqToLMgojPkAhWeyktu7TlK6UBWdJMHc3FPAIs0lH_2_2hKS-mGI1uZAFVAfW1X-mzKL"
    "0czUm2P1UlUox7IUMBAAE"
)
RSA = {
    "id": "ZoIKP1JQvKdrYj1bTUPJ2eTUsbLeFkv-X5xJQNr4k6s",
    "challenge": "iPmAi1Pp1XL6oAgq3PWZtZPnZa1zFUDoGbaQ0_KvVG1lF2s3Rt_3o4uSzccy0tmcTIpTTT4BU1T-I4maavndjQ",
    "credential": """{"id": "ZoIKP1JQvKdrYj1bTUPJ2eTUsbLeFkv-X5xJQNr4k6s",
      "rawId": "ZoIKP1JQvKdrYj1bTUPJ2eTUsbLeFkv-X5xJQNr4k6s", "type": "public-key", "clientExtensionResults": {},
      "response": {"authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
        "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiaVBtQWkxUHAxWEw2b0FncTNQV1p0WlBuWmExekZVRG9HYmFRMF9LdlZHMWxGMnMzUnRfM280dVN6Y2N5MHRtY1RJcFRUVDRCVTFULUk0bWFhdm5kalEiLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        "signature": "iOHKX3erU5_OYP_r_9HLZ-CexCE4bQRrxM8WmuoKTDdhAnZSeTP0sjECjvjfeS8MJzN1ArmvV0H0C3yy_FdRFfcpUPZzdZ7bBcmPh1XPdxRwY747OrIzcTLTFQUPdn1U-izCZtP_78VGw9pCpdMsv4CUzZdJbEcRtQuRS03qUjqDaovoJhOqEBmxJn9Wu8tBi_Qx7A33RbYjlfyLm_EDqimzDZhyietyop6XUcpKarKqVH0M6mMrM5zTjp8xf3W7odFCadXEJg-ERZqFM0-9Uup6kJNLbr6C5J4NDYmSm3HCSA6lp2iEiMPKU8Ii7QZ61kybXLxsX4w4Dm3fOLjmDw",
        "userHandle": "T1RWa1l6VXdPRFV0WW1NNVlTMDBOVEkxTFRnd056Z3RabVZpWVdZNFpEVm1ZMk5p"}}""",
}
# An ES256 assertion with user presence only (no user verification), counter 33.
NO_UV = {
    "id": "4-5MZF69j3n2B6Z99dUN0fNrAQmrjELJIebWVw8aKfw1EQKg28Tx40R_kw-1pcrfSgJFKm3mCtAtBgSRWgDMng",
    "key": "pQECAyYgASFYIOQ5TKpXJR2cV76Wgfge9BkLkEhLxVjhFjM1jKHYOcqpIlggaiNy1blt3OU8Hsmg041HUYP7eajgL7fk3nSuTEjYCwU",
    "challenge": "umGemXJIPBXPxkD8Hjanuv9BDor8Z7O3aPdtOgMCdW4PAfqDX43EFlhrsF0PW90df5zrgbt7YVMRAa27tCdHzw",
    "credential": """{"id": "4-5MZF69j3n2B6Z99dUN0fNrAQmrjELJIebWVw8aKfw1EQKg28Tx40R_kw-1pcrfSgJFKm3mCtAtBgSRWgDMng",
      "rawId": "4-5MZF69j3n2B6Z99dUN0fNrAQmrjELJIebWVw8aKfw1EQKg28Tx40R_kw-1pcrfSgJFKm3mCtAtBgSRWgDMng",
      "type": "public-key", "clientExtensionResults": {},
      "response": {"authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAAIQ",
        "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoidW1HZW1YSklQQlhQeGtEOEhqYW51djlCRG9yOFo3TzNhUGR0T2dNQ2RXNFBBZnFEWDQzRUZsaHJzRjBQVzkwZGY1enJnYnQ3WVZNUkFhMjd0Q2RIenciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        "signature": "MEUCIGp5ADnU_SFvT4J_bKvQJ4Pc1GmANhbYq5GioOLjyUrxAiEA6Kk5qAZb8MLY-jyTiJLr_R9Fke02UHkxsRB0dnZt2X8"}}""",
}


def stored(credential_id: str, key: str, count: int) -> Factor:
    return Factor(sub="u", method=WEBAUTHN, created_at=0, credential_id=credential_id, public_key=key, sign_count=count)


def challenge(value: str) -> passkeys.Challenge:
    return passkeys.Challenge(value, 0, "login")


def test_a_real_authenticators_assertion_verifies_and_moves_the_counter():
    verified = passkeys.authenticate("acme", ISSUER, RSA["credential"], challenge(RSA["challenge"]),
                                     stored(RSA["id"], RSA_KEY, 0), "u")  # fmt: skip
    assert verified is not None and verified.sign_count == 1


@pytest.mark.parametrize(
    ("issuer", "challenge_value", "count", "key"),
    [
        ("http://localhost:5001/acme", RSA["challenge"], 0, RSA_KEY),  # another origin
        ("http://127.0.0.1:5000/acme", RSA["challenge"], 0, RSA_KEY),  # another RP ID
        (ISSUER, NO_UV["challenge"], 0, RSA_KEY),  # another challenge
        (ISSUER, RSA["challenge"], 1, RSA_KEY),  # the counter did not grow: a clone
        (ISSUER, RSA["challenge"], 0, NO_UV["key"]),  # another key
    ],
)
def test_the_same_assertion_is_refused_for_anything_else(issuer, challenge_value, count, key):
    passkey = stored(RSA["id"], key, count)
    assert passkeys.authenticate("acme", issuer, RSA["credential"], challenge(challenge_value), passkey, "u") is None


def test_an_assertion_without_user_verification_is_refused():
    passkey = stored(NO_UV["id"], NO_UV["key"], 32)
    assert (
        passkeys.authenticate("acme", ISSUER, NO_UV["credential"], challenge(NO_UV["challenge"]), passkey, "u") is None
    )


def test_the_user_handle_names_the_account_before_anything_is_verified():
    assert passkeys.claimed_user(RSA["credential"]) == ("OTVkYzUwODUtYmM5YS00NTI1LTgwNzgtZmViYWY4ZDVmY2Ni", RSA["id"])
    assert passkeys.relying_party(ISSUER) == ("localhost", "http://localhost:5000")
