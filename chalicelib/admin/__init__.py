"""Operator and tenant-admin actions, shared by the command-line tool (and the admin API to
come). They validate everything, so the protocol code can trust what is stored."""


class AdminError(ValueError):
    """A refused admin action; the message says why, for a person to read."""
