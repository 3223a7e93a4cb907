"""The tenant's device page, ``<issuer>/device`` (RFC 8628 §3.3): where a person enters the
user code a device shows, signs in, and approves or denies the device's request. Plain
values in, plain values out, like the account page; ``chalicelib.web.device`` routes here.

The person signs in through the tenant's own authorization endpoint, the page being a
built-in relying party (``device``, as the console and the account page are:
``chalicelib.own_rp``), so only the tenant's login (second factor, limits, hooks) vouches
for who approves.
"""

PATH = "/device"


def url(issuer: str, page: str = "") -> str:
    return f"{issuer}{PATH}{page}"
