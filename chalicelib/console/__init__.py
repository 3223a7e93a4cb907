"""The tenant admin console: server-rendered pages under ``<issuer>/console`` with which a
tenant's administrators manage its clients, users, sessions, consents, branding, settings
and keys. Plain values in, plain values out (``Page``/``Redirect``), like the protocol's
endpoints; ``chalicelib.web.console`` routes requests here.

The console is the tenant's own first relying party: its administrators sign in through
the tenant's authorization endpoint like any user (``signin``), and every change goes
through the admin services the CLI and the admin API use, audited (``audit``).
"""

PATH = "/console"


def url(issuer: str, page: str = "") -> str:
    """A console page's URL under the tenant's issuer."""
    return f"{issuer}{PATH}{page}"
