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


# For the HTTP fuzzer (tests/support/fuzz.py): values, bytes and headers it draws from.
JUNK = ["", " ", "\x00", "\x00" * 8, "é" * 3, "\ufffd", "\U0001f600", "%", "%%", "a" * 5000, "-1", "0",
        "99999999999999999999999999", "1e309", "-0", "0x10", "NaN", "null", "[]", "{}", "<script>", "\r\n", "\t",
        "openid " * 300, "https://evil.example/cb", INJECTION, "javascript:alert(1)", "a.b.c", ".", "..",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "\u202e", "\\", '"', "'", "=", "&", "#", "+"]  # fmt: skip
BAD_ESCAPES = [b"%", b"%Z", b"%ZZ", b"%C3", b"%C3%28", b"%ED%A0%80", b"%C0%AF", b"%FF%FE", b"%00", b"%F4%90%80%80",
               b"%E2%82", b"%80", b"%0D%0A"]  # fmt: skip
BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80", b"\xfe\xff", b"\x00", b"\x7f", b"\xc0\xaf", b"\x01"]
MALFORMED_JSON = [*BAD_JSON, b"{", b'{"a":', b"[1,2", b'{"a" 1}', b"'x'", b"{}}", b'{"a":1}x', b"\x00",
                  b'{"a":1,"a":2}', b'"x"', b"5", b"true", b"[]", b"\xff\xfe{\x00}\x00", b'{"a":-}', b'{"a":.5}',
                  b'{"a":"\\x41"}', b'{"a":"\\u12"}', b'{"a":"' + b"\\" * 3 + b'"}']  # fmt: skip
REFUSED_SETTINGS = [*BAD_SETTINGS, {"code_expire": 10**20}, {"token_expire": 0}, {"session_expire": True},
                    {"idtoken_expire": "600"}, {"interaction_expire": -5}, {"refresh_token_expire": 10**9},
                    {"skip_consent_expire": 3651}, {"key_backend": "kms"}, {"no_such_setting": 1}]  # fmt: skip
CONTENT_TYPES = [b"application/json", b"application/x-www-form-urlencoded", b"text/plain", b"",
                 b"multipart/form-data; boundary=x", b"application/x-www-form-urlencoded; charset=latin1",
                 b"application/json; charset=utf-16", b"\xff/\xfe", b"application/jwt", b"*/*", b"x" * 3000,
                 b"APPLICATION/JSON", b"application/json;;;", b"application/x-www-form-urlencoded\x00"]  # fmt: skip
EXTRA_HEADERS = [b"X-Forwarded-Proto: https", b"X-Forwarded-Proto: \xff", b"X-Forwarded-Proto: ftp, https",
                 b"X-Forwarded-For: 10.0.0.1", b"Origin: https://evil.example", b"Origin: null",
                 b"X-Junk: \xff\xfe\x00\x01", b"X-Big: " + b"b" * 12_000, b"X-Bigger: " + b"b" * 20_000,
                 b"Accept: \xff", b"User-Agent: " + "é".encode() * 100, b"Content-Encoding: gzip",
                 b"Transfer-Encoding: identity", b"Expect: 100-continue", b"X-A: 1\r\nX-B: 2",
                 b"X-Huge: " + b"h" * 70_000, b"\xff\xfe: x", b"Cookie: op_csrf=" + b"c" * 43,
                 # DPoP proofs (RFC 9449) that are anything but one.
                 b"DPoP: \xff\xfe", b"DPoP: a.b.c", b"DPoP: e30.e30.e30", b"DPoP: " + b"x." * 6000,
                 b"DPoP: eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7fX0.e30.AA", b"DPoP: a.b.c, d.e.f",
                 b"DPoP: eyJhbGciOiJub25lIn0.e30."]  # fmt: skip
ODD_COOKIES = [b"op_session=" + b"a" * 43 + b"." + b"YWxpY2U", b"op_session=\xc3\xa9.\xff", b"op_csrf=\xe9" * 30,
               b"op_session=x.y.z", b"=", b"op_csrf", b'op_csrf="' + b"a" * 43, b"theme=\xff\xfe",
               b"op_browser_state=\x00", b"a=" + b"b" * 5000, b";;;"]  # fmt: skip
