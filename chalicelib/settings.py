"""Deployment-level settings, read once per Lambda container from the environment.

Per-tenant settings (token lifetimes, consent expiry, ...) live with the tenant record; see
``chalicelib.tenancy.settings``. Endpoints of AWS services are not settings here: boto3 and
botocore already honour ``AWS_ENDPOINT_URL`` and its per-service variants, so the same code
reaches real AWS, moto or DynamoDB Local.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

# PUBLIC_BASE_URL: a scheme, a host (name, dotted quad or bracketed IPv6), an optional port
# and path; no user information, query, fragment or trailing slash (the issuer is the base
# plus "/<tenant>", compared as an exact string by every RP).
_PUBLIC_BASE_URL = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
    r"(?:/[A-Za-z0-9._~-]+)*"
)


@dataclass(frozen=True)
class Settings:
    table_name: str = "oidc"
    # Public base URL (custom domain, with any base path) when the operator set one; else the
    # host name API Gateway received the request on, and its stage (chalicelib/tenancy/issuer.py),
    # never the client's Host header. Local development sets it: nothing else knows the base.
    public_base_url: str | None = None
    # The deployment's stage (dev, prod, ...): tenants' KMS keys are tagged with it
    # (oidc-stage), and each stage's functions may sign only with keys tagged for their stage.
    stage: str | None = None
    # Secrets Manager secret holding the deployment's master HMAC key; tenant keys for CSRF
    # tokens and login tickets are derived from it.
    master_secret_id: str = "oidc/master"
    # Name prefix of the Secrets Manager secrets that hold tenants' private signing keys.
    key_secret_prefix: str = "oidc/keys/"
    # How long a container trusts its cached copy of a tenant or client record.
    cache_ttl_seconds: float = 30.0
    # Where a new tenant's signing keys live (a tenant's key_backend setting overrides it):
    # "envelope" (sealed in the tenant record under the deployment's wrapping key: no AWS
    # resource per tenant), "secretsmanager" (a secret per key) or "kms" (a KMS key per key).
    default_key_backend: str = "envelope"
    # KMS key (id, ARN or alias) that wraps the data keys of envelope-encrypted signing keys.
    key_wrapping_key_id: str | None = None
    # How many tenants' signers (decrypted keys) a container keeps, least recently used out.
    signer_cache_size: int = 1000
    # Optional KMS key alias prefix for tenants on the KMS backend.
    kms_alias_prefix: str = "alias/oidc/"
    # KMS key (id, ARN or alias) that encrypts the client secrets HS256 needs back; without
    # one, clients cannot choose HS256.
    client_secret_key_id: str | None = None
    # EventBridge bus that events are also published to (None: log lines only).
    event_bus_name: str | None = None
    # Python module holding the deployment's hooks (see chalicelib/hooks.py).
    hooks_module: str | None = None
    # SQS queue (its name) that logout puts back-channel notifications on; a consumer
    # delivers them (chalicelib/web/queues.py on Lambda, infra/consumer.py locally).
    backchannel_queue: str = "oidc-backchannel"
    # The sender of tenants' mail (chalicelib/mail) when a tenant names none of its own: an
    # address of a domain verified in SES. None: tenants without a mail_sender send no mail.
    mail_sender: str | None = None
    # Local development only (DEV_MODE=true, set by infra/local.py and the integration
    # tests, never in .chalice/config.json): outbound requests may use http and reach
    # loopback, but only to hosts a tenant lists in outbound_allowed_hosts.
    dev_mode: bool = False
    # How the store reaches DynamoDB: "direct" (its JSON protocol over a urllib3 pool, signed by
    # botocore: chalicelib/store/wire.py) or "botocore" (every call through botocore, which
    # moto's in-process emulation of the unit tests needs).
    dynamodb_client: str = "direct"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            table_name=env.get("TABLE_NAME", cls.table_name),
            public_base_url=_public_base_url(env.get("PUBLIC_BASE_URL") or ""),
            stage=env.get("DEPLOYMENT_STAGE") or None,
            master_secret_id=env.get("MASTER_SECRET_ID", cls.master_secret_id),
            key_secret_prefix=env.get("KEY_SECRET_PREFIX", cls.key_secret_prefix),
            cache_ttl_seconds=float(env.get("CACHE_TTL_SECONDS", cls.cache_ttl_seconds)),
            default_key_backend=env.get("DEFAULT_KEY_BACKEND", cls.default_key_backend),
            key_wrapping_key_id=env.get("KEY_WRAPPING_KEY_ID") or None,
            signer_cache_size=max(1, int(env.get("SIGNER_CACHE_SIZE", cls.signer_cache_size))),
            kms_alias_prefix=env.get("KMS_ALIAS_PREFIX", cls.kms_alias_prefix),
            client_secret_key_id=env.get("CLIENT_SECRET_KEY_ID") or None,
            event_bus_name=env.get("EVENT_BUS_NAME") or None,
            hooks_module=env.get("HOOKS_MODULE") or None,
            backchannel_queue=env.get("BACKCHANNEL_QUEUE") or cls.backchannel_queue,
            mail_sender=env.get("MAIL_SENDER") or None,
            dev_mode=env.get("DEV_MODE", "").lower() == "true",
            dynamodb_client=_choice("DYNAMODB_CLIENT", env.get("DYNAMODB_CLIENT") or cls.dynamodb_client),
        )


DYNAMODB_CLIENTS = ("direct", "botocore")


def _choice(name: str, value: str) -> str:
    if value not in DYNAMODB_CLIENTS:
        raise ValueError(f"{name} must be one of {', '.join(DYNAMODB_CLIENTS)}, not {value[:40]!r}")
    return value


def _public_base_url(value: str) -> str | None:
    """The configured base without its trailing slash; a malformed one stops the process at
    start-up with this message, rather than minting tokens for a broken issuer."""
    value = value.rstrip("/")
    if value and _PUBLIC_BASE_URL.fullmatch(value) is None:
        raise ValueError(f"PUBLIC_BASE_URL must be http(s)://host[:port][/path], not {value[:100]!r}")
    return value or None


settings = Settings.from_env(os.environ)
