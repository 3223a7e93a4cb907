"""The account page: ``<issuer>/account``, where a signed-in user changes their password,
manages their authenticator app and recovery codes, ends their sessions and withdraws the
consents they gave. Plain values in, plain values out (``Page``/``Redirect``), like the
protocol's endpoints; ``chalicelib.web.account`` routes requests here.

The page acts on the tenant's OP session (the ``op_session`` cookie that ``/authorize``
reads): the sessions it lists and ends are that kind, and a user with no session signs in
through the tenant's own authorization endpoint, the page being a built-in relying party
(``signin``), as the admin console is.
"""

PATH = "/account"


def url(issuer: str, page: str = "") -> str:
    """An account page's URL under the tenant's issuer."""
    return f"{issuer}{PATH}{page}"
