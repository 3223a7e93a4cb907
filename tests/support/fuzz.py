"""Hostile HTTP requests as bytes on the wire, for the HTTP fuzzer (tests/integration/test_fuzz.py).

Raw bytes rather than a client library, because http.client and requests rightly refuse to
send what an attacker sends: non-ASCII and control bytes in paths, queries, headers and
cookies, percent-escapes that decode to invalid UTF-8, bodies that lie about their type.
HTTP framing itself stays valid (a request line, CRLFs, a true Content-Length): splitting
requests is the front door's business (API Gateway), not the application's.

Requests are drawn from a seeded generator, so a failure names a seed and an index that
reproduce it. Admin writes sent with the tenant's valid key carry only bodies from the
refused tables (tests/support/hostile.py) and name only ids that do not exist: the fuzzer
never changes what it fuzzes, and a 2xx to any of them is itself a failure.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from tests.support import hostile
from tests.support.request_objects import hostile_objects

AUTHORIZE = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "prompt", "max_age",
             "response_mode", "code_challenge", "code_challenge_method", "login_hint", "request", "request_uri",
             "registration", "id_token_hint", "claims", "display", "ui_locales", "acr_values", "resource")  # fmt: skip
LOGIN = ("ticket", "csrf_token", "username", "password", "action")
CONSENT = ("ticket", "csrf_token", "decision")
LOGOUT = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales")
TOKEN = ("grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id",
         "client_secret", "username", "password", "resource", "device_code")  # fmt: skip
TOKEN_OPS = ("token", "token_type_hint", "client_id", "client_secret")
# Client authentication by JWT (RFC 7523), at every endpoint that authenticates clients.
ASSERTION = ("client_assertion_type", "client_assertion")
METADATA = ("redirect_uris", "response_types", "grant_types", "client_name", "token_endpoint_auth_method", "scope",
            "contacts", "logo_uri", "client_uri", "policy_uri", "id_token_signed_response_alg", "jwks",
            "backchannel_logout_uri", "frontchannel_logout_uri", "post_logout_redirect_uris", "client_id",
            "client_secret", "subject_type", "application_type", "frontchannel_logout_session_required",
            "jwks_uri", "token_endpoint_auth_signing_alg", "require_pushed_authorization_requests",
            "request_uris", "request_object_signing_alg", "require_signed_request_object")  # fmt: skip
ADMIN = "/admin/tenants/{t}"
# The pages issue 9 added: the second factor (TOTP, recovery codes, passkeys after the
# password), the user's passkeys, forgot/reset password, email verification, sign-up and
# its link, the account page with its actions and its own sign-in's callback.
MFA = ("ticket", "csrf_token", "code", "action", "credential")
PASSKEYS = ("csrf_token", "action", "passkey", "credential", "password")
FORGOT = ("ticket", "csrf_token", "username")
LINK = ("token", "csrf_token", "password", "confirm")
EMAIL = ("csrf_token",)
SIGNUP = ("ticket", "csrf_token", "email", "password", "confirm", "name", "given_name")
ACCOUNT = ("csrf_token", "action", "current_password", "new_password", "password", "sid", "client_id")
ACCOUNT_TOTP = ("csrf_token", "ticket", "code", "action")
CALLBACK = ("code", "state", "iss", "error")
# The device authorization grant (RFC 8628): its endpoint, its page (the code, then the
# decision with its ticket) and the page's own sign-in's callback; polls go to /token.
DEVICE_AUTHORIZATION = ("client_id", "client_secret", "scope", "claims", *ASSERTION)
DEVICE_PAGE = ("csrf_token", "user_code", "ticket", "decision")
# The pages whose forms are CSRF protected: a clean request carries the browser's pair.
PAGES = ("login", "consent", "session", "mfa", "passkeys", "password/", "email", "signup", "account", "device")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {t} tenant, {c} the client, {u} the user, {x} an id that exists nowhere
    body: str  # "form", "json" or "none"
    params: tuple[str, ...] = ()
    admin: bool = False


ROUTES = (
    Route("GET", "/{t}/authorize", "none", AUTHORIZE),
    Route("POST", "/{t}/authorize", "form", AUTHORIZE),
    Route("GET", "/{t}/login", "none", LOGIN),
    Route("POST", "/{t}/login", "form", LOGIN),
    Route("GET", "/{t}/consent", "none", CONSENT),
    Route("POST", "/{t}/consent", "form", CONSENT),
    Route("GET", "/{t}/end-session", "none", LOGOUT),
    Route("POST", "/{t}/end-session", "form", LOGOUT),
    Route("POST", "/{t}/end-session/confirm", "form", CONSENT),
    Route("GET", "/{t}/check-session", "none"),
    Route("POST", "/{t}/token", "form", TOKEN + ASSERTION),
    Route("POST", "/{t}/par", "form", AUTHORIZE + ASSERTION + ("client_secret",)),
    Route("OPTIONS", "/{t}/token", "none"),
    Route("GET", "/{t}/userinfo", "none", ("access_token",)),
    Route("POST", "/{t}/userinfo", "form", ("access_token",)),
    Route("POST", "/{t}/introspect", "form", TOKEN_OPS + ASSERTION),
    Route("POST", "/{t}/revoke", "form", TOKEN_OPS),
    Route("GET", "/{t}/.well-known/openid-configuration", "none"),
    Route("GET", "/{t}/.well-known/oauth-authorization-server", "none"),
    Route("GET", "/.well-known/oauth-authorization-server/{t}", "none"),
    Route("GET", "/{t}/jwks.json", "none"),
    Route("POST", "/{t}/register", "json", METADATA),
    Route("GET", "/{t}/register/{c}", "none"),
    Route("PUT", "/{t}/register/{c}", "json", METADATA),
    Route("DELETE", "/{t}/register/{c}", "none"),
    Route("GET", ADMIN, "none", admin=True),
    Route("PATCH", ADMIN, "json", admin=True),
    Route("GET", ADMIN + "/clients", "none", admin=True),
    Route("POST", ADMIN + "/clients", "json", admin=True),
    Route("GET", ADMIN + "/clients/{c}", "none", admin=True),
    Route("PATCH", ADMIN + "/clients/{c}", "json", admin=True),
    Route("DELETE", ADMIN + "/clients/{x}", "none", admin=True),
    Route("POST", ADMIN + "/clients/{x}/secret", "none", admin=True),
    Route("GET", ADMIN + "/users", "none", ("after",), admin=True),
    Route("POST", ADMIN + "/users", "json", admin=True),
    Route("GET", ADMIN + "/users/{u}", "none", admin=True),
    Route("PATCH", ADMIN + "/users/{u}", "json", admin=True),
    Route("DELETE", ADMIN + "/users/{x}", "none", admin=True),
    Route("POST", ADMIN + "/registration-tokens", "json", admin=True),
    Route("GET", "/{t}/mfa", "none", MFA),
    Route("POST", "/{t}/mfa", "form", MFA),
    Route("GET", "/{t}/passkeys", "none"),
    Route("POST", "/{t}/passkeys", "form", PASSKEYS),
    Route("GET", "/{t}/password/forgot", "none", ("ticket",)),
    Route("POST", "/{t}/password/forgot", "form", FORGOT),
    Route("GET", "/{t}/password/reset", "none", ("token",)),
    Route("POST", "/{t}/password/reset", "form", LINK),
    Route("GET", "/{t}/email", "none"),
    Route("POST", "/{t}/email", "form", EMAIL),
    Route("GET", "/{t}/email/verify", "none", ("token",)),
    Route("POST", "/{t}/email/verify", "form", LINK),
    Route("GET", "/{t}/signup", "none", ("ticket",)),
    Route("POST", "/{t}/signup", "form", SIGNUP),
    Route("GET", "/{t}/signup/confirm", "none", ("token",)),
    Route("POST", "/{t}/signup/confirm", "form", LINK),
    Route("GET", "/{t}/account", "none", ("done",)),
    Route("POST", "/{t}/account", "form", ACCOUNT),
    Route("GET", "/{t}/account/callback", "none", CALLBACK),
    Route("GET", "/{t}/account/totp", "none"),
    Route("POST", "/{t}/account/totp", "form", ACCOUNT_TOTP),
    # The example API (RFC 6750 bearer tokens, chalicelib/resource_server), and a method it lacks.
    Route("GET", "/{t}/example/me", "none", ("access_token",)),
    Route("POST", "/{t}/example/me", "form", ("access_token",)),
    Route("POST", "/{t}/device_authorization", "form", DEVICE_AUTHORIZATION),
    Route("GET", "/{t}/device", "none", ("user_code",)),
    Route("POST", "/{t}/device", "form", DEVICE_PAGE),
    Route("GET", "/{t}/device/callback", "none", CALLBACK),
    Route("GET", "/health", "none"),
    Route("GET", "/", "none"),
    Route("GET", "/{t}", "none"),
    # Unknown paths and methods.
    Route("GET", "/{t}/nothing-here", "none", AUTHORIZE),
    Route("POST", "/nothing-here", "form", TOKEN),
    Route("DELETE", "/{t}/token", "form", TOKEN),
    Route("PUT", "/{t}/authorize", "form", AUTHORIZE),
    Route("GET", "/admin/tenants", "none", admin=True),
    Route("PUT", ADMIN + "/users", "json", admin=True),
)


@dataclass(frozen=True)
class Target:
    """What the requests aim at: a tenant set up by the test, and live material from it so
    requests get past the first checks (a valid client, CSRF pair and login ticket)."""

    host: str  # 127.0.0.1:<port>
    tenant: str
    client_id: str
    client_secret: str
    public_client_id: str
    user: str  # named by admin routes only: never a login or token sample
    admin_key: str
    other_admin_key: str  # another tenant's
    csrf_cookie: str
    csrf_token: str
    ticket: str  # a live login ticket
    access_token: str  # another client's: revoking it through ours writes nothing


@dataclass(frozen=True)
class Wire:
    route: Route
    data: bytes
    must_refuse: bool  # an admin write with the valid key


def requests(seed: int, count: int, target: Target) -> list[Wire]:
    """``count`` requests, every route in turn (so each gets its share), each one random."""
    rng = random.Random(seed)
    return [request(rng, ROUTES[index % len(ROUTES)], target) for index in range(count)]


def request(rng: random.Random, route: Route, target: Target) -> Wire:
    """Half the requests are well-formed HTTP with plausible parameters, a few of them
    wrong, so they reach the protocol's later rules; the other half are hostile all over."""
    clean = rng.random() < 0.5
    key = _admin_key(rng, target) if route.admin else None
    valid_key = key == target.admin_key
    # With the valid key the route is sent as it is: a changed method or path could turn a
    # refused request into a real deletion.
    hostile_method = not (valid_key or clean) and rng.random() < 0.2
    method = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH"]) if hostile_method else route.method
    path = _path(rng, route, target, mutate=not (valid_key or clean))
    must_refuse = valid_key and method not in ("GET", "OPTIONS")
    in_query = route.body == "none" or (not clean and rng.random() < 0.2)
    query = _encoded(rng, _params(rng, route, target, clean), clean, in_url=True) if in_query else b""
    body, content_type = _body(rng, route, target, must_refuse, clean)
    headers = _headers(rng, route, target, key, content_type, clean)
    head = method.encode() + b" " + path + (b"?" + query if query else b"") + b" HTTP/1.1\r\n"
    headers.append(b"Content-Length: " + str(len(body)).encode())
    headers.append(b"Connection: close")
    return Wire(route, head + b"\r\n".join(headers) + b"\r\n\r\n" + body, must_refuse)


def _admin_key(rng: random.Random, target: Target) -> str | None:
    return rng.choice([target.admin_key] * 5 + [target.other_admin_key] * 2 + [None, "guess", "é" * 20])


def _path(rng: random.Random, route: Route, target: Target, mutate: bool) -> bytes:
    fake = rng.choice(["no-such-id", "x" * 300, "%00", "..", "%C3%A9", "a%2Fb"])
    real = route.method in ("GET", "PATCH", "PUT") or not route.admin
    ids = {"{t}": target.tenant, "{c}": target.client_id if real else fake, "{u}": target.user, "{x}": fake}
    path = route.path
    for placeholder, value in ids.items():
        path = path.replace(placeholder, value)
    raw = path.encode()
    if not mutate or rng.random() > 0.15:
        return raw
    segments = raw.split(b"/")
    index = rng.randrange(1, len(segments)) if len(segments) > 1 else 0
    choice = rng.randrange(6)
    if choice == 0:
        segments[index] = rng.choice([b"Acme", b"a", b"admin", b"x" * 70, b"%C3%A9", b"\xff", b"fz%00", b"%2e%2e"])
    elif choice == 1:
        segments[index] += rng.choice(hostile.BAD_ESCAPES + hostile.BAD_BYTES)
    elif choice == 2:
        segments.append(rng.choice([b"", b"extra", b"..", b"%2F"]))
    elif choice == 3:
        segments.insert(index, b"")
    elif choice == 4:
        segments[index] = b"y" * 4000
    else:
        segments[index] = quote(rng.choice(hostile.JUNK)).encode()
    return b"/".join(segments)


def _params(rng: random.Random, route: Route, target: Target, clean: bool) -> list[tuple[str, str]]:
    """A clean request starts from a valid one for its route and changes none to three of
    its parameters (replaced, dropped or repeated); a hostile one is random names and values."""
    names = list(route.params) or ["x"]
    if not clean:
        pairs = []
        for _ in range(rng.randrange(0, 9)):
            name = rng.choice(names) if rng.random() < 0.85 else rng.choice(["", "=", "a" * 300, "é", "x[]"])
            pairs.append((name, _value(rng, name, target)))
        return pairs
    pairs = list(_valid(rng, route, target).items())
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        change = rng.randrange(3)
        if change == 0 and pairs:
            pairs.pop(rng.randrange(len(pairs)))
        elif change == 1 or not pairs:
            name = rng.choice(names)
            pairs.append((name, _value(rng, name, target)))
        else:
            index = rng.randrange(len(pairs))
            pairs[index] = (pairs[index][0], _value(rng, pairs[index][0], target))
    return pairs


def _valid(rng: random.Random, route: Route, target: Target) -> dict[str, str]:
    """Parameters the route accepts as they are (as far as the fuzzer can make them)."""
    if route.params == AUTHORIZE:
        response_type = rng.choice(["code", "id_token", "id_token token", "code id_token", "token"])
        return {"client_id": target.client_id, "redirect_uri": "https://rp.example.com/callback", "nonce": "n",
                "response_type": response_type, "scope": "openid", "state": "s"}  # fmt: skip
    if route.params == LOGIN:
        return {"ticket": target.ticket, "csrf_token": target.csrf_token, "username": "nobody", "password": "pw"}
    if route.params == CONSENT:
        return {"ticket": target.ticket, "csrf_token": target.csrf_token, "decision": "allow"}
    if route.params == LOGOUT:
        bye = "https://rp.example.com/bye"
        return {"client_id": target.client_id, "post_logout_redirect_uri": bye, "state": "s"}
    if route.params == TOKEN:
        return rng.choice([
            {"grant_type": "client_credentials"},
            {"grant_type": "authorization_code", "code": "x" * 43, "redirect_uri": "https://rp.example.com/callback"},
            {"grant_type": "refresh_token", "refresh_token": "a.b"},
            {"grant_type": "password", "username": "nobody", "password": "pw", "scope": "openid"},
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "A" * 24 + "." + "B" * 43},
        ])  # fmt: skip
    if route.params == TOKEN_OPS:
        return {"token": target.access_token, "token_type_hint": "access_token"}
    return _valid_page(route, target)


def _valid_page(route: Route, target: Target) -> dict[str, str]:
    """A plausible submission of one of the pages issue 9 added: the CSRF pair right, the
    rest such as a person would type (no known account, no live link or session)."""
    typed = {"ticket": target.ticket, "username": "nobody@example.com", "email": "nobody@example.com",
             "password": "a long enough password", "confirm": "a long enough password", "token": "A" * 43,
             "code": "123456", "action": "remove", "name": "Nobody", "state": "s" * 43, "iss": "x",
             "user_code": "BCDF-GHJK", "decision": "approve", "scope": "openid"}  # fmt: skip
    values = {name: typed[name] for name in route.params if name in typed}
    return {**values, "csrf_token": target.csrf_token} if "csrf_token" in route.params else values


def _value(rng: random.Random, name: str, target: Target) -> str:
    samples = _samples(name, target)
    roll = rng.random()
    if roll < 0.6 and samples:
        return rng.choice(samples)
    if roll < 0.85:
        return rng.choice(hostile.JUNK)
    return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x3000)])) for _ in range(rng.randrange(20)))


def _samples(name: str, target: Target) -> list[str]:
    redirect = "https://rp.example.com/callback"
    return {
        "client_id": [target.client_id, target.public_client_id, "unknown"],
        "client_secret": [target.client_secret, "wrong"],
        "redirect_uri": [redirect, "http://127.0.0.1:5000/cb", "https://evil.example/cb", redirect + "/x"],
        "post_logout_redirect_uri": ["https://rp.example.com/bye", "https://evil.example/"],
        "response_type": ["code", "id_token", "id_token token", "code id_token token", "token", "none", "code code"],
        "scope": ["openid", "openid profile email", "offline_access", "token_introspection", "openid bogus"],
        "prompt": ["none", "login", "consent", "select_account", "none login"],
        "max_age": ["0", "60", "9999999999", "99999999999999999999", "-1", "1.5", "1e3"],
        "response_mode": ["query", "fragment", "form_post", "web_message"],
        "code_challenge_method": ["S256", "plain", "S512"],
        "code_challenge": ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "short"],
        "grant_type": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            "implicit",
            "x",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "user_code": ["BCDF-GHJK", "bcdfghjk", "AEIO-UBCD", "BCDF GHJK", "-" * 64],
        "device_code": ["A" * 24 + "." + "B" * 43, "a.b", "." * 80],
        "ticket": [target.ticket, target.ticket[:-2], target.ticket + "x", "abc.%C3%A9"],
        "csrf_token": [target.csrf_token, target.csrf_token.upper()],
        "decision": ["allow", "deny", "logout", "stay"],
        "action": [
            "cancel",
            "login",
            "passkey",
            "confirm",
            "remove",
            "continue",
            "change-password",
            "remove-totp",
            "recovery-codes",
            "end-session",
            "end-others",
            "withdraw-consent",
        ],
        "username": ["nobody", "root", "admin"],
        "password": ["password", "correct horse"],
        "token": [target.access_token, "x.y.z", "A" * 43, "é" * 43],
        "access_token": [target.access_token],
        "id_token_hint": [target.access_token, "eyJhbGciOiJIUzI1NiJ9.e30.x"],
        "token_type_hint": ["access_token", "refresh_token", "id_token"],
        "after": [target.user, "user#x", "\x00", "z" * 2000],
        "code": ["123456", "000000", "abcd-efgh", "1" * 100, "x" * 43],
        "credential": ["{}", "[]", '{"id": "A", "response": {}}', "[" * 4000, "null"],
        "passkey": ["x", "webauthn#x", "é"],
        "email": ["nobody@example.com", "a@b", "not an address", "x" * 300 + "@example.com"],
        "confirm": ["a long enough password", "other"],
        "current_password": ["wrong", ""],
        "new_password": ["short", "a long enough password", "x" * 2000],
        "sid": ["x" * 43, "", "é"],
        "done": ["password-changed", "x" * 300],
        "iss": ["https://evil.example", "http://127.0.0.1"],
        "error": ["access_denied", "é"],
        "state": ["s", "s" * 4096],
        "nonce": ["n"],
        # RFC 8707: the tenant's example API (listed by the test), the issuer, and malformed ones.
        "resource": [f"http://{target.host}/{target.tenant}/example", f"http://{target.host}/{target.tenant}",
                     "https://api.example.com/books", "/relative", "https://api.example.com/#f", "urn:x", "a b"],
        # Request objects (RFC 9101): hostile ones, and request_uris no client registered
        # (none is ever fetched: the fuzzed tenants do not enable request_uri).
        "request": hostile_objects(target.client_id),
        "request_uri": ["https://rp.example.com/req.jwt", "urn:ietf:params:oauth:request_uri:x", "http://[::1]/r"],
    }.get(name, [])  # fmt: skip


def _encoded(rng: random.Random, pairs: list[tuple[str, str]], clean: bool, in_url: bool) -> bytes:
    """Pairs as a query or a form body: percent-encoded, or (hostile) raw, with broken
    escapes, invalid UTF-8, and empty or nameless pairs."""
    parts = [_encode(rng, name, clean, in_url) + b"=" + _encode(rng, value, clean, in_url) for name, value in pairs]
    if not clean and rng.random() < 0.05:
        parts.extend([b"", b"=", b"&", b"noequals"])
    return b"&".join(parts)


def _encode(rng: random.Random, text: str, clean: bool, in_url: bool) -> bytes:
    roll = 0.0 if clean else rng.random()
    if roll < 0.6:
        return quote_plus(text).encode()
    if roll < 0.75:  # raw, unescaped bytes (but no space, CR or LF in a URL: they would break the framing)
        raw = text.encode("utf-8", "surrogatepass")
        return raw.replace(b" ", b"+").replace(b"\r", b"%0D").replace(b"\n", b"%0A") if in_url else raw
    if roll < 0.9:
        return quote_plus(text).encode() + rng.choice(hostile.BAD_ESCAPES)
    return rng.choice(hostile.BAD_BYTES)


def _body(
    rng: random.Random, route: Route, target: Target, must_refuse: bool, clean: bool
) -> tuple[bytes, bytes | None]:
    if route.body == "form":
        form = _encoded(rng, _params(rng, route, target, clean), clean, in_url=False)
        return (form if clean or rng.random() < 0.97 else b"a=" + b"b" * 300_000), b"application/x-www-form-urlencoded"
    if route.body == "json":
        return _refused_json(rng, route) if must_refuse else _json(rng, route), b"application/json"
    return (b"" if rng.random() < 0.9 else _json(rng, route)), None


_NAMES = itertools.count(1)


def _json(rng: random.Random, route: Route) -> bytes:
    if rng.random() < 0.25:
        return rng.choice(hostile.MALFORMED_JSON)
    names = list(route.params) or ["name", "client_type", "settings", "username", "password", "claims", "days"]
    value = {rng.choice(names): _json_value(rng, 0) for _ in range(rng.randrange(0, 6))}
    if "/register" in route.path and rng.random() < 0.3:
        value["redirect_uris"] = ["https://rp.example.com/callback"]  # sometimes a valid registration
        # Each under a name of its own (a name already taken is refused as an impersonation);
        # counted, not drawn, so the seeded sequence stays what it was.
        value.setdefault("client_name", f"Fuzz app {next(_NAMES)}")
    text = json.dumps(value)
    if rng.random() < 0.1:  # a literal JSON cannot carry: NaN, huge exponents, escaped lone surrogates
        text = text.replace("null", rng.choice(["NaN", "1e999", '"\\udc00"', "-Infinity", "1" * 5000]), 1)
    return text.encode()


def _json_value(rng: random.Random, depth: int):
    roll = rng.randrange(10 if depth < 3 else 7)
    if roll == 0:
        return rng.choice([None, True, False, 0, -1, 2**63, 10**30, 1.5, -0.0, 1e300])
    if roll in (1, 2):
        return rng.choice(hostile.JUNK)
    if roll == 3:
        return rng.choice(hostile.HOSTILE_URIS)
    if roll in (4, 5, 6):
        return rng.choice(["https://rp.example.com/callback", "https://xn--bcher-kva.example/cb", "code", "openid",
                           "none", "RS256", "X"])  # fmt: skip
    if roll in (7, 8):
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["title", "claims", "logo_uri", "a"]): _json_value(rng, depth + 1) for _ in range(3)}


def _refused_json(rng: random.Random, route: Route) -> bytes:
    """A body that route must refuse, whatever else is right with the request."""
    if rng.random() < 0.3:
        return rng.choice(hostile.MALFORMED_JSON)
    path = route.path.removeprefix(ADMIN)
    if path == "":
        return json.dumps({"settings": rng.choice(hostile.REFUSED_SETTINGS)}).encode()
    if route.method == "POST" and path == "/clients":
        fields = rng.choice([*hostile.BAD_CLIENT_FIELDS, *({"redirect_uris": [uri]} for uri in hostile.HOSTILE_URIS)])
        return json.dumps({**hostile.NEW_CLIENT, **fields}).encode()
    if path == "/clients/{c}":
        return json.dumps(rng.choice(hostile.BAD_CLIENT_FIELDS)).encode()
    shaped = [(method, pattern) for method, pattern, _ in hostile.OTHER_ADMIN_FIELDS]
    matching = [
        payload for (method, pattern), (_, _, payload) in zip(shaped, hostile.OTHER_ADMIN_FIELDS, strict=True)
        if method == route.method and pattern.replace("{user}", "{u}") == path
    ]  # fmt: skip
    return json.dumps(rng.choice(matching)).encode() if matching else rng.choice(hostile.MALFORMED_JSON)


def _headers(
    rng: random.Random, route: Route, target: Target, key: str | None, content_type: bytes | None, clean: bool
) -> list[bytes]:
    headers = []
    if clean or rng.random() < 0.95:
        hosts = [
            b"",
            b"evil.example",
            b"\xff",
            b"a b",
            b"127.0.0.1:99999",
            b"[::1",
            b"x" * 300,
            b"h\x00st",
            "bücher.example".encode(),
            b"xn--bcher-kva.example",
            b"xn--.example",
            b"127.0.0.1:8000, evil.example",
        ]
        headers.append(b"Host: " + (target.host.encode() if clean or rng.random() < 0.9 else rng.choice(hosts)))
    authorization = _authorization(rng, route, target, key, clean)
    if authorization is not None:
        headers.append(b"Authorization: " + authorization)
    if clean and any(page in route.path for page in PAGES):
        headers.append(b"Cookie: op_csrf=" + target.csrf_cookie.encode())
    elif rng.random() < 0.5 or any(page in route.path for page in PAGES):
        headers.append(b"Cookie: " + _cookies(rng, target))
    if content_type is not None and (clean or rng.random() < 0.85):
        headers.append(b"Content-Type: " + content_type)
    elif content_type is not None or rng.random() < 0.1:
        headers.append(b"Content-Type: " + rng.choice(hostile.CONTENT_TYPES))
    for _ in range(0 if clean else rng.choice([0, 0, 1, 2])):
        headers.append(rng.choice(hostile.EXTRA_HEADERS))
    return headers


def _authorization(rng: random.Random, route: Route, target: Target, key: str | None, clean: bool) -> bytes | None:
    if route.admin:
        return None if key is None else b"Bearer " + key.encode("utf-8")
    if route.path.endswith(("/token", "/introspect", "/revoke")):
        basic = f"{quote_plus(target.client_id)}:{quote_plus(target.client_secret)}"
        good = b"Basic " + base64.b64encode(basic.encode())
        if clean:
            return good
        return rng.choice([good, good, good, None, None, b"Basic \xc3\xa9\xc3\xa9", b"Basic \xff" * 4, b"Basic",
                           b"Basic Og==", b"Basic " + base64.b64encode(b"unknown:x"), b"Bearer x",
                           b"basic  " + good[6:], b"Basic " + b"QUJD" * 3000,
                           b"Basic " + base64.b64encode("é:é".encode())])  # fmt: skip
    if "userinfo" in route.path or "/register" in route.path or "/example/" in route.path:
        if clean:
            return b"Bearer " + target.access_token.encode()
        return rng.choice([b"Bearer " + target.access_token.encode(), None, b"Bearer \xc3\xa9", b"Bearer",
                           b"Bearer a b", b"Bearer " + b"x" * 9000, b"Basic Og==", b"Bearer \x00",
                           b"Bearer " + base64.urlsafe_b64encode(b"[" * 1100).rstrip(b"=") + b".e30.c2ln",
                           b"DPoP " + target.access_token.encode(), b"DPoP x.y.z", b"Bearer e30.e30.e30",
                           b"DPoP", b"dpop \xc3\xa9"])  # fmt: skip
    return None if clean or rng.random() < 0.9 else rng.choice([b"Basic \xff", b"Bearer \xe9"])


def _cookies(rng: random.Random, target: Target) -> bytes:
    pairs = []
    if rng.random() < 0.6:
        pairs.append(b"op_csrf=" + target.csrf_cookie.encode())
    for _ in range(rng.randrange(3)):
        pairs.append(rng.choice(hostile.ODD_COOKIES))
    rng.shuffle(pairs)
    return b"; ".join(pairs)
