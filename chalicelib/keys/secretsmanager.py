"""Keys whose PEM lives in AWS Secrets Manager: fetched once per container, signing local."""

from __future__ import annotations

from typing import Any

from chalicelib.keys import aws
from chalicelib.keys.algorithms import algorithm
from chalicelib.keys.jwk import public_jwk


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


def sign_locally(private_key: Any, alg: str, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    if alg == "RS256":
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return private_key.sign(data, pss, hashes.SHA256())
    if alg == "ES256":
        from chalicelib.keys.kms import der_to_jose

        der = private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        return der_to_jose(der, algorithm(alg).coordinate_size)
    raise ValueError(f"unsupported signing algorithm: {alg}")


def create_key(tenant_id: str, alg: str, secret_prefix: str, stage: str | None = None) -> dict[str, Any]:
    """Generate a private key, store its PEM as a new secret, return the key metadata. Access
    is scoped by the secret's name (the stage's prefix); the tags say whose key it is."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    spec = algorithm(alg)
    if spec.key_type == "RSA":
        private_key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private_key = ec.generate_private_key(ec.SECP256R1())
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
