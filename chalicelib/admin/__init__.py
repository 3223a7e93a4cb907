"""Operator and tenant-admin actions, shared by the command-line tool, dynamic client
registration and the tenant admin API. They validate everything, so the protocol code can
trust what is stored."""


class AdminError(ValueError):
    """A refused admin action; the message says why, for a person to read."""


class InvalidRedirectUris(AdminError):
    """A redirect URI that may not be registered (RFC 7591 §3.2.2: invalid_redirect_uri)."""


class Missing(AdminError):
    """The tenant, client or user the action names does not exist."""


class Conflict(AdminError):
    """The item kept changing while the action read and wrote it back, so nothing was written
    (409): its change was never lost, only refused; the caller may try again."""


class PreconditionFailed(AdminError):
    """The item is not at the version the caller said it last read (If-Match; 412)."""
