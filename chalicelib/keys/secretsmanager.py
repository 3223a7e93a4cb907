"""Keys whose PEM lives in AWS Secrets Manager: fetched once per container, signing local."""

from __future__ import annotations

from typing import Any

from chalicelib.keys import aws
from chalicelib.keys.jwk import public_jwk
from chalicelib.keys.local import generate, sign_locally


class SecretsManagerSigner:
    def __init__(self, secret_id: str, kid: str, alg: str) -> None:
        self.kid = kid
        self.alg = alg
        self._secret_id = secret_id
        self._private_key: Any = None

    def sign(self, signing_input: bytes) -> bytes:
        if self._private_key is None:
            self._private_key = _load(self._secret_id)
        return sign_locally(self._private_key, self.alg, signing_input)


def _load(secret_id: str) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    return load_pem_private_key(pem.encode(), password=None)


def create_key(tenant_id: str, alg: str, secret_prefix: str, stage: str | None = None) -> dict[str, Any]:
    """Generate a private key, store its PEM as a new secret, return the key metadata. Access
    is scoped by the secret's name (the stage's prefix); the tags say whose key it is."""
    from cryptography.hazmat.primitives import serialization

    private_key = generate(alg)
    jwk = public_jwk(private_key.public_key(), alg)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    secret_id = f"{secret_prefix}{tenant_id}/{jwk['kid']}"
    aws.client("secretsmanager").create_secret(
        Name=secret_id,
        SecretString=pem,
        Description=f"OIDC signing key {jwk['kid']} of tenant {tenant_id}",
        Tags=[{"Key": "oidc-tenant", "Value": tenant_id}, *([{"Key": "oidc-stage", "Value": stage}] if stage else [])],
    )
    return {"kid": jwk["kid"], "alg": alg, "backend": "secretsmanager", "ref": secret_id, "jwk": jwk}
