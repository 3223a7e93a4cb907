"""Tables of hostile input, shared by the unit tests (each refusal with its spec error) and
the HTTP fuzzer (tests/integration/test_fuzz.py), which sends them among random requests.
Every entry is refused wherever it is sent; none of them may be written."""

from __future__ import annotations

REDIRECT_URI = "https://rp.example.com/callback"
PASSWORD = "correct horse battery staple"
INJECTION = "https://rp.example.com;frame-ancestors *;/cb"
DEEP = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000

HOSTILE_URIS = [
    INJECTION,
    "https://rp.example.com/cb\r\nSet-Cookie: op_session=x",
    "https://rp.example.com frame-ancestors *",
    "https://user@rp.example.com/cb",
    "https://0x7f.1/cb",
    "https://bücher.example/cb",
    "https://rp.example.com/%0a",
    "https://rp.example.com/a\\b",
]

BAD_JSON = [
    DEEP,
    DEEP_OBJECT,
    b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}",  # deeper than any metadata or setting needs
    b'{"a": "\\ud800"}',  # a lone surrogate: not a Unicode string, cannot be stored
    b'{"a": NaN}',
    b'{"a": 1e999}',
    b'{"a": ' + b"9" * 5000 + b"}",  # beyond int's digit limit
    b'{"a": "\xff"}',
    b"\xef\xbb\xbf{}",  # a byte-order mark: RFC 8259 §8.1 says not to send one
    b"{" + b'"a":1,' * 20000 + b'"b":1}',  # larger than the body limit
    b"",
    b"null",
]

EXTRA = {"title": "Books", "description": "Read your loans", "claims": ["library_card"]}
BAD_SETTINGS = [
    {"branding": "x"},
    {"branding": 5},
    {"branding": ["#112233"]},
    {"branding": None},
    {"branding": {"logo_uri": 5}},
    {"branding": {"display_name": 5}},
    {"branding": {"display_name": "x" * 65}},
    {"branding": {"display_name": "  "}},
    {"branding": {"primary_color": 5}},
    {"branding": {"primary_color": "#1122334"}},
    {"branding": {"background": "#112233"}},
    {"extra_scopes": "books:read"},
    {"extra_scopes": ["books:read"]},
    {"extra_scopes": {"books:read": "x"}},
    {"extra_scopes": {"books:read": None}},
    {"extra_scopes": {"books:read": {**EXTRA, "title": 5}}},
    {"extra_scopes": {"books:read": {**EXTRA, "title": ""}}},
    {"extra_scopes": {"books:read": {**EXTRA, "title": "x" * 65}}},
    {"extra_scopes": {"books:read": {**EXTRA, "description": ["x"]}}},
    {"extra_scopes": {"books:read": {**EXTRA, "claims": "library_card"}}},  # a string is not a list of names
    {"extra_scopes": {"books:read": {**EXTRA, "claims": [5]}}},
    {"extra_scopes": {"books:read": {**EXTRA, "claims": {"library_card": True}}}},
    {"extra_scopes": {"books:read": {**EXTRA, "claims": ["sub"]}}},
    {"extra_scopes": {"books:read": {**EXTRA, "icon": "x"}}},
    {"extra_scopes": {"books:read": {"title": "Books"}}},
    {"extra_scopes": {"Books": EXTRA}},
    {"extra_scopes": {"openid": EXTRA}},
    {"extra_scopes": {f"s{i}": EXTRA for i in range(33)}},
    {"client_registration": 5},
    {"client_registration": ["open"]},
    {"client_registration": {"open": True}},
    {"client_registration": None},
    {"require_pkce": None},
    {"require_pkce": "ALL"},
    {"unauthenticated_session_management_key": 5},
    {"unauthenticated_session_management_key": "é" * 16},  # str.isalnum() took any script
    {"unauthenticated_session_management_key": "a" * 15},
]

NEW_CLIENT = {"name": "X", "client_type": "confidential", "redirect_uris": [REDIRECT_URI]}
BAD_CLIENT_FIELDS = [
    {"redirect_uris": None},
    {"redirect_uris": REDIRECT_URI},
    {"redirect_uris": [5]},
    {"redirect_uris": [[REDIRECT_URI]]},
    {"redirect_uris": [REDIRECT_URI] * 33},
    {"post_logout_redirect_uris": None},
    {"response_types": None},
    {"response_types": "code"},
    {"grant_types": [1]},
    {"grant_types": "authorization_code"},
    {"scopes": None},
    {"scopes": [["openid"]]},
    {"scopes": ["openid"] * 33},
    {"require_consent": "yes"},
    {"require_consent": 1},
    {"require_consent": None},
    {"reuse_consent": []},
    {"frontchannel_logout_session_required": "true"},
    {"id_token_signed_response_alg": None},
    {"id_token_signed_response_alg": 256},
    {"token_endpoint_auth_method": 5},
    {"website_url": []},
    {"terms_url": {"href": "https://x.example"}},
    {"logo_uri": 5},
    {"contact_email": 5},
    {"contact_email": "a" * 250 + "@x.example"},
    {"backchannel_logout_uri": True},
    {"name": 5},
    {"name": ""},
    {"name": "x" * 129},
    {"name": None},
    {"secret_hash": "x"},
    {"unknown": 1},
]

OTHER_ADMIN_FIELDS = [
    ("POST", "/clients", {**NEW_CLIENT, "client_id": 5}),
    ("POST", "/clients", {**NEW_CLIENT, "client_id": ["a"]}),
    ("POST", "/clients", {**NEW_CLIENT, "client_id": ""}),
    ("POST", "/clients", {**NEW_CLIENT, "client_type": ["public"]}),
    ("PATCH", "/clients/{client_id}", {"client_id": "another"}),
    ("PATCH", "/clients/{client_id}", {"client_id": 5}),
    ("POST", "/users", {"username": 5, "password": PASSWORD}),
    ("POST", "/users", {"username": "bob", "password": 5}),
    ("POST", "/users", {"username": "bob", "password": "x" * 4097}),
    ("POST", "/users", {"username": "bob", "password": PASSWORD, "claims": []}),
    ("POST", "/users", {"username": "bob", "password": PASSWORD, "claims": "name=Bob"}),
    ("POST", "/users", {"username": "bob", "password": PASSWORD, "role": "admin"}),
    ("POST", "/users", {"username": "x" * 129, "password": PASSWORD}),
    ("PATCH", "/users/{user}", {"active": "no"}),
    ("PATCH", "/users/{user}", {"active": 0}),
    ("PATCH", "/users/{user}", {"password": 5}),
    ("PATCH", "/users/{user}", {"claims": 5}),
    # Checked before the first write: the valid claims are not written either.
    ("PATCH", "/users/{user}", {"claims": {"name": "Alice B"}, "password": "short"}),
    ("PATCH", "/users/{user}", {"claims": {"name": "Alice B"}, "active": "no"}),
    ("POST", "/registration-tokens", {"days": True}),
    ("POST", "/registration-tokens", {"days": "7"}),
    ("POST", "/registration-tokens", {"days": 1.5}),
    ("POST", "/registration-tokens", {"days": 10**20}),
    ("POST", "/registration-tokens", {"note": 5}),
    ("POST", "/registration-tokens", {"note": "x" * 257}),
    ("POST", "/registration-tokens", {"days": 7, "scope": "admin"}),
    ("PATCH", "", {}),
    ("PATCH", "", {"settings": {}, "name": "Renamed"}),
    ("PATCH", "", {"settings": None}),
    ("PATCH", "", {"settings": [["token_expire", 900]]}),
]
