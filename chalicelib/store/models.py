"""PynamoDB models: one DynamoDB table, every item keyed by its tenant.

Key design (the table spec in ``infra/resources.json`` is the same, and a test keeps them equal):

    pk = <tenant id>          sk = "tenant" | "client#<client_id>" | "user#<sub>" | ...

A tenant's items form one item collection, so listing a tenant's clients or deleting a tenant
is a Query, never a Scan; and since every call in ``chalicelib.store`` builds ``pk`` from the
tenant id it is given, no code path can address another tenant's items. Secrets (codes,
refresh tokens) appear in keys only as digests.

Items that are read, changed and written back (tenants, clients, users, admin keys) carry a
``version``: every write of one is conditional on the version that was read (see
``chalicelib.store.versions``).

All kinds share one PynamoDB connection, hence one botocore client: building a client costs
tens of milliseconds of a Lambda cold start, and PynamoDB would otherwise build one per class.
That client is built from the container's one botocore session (``chalicelib.aws_session``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.connection import base as pynamodb_connection
from pynamodb.exceptions import PutError, PynamoDBException, TransactWriteError
from pynamodb.models import Model

from chalicelib import aws_session
from chalicelib.settings import settings
from chalicelib.store import wire

TTL_ATTRIBUTE = "ttl"


class Item(Model):
    class Meta:
        table_name = settings.table_name
        # Lambda requests are short: fail fast and let the caller answer 503 rather than hang.
        connect_timeout_seconds = 2
        read_timeout_seconds = 3
        max_retry_attempts = 2

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    # Expiry of codes, tokens, sessions and consents. The code checks it on every read and in
    # every condition, so an artifact is dead at its expiry, not when DynamoDB's TTL sweeper
    # (which may lag by days) deletes it.
    ttl = TTLAttribute(null=True, attr_name=TTL_ATTRIBUTE)


class TenantItem(Item, discriminator="tenant"):
    name = UnicodeAttribute()
    created_at = NumberAttribute()
    settings = JSONAttribute(default=dict)
    keys = JSONAttribute(default=list)
    version = VersionAttribute()
    # None while the tenant serves; "disabled" (refused everywhere, reversible) or "deleting"
    # (on its way out: chalicelib.store.lifecycle), since ``status_at``.
    status = UnicodeAttribute(null=True)
    status_at = NumberAttribute(null=True)
    # Tenant page templates: page name -> the version of its TemplateItem. Read with the
    # tenant (cached per container), so a page without an override costs no extra read.
    templates = JSONAttribute(null=True)


class TemplateItem(Item, discriminator="template"):
    """A tenant's own template for a page (``sk`` "template#<page>"; chalicelib.store.templates).
    ``revision`` is its version, kept by hand: written with the tenant's marker in one
    transaction, conditional on the revision read (or on the item being new)."""

    source = UnicodeAttribute()
    updated_at = NumberAttribute()
    revision = NumberAttribute()


class DirectoryItem(Item, discriminator="directory"):
    """A tenant's entry in the directory of tenants (``pk`` "#tenants", ``sk`` its id): listing
    100,000 tenants is a paged Query of one partition, never a Scan of everyone's items. It
    is written in the same transaction as the tenant's record, and removed with it."""

    name = UnicodeAttribute()
    created_at = NumberAttribute()
    status = UnicodeAttribute(null=True)


class ClientItem(Item, discriminator="client"):
    name = UnicodeAttribute()
    client_type = UnicodeAttribute()
    secret_hash = UnicodeAttribute(null=True)
    redirect_uris = ListAttribute(of=UnicodeAttribute, default=list)
    post_logout_redirect_uris = ListAttribute(of=UnicodeAttribute, default=list)
    response_types = ListAttribute(of=UnicodeAttribute, default=list)
    grant_types = ListAttribute(of=UnicodeAttribute, default=list)
    scopes = ListAttribute(of=UnicodeAttribute, default=list)
    id_token_signed_response_alg = UnicodeAttribute(default="RS256")
    userinfo_signed_response_alg = UnicodeAttribute(null=True)
    token_endpoint_auth_method = UnicodeAttribute()
    require_consent = BooleanAttribute(default=True)
    reuse_consent = BooleanAttribute(default=True)
    website_url = UnicodeAttribute(null=True)
    terms_url = UnicodeAttribute(null=True)
    contact_email = UnicodeAttribute(null=True)
    logo_uri = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    secret_ciphertext = UnicodeAttribute(null=True)
    frontchannel_logout_uri = UnicodeAttribute(null=True)
    frontchannel_logout_session_required = BooleanAttribute(default=False)
    backchannel_logout_uri = UnicodeAttribute(null=True)
    backchannel_logout_session_required = BooleanAttribute(default=False)
    registration_token_hash = UnicodeAttribute(null=True)
    verified = BooleanAttribute(null=True)  # None: stored before clients were verified
    # Client authentication by JWT (chalicelib.store.clients.Client).
    jwks = JSONAttribute(null=True)
    jwks_uri = UnicodeAttribute(null=True)
    token_endpoint_auth_signing_alg = UnicodeAttribute(null=True)
    require_pushed_authorization_requests = BooleanAttribute(null=True)  # RFC 9126 §6
    dpop_bound_access_tokens = BooleanAttribute(null=True)  # RFC 9449 §5.2
    subject_type = UnicodeAttribute(null=True)  # None: public (OIDC Core §8)
    sector_identifier_uri = UnicodeAttribute(null=True)
    # Request objects (RFC 9101; chalicelib.store.clients.Client).
    request_object_signing_alg = UnicodeAttribute(null=True)
    request_uris = ListAttribute(of=UnicodeAttribute, null=True)
    require_signed_request_object = BooleanAttribute(null=True)
    version = VersionAttribute()


class UserItem(Item, discriminator="user"):
    username = UnicodeAttribute()
    claims = JSONAttribute(default=dict)
    active = BooleanAttribute(default=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    version = VersionAttribute()
    # The user's epoch (see chalicelib.store.users.may_act); kept on the login item too.
    epoch = NumberAttribute(null=True)
    # May sign in to the tenant's admin console (chalicelib.console).
    admin = BooleanAttribute(null=True)


class LoginItem(Item, discriminator="login"):
    """A username's credential: the one item a password login reads."""

    sub = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    # A disabled user cannot log in (kept here too, so a login still reads one item).
    disabled = BooleanAttribute(null=True)
    epoch = NumberAttribute(null=True)  # the user's, as on the profile: a login stamps its session with it


class SessionItem(Item, discriminator="session"):
    sub = UnicodeAttribute()
    auth_time = NumberAttribute()
    created_at = NumberAttribute()
    # The clients this session signed in to: the ones to tell when it ends (logout).
    clients = UnicodeSetAttribute(null=True)
    epoch = NumberAttribute(null=True)  # the user's epoch at the login
    # How the user authenticated (RFC 8176 amr values); None: a password, before it was kept.
    amr = ListAttribute(of=UnicodeAttribute, null=True)


class OneTimeItem(Item):
    """An artifact redeemed exactly once (codes). ``used_by`` marks one redemption, so a
    redemption whose response was lost and retried recognizes its own mark."""

    used_at = NumberAttribute(null=True)
    used_by = UnicodeAttribute(null=True)


class CodeItem(OneTimeItem, discriminator="code"):
    """An authorization code's single use (what it stands for is sealed in the code)."""


class GrantItem(Item, discriminator="grant"):
    """One authorization's lasting state, keyed by its grant id: the refresh token that is
    live now (as a digest; rotation swaps it in one conditional write) and, once revoked,
    ``revoked_at``, which every access token of the grant is checked against."""

    client_id = UnicodeAttribute(null=True)
    sub = UnicodeAttribute(null=True)
    scopes = ListAttribute(of=UnicodeAttribute, null=True)
    sid = UnicodeAttribute(null=True)
    auth_time = NumberAttribute(null=True)
    created_at = NumberAttribute(null=True)
    current = UnicodeAttribute(null=True)  # digest of the live refresh token's secret
    previous = UnicodeAttribute(null=True)  # digest of the one it replaced: a replay of it is theft
    revoked_at = NumberAttribute(null=True)
    epoch = NumberAttribute(null=True)  # the user's epoch when the grant began
    amr = ListAttribute(of=UnicodeAttribute, null=True)  # how the user authenticated (RFC 8176)
    claims = UnicodeAttribute(null=True)  # what the claims parameter asked (OIDC Core §5.5)
    resources = ListAttribute(of=UnicodeAttribute, null=True)  # RFC 8707 resource indicators
    # The DPoP key a public client's refresh token is bound to (RFC 9449 §5, its thumbprint).
    jkt = UnicodeAttribute(null=True)


class InitialAccessTokenItem(Item, discriminator="initial-access-token"):
    """A token a tenant admin hands out to let a developer register clients (RFC 7591 §3)."""

    created_at = NumberAttribute()
    note = UnicodeAttribute(null=True)


class AdminKeyItem(Item, discriminator="admin-key"):
    """A tenant admin's API key (its digest), for the admin API."""

    created_at = NumberAttribute()
    note = UnicodeAttribute(null=True)
    version = VersionAttribute()


class ConsentItem(Item, discriminator="consent"):
    client_id = UnicodeAttribute()
    sub = UnicodeAttribute()
    scopes = ListAttribute(of=UnicodeAttribute, default=list)
    given_at = NumberAttribute()


class ConsoleSessionItem(Item, discriminator="console-session"):
    """A tenant admin's console session, keyed by the digest of its cookie's credential."""

    sub = UnicodeAttribute()
    username = UnicodeAttribute()
    created_at = NumberAttribute()
    epoch = NumberAttribute(null=True)  # the user's at the sign-in: a password change ends it


class AuditItem(Item, discriminator="audit"):
    """A recorded admin change (chalicelib.console.audit), newest first by its key; TTL'd."""

    event = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = NumberAttribute()
    fields = JSONAttribute(default=dict)


# PynamoDB builds its client from a botocore session of its own per thread, which it gets
# from ``get_session()``: hand it the container's session instead (pruned models, one set-up).
pynamodb_connection.get_session = aws_session.session
# Create the shared table connection now (no network, no botocore client yet) so every
# subclass finds it through the class hierarchy instead of making its own.
Item._get_connection()


def _botocore_client() -> Any:
    """The DynamoDB client PynamoDB would build for ``Item``'s settings."""
    from botocore.config import Config

    meta = Item.Meta
    config = Config(
        parameter_validation=False,
        connect_timeout=meta.connect_timeout_seconds,
        read_timeout=meta.read_timeout_seconds,
        retries={"total_max_attempts": 1 + meta.max_retry_attempts, "mode": "standard"},
    )
    return aws_session.session().create_client("dynamodb", config=config)


if settings.dynamodb_client == "direct":
    wire.install(
        Item._get_connection().connection,
        _botocore_client,
        attempts=1 + Item.Meta.max_retry_attempts,
        timeouts=(Item.Meta.connect_timeout_seconds, Item.Meta.read_timeout_seconds),
    )


def connection():
    """The low-level PynamoDB connection, for transactions spanning several items."""
    return Item._get_connection().connection


def at(epoch: int) -> datetime:
    """An epoch second as the timezone-aware datetime ``TTLAttribute`` takes."""
    return datetime.fromtimestamp(epoch, tz=UTC)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def valid_key_part(value: str) -> bool:
    """Whether a caller-supplied id can be part of a key: DynamoDB rejects a sort key over
    1024 bytes with an error, and such input must read as "not found", never as a 5xx.
    Bytes, not characters: 256 emoji are 1,024 bytes before any prefix (moto does not
    enforce the limit, DynamoDB does)."""
    return 0 < len(value) <= 256 and len(value.encode("utf-8", "surrogatepass")) <= 512 and value.isprintable()


def put_if_absent(item: Item) -> bool:
    """Store a new item; False (and nothing written) if its key is taken."""
    try:
        item.save(condition=Item.sk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def delete_returning(item: Item) -> Item | None:
    """Delete ``item``'s key and return what was stored there (None if nothing was), in one
    DeleteItem: whoever deletes an item learns it was they who did."""
    response = connection().delete_item(settings.table_name, item.pk, item.sk, return_values="ALL_OLD")
    attributes = response.get("Attributes")
    return type(item).from_raw_data(attributes) if attributes else None


def condition_failed(error: TransactWriteError) -> bool:
    """Whether a transaction was cancelled by one of its conditions (rather than by a
    conflicting transaction or throttling, which callers must not read as "no")."""
    if error.cause_response_code != "TransactionCanceledException":
        return False
    return any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in error.cancellation_reasons)


# DynamoDB refuses a write (or a transactional read) that meets a transaction at work on the
# same item: TransactionConflictException for a single item, a TransactionCanceledException
# whose reasons are all TransactionConflict for a transaction. botocore retries neither, and
# neither is a "no": the request is made again after a short random pause, a few times.
CONFLICT_ATTEMPTS = 4
T = TypeVar("T")


def conflicted(error: PynamoDBException) -> bool:
    if error.cause_response_code == "TransactionConflictException":
        return True
    reasons = {reason.code for reason in getattr(error, "cancellation_reasons", None) or () if reason is not None}
    return error.cause_response_code == "TransactionCanceledException" and reasons == {"TransactionConflict"}


def retrying_conflicts(action: Callable[[], T]) -> T:
    """``action()``, made again when DynamoDB cancelled it for a conflicting transaction."""
    for attempt in range(CONFLICT_ATTEMPTS - 1):
        try:
            return action()
        except PynamoDBException as error:
            if not conflicted(error):
                raise
        time.sleep(random.uniform(0.005, 0.04) * (attempt + 1))  # noqa: S311 (jitter, not a secret)
    return action()
