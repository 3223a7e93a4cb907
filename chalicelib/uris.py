"""URI syntax, strictly: what a client or tenant may register (RFC 3986, narrowed), and what
may be pasted into a Content-Security-Policy.

A registered URI ends up where one stray character changes the meaning: a ``Location``
header (CR/LF split it), a CSP source list (``;`` ends a directive, ``,`` a policy, a space
starts a new source: a host of ``x; frame-ancestors *`` once let a page frame the login
page), HTML attributes, and other parsers (browsers' WHATWG URL, RPs' frameworks) that read
backslashes, quotes, tabs and numeric hosts differently from RFC 3986. So the grammar here
is RFC 3986's with less in it: ASCII only; no whitespace, control characters, quotes,
backslashes, ``;`` or ``,`` anywhere; percent-escapes well-formed and never of a control
character; no user information (``user@host`` only misleads a reader); a host that is an
RFC 1123 name, a dotted-quad IPv4 address, or an IPv6 literal; at most 2,048 characters.

International hosts are accepted in their ASCII form only (A-labels, ``xn--...``), which is
what RFC 3986 §3.2.2 reg-names are. A Unicode host is refused with its A-label in the
message, not converted: redirect URIs are compared as exact strings, so what is stored must
be what the relying party sends.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80}
# RFC 3986 §2.2-2.3, less the sub-delims ' , and ; (see above).
_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&()*+=%")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_PCHAR = r"A-Za-z0-9\-._~!$&()*+=:@"
_PATH = re.compile(rf"(?:[{_PCHAR}/]|%[0-9A-Fa-f]{{2}})*")
_QUERY = re.compile(rf"(?:[{_PCHAR}/?]|%[0-9A-Fa-f]{{2}})*")
_CONTROL_ESCAPE = re.compile(r"%(?:[01][0-9A-Fa-f]|7[Ff])")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# WHATWG URL reads a host whose last label is a number (decimal, or 0x hex) as an IPv4
# address: 0x7f.1 and 2130706433 are 127.0.0.1 to a browser. Only dotted quads are accepted.
_NUMERIC = re.compile(r"[0-9]+|0[Xx][0-9A-Fa-f]*")
# A CSP source made from an origin: a host source with an explicit scheme (CSP3 §2.3.1),
# or the scheme source of a native app's private-use scheme (with a dot, RFC 8252 §7.1):
# never ``https:`` alone, which would allow every site.
_HOST = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|\[[0-9a-f:.]+\]"
_CSP_SOURCE = re.compile(rf"[a-z][a-z0-9+.-]*://(?:{_HOST})(?::[0-9]{{1,5}})?|[a-z][a-z0-9+-]*\.[a-z0-9+.-]*:")


@dataclass(frozen=True)
class Uri:
    text: str  # exactly as given, and valid
    scheme: str  # lower-case
    host: str | None  # lower-case; an IPv6 literal in brackets, compressed; None without authority
    port: int | None
    path: str
    query: str | None
    fragment: str | None

    @property
    def origin(self) -> str:
        """RFC 6454 §6.2's serialization (lower-case scheme and host, no default port), or
        ``scheme:`` for a URI without an authority (a native app's)."""
        if self.host is None:
            return f"{self.scheme}:"
        port = "" if self.port in (None, DEFAULT_PORTS.get(self.scheme)) else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"


def parse(text: object) -> Uri:
    """``text`` as a URI, or ValueError saying, for a person, what is wrong with it."""
    if not isinstance(text, str):
        raise ValueError("a URI is a string")
    if not 0 < len(text) <= MAX_LENGTH:
        raise ValueError(f"a URI has 1 to {MAX_LENGTH} characters")
    for char in text:
        if char not in _ALLOWED:
            raise ValueError(f"a URI may not contain {_describe(char)}{_idn_hint(text)}")
    if _CONTROL_ESCAPE.search(text):
        raise ValueError("a URI may not percent-encode control characters")
    scheme, _, rest = text.partition(":")
    if _SCHEME.fullmatch(scheme) is None:
        raise ValueError("a URI starts with a scheme (letters, digits, + - .) and a colon")
    rest, has_fragment, fragment = rest.partition("#")
    rest, has_query, query = rest.partition("?")
    host = port = None
    path = rest
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        path = slash + path
        host, port = _authority(authority)
    if _PATH.fullmatch(path) is None:
        raise ValueError("a URI's path has letters, digits, - . _ ~ ! $ & ( ) * + = : @ / and %-escapes")
    for part, present in ((query, has_query), (fragment, has_fragment)):
        if present and _QUERY.fullmatch(part) is None:
            raise ValueError("a URI's query and fragment have path characters, ? and %-escapes")
    return Uri(text, scheme.lower(), host, port, path, query if has_query else None, fragment if has_fragment else None)


def csp_source(origin: str | None) -> str | None:
    """``origin`` if it can go into a CSP source list exactly as it is, else None. Origins
    come from registered URIs, some perhaps stored before they were validated: an origin
    that does not match the strict grammar is left out of the policy, never pasted in."""
    if origin is None or len(origin) > MAX_LENGTH or _CSP_SOURCE.fullmatch(origin) is None:
        return None
    return origin


def _authority(authority: str) -> tuple[str, int | None]:
    if "@" in authority:
        raise ValueError("a URI may not carry user information (user@host)")
    if authority.startswith("["):
        literal, bracket, after = authority[1:].partition("]")
        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            address = None
        # No zone ids (RFC 6874: meaningless beyond one machine; ipaddress accepts them) and
        # no IPvFuture.
        if address is None or address.scope_id is not None or not bracket or (after and not after.startswith(":")):
            raise ValueError("a URI's IP literal must be an IPv6 address in brackets")
        host, port_text, has_port = f"[{address.compressed}]", after[1:], bool(after)
    else:
        name, colon, port_text = authority.partition(":")
        host, has_port = _hostname(name), bool(colon)
    if not has_port:
        return host, None
    if not port_text.isdigit() or len(port_text) > 5 or not 0 < int(port_text) <= 65535:
        raise ValueError("a URI's port is a number from 1 to 65535")
    return host, int(port_text)


def _hostname(name: str) -> str:
    """An RFC 1123 host name (letters, digits, hyphens; labels of 1 to 63) or a dotted quad."""
    if not name:
        raise ValueError("a URI with an authority (//) needs a host")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("a URI's host is a DNS name (letters, digits and hyphens between dots) or an IP address")
    if _NUMERIC.fullmatch(labels[-1]):
        try:
            ipaddress.IPv4Address(name)  # dotted quad; refuses leading zeros (octal to some)
        except ValueError:
            raise ValueError("a URI's numeric host must be a dotted-quad IPv4 address") from None
    return name.lower()


def _describe(char: str) -> str:
    if char.isspace():
        return "whitespace"
    if not char.isprintable():
        return "control characters"
    if char in "\"'\\":
        return {'"': "double quotes", "'": "single quotes", "\\": "backslashes"}[char]
    if not char.isascii():
        return "non-ASCII characters"
    return f"'{char}'"


def _idn_hint(text: str) -> str:
    """For a Unicode host, its A-label form: the one a URI may carry."""
    host = text.partition("//")[2].split("/")[0].split("?")[0].split("#")[0].rsplit(":", 1)[0]
    if host.isascii() or not host:
        return ""
    try:
        return f" (an international host is written in its ASCII form: {host.encode('idna').decode()})"
    except UnicodeError:
        return ""
