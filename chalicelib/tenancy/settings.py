"""Per-tenant settings. Each seed (django-oidc-provider) setting keeps its name's meaning
and its default; a tenant record stores only what it overrides."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.i18n import DEFAULT_LANGUAGE, LANGUAGES
from chalicelib.tenancy import contrast

DAY = 86400
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_NAME = re.compile(r"[a-z][a-z0-9_:.-]{0,63}")
# A DNS name or an IPv4 address as a URL writes it, or an IPv6 address without brackets.
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|[0-9a-f:.]{2,45}")
MAX_ALLOWED_HOSTS = 50
# A host name, or ``*.`` and a domain: any name under it (registration_redirect_hosts).
_HOST_PATTERN = re.compile(r"(?:\*\.)?(?:" + _HOST.pattern + ")")
# Every grant type the provider implements (chalicelib.oidc.grants, plus the implicit flow).
GRANT_TYPES = (
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
)
_ALNUM = re.compile(r"[A-Za-z0-9]+")  # str.isalnum() takes any script's letters and digits
_SCOPE_FIELDS = frozenset({"title", "description", "claims"})
MAX_EXTRA_SCOPES = 32
# (least, most) of each whole-number setting, in its own unit: what a production provider
# accepts. Beyond them a lifetime is useless (a code that dies before the RP can redeem it)
# or dangerous: a code outliving RFC 6749 §4.1.2's ten minutes, an access or ID token
# outliving a day, a refresh token or session a year, a consent ten years; and 10**20
# seconds overflowed the date arithmetic of every login and token request.
BOUNDS = {
    "code_expire": (10, 600),
    "token_expire": (60, DAY),
    "idtoken_expire": (60, DAY),
    "skip_consent_expire": (1, 3650),  # days
    "refresh_token_expire": (300, 365 * DAY),
    "session_expire": (300, 365 * DAY),
    "interaction_expire": (60, DAY),
    # Abuse limits: a window of a minute to a day; limits of at least one attempt (a limit of
    # zero would lock everyone out) and at most what could still be called a limit.
    "login_window": (60, DAY),
    "login_attempts_per_source": (1, 100_000),
    "login_attempts_per_account": (1, 1000),
    "login_attempts_per_device": (1, 1000),
    "login_attempts_per_client": (1, 1_000_000),
    "login_free_failures": (0, 1000),
    "device_trust_expire": (1, 3650),  # days
    # Dynamic registration: attempts per source address and hour, and self-registered
    # clients at once (at least one: "none" is client_registration "off").
    "registrations_per_source": (1, 100_000),
    "registration_quota": (1, 100_000),
    # Signing keys rotate every so many days (0: only when an admin rotates them), each new
    # key published this many seconds before it signs: more than the JWKS's advertised cache
    # lifetime (chalicelib/keys/rotation.py, 300 s) plus a container's tenant cache (30 s),
    # with room to spare, and at most a month.
    "key_rotation_days": (0, 3650),
    "key_prepublish_seconds": (1800, 30 * DAY),
    # Second factors (mfa): codes tried per account and per source address in a login_window.
    "mfa_attempts_per_account": (1, 1000),
    "mfa_attempts_per_source": (1, 100_000),
    # Email (chalicelib/mail): a reset link lives 5 minutes to an hour (OWASP Forgot Password
    # Cheat Sheet: short-lived), a verification link 10 minutes to a week; the requests that
    # send mail are counted per source and per account within mail_window.
    "reset_link_expire": (300, 3600),
    "verify_link_expire": (600, 7 * DAY),
    "mail_window": (60, DAY),
    "mail_requests_per_source": (1, 100_000),
    "mail_requests_per_account": (1, 100),
    # Pushed authorization requests (RFC 9126 §2.2: short-lived): a request_uri lives 10 s to 10 min.
    "pushed_request_expire": (10, 600),
    # Pushes a minute, from one source address and in one client's name (a public client's
    # id is all it takes to push): each is a write.
    "pushes_per_source": (1, 100_000),
    "pushes_per_client": (1, 1_000_000),
    # Request objects by reference (RFC 9101): request_uri fetches a minute, from one source
    # address and in one client's name: each is an outbound request.
    "request_uri_fetches_per_source": (1, 100_000),
    "request_uri_fetches_per_client": (1, 1_000_000),
    # Device authorization (RFC 8628): a device code lives 1 to 30 minutes, polled at most
    # every device_poll_interval seconds; device authorization requests a minute per source
    # and per client (each is a write); user codes tried an hour per source, and wrong ones in
    # the whole tenant before guessing sources are refused (chalicelib/limits/device.py; with
    # 20^8 codes and 1,000 live at once, 10,000 guesses an hour find one in ~2,500 hours; the
    # bound keeps it above 250).
    "device_code_expire": (60, 1800),
    "device_poll_interval": (1, 60),
    "device_requests_per_source": (1, 100_000),
    "device_requests_per_client": (1, 1_000_000),
    "user_code_attempts_per_source": (1, 10_000),
    "user_code_attempts_per_tenant": (1, 100_000),
}
# An email address as a sender or a sign-up gives it: one @, a dot-atom local part, a domain
# of DNS labels. Stricter than RFC 5322 on purpose (no quoted parts, comments or IP literals).
EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
# The claims self-service sign-up may ask for besides the email address: strings a person
# types (chalicelib.oidc.claims has every standard claim; verified flags and the address's
# structure are not theirs to type).
SIGNUP_CLAIMS = ("name", "given_name", "family_name", "middle_name", "nickname", "phone_number", "birthdate", "locale")
CHOICES = {
    "client_registration": ("off", "token", "open"),
    "require_pkce": ("public", "all"),
    "key_backend": ("envelope", "secretsmanager", "kms"),
    "key_algorithm": ("RS256", "PS256", "ES256", "EdDSA"),
    "mfa_policy": ("off", "optional", "required"),
    "default_language": LANGUAGES,
}
# Scopes and claims a tenant cannot redefine: the standard ones, and the JWT claims the
# provider sets itself.
RESERVED_SCOPES = frozenset({"openid", "profile", "email", "phone", "address", "offline_access", "token_introspection"})
RESERVED_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr", "azp"}
    | {"at_hash", "c_hash", "sid", "gid", "scope", "client_id", "typ", "events"}
)


@dataclass(frozen=True)
class ExtraScope:
    """A tenant's own scope (the seed's OIDC_EXTRA_SCOPE_CLAIMS): shown on the consent page
    with its title and description, releasing the user's values of ``claims``."""

    title: str
    description: str
    claims: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (_text(self.title, 1, 64) and _text(self.description, 0, 256)):
            raise ValueError("an extra scope has a title (1 to 64 characters) and a description (at most 256)")
        for claim in self.claims:
            if not isinstance(claim, str) or _NAME.fullmatch(claim) is None or claim in RESERVED_CLAIMS:
                raise ValueError(f"an extra scope cannot release the claim {claim!r}"[:120])


@dataclass(frozen=True)
class Branding:
    """How the tenant's login, consent and error pages look."""

    display_name: str | None = None
    logo_uri: str | None = None
    primary_color: str = "#1f5fbf"

    def __post_init__(self) -> None:
        # These values reach a stylesheet and an <img>; anything else is refused at write.
        if not isinstance(self.primary_color, str) or _COLOR.fullmatch(self.primary_color) is None:
            raise ValueError("primary_color must look like #1f5fbf")
        if contrast.text_on(self.primary_color) is None:
            raise ValueError(
                f"primary_color {self.primary_color} is unreadable: neither white nor near-black text on it reaches "
                f"WCAG AA's {contrast.AA}:1 contrast (pick a lighter or darker colour)"
            )
        if self.display_name is not None and not _text(self.display_name, 1, 64):
            raise ValueError("display_name has 1 to 64 characters")
        if self.logo_uri is not None and not _http_uri(self.logo_uri):
            raise ValueError("logo_uri must be an http(s) URL (strict RFC 3986 syntax)")

    @property
    def on_primary(self) -> str:
        """The text colour on the primary colour (buttons)."""
        return contrast.text_on(self.primary_color) or contrast.NEAR_BLACK

    @property
    def ink(self) -> str:
        """The primary colour as text on white (links, secondary buttons, focus outlines)."""
        return contrast.ink(self.primary_color)

    @classmethod
    def from_mapping(cls, values: Any) -> Branding:
        if not isinstance(values, Mapping) or not set(values) <= {f.name for f in dataclasses.fields(cls)}:
            raise ValueError("branding has display_name, logo_uri and primary_color")
        return cls(**values)


@dataclass(frozen=True)
class TenantSettings:
    code_expire: int = 600  # OIDC_CODE_EXPIRE, seconds
    token_expire: int = 3600  # OIDC_TOKEN_EXPIRE: access tokens, seconds
    idtoken_expire: int = 600  # OIDC_IDTOKEN_EXPIRE, seconds
    skip_consent_expire: int = 90  # OIDC_SKIP_CONSENT_EXPIRE, days
    idtoken_include_claims: bool = False  # OIDC_IDTOKEN_INCLUDE_CLAIMS
    session_management_enable: bool = False  # OIDC_SESSION_MANAGEMENT_ENABLE
    # OIDC_UNAUTHENTICATED_SESSION_MANAGEMENT_KEY; None: derived per tenant (stable across
    # Lambda containers, which a value "generated at startup" would not be).
    unauthenticated_session_management_key: str | None = None
    grant_type_password_enable: bool = False  # OIDC_GRANT_TYPE_PASSWORD_ENABLE
    introspection_validate_audience_scope: bool = True  # OIDC_INTROSPECTION_VALIDATE_AUDIENCE_SCOPE
    # Dynamic client registration (RFC 7591): "off", "token" (with an initial access token
    # a tenant admin hands out), or "open" (anyone may register a client).
    client_registration: str = "off"
    # Not in the seed (Django leaves refresh tokens unbounded): rotated on every use, and
    # dead after this long.
    refresh_token_expire: int = 30 * DAY
    # Django's SESSION_COOKIE_AGE default: the OP session lasts two weeks.
    session_expire: int = 14 * DAY
    # How long a login or consent page stays usable after the authorization request.
    interaction_expire: int = 1800
    # RFC 7636 for "public" clients only, or for "all" clients (RFC 9700 §2.1.1).
    require_pkce: str = "public"
    allow_plain_pkce: bool = True
    key_backend: str = "envelope"
    # Key rotation (chalicelib/keys/rotation.py): every key_rotation_days (0: off), each new
    # key published key_prepublish_seconds before it signs; key_algorithm is the algorithm
    # the tenant always has a key for (its first key's; keys of other algorithms an admin
    # added rotate too, in their own algorithm).
    key_rotation_days: int = 90
    key_prepublish_seconds: int = DAY
    key_algorithm: str = "RS256"
    # Abuse limits on password guessing (chalicelib.limits.login), per window of this many
    # seconds: attempts from one source address (any account), attempts on one account from
    # browsers that never signed in to it (and the password grant), attempts from a browser
    # that did; and the failures allowed before each further one doubles the wait (1 s, 2 s,
    # 4 s, ... up to a minute).
    login_window: int = 900
    login_attempts_per_source: int = 100
    login_attempts_per_account: int = 10
    login_attempts_per_device: int = 20
    # The password grant's attempts relayed by one client (its server's address is shared by
    # all its users, so it is counted per client instead of per source).
    login_attempts_per_client: int = 1000
    login_free_failures: int = 3
    # How long a browser that signed in to an account is remembered as the owner's (it then
    # escapes that account's lockout of strangers), in days.
    device_trust_expire: int = 180
    # Host names (or IP literals) the provider's outbound requests (back-channel logout) may
    # reach on a private network: an RP inside a company network. Loopback, link-local and
    # metadata addresses stay refused unless the deployment is in local development.
    # Operator-only (chalicelib/admin/api.py): a tenant admin must not aim the provider at
    # the operator's network.
    outbound_allowed_hosts: tuple[str, ...] = ()
    # What self-registered clients (RFC 7591, open or with an initial access token) may have:
    # grant types (no password or client_credentials by default: those get tokens without
    # the user's consent on this provider's own page), redirect hosts (host names or
    # "*.example.com"; empty: any), registration attempts per source address and hour, and
    # how many may exist at once (chalicelib/admin/registration_policy.py).
    registration_grant_types: tuple[str, ...] = ("authorization_code", "implicit", "refresh_token")
    registration_redirect_hosts: tuple[str, ...] = ()
    registrations_per_source: int = 10
    registration_quota: int = 1000
    # Second factors (mfa; chalicelib/accounts/factors.py): "off" (never asked), "optional"
    # (asked of users who enrolled one, and enrolment offered when an RP asks for acr_values
    # of multi-factor strength), "required" (every user enrols during sign-in). Codes tried
    # per account and per source address in each login_window.
    mfa_policy: str = "off"
    mfa_attempts_per_account: int = 10
    mfa_attempts_per_source: int = 100
    # Email, sign-up and recovery (chalicelib/mail, chalicelib/oidc/endpoints/recovery.py):
    # the sender of the tenant's mail (an address or domain verified in SES; None: the
    # deployment's MAIL_SENDER), how long reset and verification links live (seconds),
    # self-service sign-up (off by default) and the claims it asks for besides the email,
    # and the abuse limits on every form that sends mail: per source address and per
    # account (the address or username typed), per mail_window seconds.
    mail_sender: str | None = None
    reset_link_expire: int = 900
    verify_link_expire: int = DAY
    signup_enable: bool = False
    signup_claims: tuple[str, ...] = ("name",)
    mail_window: int = 3600
    mail_requests_per_source: int = 20
    mail_requests_per_account: int = 3
    branding: Branding = field(default_factory=Branding)
    # Languages (chalicelib/i18n): the pages' language when neither the authorization
    # request's ui_locales nor the browser's Accept-Language names one the provider has.
    default_language: str = DEFAULT_LANGUAGE
    extra_scopes: Mapping[str, ExtraScope] = field(default_factory=dict)
    # Pushed authorization requests (RFC 9126; chalicelib/oidc/endpoints/par.py): whether every
    # client must push its authorization requests (a client may be required to on its own:
    # its require_pushed_authorization_requests), and how long a request_uri lives (seconds).
    require_pushed_authorization_requests: bool = False
    pushed_request_expire: int = 60
    pushes_per_source: int = 120
    pushes_per_client: int = 6000
    # Resource indicators (RFC 8707; chalicelib/oidc/resources.py): the identifiers of the
    # tenant's APIs (absolute URIs, no fragment), which clients may ask access tokens for
    # with ``resource``; such a token's aud is the API. The issuer is always one.
    resource_servers: tuple[str, ...] = ()
    # DPoP (RFC 9449; chalicelib/oidc/dpop_binding.py): whether proofs must carry a server
    # nonce (§8, §9). Off by default: FAPI 2.0 leaves nonces optional (clocks are synchronised
    # and iat is checked), and a nonce costs every client a second request now and then.
    dpop_nonce_required: bool = False
    # Request objects (RFC 9101, OIDC Core §6; chalicelib/oidc/request_object.py): whether a
    # client's registered https request_uri is fetched (on a browser's request), whether
    # unsigned (alg none) request objects are taken from clients that registered no
    # request_object_signing_alg, whether every client must send signed request objects, and
    # how many request_uri fetches a minute one source address and one client's name may cause.
    request_uri_enable: bool = False
    allow_unsigned_request_objects: bool = False
    require_signed_request_object: bool = False
    request_uri_fetches_per_source: int = 60
    request_uri_fetches_per_client: int = 3000
    # Device authorization grant (RFC 8628; chalicelib/oidc/endpoints/device_authorization.py,
    # chalicelib/device): lifetimes, the polling interval and the abuse limits (BOUNDS above).
    device_code_expire: int = 600
    device_poll_interval: int = 5
    device_requests_per_source: int = 60
    device_requests_per_client: int = 6000
    user_code_attempts_per_source: int = 20
    user_code_attempts_per_tenant: int = 10_000

    @classmethod
    def from_stored(cls, values: Mapping[str, Any]) -> TenantSettings:
        """The settings a tenant record holds, for serving it. Writes go through
        ``from_mapping``; a record written before today's rules may break them, and must not
        make every request of its tenant fail: a lifetime out of bounds is brought to the
        nearest bound (10**20 seconds once overflowed every login), any other setting that
        fails is left at its default, and a warning says which."""
        try:
            return cls.from_mapping(values)
        except (TypeError, ValueError):
            pass
        kept = {}
        for name, value in values.items():
            if name in BOUNDS and type(value) in (int, bool):
                low, high = BOUNDS[name]
                value = min(max(int(value), low), high)
            try:
                cls.from_mapping({name: value})
            except (TypeError, ValueError) as error:
                logging.getLogger("oidc").warning("tenant setting %s ignored: %s", name[:64], error)
                continue
            kept[name] = value
        return cls.from_mapping(kept)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TenantSettings:
        """Settings to be stored: every value checked; unknown names are refused, not ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown tenant settings: {', '.join(sorted(unknown))}")
        values = dict(values)
        if "branding" in values:
            values["branding"] = Branding.from_mapping(values["branding"])
        if "extra_scopes" in values:
            values["extra_scopes"] = _extra_scopes(values["extra_scopes"])
        if "outbound_allowed_hosts" in values:
            values["outbound_allowed_hosts"] = _hosts(values["outbound_allowed_hosts"])
        if "registration_redirect_hosts" in values:
            values["registration_redirect_hosts"] = _hosts(
                values["registration_redirect_hosts"], "registration_redirect_hosts", _HOST_PATTERN
            )
        if "registration_grant_types" in values:
            values["registration_grant_types"] = _grant_types(values["registration_grant_types"])
        if "signup_claims" in values:
            values["signup_claims"] = _signup_claims(values["signup_claims"])
        if "resource_servers" in values:
            values["resource_servers"] = _resource_servers(values["resource_servers"])
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int":
                low, high = BOUNDS[f.name]
                # bool is an int to Python (True == 1): a lifetime of `true` is refused too.
                if type(value) is not int or not low <= value <= high:
                    raise ValueError(f"{f.name} must be a whole number from {low} to {high}")
            if f.type == "bool" and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false")
        key = self.unauthenticated_session_management_key
        if key is not None and (not isinstance(key, str) or not 16 <= len(key) <= 128 or not _ALNUM.fullmatch(key)):
            raise ValueError("unauthenticated_session_management_key has 16 to 128 letters and digits")
        for name, allowed in CHOICES.items():
            if not isinstance(getattr(self, name), str) or getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(repr(choice) for choice in allowed)}")
        sender = self.mail_sender
        if sender is not None and (not isinstance(sender, str) or len(sender) > 254 or not EMAIL.fullmatch(sender)):
            raise ValueError("mail_sender must be an email address (name@example.com)")
        if self.key_rotation_days and self.key_rotation_days * DAY <= self.key_prepublish_seconds:
            raise ValueError("key_rotation_days must be longer than key_prepublish_seconds (or 0)")
        if self.key_backend == "kms" and self.key_algorithm == "EdDSA":
            raise ValueError(
                "the kms key backend signs RS256, PS256 or ES256; EdDSA keys are envelope or secretsmanager"
            )


def _hosts(values: Any, name: str = "outbound_allowed_hosts", pattern: re.Pattern = _HOST) -> tuple[str, ...]:
    if not isinstance(values, (list, tuple)) or len(values) > MAX_ALLOWED_HOSTS:
        raise ValueError(f"{name} is a list of at most {MAX_ALLOWED_HOSTS} host names")
    for host in values:
        if not isinstance(host, str) or pattern.fullmatch(host) is None:
            raise ValueError(f"{name} holds host names (lower case) or IP addresses")
    return tuple(dict.fromkeys(values))


def _grant_types(values: Any) -> tuple[str, ...]:
    if not isinstance(values, (list, tuple)) or not all(isinstance(value, str) for value in values):
        raise ValueError("registration_grant_types is a list of grant types")
    unknown = [value for value in values if value not in GRANT_TYPES]
    if unknown:
        raise ValueError(f"registration_grant_types are among {', '.join(GRANT_TYPES)}")
    return tuple(dict.fromkeys(values))


def _signup_claims(values: Any) -> tuple[str, ...]:
    if not isinstance(values, (list, tuple)) or not all(value in SIGNUP_CLAIMS for value in values):
        raise ValueError(f"signup_claims are among {', '.join(SIGNUP_CLAIMS)}")
    return tuple(dict.fromkeys(values))


MAX_RESOURCE_SERVERS = 50
MAX_RESOURCE_LENGTH = 512


def _resource_servers(values: Any) -> tuple[str, ...]:
    """RFC 8707 §2: an absolute URI without a fragment (usually the API's https base URL)."""
    from chalicelib import uris

    if not isinstance(values, (list, tuple)) or len(values) > MAX_RESOURCE_SERVERS:
        raise ValueError(f"resource_servers is a list of at most {MAX_RESOURCE_SERVERS} URIs")
    for value in values:
        try:
            parsed = uris.parse(value)
        except ValueError:
            parsed = None
        absolute = parsed is not None and ":" in value  # uris.parse reads a bare word as a scheme
        if not absolute or parsed.fragment is not None or len(value) > MAX_RESOURCE_LENGTH:
            raise ValueError(
                f"resource_servers holds absolute URIs of at most {MAX_RESOURCE_LENGTH} characters, without fragment"
            )
    return tuple(dict.fromkeys(values))


def _extra_scopes(values: Any) -> dict[str, ExtraScope]:
    if not isinstance(values, Mapping) or len(values) > MAX_EXTRA_SCOPES:
        raise ValueError(f"extra_scopes maps at most {MAX_EXTRA_SCOPES} scope names to {{title, description, claims}}")
    scopes = {}
    for name, spec in values.items():
        if not isinstance(name, str) or _NAME.fullmatch(name) is None or name in RESERVED_SCOPES:
            raise ValueError(f"{name!r} cannot be an extra scope"[:120])
        if not isinstance(spec, Mapping) or not {"title", "description"} <= set(spec) <= _SCOPE_FIELDS:
            raise ValueError(f"extra scope {name} has a title, a description and claims")
        claims = spec.get("claims", [])
        if not isinstance(claims, list) or len(claims) > MAX_EXTRA_SCOPES:
            raise ValueError(f"the claims of extra scope {name} are a list of at most {MAX_EXTRA_SCOPES} names")
        scopes[name] = ExtraScope(spec["title"], spec["description"], tuple(claims))
    return scopes


def _text(value: Any, shortest: int, longest: int) -> bool:
    return isinstance(value, str) and shortest <= len(value.strip()) and len(value) <= longest


def _http_uri(value: Any) -> bool:
    from chalicelib import uris  # on first use: a cold start that serves discovery never needs it

    try:
        parsed = uris.parse(value)
    except ValueError:
        return False
    return parsed.scheme in ("https", "http") and parsed.host is not None
