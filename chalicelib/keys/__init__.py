"""The only package that touches key material: signers (KMS, Secrets Manager), JWS, JWKS,
and the per-tenant HMAC keys derived from the deployment's master secret.

Heavy imports (cryptography, PyJWT) happen on first use, not at import: a Lambda cold start
that only serves discovery must not pay for them.
"""


def forget_cached_material() -> None:
    """Drop this container's cached signers and master secret (tests; after an operator
    replaced a secret in place)."""
    from chalicelib.keys import client_secrets, master, signer

    signer.forget()
    master.forget()
    client_secrets.forget()
